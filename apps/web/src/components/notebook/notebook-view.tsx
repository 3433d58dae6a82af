// The notebook: toolbar, cells, table of contents, find bar, command palette and dialogs, and the
// command-mode half of Jupyter's keyboard model (edit-mode keys live in the cell editor).
"use client";
import "katex/dist/katex.min.css";
import "./notebook.css";
import { useSearchParams } from "next/navigation";
import { type KeyboardEvent, memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { insertCodeCell } from "@/lib/catalog/insert";
import { availableCommands, createKeyMatcher, keyName, type TCommandContext } from "@/lib/notebook/commands";
import type { NotebookController } from "@/lib/notebook/controller";
import { disposeCellModels } from "@/lib/notebook/editor-models";
import { Observable, useCellIds, useMetaField, useObservable } from "@/lib/notebook/hooks";
import { loadMonaco } from "@/lib/notebook/monaco-loader";
import { useWidePage } from "../app-shell";
import { ChartBuilderDialog } from "../charts/chart-builder-dialog";
import { revealCellComments } from "../comments/cell-comments";
import { NotebookCommentsPanel } from "../comments/notebook-comments-panel";
import { CatalogPanel } from "./catalog-panel";
import { CellView, type TCellEnv, type TFindState } from "./cell-view";
import { CommandPalette } from "./command-palette";
import { FindBar } from "./find-bar";
import { NotebookDialogs } from "./notebook-dialogs";
import { NotebookToolbar } from "./notebook-toolbar";
import type { TChartBuilderRequest } from "./outputs/chart-actions";
import { LiveOutputsContext, type TLiveOutputs } from "./outputs/live-outputs";
import { RestartDialog } from "./restart-dialog";
import { RunStopNotice, SocketClosedNotice } from "./run-stop-notice";
import { ShortcutsDialog } from "./shortcuts-dialog";
import { TocPanel } from "./toc-panel";

/** Cells drawn in the first frame: more than a screen of them. */
const FIRST_CELLS = 24;
/** Cells added per idle slice after that (a few milliseconds each). */
const CELLS_PER_SLICE = 40;

/**
 * How many cells to draw while a notebook opens: the first screen at once, the rest in idle
 * slices, so a 1,000-cell notebook paints its top in well under a second instead of after one
 * long task for every cell (bench/notebook). Once all are drawn, every cell always is: cells
 * added later appear at once.
 */
function useOpeningCellCount(total: number): number {
  const [count, setCount] = useState(FIRST_CELLS);
  const isComplete = count === Number.POSITIVE_INFINITY;
  useEffect(() => {
    if (isComplete) return;
    const next = () =>
      setCount((shown) =>
        shown + CELLS_PER_SLICE >= total ? Number.POSITIVE_INFINITY : shown + CELLS_PER_SLICE,
      );
    if (count >= total) {
      setCount(Number.POSITIVE_INFINITY);
      return;
    }
    if (typeof window.requestIdleCallback === "function") {
      const handle = window.requestIdleCallback(next, { timeout: 50 });
      return () => window.cancelIdleCallback(handle);
    }
    const timer = setTimeout(next, 0);
    return () => clearTimeout(timer);
  }, [count, total, isComplete]);
  return Math.min(count, total);
}

const CellList = memo(function CellList({
  env,
  onKeyDown,
}: {
  env: TCellEnv;
  onKeyDown: (event: KeyboardEvent) => void;
}) {
  const ids = useCellIds(env.controller.store);
  const shown = useOpeningCellCount(ids.length);
  return (
    // biome-ignore lint/a11y/useSemanticElements: cells are focusable containers with editors, not plain list items
    <div
      role="list"
      aria-label="Cells"
      className="nb-cells"
      onKeyDown={onKeyDown}
      aria-busy={shown < ids.length}
    >
      {(shown < ids.length ? ids.slice(0, shown) : ids).map((id) => (
        <CellView key={id} id={id} env={env} />
      ))}
    </div>
  );
});

export function NotebookView({ controller }: { controller: NotebookController }) {
  const { store } = controller;
  const cellElements = useRef(new Map<string, HTMLElement>());
  const find = useMemo(
    () => new Observable<TFindState>({ isOpen: false, query: "", isCaseSensitive: false }),
    [],
  );
  const findState = useObservable(find);
  const [isPaletteOpen, setPaletteOpen] = useState(false);
  const [isShortcutsOpen, setShortcutsOpen] = useState(false);
  // One side panel on the left at a time: the table of contents or the Data (catalog) panel.
  const [leftPanel, setLeftPanel] = useState<"toc" | "data" | null>(null);
  const isTocOpen = leftPanel === "toc";
  const setTocOpen = useCallback(
    (update: (isOpen: boolean) => boolean) =>
      setLeftPanel((panel) => (update(panel === "toc") ? "toc" : panel === "toc" ? null : panel)),
    [],
  );
  const [isCommentsOpen, setCommentsOpen] = useState(false);
  // With a side panel open the page widens to the screen, so the cells keep their width instead
  // of being squeezed between the panels inside the page's reading column.
  useWidePage(leftPanel !== null || isCommentsOpen);
  const [chartBuilder, setChartBuilder] = useState<TChartBuilderRequest | null>(null);
  // Viewers get no kernel requests: tables show their saved first page, the builder no preview.
  const canRun = useMetaField(store, (meta) => meta.permissions.run);
  const liveOutputs = useMemo<TLiveOutputs | null>(
    () =>
      canRun
        ? {
            pageTable: (request) => controller.pageTable(request),
            previewChart: (command) => controller.previewChart(command),
          }
        : null,
    [canRun, controller],
  );
  // The restart waiting for a yes: "restart", "restart and run all", or none.
  const [restartAsked, setRestartAsked] = useState<{ andRunAll: boolean } | null>(null);
  const matcher = useMemo(() => createKeyMatcher(), []);

  const focusCell = useCallback((id: string) => {
    const element = cellElements.current.get(id);
    if (!element) return;
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: "nearest" });
  }, []);

  const revealCell = useCallback((id: string) => {
    cellElements.current.get(id)?.scrollIntoView({ block: "center" });
  }, []);

  const ctxRef = useRef<TCommandContext | null>(null);
  ctxRef.current = {
    controller,
    store,
    view: {
      openPalette: () => setPaletteOpen(true),
      openFind: () => find.set({ ...find.get(), isOpen: true }),
      toggleToc: () => setTocOpen((value) => !value),
      confirmRestart: (andRunAll) => setRestartAsked({ andRunAll }),
      openShortcuts: () => setShortcutsOpen(true),
    },
  };
  const getCommandContext = useCallback(() => ctxRef.current!, []);

  const env = useMemo<TCellEnv>(
    () => ({
      controller,
      find,
      getCommandContext,
      focusCell,
      openChartBuilder: setChartBuilder,
      registerCell: (id, element) => {
        if (element) cellElements.current.set(id, element);
        else cellElements.current.delete(id);
      },
    }),
    [controller, find, getCommandContext, focusCell],
  );

  // A notification links here with ?cell=<id>&comment=<id>: select that cell and open its
  // comments at the comment. The query is dropped once taken, so the same link works again.
  const searchParams = useSearchParams();
  const linkedCell = searchParams.get("cell");
  const linkedComment = searchParams.get("comment");
  useEffect(() => {
    if (!linkedCell) return;
    if (store.getCell(linkedCell)) {
      store.select(linkedCell);
      revealCellComments(controller.notebookId, linkedCell, linkedComment);
    } else {
      controller.notify("The cell that comment was on is no longer in this notebook.");
    }
    const params = new URLSearchParams(window.location.search);
    params.delete("cell");
    params.delete("comment");
    const query = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  }, [linkedCell, linkedComment, store, controller]);

  // Start loading Monaco right away; the page is usable (static text) until it arrives.
  useEffect(() => {
    void loadMonaco();
  }, []);

  useEffect(() => {
    controller.start();
    return () => {
      controller.dispose();
      disposeCellModels(controller.notebookId);
    };
  }, [controller]);

  // Leaving edit mode hands focus to the cell, so command-mode keys work at once.
  useEffect(() => {
    let mode = store.getMode();
    return store.subscribeUi(() => {
      const next = store.getMode();
      const active = store.getActiveId();
      if (mode === "edit" && next === "command" && active) {
        const focused = document.activeElement;
        if (!focused || focused === document.body || focused.closest(".nb-cells")) focusCell(active);
      }
      mode = next;
    });
  }, [store, focusCell]);

  // Keys that work anywhere on the page: the palette, and Ctrl+S instead of the browser's "save page".
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      const name = keyName(event);
      if (name === "Ctrl+Shift+P") {
        event.preventDefault();
        setPaletteOpen(true);
      } else if (name === "Ctrl+S") {
        event.preventDefault();
        void controller.save();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [controller]);

  // Runs a command-mode key; true when a command took it.
  const runCommandKey = useCallback(
    (event: globalThis.KeyboardEvent): boolean => {
      if (store.getMode() !== "command") return false;
      const name = keyName(event);
      if (name === "Ctrl+Shift+P" || name === "Ctrl+S") return false;
      const command = matcher(name, "command", availableCommands(store));
      if (!command) return false;
      event.preventDefault();
      event.stopPropagation();
      command.run(ctxRef.current!);
      requestAnimationFrame(() => {
        const active = store.getActiveId();
        if (active && store.getMode() === "command" && !find.get().isOpen) focusCell(active);
        else if (active && store.getMode() === "command") revealCell(active);
      });
      return true;
    },
    [store, matcher, find, focusCell, revealCell],
  );

  const onCommandKey = useCallback(
    (event: KeyboardEvent) => {
      // Only keys on a cell itself (command mode); editors, inputs and buttons keep theirs.
      if ((event.target as HTMLElement).getAttribute("role") !== "listitem") return;
      runCommandKey(event.nativeEvent);
    },
    [runCommandKey],
  );

  // A deleted cell takes the focus with it to <body>: keys typed before the next cell is
  // focused still belong to command mode.
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.target === document.body && !document.querySelector("dialog[open]")) runCommandKey(event);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [runCommandKey]);

  const jumpTo = useCallback(
    (cellId: string) => {
      store.setMode("command");
      store.select(cellId);
      requestAnimationFrame(() => {
        revealCell(cellId);
        focusCell(cellId);
      });
    },
    [store, focusCell, revealCell],
  );

  /**
   * The builder's `%chart` line goes where the user expects it: an edited chart's line is
   * replaced in its own cell; a new chart gets a new cell below the table. Then it runs.
   */
  const applyChart = useCallback(
    (request: TChartBuilderRequest, line: string) => {
      const source = store.getCell(request.cellId)?.source ?? "";
      const lines = source.split("\n");
      const at = request.command ? lines.findIndex((text) => text.trim() === request.command?.trim()) : -1;
      let target: string | null = null;
      if (at >= 0 && store.canEdit()) {
        lines[at] = line;
        store.setSource(request.cellId, lines.join("\n"));
        target = request.cellId;
      } else {
        target = insertCodeCell(store, line, request.cellId);
      }
      setChartBuilder(null);
      if (!target) {
        controller.notify("Your role in this project cannot edit this notebook.");
        return;
      }
      jumpTo(target);
      void controller.run([target]);
    },
    [store, controller, jumpTo],
  );
  const closeChartBuilder = useCallback(() => setChartBuilder(null), []);

  const closeFind = useCallback(() => {
    find.set({ ...find.get(), isOpen: false });
    const active = store.getActiveId();
    if (active) requestAnimationFrame(() => focusCell(active));
  }, [find, store, focusCell]);

  return (
    <LiveOutputsContext.Provider value={liveOutputs}>
      <div className="nb-root">
        <NotebookToolbar
          controller={controller}
          isTocOpen={isTocOpen}
          onOpenPalette={() => setPaletteOpen(true)}
          onRestart={() => setRestartAsked({ andRunAll: false })}
          onToggleToc={() => setTocOpen((value) => !value)}
          isCommentsOpen={isCommentsOpen}
          onToggleComments={() => setCommentsOpen((value) => !value)}
          onOpenFind={() => find.set({ ...find.get(), isOpen: true })}
          isDataOpen={leftPanel === "data"}
          onToggleData={() => setLeftPanel((panel) => (panel === "data" ? null : "data"))}
          onOpenShortcuts={() => setShortcutsOpen(true)}
        />
        {findState.isOpen && <FindBar store={store} find={find} onReveal={revealCell} onClose={closeFind} />}
        <SocketClosedNotice controller={controller} />
        <RunStopNotice controller={controller} onJump={jumpTo} />
        <div
          className={`nb-layout ${leftPanel ? "nb-layout-toc" : ""} ${isCommentsOpen ? "nb-layout-comments" : ""}`}
        >
          {isTocOpen && <TocPanel store={store} onJump={jumpTo} />}
          {leftPanel === "data" && (
            <CatalogPanel projectId={controller.projectId} store={store} onInserted={jumpTo} />
          )}
          <CellList env={env} onKeyDown={onCommandKey} />
          {isCommentsOpen && <NotebookCommentsPanel onJump={jumpTo} />}
        </div>
        {isPaletteOpen && (
          <CommandPalette
            ctx={ctxRef.current}
            onClose={() => {
              setPaletteOpen(false);
              const active = store.getActiveId();
              if (active && store.getMode() === "command") requestAnimationFrame(() => focusCell(active));
            }}
          />
        )}
        {isShortcutsOpen && (
          <ShortcutsDialog
            onClose={() => {
              setShortcutsOpen(false);
              const active = store.getActiveId();
              if (active && store.getMode() === "command") requestAnimationFrame(() => focusCell(active));
            }}
          />
        )}
        {chartBuilder && (
          <ChartBuilderDialog
            columns={chartBuilder.columns}
            {...(chartBuilder.variable ? { variable: chartBuilder.variable } : {})}
            {...(chartBuilder.command ? { command: chartBuilder.command } : {})}
            onApply={(line) => applyChart(chartBuilder, line)}
            onClose={closeChartBuilder}
          />
        )}
        {restartAsked && (
          <RestartDialog
            andRunAll={restartAsked.andRunAll}
            onClose={() => setRestartAsked(null)}
            onConfirm={() =>
              restartAsked.andRunAll ? void controller.restartAndRunAll() : controller.restart()
            }
          />
        )}
        <NotebookDialogs controller={controller} />
      </div>
    </LiveOutputsContext.Provider>
  );
}

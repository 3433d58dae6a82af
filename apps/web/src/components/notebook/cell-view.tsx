// One cell: prompt and run button, the editor (Monaco while editing, static text otherwise),
// rendered markdown, outputs. Memoized and subscribed to its own cell only.
"use client";
import type { TCell } from "@flint/notebook";
import { type DragEvent, type MouseEvent, memo, useCallback, useMemo, useState } from "react";
import type { TCommandContext } from "@/lib/notebook/commands";
import type { NotebookController } from "@/lib/notebook/controller";
import { languageOf } from "@/lib/notebook/editor-models";
import {
  type Observable,
  useCell,
  useCellExecution,
  useCellStatus,
  useCellUi,
  useObservable,
} from "@/lib/notebook/hooks";
import { describeExecution } from "@/lib/notebook/run-report";
import { CellComments } from "../comments/cell-comments";
import { CodeEditor, type TClickPoint } from "./code-editor";
import {
  ChartBuilderContext,
  type TChartBuilderRequest,
  type TOpenChartBuilder,
} from "./outputs/chart-actions";
import { OutputArea } from "./outputs/output-area";
import { CellPresence } from "./presence";
import { RenderedMarkdown } from "./rendered-markdown";
import { StaticCode } from "./static-code";

export type TFindState = { isOpen: boolean; query: string; isCaseSensitive: boolean };

/** What every cell needs from the notebook view; one stable object, so cells stay memoized. */
export type TCellEnv = {
  controller: NotebookController;
  find: Observable<TFindState>;
  getCommandContext: () => TCommandContext;
  registerCell: (id: string, element: HTMLElement | null) => void;
  focusCell: (id: string) => void;
  /** Opens the chart builder for an output of a cell (absent: outputs cannot make cells). */
  openChartBuilder?: (request: TChartBuilderRequest) => void;
};

const CELL_DRAG_TYPE = "application/x-flint-cells";

/** Whether this browser tells a `content-visibility: auto` element when it becomes relevant. */
const SAYS_RELEVANCE = typeof window !== "undefined" && "ContentVisibilityAutoStateChangeEvent" in window;

function promptOf(cell: TCell, status: string): string {
  if (cell.cell_type !== "code") return "";
  if (status === "running" || status === "queued" || status === "busy") return "[*]";
  return `[${cell.execution_count ?? " "}]`;
}

const STATUS_LABELS: Record<string, string> = {
  queued: "Queued",
  running: "Running…",
  error: "Error",
  // A run stopped before this cell (an earlier cell failed, or an interrupt or restart).
  cancelled: "Not run: the run stopped before this cell.",
  died: "Kernel died",
  "kernel-died": "Kernel died",
  interrupted: "Interrupted",
};

export const CellView = memo(function CellView({ id, env }: { id: string; env: TCellEnv }) {
  const { controller } = env;
  const { store } = controller;
  const cell = useCell(store, id);
  const { isActive, isSelected, isEditing } = useCellUi(store, id);
  const status = useCellStatus(store, id);
  const execution = useCellExecution(store, id);
  const find = useObservable(env.find);
  const [clickPoint, setClickPoint] = useState<TClickPoint>(null);
  const [dropAt, setDropAt] = useState<"above" | "below" | null>(null);
  const mayBuildCharts = store.canEdit() && store.canRun();
  const { openChartBuilder } = env;
  // The builder writes and runs a cell: only for those who may do both.
  const openBuilder = useMemo<TOpenChartBuilder>(
    () =>
      mayBuildCharts && openChartBuilder ? (request) => openChartBuilder({ ...request, cellId: id }) : null,
    [mayBuildCharts, openChartBuilder, id],
  );
  // A streaming cell renders on every message; its run line changes only with the run.
  const runReport = useMemo(() => (execution ? describeExecution(execution) : null), [execution]);
  // Whether the cell has come near the viewport, from the browser's own content-visibility
  // decision: a static source is highlighted only then. Undefined where the browser does not say
  // (the source then watches with an IntersectionObserver of its own). One observer per cell, in
  // a 1,000-cell notebook, cost 2-3 ms of intersection checks in every frame, typing included.
  const [isNearViewport, setNearViewport] = useState(SAYS_RELEVANCE ? false : undefined);
  // A stable ref: an inline one is detached and attached again on every render of the cell.
  const cellRef = useCallback(
    (element: HTMLDivElement | null) => {
      env.registerCell(id, element);
      if (!element) return;
      const onRelevance = (event: Event) => {
        if (!(event as ContentVisibilityAutoStateChangeEvent).skipped) setNearViewport(true);
      };
      element.addEventListener("contentvisibilityautostatechange", onRelevance);
      return () => {
        element.removeEventListener("contentvisibilityautostatechange", onRelevance);
        env.registerCell(id, null);
      };
    },
    [env, id],
  );
  if (!cell) return null;

  const canEdit = store.canEdit();
  const findQuery = find.isOpen ? find.query : "";
  const hasFindMatch =
    findQuery !== "" &&
    (find.isCaseSensitive ? cell.source : cell.source.toLowerCase()).includes(
      find.isCaseSensitive ? findQuery : findQuery.toLowerCase(),
    );

  const selectFromClick = (event: MouseEvent) => {
    if (event.shiftKey) {
      const active = store.getActiveId();
      if (active) store.selectRange(active, id);
      return true;
    }
    if (!isActive || store.getSelectedIds().length > 1) store.select(id);
    return false;
  };

  const onCellMouseDown = (event: MouseEvent<HTMLDivElement>) => {
    if (event.button !== 0) return;
    const target = event.target as HTMLElement;
    // Clicks inside the editor, on buttons or links keep their own behaviour.
    if (target.closest(".nb-editor, button, a, summary, input, textarea, select")) {
      if (!isActive) store.select(id);
      return;
    }
    // Leave the other cell's editor first: selecting while in edit mode would mount this cell's
    // editor during mousedown, and the browser's default focus would then take it away again.
    if (!isActive && store.getMode() === "edit") store.setMode("command");
    const isRange = selectFromClick(event);
    if (isRange || isEditing) return;
    // A press on the source enters edit mode at once, not when the click ends: a person holds the
    // button about a tenth of a second, time for Monaco to build and lay out the editor, so the
    // first key after the click finds it ready (issue 23). Without preventDefault the browser's
    // own mousedown focus would take the focus from the new editor. onSourceClick stays for
    // clicks that come without a press (assistive technology).
    if (target.closest(".nb-source") && canEdit && cell.cell_type !== "markdown") {
      event.preventDefault();
      setClickPoint({ x: event.clientX, y: event.clientY });
      store.setMode("edit");
      return;
    }
    // Anything else is command mode.
    if (store.getMode() === "edit") store.setMode("command");
    // Command mode: the cell itself holds focus so Jupyter's keys reach the notebook.
    requestAnimationFrame(() => {
      if (store.getMode() === "command") env.focusCell(id);
    });
  };

  const onSourceClick = (event: MouseEvent<HTMLDivElement>) => {
    if (event.shiftKey || !canEdit || cell.cell_type === "markdown") return;
    setClickPoint({ x: event.clientX, y: event.clientY });
    store.select(id);
    store.setMode("edit");
  };

  const onMarkdownDoubleClick = (event: MouseEvent<HTMLDivElement>) => {
    if (!canEdit) return;
    setClickPoint({ x: event.clientX, y: event.clientY });
    store.select(id);
    store.setMode("edit");
  };

  const onDragStart = (event: DragEvent<HTMLButtonElement>) => {
    const ids = isSelected ? store.getSelectedIds() : [id];
    event.dataTransfer.setData(CELL_DRAG_TYPE, JSON.stringify(ids));
    event.dataTransfer.effectAllowed = "move";
  };
  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    if (!canEdit || !event.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
    event.preventDefault();
    const box = event.currentTarget.getBoundingClientRect();
    setDropAt(event.clientY < box.top + box.height / 2 ? "above" : "below");
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    const raw = event.dataTransfer.getData(CELL_DRAG_TYPE);
    const where = dropAt;
    setDropAt(null);
    if (!raw || !where) return;
    event.preventDefault();
    let ids: unknown;
    try {
      ids = JSON.parse(raw);
    } catch {
      return;
    }
    if (!Array.isArray(ids)) return;
    const moving = ids.filter(
      (value): value is string => typeof value === "string" && store.getCell(value) !== undefined,
    );
    if (moving.length === 0 || moving.includes(id)) return;
    const order = store.getCellIds().filter((cellId) => !moving.includes(cellId));
    const index = order.indexOf(id);
    const beforeId = where === "above" ? id : (order[index + 1] ?? null);
    store.moveTo(moving, beforeId);
  };

  const typeLabel = cell.cell_type === "code" ? "Code" : cell.cell_type === "markdown" ? "Markdown" : "Raw";
  // Not run in the latest run: what it still shows (outputs, count, times) is from an earlier one.
  const isStale = status === "cancelled" && cell.cell_type === "code";
  const hasOutputs = cell.cell_type === "code" && cell.outputs.length > 0;
  const statusLabel =
    isStale && hasOutputs
      ? `${STATUS_LABELS.cancelled} Its outputs are from an earlier run.`
      : STATUS_LABELS[status];
  const runTime = cell.cell_type === "code" ? runReport : null;
  const language = languageOf(cell.cell_type);
  const isMarkdownRendered = cell.cell_type === "markdown" && !isEditing && !hasFindMatch;
  const attachments = cell.cell_type === "markdown" ? cell.attachments : undefined;

  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable cell holding an editor, in a role=list
    <div
      ref={cellRef}
      id={`cell-${id}`}
      data-cell-id={id}
      role="listitem"
      tabIndex={isActive ? 0 : -1}
      aria-label={`${typeLabel} cell`}
      aria-current={isActive ? "true" : undefined}
      data-status={status || undefined}
      className={`nb-cell group ${isActive ? "nb-cell-active" : ""} ${isSelected ? "nb-cell-selected" : ""} ${
        isEditing ? "nb-cell-editing" : ""
      } ${isStale ? "nb-cell-stale" : ""} ${
        dropAt === "above" ? "nb-drop-above" : dropAt === "below" ? "nb-drop-below" : ""
      }`}
      onMouseDown={onCellMouseDown}
      onDragOver={onDragOver}
      onDragLeave={() => setDropAt(null)}
      onDrop={onDrop}
    >
      <CellPresence controller={controller} cellId={id} />
      <div className="nb-gutter">
        {canEdit && (
          <button
            type="button"
            draggable
            onDragStart={onDragStart}
            className="nb-drag-handle"
            aria-label="Drag to move cell"
            title="Drag to move"
            tabIndex={-1}
          >
            ⋮⋮
          </button>
        )}
        {cell.cell_type === "code" && (
          <>
            <span
              className="nb-prompt"
              title={isStale ? "Execution count of an earlier run" : "Execution count"}
            >
              {promptOf(cell, status)}
            </span>
            {store.canRun() && (
              <button
                type="button"
                className="nb-run-button"
                aria-label="Run cell"
                title="Run (Shift+Enter)"
                tabIndex={-1}
                onClick={() => void controller.run([id])}
              >
                ▶
              </button>
            )}
          </>
        )}
        {cell.cell_type !== "code" && (
          <span className="nb-type-badge">{cell.cell_type === "markdown" ? "MD" : "RAW"}</span>
        )}
      </div>
      <div className="nb-body">
        {isEditing ? (
          <CodeEditor
            controller={controller}
            cellId={id}
            cellType={cell.cell_type}
            source={cell.source}
            clickPoint={clickPoint}
            getCommandContext={env.getCommandContext}
          />
        ) : isMarkdownRendered ? (
          // biome-ignore lint/a11y/noStaticElementInteractions: double-click to edit mirrors Jupyter; Enter does the same from the keyboard
          <div onDoubleClick={onMarkdownDoubleClick}>
            <RenderedMarkdown
              source={cell.source}
              attachments={attachments}
              emptyHint="Empty markdown cell: double-click or press Enter to edit."
            />
          </div>
        ) : (
          // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the keyboard path is Enter on the focused cell
          <div className="nb-source" onClick={onSourceClick}>
            <StaticCode
              source={cell.source}
              language={language}
              findQuery={findQuery}
              isCaseSensitive={find.isCaseSensitive}
              isNearViewport={isNearViewport}
              placeholder={
                canEdit ? (cell.cell_type === "code" ? "Type code here" : "Type text here") : undefined
              }
            />
          </div>
        )}
        {statusLabel && (
          <p className={`nb-status nb-status-${status}`} role="status">
            {statusLabel}
          </p>
        )}
        {cell.cell_type === "code" && (
          <ChartBuilderContext.Provider value={openBuilder}>
            <OutputArea
              outputs={cell.outputs}
              fullOutputUrl={`/api/v1/notebooks/${encodeURIComponent(env.controller.notebookId)}/cells/${encodeURIComponent(id)}/output`}
            />
          </ChartBuilderContext.Provider>
        )}
        {runTime && (
          <p className="nb-run-time" title={runTime.title}>
            {isStale ? `Earlier run: ${runTime.text}` : runTime.text}
          </p>
        )}
        <CellComments cellId={id} />
      </div>
      {canEdit && (
        <div className="nb-cell-actions" aria-label="Cell actions" role="toolbar">
          <button
            type="button"
            tabIndex={-1}
            aria-label="Move cell up"
            title="Move up"
            onClick={() => {
              store.select(id);
              store.moveSelection(-1);
            }}
          >
            ↑
          </button>
          <button
            type="button"
            tabIndex={-1}
            aria-label="Move cell down"
            title="Move down"
            onClick={() => {
              store.select(id);
              store.moveSelection(1);
            }}
          >
            ↓
          </button>
          <button
            type="button"
            tabIndex={-1}
            aria-label="Delete cell"
            title="Delete (D D)"
            onClick={() => store.delete([id])}
          >
            ✕
          </button>
        </div>
      )}
    </div>
  );
});

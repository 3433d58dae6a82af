// The notebook's header: name (renamable), save state, the kernel (picker and status) with
// interrupt and restart, and the common actions.
"use client";
import type { TCellType } from "@flint/notebook";
import { readParameterDefaults } from "@flint/notebook";
import { type FormEvent, useState } from "react";
import type { NotebookController } from "@/lib/notebook/controller";
import { useMeta, useUiVersion } from "@/lib/notebook/hooks";
import { ScheduleDialog } from "../jobs/schedule-dialog";
import { KernelPicker } from "./kernel-picker";
import { PresenceAvatars } from "./presence";
import { VersionsDialog } from "./versions-dialog";

const KERNEL_LABELS: Record<string, { label: string; className: string }> = {
  idle: { label: "Idle", className: "bg-emerald-500" },
  busy: { label: "Busy", className: "bg-amber-500 animate-pulse" },
  starting: { label: "Starting…", className: "bg-sky-500 animate-pulse" },
  restarting: { label: "Restarting…", className: "bg-sky-500 animate-pulse" },
  dead: { label: "Dead", className: "bg-red-600" },
  "not started": { label: "Not started", className: "bg-slate-300" },
  unknown: { label: "Unknown", className: "bg-slate-300" },
};

function SaveState({ controller }: { controller: NotebookController }) {
  const meta = useMeta(controller.store);
  const text =
    meta.saveState === "saved"
      ? "Saved"
      : meta.saveState === "saving"
        ? "Saving…"
        : meta.saveState === "unsaved"
          ? "Unsaved changes"
          : meta.saveState === "conflict"
            ? "Not saved: changed elsewhere"
            : meta.saveState === "readonly"
              ? "Read only"
              : "Not saved";
  return (
    <span
      data-testid="save-state"
      role="status"
      title={meta.saveError ?? undefined}
      className={`text-xs ${meta.saveState === "error" || meta.saveState === "conflict" ? "text-red-700" : "text-slate-500"}`}
    >
      {text}
      {meta.saveState === "error" && meta.saveError ? `: ${meta.saveError}` : ""}
    </span>
  );
}

/** Whether edits reach the others now ("Live") or wait in this page ("Offline"). */
function CoeditingState({ controller }: { controller: NotebookController }) {
  const { coediting } = useMeta(controller.store);
  if (coediting === "none") return null;
  return (
    <span
      data-testid="coediting"
      title={
        coediting === "live"
          ? "Edits reach everyone in this notebook as you type."
          : "Not connected: your edits are kept in this page and merge when the connection is back."
      }
      className={`rounded px-1.5 text-xs ${coediting === "live" ? "bg-emerald-50 text-emerald-700" : "bg-amber-50 text-amber-800"}`}
    >
      {coediting === "live" ? "Live" : "Offline"}
    </span>
  );
}

function NotebookName({ controller }: { controller: NotebookController }) {
  const meta = useMeta(controller.store);
  const [isEditing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (isEditing) {
    const submit = (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const name = String(new FormData(event.currentTarget).get("name") ?? "");
      setEditing(false);
      setError(null);
      controller.rename(name).catch((err: Error) => setError(err.message));
    };
    return (
      <form onSubmit={submit} className="flex items-center gap-2">
        <input
          name="name"
          defaultValue={meta.name}
          aria-label="Notebook name"
          maxLength={200}
          // biome-ignore lint/a11y/noAutofocus: the user just asked to rename
          autoFocus
          className="input h-8 w-72 py-1"
          onFocus={(event) => event.currentTarget.select()}
          onBlur={(event) => event.currentTarget.form?.requestSubmit()}
          onKeyDown={(event) => {
            // Escape cancels: the old name back first, so a blur's submit changes nothing.
            if (event.key === "Escape") {
              event.currentTarget.value = meta.name;
              setEditing(false);
            }
          }}
        />
      </form>
    );
  }
  return (
    <div className="flex min-w-0 items-center gap-2">
      <h1 className="truncate text-lg font-semibold text-slate-900">
        {controller.store.canEdit() ? (
          <button
            type="button"
            className="truncate hover:underline"
            title="Rename"
            onClick={() => setEditing(true)}
          >
            {meta.name}
          </button>
        ) : (
          meta.name
        )}
      </h1>
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
    </div>
  );
}

export function KernelStatus({ controller }: { controller: NotebookController }) {
  const meta = useMeta(controller.store);
  const kernel = KERNEL_LABELS[meta.kernelStatus] ?? KERNEL_LABELS.unknown!;
  const connection =
    meta.connection === "reconnecting"
      ? "Reconnecting…"
      : meta.connection === "connecting"
        ? "Connecting…"
        : meta.connection === "signedOut"
          ? "Signed out"
          : meta.connection === "forbidden"
            ? "No access"
            : null;
  return (
    <span
      className="flex items-center gap-2 text-xs text-slate-600"
      data-testid="kernel-status"
      role="status"
    >
      <span
        aria-hidden
        className={`inline-block h-2.5 w-2.5 rounded-full ${connection ? "bg-slate-300" : kernel.className}`}
      />
      {connection ?? `Kernel: ${kernel.label}`}
    </span>
  );
}

export function NotebookToolbar({
  controller,
  onOpenPalette,
  onRestart,
  onToggleToc,
  onOpenFind,
  isTocOpen,
  isCommentsOpen,
  onToggleComments,
  isDataOpen,
  onToggleData,
  onOpenShortcuts,
}: {
  controller: NotebookController;
  onOpenPalette: () => void;
  /** Asks before restarting (the dialog lives in the notebook view). */
  onRestart: () => void;
  onToggleToc: () => void;
  onOpenFind: () => void;
  isTocOpen: boolean;
  isCommentsOpen: boolean;
  onToggleComments: () => void;
  /** The Data panel (catalog assets with "Insert"). */
  isDataOpen: boolean;
  onToggleData: () => void;
  /** The keyboard shortcuts dialog. */
  onOpenShortcuts: () => void;
}) {
  const { store } = controller;
  const [isVersionsOpen, setVersionsOpen] = useState(false);
  const [isScheduleOpen, setScheduleOpen] = useState(false);
  useUiVersion(store);
  const meta = useMeta(store);
  const active = store.getActiveId();
  const activeType = active ? store.getCell(active)?.cell_type : undefined;
  const canEdit = store.canEdit();
  const canRun = store.canRun();
  // From the click until the fresh kernel reports idle (or fails: "dead").
  const isRestarting = meta.kernelStatus === "restarting";
  return (
    <div className="sticky top-0 z-20 border-b border-slate-200 bg-white">
      <div className="flex items-center gap-3 px-4 py-2">
        <NotebookName controller={controller} />
        <SaveState controller={controller} />
        <CoeditingState controller={controller} />
        <div className="ml-auto flex items-center gap-3">
          <PresenceAvatars controller={controller} />
          <KernelPicker controller={controller} />
          <KernelStatus controller={controller} />
          {canRun && (
            <>
              <button
                type="button"
                className="btn-secondary h-8"
                onClick={() => controller.interrupt()}
                title="Interrupt (I I)"
                aria-label="Interrupt the kernel"
              >
                Interrupt
              </button>
              <button
                type="button"
                className="btn-secondary h-8"
                onClick={onRestart}
                disabled={isRestarting}
                title="Restart (0 0): outputs stay, variables are lost"
                aria-label={isRestarting ? "Restarting the kernel" : "Restart the kernel"}
              >
                {isRestarting ? "Restarting…" : "Restart"}
              </button>
              <button
                type="button"
                className="btn-secondary h-8"
                onClick={() => controller.shutdown()}
                title="Stop this notebook's kernel (outputs stay): a person may have a few kernels at once"
                aria-label="Shut down the kernel"
              >
                Shut down
              </button>
            </>
          )}
        </div>
      </div>
      <div
        role="toolbar"
        aria-label="Notebook actions"
        className="flex flex-wrap items-center gap-1 px-4 pb-2"
      >
        {canEdit && (
          <button
            type="button"
            className="nb-tool"
            onClick={() => void controller.save()}
            title="Save (Ctrl+S)"
          >
            Save
          </button>
        )}
        {canEdit && (
          <button
            type="button"
            className="nb-tool"
            onClick={() => {
              // A click means "I want to type here": the new cell opens its editor with the caret
              // (the B key stays in command mode, as in Jupyter).
              if (store.insert("below")) store.setMode("edit");
            }}
            title="Insert a cell below and edit it (B inserts without editing)"
          >
            + Cell
          </button>
        )}
        {canRun && (
          <>
            <button
              type="button"
              className="nb-tool"
              title="Run selected cells (Ctrl+Enter)"
              onClick={() => void controller.run(store.getSelectedIds())}
            >
              ▶ Run
            </button>
            <button type="button" className="nb-tool" onClick={() => void controller.runAll()}>
              Run all
            </button>
            <button type="button" className="nb-tool" onClick={() => controller.clearOutputs()}>
              Clear outputs
            </button>
          </>
        )}
        {canEdit && (
          <label className="ml-1 flex items-center gap-1 text-xs text-slate-600">
            <span className="sr-only">Cell type</span>
            <select
              className="h-7 rounded border border-slate-300 bg-white px-1 text-xs"
              value={activeType ?? "code"}
              disabled={!activeType}
              onChange={(event) => store.setType(store.getSelectedIds(), event.target.value as TCellType)}
            >
              <option value="code">Code</option>
              <option value="markdown">Markdown</option>
              <option value="raw">Raw</option>
            </select>
          </label>
        )}
        <span className="mx-1 h-5 w-px bg-slate-200" aria-hidden />
        <button type="button" className="nb-tool" onClick={onOpenFind} title="Find and replace (Ctrl+F)">
          Find
        </button>
        <button type="button" className="nb-tool" aria-pressed={isTocOpen} onClick={onToggleToc}>
          Contents
        </button>
        <button
          type="button"
          className="nb-tool"
          aria-pressed={isDataOpen}
          onClick={onToggleData}
          title="Datasets of this project: insert the code that loads one"
        >
          Data
        </button>
        <button type="button" className="nb-tool" aria-pressed={isCommentsOpen} onClick={onToggleComments}>
          All comments
        </button>
        <button
          type="button"
          className="nb-tool"
          onClick={() => setVersionsOpen(true)}
          title="Named versions: save, list, restore"
        >
          Versions
        </button>
        {isVersionsOpen && <VersionsDialog controller={controller} onClose={() => setVersionsOpen(false)} />}
        {canRun && (
          <button
            type="button"
            className="nb-tool"
            onClick={() => setScheduleOpen(true)}
            title="Schedule this notebook: run it on a schedule or by hand, with parameters, each run kept"
          >
            Schedule
          </button>
        )}
        {isScheduleOpen && (
          <ScheduleDialog
            projectId={controller.projectId}
            notebookId={controller.notebookId}
            notebookName={meta.name}
            parameterNames={readParameterDefaults(store.getNotebook().cells).map((item) => item.name)}
            onClose={() => setScheduleOpen(false)}
          />
        )}
        <button
          type="button"
          className="nb-tool"
          onClick={onOpenPalette}
          title="Command palette (Ctrl+Shift+P)"
        >
          Commands
        </button>
        <button type="button" className="nb-tool" onClick={onOpenShortcuts} title="Keyboard shortcuts (H)">
          Keyboard shortcuts
        </button>
        {/* A plain link: the browser downloads the file with the session cookie (a GET). */}
        <a
          className="nb-tool"
          href={`/api/v1/notebooks/${encodeURIComponent(controller.notebookId)}/export`}
          download
        >
          Export .ipynb
        </a>
        {meta.notice && (
          <span role="alert" className="ml-2 rounded bg-amber-50 px-2 py-1 text-xs text-amber-800">
            {meta.notice}
          </span>
        )}
      </div>
    </div>
  );
}

// The notice above the cells when a run of several cells stopped early: which cell stopped it
// and why, how many cells did not run, and a way to jump to that cell (as Databricks and
// JupyterLab's run-all report do). It stays until a new run begins or the user dismisses it.
"use client";
import type { NotebookController } from "@/lib/notebook/controller";
import { useCellIds, useMetaField } from "@/lib/notebook/hooks";
import { describeRunStop } from "@/lib/notebook/run-report";

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

export function RunStopNotice({
  controller,
  onJump,
}: {
  controller: NotebookController;
  onJump: (cellId: string) => void;
}) {
  const { store } = controller;
  const runStop = useMetaField(store, (meta) => meta.runStop);
  const ids = useCellIds(store);
  if (!runStop) return null;
  const notice = describeRunStop(runStop, ids, (id) => {
    const cell = store.getCell(id);
    return cell?.cell_type === "code" ? cell.outputs : [];
  });
  const { cellId, cellLabel } = notice;
  return (
    <div
      role="alert"
      aria-label="Run stopped"
      className="mx-4 mt-2 flex items-start gap-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
    >
      <p className="min-w-0 flex-1">
        <strong>{notice.title}</strong>: {sentence(notice.reason)} {notice.notRun}
      </p>
      {cellId && cellLabel && (
        <button
          type="button"
          className="shrink-0 rounded border border-amber-400 bg-white px-2 py-0.5 text-xs font-medium hover:bg-amber-100"
          onClick={() => onJump(cellId)}
        >
          Go to {cellLabel}
        </button>
      )}
      <button
        type="button"
        className="shrink-0 rounded px-1 text-amber-700 hover:bg-amber-100"
        aria-label="Dismiss"
        title="Dismiss"
        onClick={() => controller.dismissRunStop()}
      >
        ✕
      </button>
    </div>
  );
}

/**
 * Shown when the server closed the notebook's socket for good: the session ended (signed out in
 * another tab, expired, token revoked, account disabled) or access to the notebook was removed.
 */
export function SocketClosedNotice({ controller }: { controller: NotebookController }) {
  const connection = useMetaField(controller.store, (meta) => meta.connection);
  if (connection !== "signedOut" && connection !== "forbidden") return null;
  const next = typeof window === "undefined" ? "/" : window.location.pathname + window.location.search;
  return (
    <div
      role="alert"
      aria-label="Disconnected"
      className="mx-4 mt-2 flex items-start gap-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900"
    >
      {connection === "signedOut" ? (
        <>
          <p className="min-w-0 flex-1">
            <strong>You were signed out</strong>; sign in again to run cells. Nothing you run from this page
            reaches the kernel until then.
          </p>
          <a
            className="shrink-0 rounded border border-red-400 bg-white px-2 py-0.5 text-xs font-medium hover:bg-red-100"
            href={`/login?next=${encodeURIComponent(next)}`}
          >
            Sign in again
          </a>
        </>
      ) : (
        <p className="min-w-0 flex-1">
          <strong>You no longer have access to this notebook</strong>; ask a project admin to add you again.
        </p>
      )}
    </div>
  );
}

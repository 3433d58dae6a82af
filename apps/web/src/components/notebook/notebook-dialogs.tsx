// The save-conflict dialog (reload, overwrite, or compare: SECURITY.md case 21) and the offer to
// restore a local draft after a crash (case 22).
"use client";
import { useRef, useState } from "react";
import type { TCellDiff } from "@/lib/notebook/cell-diff";
import type { NotebookController } from "@/lib/notebook/controller";
import { useDialog } from "@/lib/notebook/hooks";
import { Modal } from "../ui/modal";

// Neither dialog takes an onClose, so Escape does nothing: the user must choose, because a
// dismissed conflict or draft would leave the notebook's edits in limbo.
const DIALOG_BOX = "max-h-[85vh] w-full max-w-3xl overflow-auto p-5";

function DiffView({ diff }: { diff: TCellDiff[] }) {
  const changed = diff.filter((entry) => entry.kind !== "same");
  if (changed.length === 0) return <p className="text-sm text-slate-600">The cell sources are the same.</p>;
  return (
    <ol className="space-y-3" aria-label="Differences by cell">
      {changed.map((entry) => (
        <li key={`${entry.kind}-${entry.id}`} className="rounded border border-slate-200">
          <p className="border-b border-slate-200 bg-slate-50 px-3 py-1 text-xs text-slate-600">
            {entry.kind === "added"
              ? "Only in your copy"
              : entry.kind === "removed"
                ? "Only on the server"
                : "Changed"}{" "}
            · {entry.cellType} cell
          </p>
          <pre className="overflow-x-auto px-3 py-2 font-mono text-xs leading-5">
            {entry.kind === "changed"
              ? entry.lines.map((line, index) => (
                  <div
                    key={index}
                    className={
                      line.kind === "added"
                        ? "bg-emerald-50 text-emerald-800"
                        : line.kind === "removed"
                          ? "bg-red-50 text-red-800"
                          : ""
                    }
                  >
                    {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
                    {line.text}
                  </div>
                ))
              : entry.source}
          </pre>
        </li>
      ))}
    </ol>
  );
}

export function NotebookDialogs({ controller }: { controller: NotebookController }) {
  const dialog = useDialog(controller);
  const [isBusy, setBusy] = useState(false);
  const restoreButton = useRef<HTMLButtonElement>(null);
  const act = (action: () => unknown) => async () => {
    setBusy(true);
    try {
      await action();
    } catch (error) {
      controller.notify((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!dialog) return null;
  if (dialog.kind === "draft") {
    return (
      // Focus starts on Restore: Enter must never throw the edits away.
      <Modal label="Restore unsaved edits" className={DIALOG_BOX} initialFocus={restoreButton}>
        <h2 className="text-lg font-semibold">Restore unsaved edits?</h2>
        <p className="mt-2 text-sm text-slate-600">
          This browser kept edits to this notebook from {new Date(dialog.draft.savedAt).toLocaleString()} that
          were not saved
          {dialog.draft.baseVersion !== dialog.serverVersion
            ? ` (they were based on version ${dialog.draft.baseVersion}; the server now has version ${dialog.serverVersion})`
            : ""}
          .
        </p>
        <div className="mt-4 flex justify-end gap-2">
          <button type="button" className="btn-secondary" onClick={() => controller.discardDraft()}>
            Discard them
          </button>
          <button
            ref={restoreButton}
            type="button"
            className="btn-primary"
            onClick={() => controller.restoreDraft()}
          >
            Restore edits
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <Modal label="Save conflict" className={DIALOG_BOX}>
      <h2 className="text-lg font-semibold">This notebook was changed elsewhere</h2>
      <p className="mt-2 text-sm text-slate-600">
        Someone saved a newer version
        {dialog.currentVersion !== null ? ` (version ${dialog.currentVersion})` : ""} while you were editing.
        Your edits are kept in this tab and in this browser until you choose.
      </p>
      {dialog.diff && (
        <div className="mt-4">
          <DiffView diff={dialog.diff} />
        </div>
      )}
      <div className="mt-4 flex flex-wrap justify-end gap-2">
        {!dialog.diff && (
          <button
            type="button"
            className="btn-secondary"
            disabled={isBusy}
            onClick={act(() => controller.showDiff())}
          >
            See the difference
          </button>
        )}
        <button
          type="button"
          className="btn-secondary"
          disabled={isBusy}
          onClick={act(() => controller.reloadFromServer())}
        >
          Reload (discard my edits)
        </button>
        <button
          type="button"
          className="btn-primary"
          disabled={isBusy}
          onClick={act(() => controller.overwrite())}
        >
          Overwrite with mine
        </button>
      </div>
    </Modal>
  );
}

// Asking before a kernel restart, as JupyterLab does: a restart drops every variable, and the
// toolbar button sits next to Interrupt, so one stray click must not cost an afternoon's state.
"use client";
import { useRef } from "react";
import { Modal } from "../ui/modal";

export function RestartDialog({
  andRunAll,
  onConfirm,
  onClose,
}: {
  /** Restart and then run every cell. */
  andRunAll: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  // Focus starts on Cancel: Enter pressed out of habit keeps the variables.
  const cancelButton = useRef<HTMLButtonElement>(null);
  return (
    <Modal
      labelledBy="restart-dialog-title"
      className="w-full max-w-md p-5"
      onClose={onClose}
      initialFocus={cancelButton}
    >
      <h2 id="restart-dialog-title" className="text-lg font-semibold">
        {andRunAll ? "Restart the kernel and run all cells?" : "Restart the kernel?"}
      </h2>
      <p className="mt-2 text-sm text-slate-600">
        The outputs stay, but all variables and imports are lost: cells that use them must run again.
        {andRunAll ? " Every cell then runs from the top." : ""}
      </p>
      <div className="mt-4 flex justify-end gap-2">
        <button ref={cancelButton} type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="btn-primary"
          onClick={() => {
            onClose();
            onConfirm();
          }}
        >
          {andRunAll ? "Restart and run all" : "Restart"}
        </button>
      </div>
    </Modal>
  );
}

// Asking before a kernel restart, as JupyterLab does: a restart drops every variable, and the
// toolbar button sits next to Interrupt, so one stray click must not cost an afternoon's state.
"use client";
import { ConfirmDialog } from "../ui/confirm-dialog";

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
  return (
    <ConfirmDialog
      title={andRunAll ? "Restart the kernel and run all cells?" : "Restart the kernel?"}
      body={`The outputs stay, but all variables and imports are lost: cells that use them must run again.${andRunAll ? " Every cell then runs from the top." : ""}`}
      confirmLabel={andRunAll ? "Restart and run all" : "Restart"}
      tone="primary"
      onConfirm={onConfirm}
      onClose={onClose}
    />
  );
}

// A question before something that cannot be undone or costs work: delete forever, restart a
// kernel, change a kernel, make a notebook public. One dialog for all of them, so each asks the
// same way: Cancel has the focus, the confirm button says what happens, an error stays in view.
"use client";
import { type ReactNode, useId, useRef, useState } from "react";
import { Modal } from "./modal";

/**
 * Asks `title`; `onConfirm` runs on the confirm button, the dialog closes when it succeeds and
 * shows its error when it throws.
 */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  busyLabel,
  tone = "danger",
  isConfirmDisabled = false,
  isWide = false,
  onConfirm,
  onClose,
}: {
  title: string;
  /** The explanation: a sentence, or controls the question needs (a choice of kernel). */
  body: ReactNode;
  confirmLabel: string;
  /** The confirm button's text while `onConfirm` runs (default: `confirmLabel`). */
  busyLabel?: string;
  /** `danger` (red) destroys something; `primary` changes it. */
  tone?: "danger" | "primary";
  isConfirmDisabled?: boolean;
  isWide?: boolean;
  onConfirm: () => void | Promise<void>;
  onClose: () => void;
}) {
  const titleId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    // Cancel has the focus: Enter on an unread question must not destroy anything.
    <Modal
      labelledBy={titleId}
      className={`w-full ${isWide ? "max-w-lg" : "max-w-md"} p-5`}
      onClose={onClose}
      isBusy={isBusy}
      initialFocus={cancel}
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      {typeof body === "string" ? <p className="mt-2 text-sm text-slate-600">{body}</p> : body}
      {error && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="mt-5 flex justify-end gap-2">
        <button ref={cancel} type="button" className="btn-secondary" onClick={onClose} disabled={isBusy}>
          Cancel
        </button>
        <button
          type="button"
          className={tone === "danger" ? "btn bg-red-600 text-white hover:bg-red-700" : "btn-primary"}
          onClick={confirm}
          disabled={isBusy || isConfirmDisabled}
        >
          {isBusy && busyLabel ? busyLabel : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

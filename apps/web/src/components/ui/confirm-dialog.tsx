// A yes-or-no question before something that cannot be undone (delete forever, delete a file).
"use client";
import { useId, useRef, useState } from "react";
import { Modal } from "./modal";

/** Asks `title`; `onConfirm` runs on the confirm button (its error is shown in the dialog). */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
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
      className="w-full max-w-md p-5"
      onClose={onClose}
      isBusy={isBusy}
      initialFocus={cancel}
    >
      <h2 id={titleId} className="text-lg font-semibold">
        {title}
      </h2>
      <p className="mt-2 text-sm text-slate-600">{body}</p>
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
          className="btn bg-red-600 text-white hover:bg-red-700"
          onClick={confirm}
          disabled={isBusy}
        >
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

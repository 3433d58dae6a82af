// Asks before a notebook becomes public: anyone with the link can read it, without signing in,
// as it is at this moment (a snapshot; SECURITY.md case 34). Publishing again replaces the copy.
"use client";
import { useRef, useState } from "react";
import { apiClient } from "@/lib/api";
import { Modal } from "../ui/modal";

export type TPublishTarget = {
  id: string;
  name: string;
  published: boolean;
  publishedVersion: number | null;
};

export function PublishDialog({
  notebook,
  onClose,
  onPublished,
}: {
  notebook: TPublishTarget;
  onClose: () => void;
  onPublished: () => void;
}) {
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Focus starts on Cancel: making a notebook public should take a deliberate click, not an Enter.
  const cancelButton = useRef<HTMLButtonElement>(null);
  const link = `${window.location.origin}/community/notebooks/${notebook.id}`;
  const publish = async () => {
    setBusy(true);
    setError(null);
    try {
      await apiClient("publishNotebook", { params: { id: notebook.id } });
      onPublished();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal
      labelledBy="publish-title"
      className="w-full max-w-lg p-5"
      onClose={onClose}
      isBusy={isBusy}
      initialFocus={cancelButton}
    >
      <h2 id="publish-title" className="text-lg font-semibold">
        {notebook.published ? `Publish “${notebook.name}” again?` : `Publish “${notebook.name}”?`}
      </h2>
      <div className="mt-3 space-y-2 text-sm text-slate-700">
        <p>
          It becomes <strong>public to anyone with the link</strong>, read-only, without signing in, and is
          listed in the Community:
        </p>
        <p className="rounded bg-slate-100 px-2 py-1 font-mono text-xs break-all">{link}</p>
        <p>
          They see its code, markdown and outputs as they are now. Edits and runs after this stay private
          until you publish again.
        </p>
        {notebook.published && (
          <p>This replaces the copy published from version {notebook.publishedVersion}.</p>
        )}
      </div>
      {error && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="mt-5 flex justify-end gap-2">
        <button
          ref={cancelButton}
          type="button"
          className="btn-secondary"
          onClick={onClose}
          disabled={isBusy}
        >
          Cancel
        </button>
        <button type="button" className="btn-primary" onClick={publish} disabled={isBusy}>
          {isBusy ? "Publishing…" : notebook.published ? "Publish again" : "Publish"}
        </button>
      </div>
    </Modal>
  );
}

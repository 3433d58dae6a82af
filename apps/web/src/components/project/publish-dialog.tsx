// Asks before a notebook becomes public: anyone with the link can read it, without signing in,
// as it is at this moment (a snapshot; SECURITY.md case 34). Publishing again replaces the copy.
"use client";
import { apiClient } from "@/lib/api";
import { ConfirmDialog } from "../ui/confirm-dialog";

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
  const link = `${window.location.origin}/community/notebooks/${notebook.id}`;
  // Cancel has the focus (ConfirmDialog): making a notebook public takes a deliberate click.
  return (
    <ConfirmDialog
      title={notebook.published ? `Publish “${notebook.name}” again?` : `Publish “${notebook.name}”?`}
      isWide
      tone="primary"
      confirmLabel={notebook.published ? "Publish again" : "Publish"}
      busyLabel="Publishing…"
      onConfirm={async () => {
        await apiClient("publishNotebook", { params: { id: notebook.id } });
        onPublished();
      }}
      onClose={onClose}
      body={
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
      }
    />
  );
}

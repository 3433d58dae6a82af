// Named versions (checkpoints) of a notebook: save the current state under a name, list them,
// restore one. Restoring never loses work: unsaved edits are saved first, and the state being
// replaced is kept as a version of its own ("Before restoring …"), so a restore can be undone.
"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { apiClient, type TResponse } from "@/lib/api";
import type { NotebookController } from "@/lib/notebook/controller";
import { queryKeys } from "@/lib/query-keys";
import { Modal } from "../ui/modal";

type TCheckpoint = TResponse<"listCheckpoints">["checkpoints"][number];

export function VersionsDialog({
  controller,
  onClose,
}: {
  controller: NotebookController;
  onClose: () => void;
}) {
  const { store, notebookId } = controller;
  const queryClient = useQueryClient();
  const listing = useQuery({
    queryKey: queryKeys.checkpoints(notebookId),
    queryFn: () => apiClient("listCheckpoints", { params: { id: notebookId } }),
  });
  const checkpoints = listing.data?.checkpoints ?? null;
  const [name, setName] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? listing.error?.message ?? null;
  const [notice, setNotice] = useState<string | null>(null);
  const canEdit = store.canEdit();

  const load = () => queryClient.invalidateQueries({ queryKey: queryKeys.checkpoints(notebookId) });

  /** Saves pending edits, then names the saved state. */
  const checkpoint = async (label: string): Promise<void> => {
    if (!(await controller.save()))
      throw new Error("The notebook could not be saved, so no version was made.");
    await apiClient("createCheckpoint", { params: { id: notebookId }, body: { name: label } });
  };

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await checkpoint(name.trim());
      setName("");
      setNotice(`Saved version “${name.trim()}”.`);
      await load();
    } catch (caught) {
      setError((caught as Error).message);
    }
    setBusy(false);
  };

  const restore = async (target: TCheckpoint) => {
    setBusy(true);
    setError(null);
    try {
      await checkpoint(`Before restoring “${target.name}”`.slice(0, 200));
      await apiClient("restoreCheckpoint", {
        params: { id: notebookId, checkpointId: target.id },
        body: { version: store.getMeta().version },
      });
      await controller.reloadFromServer();
      setNotice(`Restored “${target.name}”. The state before it is kept as a version.`);
      setConfirming(null);
      await load();
    } catch (caught) {
      setError((caught as Error).message);
    }
    setBusy(false);
  };

  return (
    // While a version is saved or restored, Escape does not close: the outcome (or the error) is
    // shown here, and a restore reloads the notebook underneath.
    <Modal
      labelledBy="versions-title"
      onClose={onClose}
      isBusy={isBusy}
      className="max-h-[85vh] w-full max-w-lg space-y-3 overflow-y-auto bg-white p-5"
    >
      <h2 id="versions-title" className="text-lg font-semibold">
        Versions
      </h2>
      {canEdit && (
        <form onSubmit={create} className="flex gap-2">
          <input
            className="input flex-1"
            aria-label="Version name"
            placeholder="Name this version, e.g. before cleanup"
            maxLength={200}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit" className="btn-primary" disabled={isBusy || name.trim() === ""}>
            Save version
          </button>
        </form>
      )}
      {notice && (
        <p role="status" className="text-sm text-emerald-700">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {checkpoints === null && !error && <p className="text-sm text-slate-500">Loading versions…</p>}
      {checkpoints?.length === 0 && <p className="text-sm text-slate-500">No named versions yet.</p>}
      <ul aria-label="Named versions" className="divide-y divide-slate-100">
        {(checkpoints ?? []).map((entry) => (
          <li key={entry.id} className="flex items-center gap-2 py-2 text-sm">
            <div className="min-w-0 flex-1">
              <p className="truncate font-medium" title={entry.name}>
                {entry.name}
              </p>
              <p className="text-xs text-slate-500">
                {new Date(entry.createdAt).toLocaleString()} · {entry.createdBy} · version {entry.version}
              </p>
            </div>
            {canEdit &&
              (confirming === entry.id ? (
                <>
                  <button
                    type="button"
                    className="btn-primary py-0.5 text-xs"
                    disabled={isBusy}
                    onClick={() => void restore(entry)}
                  >
                    Confirm restore
                  </button>
                  <button
                    type="button"
                    className="btn-secondary py-0.5 text-xs"
                    onClick={() => setConfirming(null)}
                  >
                    Cancel
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  className="btn-secondary py-0.5 text-xs"
                  aria-label={`Restore ${entry.name}`}
                  onClick={() => setConfirming(entry.id)}
                >
                  Restore
                </button>
              ))}
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-500">
        Restoring replaces the notebook’s cells and outputs with the version’s; the current state is saved as
        a version first.
      </p>
      <div className="flex justify-end">
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

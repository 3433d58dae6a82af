// "Insert into notebook" from an asset page: pick a notebook of the asset's project (or a new
// one); the notebook opens with the asset's load code in a new cell at the end.
"use client";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiClient } from "@/lib/api";
import type { TSnippetForm } from "@/lib/catalog/insert";
import { queryKeys } from "@/lib/query-keys";
import { Modal } from "../ui/modal";

const NEW_NOTEBOOK = "__new__";

export function InsertIntoNotebookDialog({
  projectId,
  assetId,
  assetName,
  form,
  onClose,
}: {
  projectId: string;
  assetId: string;
  assetName: string;
  form: TSnippetForm;
  onClose: () => void;
}) {
  const router = useRouter();
  const listing = useQuery({
    queryKey: queryKeys.projectNotebooks(projectId),
    queryFn: () => apiClient("listNotebooks", { params: { id: projectId } }),
  });
  // Most recently changed first: the notebook one is working in is usually at the top.
  const notebooks = listing.data
    ? [...listing.data.notebooks].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    : null;
  const [picked, setChoice] = useState<string | null>(null);
  const choice = picked ?? notebooks?.[0]?.id ?? NEW_NOTEBOOK;
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? listing.error?.message ?? null;
  const [isBusy, setBusy] = useState(false);

  const insert = async () => {
    setBusy(true);
    setError(null);
    try {
      let notebookId = choice;
      if (choice === NEW_NOTEBOOK) {
        const created = await apiClient("createNotebook", {
          params: { id: projectId },
          body: { name: `Explore ${assetName}` },
        });
        notebookId = created.id;
      }
      const query = new URLSearchParams({ insertAsset: assetId, form });
      router.push(
        `/projects/${encodeURIComponent(projectId)}/notebooks/${encodeURIComponent(notebookId)}?${query}`,
      );
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  return (
    // While the notebook is being made, Escape does not close: the page is about to move to it.
    <Modal
      labelledBy="insert-notebook-title"
      onClose={onClose}
      isBusy={isBusy}
      className="w-full max-w-md space-y-4 bg-white p-5"
    >
      <h2 id="insert-notebook-title" className="text-lg font-semibold">
        Insert into notebook
      </h2>
      <p className="text-sm text-slate-600">
        The code that loads <span className="font-mono">{assetName}</span> goes into a new cell at the end of
        the notebook; run it with Shift+Enter.
      </p>
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">Notebook</span>
        <select
          className="input w-full"
          value={choice}
          disabled={notebooks === null}
          onChange={(event) => setChoice(event.target.value)}
        >
          {(notebooks ?? []).map((notebook) => (
            <option key={notebook.id} value={notebook.id}>
              {notebook.name}
            </option>
          ))}
          <option value={NEW_NOTEBOOK}>New notebook “Explore {assetName}”</option>
        </select>
      </label>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="btn-primary"
          disabled={isBusy || notebooks === null}
          onClick={insert}
        >
          {isBusy ? "Opening…" : "Insert"}
        </button>
      </div>
    </Modal>
  );
}

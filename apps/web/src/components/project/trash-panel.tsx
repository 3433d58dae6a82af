"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TTrashed = TResponse<"listTrash">["notebooks"][number];

/** The project's trash: deleted notebooks with Restore and Delete forever (asked first). */
export function TrashPanel({ projectId, canRestore }: { projectId: string; canRestore: boolean }) {
  const queryClient = useQueryClient();
  const trash = useQuery({
    queryKey: queryKeys.projectTrash(projectId),
    queryFn: () => apiClient("listTrash", { params: { id: projectId } }),
  });
  const notebooks = trash.data?.notebooks;
  const retentionDays = trash.data?.retentionDays ?? 30;
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? trash.error?.message ?? null;
  const [status, setStatus] = useState<string | null>(null);
  const [doomed, setDoomed] = useState<TTrashed | null>(null);
  // Restoring puts a notebook back in the list; deleting for good only empties the trash.
  const reload = (withNotebooks: boolean) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.projectTrash(projectId) }),
      withNotebooks && queryClient.invalidateQueries({ queryKey: queryKeys.projectNotebooks(projectId) }),
    ]);
  const restore = async (notebook: TTrashed) => {
    setError(null);
    try {
      const restored = await apiClient("restoreNotebook", { params: { id: notebook.id } });
      setStatus(`Restored “${restored.name}” to the notebooks.`);
      await reload(true);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-label="Trash">
      <p className="mb-3 text-sm text-slate-600">
        Deleted notebooks stay here for {retentionDays} days, then they are deleted for good.
      </p>
      <FormMessages status={status} error={error} />
      <ul className="card divide-y divide-slate-200" aria-label="Deleted notebooks">
        {notebooks?.length === 0 && <li className="p-4 text-sm text-slate-500">The trash is empty.</li>}
        {notebooks?.map((notebook) => (
          <li key={notebook.id} className="flex items-center gap-4 p-4">
            <span className="flex-1">
              <span className="font-medium">{notebook.name}</span>
              <span className="ml-2 text-xs text-slate-500">
                {notebook.cellCount} cells · deleted {new Date(notebook.deletedAt).toLocaleString()} · gone
                for good after {new Date(notebook.purgeAt).toLocaleDateString()}
              </span>
            </span>
            {canRestore && (
              <>
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => restore(notebook)}
                  aria-label={`Restore ${notebook.name}`}
                >
                  Restore
                </button>
                <button
                  type="button"
                  className="btn-secondary text-red-700"
                  onClick={() => setDoomed(notebook)}
                  aria-label={`Delete ${notebook.name} forever`}
                >
                  Delete forever
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {doomed && (
        <ConfirmDialog
          title={`Delete “${doomed.name}” forever?`}
          body="Its cells, outputs, named versions and comments are deleted and cannot be restored."
          confirmLabel="Delete forever"
          onClose={() => setDoomed(null)}
          onConfirm={async () => {
            await apiClient("deleteNotebookForever", { params: { id: doomed.id } });
            setStatus(`Deleted “${doomed.name}” for good.`);
            await reload(false);
          }}
        />
      )}
    </section>
  );
}

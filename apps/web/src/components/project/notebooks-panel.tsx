"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type DragEvent, type FormEvent, useRef, useState } from "react";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { PublishDialog } from "./publish-dialog";

type TNotebook = TResponse<"listNotebooks">["notebooks"][number];

/**
 * The project's notebooks, the last opened first, with create (no name: "Untitled"), .ipynb
 * import (upload or drop), and for editors rename, duplicate and move to the trash.
 */
export function NotebooksPanel({
  projectId,
  canCreate,
  canPublish,
}: {
  projectId: string;
  canCreate: boolean;
  canPublish: boolean;
}) {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.projectNotebooks(projectId),
    queryFn: () => apiClient("listNotebooks", { params: { id: projectId } }),
  });
  const notebooks = data?.notebooks ?? [];
  const [error, setError] = useState<string | null>(null);
  const [isDragging, setDragging] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  const [publishing, setPublishing] = useState<TNotebook | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // Deleting moves a notebook to the trash, so both lists change; the project counts notebooks.
  const load = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.projectNotebooks(projectId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.projectTrash(projectId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.projects(), exact: true }),
    ]);
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const notebook = await apiClient("createNotebook", {
        params: { id: projectId },
        body: { name: String(form.get("name") ?? "") },
      });
      window.location.assign(`/projects/${projectId}/notebooks/${notebook.id}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const importFiles = async (files: FileList | File[]) => {
    setError(null);
    setWarning(null);
    for (const file of Array.from(files)) {
      setStatus(`Importing ${file.name}…`);
      try {
        const created = await apiClient(
          "importNotebook",
          { params: { id: projectId } },
          {
            rawBody: file,
            // The file name is sent as its own header so the body stays the untouched file.
            headers: {
              "content-type": "application/x-ipynb+json",
              "x-file-name": encodeURIComponent(file.name),
            },
          },
        );
        if (created.replaced.length > 0) {
          const places = created.replaced
            .map(
              (notice) =>
                `cell ${notice.cell}${notice.output ? ` output ${notice.output}` : ""}: ${notice.reason}`,
            )
            .join("; ");
          setWarning(
            `${file.name} was imported; ${created.replaced.length} output(s) could not be kept and show a notice in their place (${places}).`,
          );
        }
      } catch (err) {
        setError(`${file.name}: ${(err as Error).message}`);
      }
    }
    setStatus(null);
    await load();
  };
  const unpublish = async (notebook: TNotebook) => {
    try {
      await apiClient("unpublishNotebook", { params: { id: notebook.id } });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const act = async (action: () => Promise<string | null>) => {
    setError(null);
    try {
      setStatus(await action());
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const rename = (notebook: TNotebook, name: string) =>
    act(async () => {
      setRenaming(null);
      if (!name.trim() || name.trim() === notebook.name) return null;
      await apiClient("renameNotebook", { params: { id: notebook.id }, body: { name } });
      return null;
    });
  const duplicate = (notebook: TNotebook) =>
    act(async () => {
      const copy = await apiClient("duplicateNotebook", { params: { id: notebook.id }, body: {} });
      return `Duplicated as “${copy.name}”.`;
    });
  // The trash is the undo: no question before moving there (Restore is one click away).
  const trash = (notebook: TNotebook) =>
    act(async () => {
      await apiClient("trashNotebook", { params: { id: notebook.id } });
      return `Moved “${notebook.name}” to the trash. Restore it from the Trash tab.`;
    });
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    if (canCreate && event.dataTransfer.files.length > 0) void importFiles(event.dataTransfer.files);
  };
  return (
    // A drop zone is a pointer convenience; the Import button does the same from the keyboard.
    <section
      aria-label="Notebooks"
      onDragOver={(event) => {
        if (!canCreate) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      data-testid="notebook-dropzone"
      className={`rounded-lg ${isDragging ? "outline-2 outline-dashed outline-brand-500" : ""}`}
    >
      {canCreate && (
        <div className="mb-3 flex flex-wrap items-center gap-2">
          <form onSubmit={create} className="flex gap-2" aria-label="New notebook">
            <input
              name="name"
              maxLength={200}
              placeholder="Name (optional)"
              className="input w-56"
              aria-label="Notebook name"
            />
            <button type="submit" className="btn-primary">
              New notebook
            </button>
          </form>
          <button type="button" className="btn-secondary" onClick={() => fileInput.current?.click()}>
            Import .ipynb
          </button>
          <input
            ref={fileInput}
            type="file"
            accept=".ipynb,application/x-ipynb+json,application/json"
            multiple
            hidden
            aria-label="Notebook files to import"
            onChange={(event) => event.target.files && importFiles(event.target.files)}
          />
          <span className="text-xs text-slate-500">or drop .ipynb files here</span>
        </div>
      )}
      <FormMessages status={status} warning={warning} error={error} />
      <ul className="card divide-y divide-slate-200" aria-label="Notebooks">
        {notebooks.length === 0 && <li className="p-4 text-sm text-slate-500">No notebooks yet.</li>}
        {notebooks.map((notebook) => (
          <li key={notebook.id} className="flex items-center">
            {renaming === notebook.id ? (
              <form
                className="flex flex-1 items-center gap-2 p-3"
                aria-label={`Rename ${notebook.name}`}
                onSubmit={(event) => {
                  event.preventDefault();
                  void rename(notebook, String(new FormData(event.currentTarget).get("name") ?? ""));
                }}
              >
                <input
                  name="name"
                  defaultValue={notebook.name}
                  maxLength={200}
                  aria-label="New name"
                  // biome-ignore lint/a11y/noAutofocus: the user just asked to rename
                  autoFocus
                  onFocus={(event) => event.currentTarget.select()}
                  onKeyDown={(event) => {
                    if (event.key === "Escape") setRenaming(null);
                  }}
                  className="input w-72"
                />
                <button type="submit" className="btn-primary">
                  Save
                </button>
                <button type="button" className="btn-secondary" onClick={() => setRenaming(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <Link
                href={`/projects/${projectId}/notebooks/${notebook.id}`}
                className="flex flex-1 items-center justify-between gap-4 p-4 hover:bg-slate-50"
              >
                <span className="font-medium">
                  {notebook.name}
                  {notebook.published && (
                    <span className="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-xs text-green-800">
                      published
                      {notebook.publishedVersion !== null &&
                        notebook.version > notebook.publishedVersion &&
                        " · edited since"}
                    </span>
                  )}
                  {notebook.forkedFrom && (
                    <span className="ml-2 text-xs font-normal text-slate-500">
                      forked from {notebook.forkedFrom.name}
                    </span>
                  )}
                </span>
                <span className="text-xs text-slate-500">
                  {notebook.cellCount} cells · edited {new Date(notebook.updatedAt).toLocaleString()}
                </span>
              </Link>
            )}
            {canCreate && renaming !== notebook.id && (
              <div className="mr-3 flex gap-2">
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => setRenaming(notebook.id)}
                  aria-label={`Rename ${notebook.name}`}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => duplicate(notebook)}
                  aria-label={`Duplicate ${notebook.name}`}
                >
                  Duplicate
                </button>
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => trash(notebook)}
                  aria-label={`Delete ${notebook.name}`}
                >
                  Delete
                </button>
              </div>
            )}
            {notebook.published && (
              <Link
                href={`/community/notebooks/${notebook.id}`}
                className="mr-3 text-sm text-brand-700 underline"
              >
                Public page
                <span className="sr-only"> of {notebook.name}</span>
              </Link>
            )}
            {canPublish && (
              <div className="mr-3 flex gap-2">
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => setPublishing(notebook)}
                  aria-label={`${notebook.published ? "Publish again" : "Publish"} ${notebook.name}`}
                >
                  {notebook.published ? "Publish again" : "Publish"}
                </button>
                {notebook.published && (
                  <button
                    type="button"
                    className="btn-secondary"
                    onClick={() => unpublish(notebook)}
                    aria-label={`Unpublish ${notebook.name}`}
                  >
                    Unpublish
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      {publishing && (
        <PublishDialog
          notebook={publishing}
          onClose={() => setPublishing(null)}
          onPublished={() => {
            setPublishing(null);
            void load();
          }}
        />
      )}
    </section>
  );
}

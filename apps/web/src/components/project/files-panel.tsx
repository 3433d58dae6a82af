"use client";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { formatBytes } from "@/components/catalog/format";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TEntry = TResponse<"listProjectFiles">["entries"][number];

/**
 * The project's folder, which its notebooks see as their working directory: browse folders,
 * download files; editors upload, make folders and delete (asked first).
 */
export function FilesPanel({ projectId, canWrite }: { projectId: string; canWrite: boolean }) {
  const base = `/api/v1/projects/${projectId}/files`;
  const [folder, setFolder] = useState("");
  const queryClient = useQueryClient();
  const listing = useQuery({
    queryKey: queryKeys.projectFiles(projectId, folder),
    queryFn: () => apiClient("listProjectFiles", { params: { id: projectId }, query: { path: folder } }),
    // The last folder stays shown until the next one is listed, as a file browser does.
    placeholderData: keepPreviousData,
  });
  const entries = listing.data?.entries ?? null;
  const [actionError, setError] = useState<string | null>(null);
  // A listing that fails (a folder deleted from a notebook) says so until one loads again.
  const error = actionError ?? listing.error?.message ?? null;
  const [status, setStatus] = useState<string | null>(null);
  const [isMakingFolder, setMakingFolder] = useState(false);
  const [doomed, setDoomed] = useState<TEntry | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // Every folder's listing may change (a deleted folder empties its subfolders too).
  const reload = () => queryClient.invalidateQueries({ queryKey: queryKeys.projectFilesAll(projectId) });
  // Going to another folder, or refreshing, starts without the last action's error.
  const openFolder = (path: string) => {
    setError(null);
    setFolder(path);
  };
  const upload = async (files: FileList) => {
    setError(null);
    for (const file of Array.from(files)) {
      setStatus(`Uploading ${file.name}…`);
      try {
        // The body is the file itself: the browser streams it and the server writes it as it comes.
        await apiClient(
          "uploadProjectFile",
          { params: { id: projectId }, query: { path: folder, name: file.name } },
          { rawBody: file, headers: { "content-type": "application/octet-stream" } },
        );
        setStatus(`Uploaded ${file.name}.`);
      } catch (err) {
        setStatus(null);
        setError(`${file.name}: ${(err as Error).message}`);
      }
    }
    if (fileInput.current) fileInput.current.value = "";
    await reload();
  };
  const makeFolder = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "");
    try {
      await apiClient("createProjectFolder", { params: { id: projectId }, body: { path: folder, name } });
      setMakingFolder(false);
      setStatus(`Made the folder ${name.trim()}.`);
      await reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const crumbs = folder ? folder.split("/") : [];
  return (
    <section aria-label="Files">
      <p className="mb-3 text-sm text-slate-600">
        The project's folder: notebooks read and write here (their working directory), and uploads land here.
      </p>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <nav aria-label="Folder" className="flex flex-1 items-center gap-1 text-sm">
          <button type="button" className="text-brand-700 hover:underline" onClick={() => openFolder("")}>
            Project files
          </button>
          {crumbs.map((part, index) => (
            <span key={crumbs.slice(0, index + 1).join("/")} className="flex items-center gap-1">
              <span className="text-slate-400">/</span>
              <button
                type="button"
                className="text-brand-700 hover:underline"
                onClick={() => openFolder(crumbs.slice(0, index + 1).join("/"))}
              >
                {part}
              </button>
            </span>
          ))}
        </nav>
        <button
          type="button"
          className="btn-secondary"
          onClick={() => {
            setError(null);
            void reload();
          }}
        >
          Refresh
        </button>
        {canWrite && (
          <>
            <button type="button" className="btn-secondary" onClick={() => setMakingFolder(true)}>
              New folder
            </button>
            <button type="button" className="btn-primary" onClick={() => fileInput.current?.click()}>
              Upload files
            </button>
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              aria-label="Files to upload"
              onChange={(event) => event.target.files && upload(event.target.files)}
            />
          </>
        )}
      </div>
      {isMakingFolder && (
        <form onSubmit={makeFolder} className="mb-3 flex gap-2" aria-label="New folder">
          <input
            name="name"
            required
            maxLength={255}
            aria-label="Folder name"
            placeholder="Folder name"
            // biome-ignore lint/a11y/noAutofocus: the user just asked for a new folder
            autoFocus
            className="input w-64"
            onKeyDown={(event) => {
              if (event.key === "Escape") setMakingFolder(false);
            }}
          />
          <button type="submit" className="btn-primary">
            Create
          </button>
          <button type="button" className="btn-secondary" onClick={() => setMakingFolder(false)}>
            Cancel
          </button>
        </form>
      )}
      <FormMessages status={status} error={error} />
      <table className="card w-full text-sm" aria-label="Files in this folder">
        <thead className="border-b border-slate-200 text-left text-xs text-slate-500">
          <tr>
            <th className="px-4 py-2 font-medium">Name</th>
            <th className="px-4 py-2 text-right font-medium">Size</th>
            <th className="px-4 py-2 font-medium">Modified</th>
            <th className="px-4 py-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {entries?.length === 0 && (
            <tr>
              <td colSpan={4} className="px-4 py-3 text-slate-500">
                {folder
                  ? "This folder is empty."
                  : "No files yet: upload some, or write them from a notebook."}
              </td>
            </tr>
          )}
          {entries?.map((entry) => (
            <tr key={entry.path}>
              <td className="px-4 py-2">
                {entry.kind === "folder" ? (
                  <button
                    type="button"
                    className="font-medium text-brand-700 hover:underline"
                    onClick={() => openFolder(entry.path)}
                  >
                    {entry.name}/
                  </button>
                ) : (
                  <span className="font-medium">
                    {entry.name}
                    {entry.kind === "link" && <span className="ml-1 text-xs text-slate-500">(link)</span>}
                  </span>
                )}
              </td>
              <td className="px-4 py-2 text-right tabular-nums text-slate-600">
                {entry.kind === "file" ? formatBytes(entry.sizeBytes) : ""}
              </td>
              <td className="px-4 py-2 text-slate-600">{new Date(entry.modifiedAt).toLocaleString()}</td>
              <td className="px-4 py-2 text-right whitespace-nowrap">
                {entry.kind !== "folder" && (
                  <a
                    href={`${base}/download?path=${encodeURIComponent(entry.path)}`}
                    download={entry.name}
                    className="mr-3 text-brand-700 underline"
                  >
                    Download<span className="sr-only"> {entry.name}</span>
                  </a>
                )}
                {canWrite && (
                  <button
                    type="button"
                    className="text-red-700 hover:underline"
                    onClick={() => setDoomed(entry)}
                    aria-label={`Delete ${entry.name}`}
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {doomed && (
        <ConfirmDialog
          title={`Delete ${doomed.kind === "folder" ? "the folder " : ""}“${doomed.name}”?`}
          body={
            doomed.kind === "folder"
              ? "The folder and everything in it are deleted from the project's files. Notebooks that read them will fail."
              : "The file is deleted from the project's files. Notebooks that read it will fail."
          }
          confirmLabel="Delete"
          onClose={() => setDoomed(null)}
          onConfirm={async () => {
            await apiClient("deleteProjectEntry", {
              params: { id: projectId },
              query: { path: doomed.path },
            });
            setStatus(`Deleted ${doomed.name}.`);
            await reload();
          }}
        />
      )}
    </section>
  );
}

"use client";
import { contract } from "@flint/api/contract";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Modal } from "../ui/modal";
import { DescriptionTagsFields } from "./description-tags-fields";
import {
  ProjectSelect,
  type TProjectsLoad,
  useWritableProjects,
  WritableProjectGate,
} from "./project-select";
import type { TAssetSummary } from "./types";

/**
 * Uploads one file with XMLHttpRequest, reporting upload progress (fetch cannot). Aborting
 * `signal` stops the transfer; the server then keeps nothing of it.
 */
function uploadWithProgress(
  form: FormData,
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    signal.addEventListener("abort", () => request.abort(), { once: true });
    request.onabort = () => reject(new Error("The upload was cancelled."));
    request.open("POST", "/api/v1/catalog/assets");
    request.withCredentials = true;
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(request.responseText) as Record<string, unknown>;
      } catch {
        body = {};
      }
      resolve({ status: request.status, body });
    };
    request.onerror = () =>
      reject(new Error("The upload was interrupted; check the connection and try again."));
    request.send(form);
  });
}

/** A file name's stem as an asset name: `Sales 2026.csv` → `Sales_2026`. */
function nameFromFile(fileName: string): string {
  return (
    fileName
      .replace(/\.[A-Za-z0-9]+$/, "")
      .replace(/[^\p{L}\p{N}_.-]+/gu, "_")
      .replace(/^[^\p{L}\p{N}]+/u, "")
      .slice(0, 128) || "dataset"
  );
}

/** The upload form: project, file, name, description, tags; a progress bar while sending. */
export function UploadDialog({
  projects,
  onClose,
  onUploaded,
}: {
  projects: TProjectsLoad;
  onClose: () => void;
  onUploaded: (asset: TAssetSummary) => void;
}) {
  const { writable, projectId, setProjectId } = useWritableProjects(projects);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The transfer in flight: Cancel (and leaving the page) stops it rather than letting it run on unseen.
  const upload = useRef<AbortController | null>(null);
  useEffect(() => () => upload.current?.abort(), []);
  const cancel = () => {
    upload.current?.abort();
    onClose();
  };
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    setProgress(0);
    // Fields first: the server checks the project before it reads a byte of the file.
    const form = new FormData();
    form.append("projectId", projectId);
    form.append("name", name || nameFromFile(file.name));
    form.append("description", description);
    form.append("tags", tags);
    form.append("file", file, file.name);
    upload.current = new AbortController();
    try {
      const { status, body } = await uploadWithProgress(form, setProgress, upload.current.signal);
      // XMLHttpRequest (for the progress bar) is not the typed client: the answer is read with the
      // contract's own schema instead of being cast.
      const uploaded = status === 201 ? contract.registerAsset.response.safeParse(body) : null;
      if (uploaded?.success) {
        onUploaded(uploaded.data);
        return;
      }
      const detail = (body.error ?? {}) as { message?: string };
      setError(detail.message ?? `The upload failed (${status}).`);
    } catch (caught) {
      if (upload.current?.signal.aborted) return;
      setError((caught as Error).message);
    } finally {
      upload.current = null;
    }
    setProgress(null);
  };
  return (
    // While the file is sending, Escape does not close (a stray key would throw the transfer
    // away); Cancel does, and stops the transfer.
    <Modal
      labelledBy="upload-title"
      onClose={onClose}
      isBusy={progress !== null}
      className="w-full max-w-lg p-5"
    >
      <form onSubmit={submit} className="space-y-3">
        <h2 id="upload-title" className="text-lg font-semibold">
          Upload a dataset
        </h2>
        <WritableProjectGate load={projects} hasWritable={writable.length > 0}>
          <ProjectSelect projects={writable} value={projectId} onChange={setProjectId} />
          <label className="block text-sm">
            File (CSV, JSON or Parquet)
            <input
              type="file"
              required
              accept=".csv,.tsv,.json,.jsonl,.ndjson,.parquet"
              className="input mt-1"
              onChange={(event) => {
                const chosen = event.target.files?.[0] ?? null;
                setFile(chosen);
                if (chosen && !name) setName(nameFromFile(chosen.name));
              }}
            />
          </label>
          <label className="block text-sm">
            Name
            <input
              className="input mt-1"
              value={name}
              onChange={(event) => setName(event.target.value)}
              placeholder="sales_2026"
            />
          </label>
          <DescriptionTagsFields
            description={description}
            onDescriptionChange={setDescription}
            tags={tags}
            onTagsChange={setTags}
          />
        </WritableProjectGate>
        {progress !== null && (
          <div>
            <div
              role="progressbar"
              aria-label="Upload progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(progress * 100)}
              className="h-2 w-full overflow-hidden rounded bg-slate-200"
            >
              <div
                className="h-full bg-brand-600 transition-all"
                style={{ width: `${Math.round(progress * 100)}%` }}
              />
            </div>
            <p className="mt-1 text-xs text-slate-500">
              {progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : "Registering…"}
            </p>
          </div>
        )}
        {error && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn-secondary" onClick={cancel}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn-primary"
            disabled={!file || writable.length === 0 || progress !== null}
          >
            Upload
          </button>
        </div>
      </form>
    </Modal>
  );
}

"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { NotebookView } from "@/components/notebook/notebook-view";
import { fetchSnippet, insertCodeCell, parseSnippetForm } from "@/lib/catalog/insert";
import { NotebookController } from "@/lib/notebook/controller";
import { loadMonaco } from "@/lib/notebook/monaco-loader";

/**
 * The asset page's "Insert into notebook" opens this page with `?insertAsset=<id>&form=<form>`:
 * the load code goes into a new cell at the end, once, and the query is dropped so a reload
 * does not insert it again.
 */
function useAssetInsertion(controller: NotebookController | null, onError: (message: string) => void): void {
  useEffect(() => {
    if (!controller) return;
    const params = new URLSearchParams(window.location.search);
    const assetId = params.get("insertAsset");
    if (!assetId) return;
    const form = parseSnippetForm(params.get("form"));
    params.delete("insertAsset");
    params.delete("form");
    const query = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
    fetchSnippet(assetId, form).then(
      (source) => {
        const ids = controller.store.getCellIds();
        if (!insertCodeCell(controller.store, source, ids.at(-1) ?? null))
          onError("Your role in this project cannot edit this notebook, so the code was not inserted.");
      },
      (error: Error) => onError(`The dataset's code could not be inserted: ${error.message}`),
    );
  }, [controller, onError]);
}

export default function NotebookPage() {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  const [controller, setController] = useState<NotebookController | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let isCurrent = true;
    setController(null);
    setError(null);
    // The editor's code loads while the notebook is fetched: the main thread is idle then, and
    // the first click into a cell does not wait for it (bench/notebook, "all cells interactive").
    void loadMonaco();
    NotebookController.load(projectId, notebookId).then(
      (loaded) => {
        if (isCurrent) setController(loaded);
      },
      (err: Error) => {
        if (isCurrent) setError(err.message);
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [projectId, notebookId]);
  useAssetInsertion(controller, setError);
  return (
    <AppShell>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href="/" className="hover:underline">
          Projects
        </Link>{" "}
        /{" "}
        <Link href={`/projects/${projectId}`} className="hover:underline">
          {controller?.projectName ?? "Project"}
        </Link>
      </nav>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {!controller && !error && <p className="text-sm text-slate-500">Opening the notebook…</p>}
      {controller && <NotebookView key={controller.notebookId} controller={controller} />}
    </AppShell>
  );
}

"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { NotebookView } from "@/components/notebook/notebook-view";
import { NotebookController } from "@/lib/notebook/controller";

export default function NotebookPage() {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  const [controller, setController] = useState<NotebookController | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let isCurrent = true;
    setController(null);
    setError(null);
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
  return (
    <AppShell>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href={`/projects/${projectId}`} className="hover:underline">
          Project
        </Link>{" "}
        / Notebook
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

"use client";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { type ApiError, apiFetch } from "@/lib/api";

interface TCell {
  id: string;
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; text?: string | string[]; data?: Record<string, unknown> }[];
  execution_count?: number | null;
}
interface TNotebookDocument {
  id: string;
  name: string;
  version: number;
  notebook: { cells: TCell[] };
}

const joinText = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join("") : (value ?? "");

export default function NotebookPage() {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  const [doc, setDoc] = useState<TNotebookDocument | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiFetch<TNotebookDocument>(`/api/v1/notebooks/${notebookId}`).then(setDoc, (err: ApiError) =>
      setError(err.message),
    );
  }, [notebookId]);
  return (
    <AppShell>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {doc && (
        <>
          <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
            <Link href={`/projects/${projectId}`} className="hover:underline">
              Project
            </Link>{" "}
            / {doc.name}
          </nav>
          <h1 className="mb-4 text-2xl font-semibold">{doc.name}</h1>
          <ol className="space-y-3">
            {doc.notebook.cells.map((cell) => (
              <li key={cell.id} data-cell-id={cell.id} className="card p-3">
                <pre className="overflow-x-auto font-mono text-sm whitespace-pre-wrap">
                  {joinText(cell.source)}
                </pre>
                {cell.outputs?.map((output, index) => (
                  <pre
                    key={`${cell.id}-${index}`}
                    className="mt-2 border-t border-slate-100 pt-2 font-mono text-sm text-slate-700 whitespace-pre-wrap"
                  >
                    {output.output_type === "stream"
                      ? joinText(output.text)
                      : joinText(output.data?.["text/plain"] as string | string[] | undefined)}
                  </pre>
                ))}
              </li>
            ))}
          </ol>
        </>
      )}
    </AppShell>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useState } from "react";
import { AppShell } from "@/components/app-shell";
import { ForkDialog } from "@/components/community/fork-dialog";
import { ReadOnlyNotebook } from "@/components/community/read-only-notebook";
import { StarButton } from "@/components/community/star-button";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/**
 * A published notebook, read-only: the snapshot taken when it was last published, drawn like the
 * notebook page draws it; no kernel, no editing. Signed-in users can star and fork it.
 */
export default function PublishedNotebookPage() {
  const { notebookId } = useParams<{ notebookId: string }>();
  const published = useQuery({
    queryKey: queryKeys.publishedNotebook(notebookId),
    queryFn: () => apiClient("getPublishedNotebook", { params: { id: notebookId } }),
  });
  const doc = published.data ?? null;
  const error = published.error
    ? published.error.status === 401
      ? "This notebook is not published."
      : published.error.message
    : null;
  const projectsQuery = useQuery({
    queryKey: queryKeys.projects(),
    queryFn: () => apiClient("listProjects"),
  });
  const projects = projectsQuery.data?.projects.filter((project) => project.permissions.create) ?? null;
  const [isForking, setForking] = useState(false);
  return (
    <AppShell>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {doc && (
        <>
          <div className="mb-4 flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold">{doc.name}</h1>
            <span className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-600">read-only</span>
            <span className="text-sm text-slate-600">
              by {doc.author} in {doc.projectName} · published{" "}
              <time dateTime={doc.publishedAt}>{new Date(doc.publishedAt).toLocaleString()}</time>
            </span>
            {projects && (
              <>
                <StarButton type="notebook" id={notebookId} />
                {/* Everyone signed in can fork: without a project, the dialog creates one. */}
                <button type="button" className="btn-primary" onClick={() => setForking(true)}>
                  Fork
                </button>
              </>
            )}
          </div>
          <ReadOnlyNotebook notebook={doc.notebook} />
          {isForking && projects && (
            <ForkDialog
              notebookId={notebookId}
              notebookName={doc.name}
              projects={projects}
              onClose={() => setForking(false)}
            />
          )}
        </>
      )}
    </AppShell>
  );
}

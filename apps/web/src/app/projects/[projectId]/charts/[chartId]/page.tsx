"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { AppShell } from "@/components/app-shell";
import { ChartView } from "@/components/charts/chart-view";
import { CommentThreads } from "@/components/comments/comment-threads";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

export default function ChartPage() {
  const { projectId, chartId } = useParams<{ projectId: string; chartId: string }>();
  const queryClient = useQueryClient();
  const chartQuery = useQuery({
    queryKey: queryKeys.chart(chartId),
    queryFn: () => apiClient("getChart", { params: { id: chartId } }),
  });
  const chart = chartQuery.data;
  const error = chartQuery.error?.message ?? null;
  const { data: project } = useQuery({
    queryKey: queryKeys.project(projectId),
    queryFn: () => apiClient("getProject", { params: { id: projectId } }),
  });
  // Members get the project (non-members a 404): they may comment; publishing needs its permission.
  const may = project?.permissions ?? null;
  const [copied, setCopied] = useState(false);
  // The documents' permissions have no chart.publish of their own yet; `publish` (notebook.publish)
  // is held by the same roles (the permission table gives both to admins only).
  const canPublish = may?.publish ?? false;
  const togglePublish = async () => {
    if (!chart) return;
    const result = await apiClient(chart.published ? "unpublishChart" : "publishChart", {
      params: { id: chart.id },
    });
    queryClient.setQueryData(queryKeys.chart(chart.id), { ...chart, published: result.published });
    void queryClient.invalidateQueries({ queryKey: queryKeys.projectCharts(projectId) });
  };
  const embedLink = chart
    ? `${typeof window === "undefined" ? "" : window.location.origin}/embed/charts/${chart.id}`
    : "";
  return (
    <AppShell>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {chart && (
        <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
          <div>
            <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
              <Link href={`/projects/${projectId}?tab=charts`} className="hover:underline">
                Charts
              </Link>{" "}
              / {chart.title}
            </nav>
            <h1 className="text-2xl font-semibold">{chart.title}</h1>
            <p className="mt-1 text-sm text-slate-600">
              by {chart.author}
              {chart.sourceNotebook && (
                <>
                  {" "}
                  · from{" "}
                  <Link
                    className="underline"
                    href={`/projects/${projectId}/notebooks/${chart.sourceNotebook.id}`}
                  >
                    {chart.sourceNotebook.name}
                  </Link>
                </>
              )}
            </p>
            {chart.description && <p className="mt-2 text-slate-700">{chart.description}</p>}
            <div className="card mt-4 p-4">
              <ChartView spec={chart.spec} />
            </div>
            <div className="mt-3 flex flex-wrap items-center gap-2">
              {canPublish && (
                <button type="button" className="btn-secondary" onClick={togglePublish}>
                  {chart.published ? "Unpublish" : "Publish to community"}
                </button>
              )}
              {chart.published && (
                <button
                  type="button"
                  className="btn-secondary"
                  onClick={() => navigator.clipboard.writeText(embedLink).then(() => setCopied(true))}
                >
                  {copied ? "Link copied" : "Copy read-only link"}
                </button>
              )}
            </div>
          </div>
          <aside>
            <h2 className="mb-2 font-medium">Comments</h2>
            {may?.comment ? (
              <CommentThreads
                subject={{ type: "chart", id: chart.id }}
                projectId={chart.projectId}
                canComment
              />
            ) : (
              <p className="text-sm text-slate-500">Members can comment.</p>
            )}
          </aside>
        </div>
      )}
    </AppShell>
  );
}

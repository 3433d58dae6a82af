"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { AppShell } from "@/components/app-shell";
import { ReadOnlyNotebook } from "@/components/community/read-only-notebook";
import { formatRunDuration, RunStatus } from "@/components/jobs/run-status";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/** One job run: what it ran with, how it ended, its log, and the executed notebook, read-only. */
function RunView() {
  const { projectId, runId } = useParams<{ projectId: string; runId: string }>();
  const { data: run, error } = useQuery({
    queryKey: queryKeys.jobRun(runId),
    queryFn: () => apiClient("getJobRun", { params: { id: runId } }),
    refetchInterval: (query) =>
      query.state.data?.status === "queued" || query.state.data?.status === "running" ? 1500 : false,
  });
  if (error)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {error.message}
      </p>
    );
  if (!run) return <p className="text-slate-500">Loading…</p>;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-slate-500">
        <Link href={`/projects/${projectId}?tab=jobs&job=${run.jobId}`} className="hover:underline">
          Jobs
        </Link>{" "}
        / {run.jobName}
      </nav>
      <div className="flex items-baseline gap-3">
        <h1 className="text-2xl font-semibold">
          Run of {run.jobName} · {new Date(run.scheduledFor ?? run.createdAt).toLocaleString()}
        </h1>
        <RunStatus status={run.status} />
      </div>
      <p className="mt-1 text-sm text-slate-600">
        {run.notebookName}
        {run.notebookVersion !== null ? ` (version ${run.notebookVersion})` : ""} ·{" "}
        {run.trigger === "schedule" ? "on schedule" : `run by ${run.requestedBy ?? "someone"}`} · duration{" "}
        {formatRunDuration(run.durationMs)} · attempt {run.attempts} of {run.maxAttempts} · read-only
      </p>
      {Object.keys(run.parameters).length > 0 && (
        <p className="mt-1 font-mono text-xs text-slate-600">
          Parameters:{" "}
          {Object.entries(run.parameters)
            .map(([name, value]) => `${name} = ${JSON.stringify(value)}`)
            .join("; ")}
        </p>
      )}
      {run.error && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {run.error}
        </p>
      )}
      {run.log && (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer text-slate-600">Log</summary>
          <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 text-xs">{run.log}</pre>
        </details>
      )}
      <div className="mt-4">
        {run.content ? (
          <ReadOnlyNotebook notebook={run.content} />
        ) : (
          <p className="text-sm text-slate-500">The executed notebook shows here when the run ends.</p>
        )}
      </div>
    </>
  );
}

export default function JobRunPage() {
  return (
    <AppShell>
      <RunView />
    </AppShell>
  );
}

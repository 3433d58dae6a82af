// The project's Jobs tab: each job with its schedule, next run and last status; a job's run
// history (a durations chart and a list), "Run now" with parameter values, pause and delete.
"use client";
import { readParameterInput } from "@flint/notebook";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { ChartView } from "@/components/charts/chart-view";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { ParameterFields, readParameterFields } from "./parameter-fields";
import { formatRunDuration, RunStatus } from "./run-status";

type TJob = TResponse<"listProjectJobs">["jobs"][number];
type TJobDetail = TResponse<"getJob">;

const isActive = (status: string | undefined) => status === "queued" || status === "running";

export function JobsPanel({ projectId }: { projectId: string }) {
  const params = useSearchParams();
  const router = useRouter();
  const selected = params.get("job");
  const jobs = useQuery({
    queryKey: queryKeys.projectJobs(projectId),
    queryFn: () => apiClient("listProjectJobs", { params: { id: projectId } }),
    // While a run is under way its status changes on the server: look again.
    refetchInterval: (query) =>
      query.state.data?.jobs.some((job) => isActive(job.lastRun?.status)) ? 2000 : false,
  });
  const select = (jobId: string | null) =>
    router.replace(`/projects/${projectId}?tab=jobs${jobId ? `&job=${encodeURIComponent(jobId)}` : ""}`);
  if (jobs.error)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {jobs.error.message}
      </p>
    );
  const list = jobs.data?.jobs;
  return (
    <section aria-label="Jobs" className="space-y-4">
      <p className="text-sm text-slate-600">
        A job runs a notebook on a schedule or by hand, each run in a kernel of its own, and keeps every run.
        Make one with “Schedule” on a notebook’s page.
      </p>
      <ul className="card divide-y divide-slate-200" aria-label="Jobs list">
        {list?.length === 0 && <li className="p-4 text-sm text-slate-500">No jobs yet.</li>}
        {list?.map((job) => (
          <li key={job.id}>
            <button
              type="button"
              className={`flex w-full items-center gap-4 p-4 text-left hover:bg-slate-50 ${selected === job.id ? "bg-slate-50" : ""}`}
              aria-expanded={selected === job.id}
              onClick={() => select(selected === job.id ? null : job.id)}
            >
              <span className="flex-1">
                <span className="font-medium">{job.name}</span>
                <span className="ml-2 text-xs text-slate-500">
                  {job.notebookName} · {describeSchedule(job)} · owner {job.owner.name}
                </span>
              </span>
              <span className="text-xs text-slate-500">
                {job.nextRunAt
                  ? `next ${new Date(job.nextRunAt).toLocaleString()}`
                  : job.isPaused
                    ? "paused"
                    : ""}
              </span>
              {job.lastRun ? (
                <RunStatus status={job.lastRun.status} />
              ) : (
                <span className="text-xs text-slate-400">never run</span>
              )}
            </button>
            {selected === job.id && <JobDetail projectId={projectId} jobId={job.id} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function describeSchedule(job: TJob): string {
  return job.cron ? `${job.cron} (${job.timeZone})` : "run by hand";
}

function JobDetail({ projectId, jobId }: { projectId: string; jobId: string }) {
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: queryKeys.job(jobId),
    queryFn: () => apiClient("getJob", { params: { id: jobId } }),
    refetchInterval: (query) => (query.state.data?.runs.some((run) => isActive(run.status)) ? 1500 : false),
  });
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [isDeleting, setDeleting] = useState(false);
  const job = detail.data;
  const reload = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.job(jobId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.projectJobs(projectId) }),
    ]);
  if (!job) return <p className="px-4 pb-4 text-sm text-slate-500">{detail.error?.message ?? "Loading…"}</p>;

  const runNow = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await apiClient("runJob", {
        params: { id: jobId },
        body: { parameters: readParameterFields(form, readParameterInput) },
      });
      await reload();
    } catch (caught) {
      setError((caught as Error).message);
    }
    setBusy(false);
  };
  const setPaused = async (isPaused: boolean) => {
    setError(null);
    try {
      await apiClient("updateJob", { params: { id: jobId }, body: { isPaused } });
      await reload();
    } catch (caught) {
      setError((caught as Error).message);
    }
  };
  const defaults = Object.fromEntries(job.parameterDefaults.map((item) => [item.name, item.expression]));
  return (
    <div className="space-y-4 border-t border-slate-100 bg-white px-4 pb-4 pt-3 text-sm">
      <p className="text-slate-600">
        Runs {job.checkpointId ? "a saved version" : "the latest saved notebook"} of{" "}
        <Link
          className="text-brand-700 hover:underline"
          href={`/projects/${projectId}/notebooks/${job.notebookId}`}
        >
          {job.notebookName}
        </Link>{" "}
        on {job.kernelName}; timeout {Math.round(job.timeoutSeconds / 60)} min; {job.retries} retries
        {job.notifyOnFailure ? "; the owner is notified of failures" : ""}.
      </p>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-red-700">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-6">
        {job.canRun && (
          <form onSubmit={runNow} className="min-w-[20rem] flex-1 space-y-2" aria-label="Run now">
            <ParameterFields
              names={job.parameterDefaults.map((item) => item.name)}
              values={job.parameters}
              placeholders={defaults}
            />
            <button type="submit" className="btn-primary" disabled={isBusy}>
              Run now
            </button>
          </form>
        )}
        <div className="min-w-[20rem] flex-1">
          <h3 className="mb-1 font-medium">Run durations</h3>
          <DurationsChart runs={job.runs} />
        </div>
      </div>
      <RunHistory projectId={projectId} runs={job.runs} />
      {job.canEdit && (
        <div className="flex gap-2">
          {job.cron && (
            <button type="button" className="btn-secondary" onClick={() => setPaused(!job.isPaused)}>
              {job.isPaused ? "Resume schedule" : "Pause schedule"}
            </button>
          )}
          <button type="button" className="btn-secondary text-red-700" onClick={() => setDeleting(true)}>
            Delete job
          </button>
        </div>
      )}
      {isDeleting && (
        <ConfirmDialog
          title={`Delete the job “${job.name}”?`}
          body="Its schedule stops and its runs, with their executed notebooks, are deleted. The notebook stays."
          confirmLabel="Delete job"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await apiClient("deleteJob", { params: { id: jobId } });
            await queryClient.invalidateQueries({ queryKey: queryKeys.projectJobs(projectId) });
          }}
        />
      )}
    </div>
  );
}

function RunHistory({ projectId, runs }: { projectId: string; runs: TJobDetail["runs"] }) {
  if (runs.length === 0) return <p className="text-slate-500">No runs yet.</p>;
  return (
    <table className="w-full text-left" aria-label="Run history">
      <thead className="text-xs text-slate-500">
        <tr>
          <th className="py-1 font-normal">Run</th>
          <th className="py-1 font-normal">Status</th>
          <th className="py-1 font-normal">Trigger</th>
          <th className="py-1 font-normal">Parameters</th>
          <th className="py-1 font-normal">Duration</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {runs.map((run) => (
          <tr key={run.id}>
            <td className="py-1.5">
              <Link
                className="text-brand-700 hover:underline"
                href={`/projects/${projectId}/jobs/runs/${run.id}`}
              >
                {new Date(run.scheduledFor ?? run.createdAt).toLocaleString()}
              </Link>
            </td>
            <td>
              <RunStatus status={run.status} />
              {run.attempts > 1 && (
                <span className="ml-1 text-xs text-slate-500">({run.attempts} attempts)</span>
              )}
            </td>
            <td className="text-slate-600">
              {run.trigger === "schedule" ? "schedule" : `by ${run.requestedBy ?? "someone"}`}
            </td>
            <td className="max-w-[16rem] truncate font-mono text-xs text-slate-600">
              {Object.entries(run.parameters)
                .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
                .join(", ")}
            </td>
            <td className="text-slate-600">{formatRunDuration(run.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STATUS_COLORS = {
  domain: ["succeeded", "failed", "timed_out"],
  range: ["#16a34a", "#dc2626", "#d97706"],
};

/** Durations of the ended runs, oldest first, as a small Vega-Lite bar chart. */
function DurationsChart({ runs }: { runs: TJobDetail["runs"] }) {
  const values = runs
    .filter((run) => run.durationMs !== null && !isActive(run.status))
    .slice(0, 50)
    .reverse()
    .map((run) => ({
      run: new Date(run.scheduledFor ?? run.createdAt).toLocaleString(),
      seconds: Math.round((run.durationMs ?? 0) / 100) / 10,
      status: run.status,
    }));
  if (values.length === 0) return <p className="text-slate-500">Durations show here once runs end.</p>;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 120,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "run", type: "ordinal", sort: null, axis: { labels: false, title: "runs, oldest first" } },
      y: { field: "seconds", type: "quantitative", title: "seconds" },
      color: {
        field: "status",
        type: "nominal",
        scale: STATUS_COLORS,
        legend: { orient: "bottom", title: null },
      },
    },
  };
  return <ChartView spec={spec} actions={false} />;
}

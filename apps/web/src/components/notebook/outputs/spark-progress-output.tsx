// `application/vnd.flint.spark-progress+json`: the Spark jobs of a running cell with task and
// stage progress bars, updated in place by the broker (display_id updates).
import { memo } from "react";
import { z } from "zod";

const ZJob = z.object({
  jobId: z.number(),
  status: z.string(),
  numTasks: z.number(),
  numCompletedTasks: z.number(),
  numActiveTasks: z.number().optional(),
  numFailedTasks: z.number().optional(),
  stages: z
    .object({
      total: z.number(),
      completed: z.number(),
      active: z.number().optional(),
      failed: z.number().optional(),
      skipped: z.number().optional(),
    })
    .optional(),
});
const ZProgress = z.object({
  jobs: z.array(ZJob),
  done: z.boolean().optional(),
  jobGroup: z.string().optional(),
});
const ZSummary = z.object({ jobs: z.number(), tasks: z.number(), durationMs: z.number().optional() });

function percent(part: number, total: number): number {
  return total > 0 ? Math.min(100, Math.max(0, (part / total) * 100)) : 0;
}

export const SparkProgressOutput = memo(function SparkProgressOutput({
  value,
  metadata,
}: {
  value: unknown;
  metadata: Record<string, unknown> | undefined;
}) {
  const parsed = ZProgress.safeParse(value);
  if (!parsed.success) return <p className="text-xs text-slate-500">Spark progress is unavailable.</p>;
  const { jobs, done } = parsed.data;
  const summary = ZSummary.safeParse(metadata?.["flint.spark"]);
  return (
    <section aria-label="Spark jobs" className="nb-spark">
      <p className="mb-1 text-xs font-medium text-slate-600">
        {done ? "Spark jobs finished" : "Spark jobs running"}
        {summary.success &&
          ` · ${summary.data.jobs} ${summary.data.jobs === 1 ? "job" : "jobs"}, ${summary.data.tasks} tasks${
            summary.data.durationMs !== undefined ? `, ${(summary.data.durationMs / 1000).toFixed(1)} s` : ""
          }`}
      </p>
      <ul className="space-y-1">
        {jobs.map((job) => {
          const failed = job.numFailedTasks ?? 0;
          const active = job.numActiveTasks ?? 0;
          const isFailed = job.status.toUpperCase() === "FAILED";
          return (
            <li key={job.jobId} className="grid grid-cols-[7rem_1fr_11rem] items-center gap-3 text-xs">
              <span className="text-slate-700">
                Job {job.jobId}{" "}
                <span className={isFailed ? "text-red-600" : "text-slate-400"}>
                  {job.status.toLowerCase()}
                </span>
              </span>
              <div
                role="progressbar"
                aria-label={`Job ${job.jobId} tasks`}
                aria-valuemin={0}
                aria-valuemax={job.numTasks}
                aria-valuenow={job.numCompletedTasks}
                className="flex h-2 overflow-hidden rounded-full bg-slate-200"
              >
                <div
                  className={isFailed ? "bg-red-500" : "bg-emerald-500"}
                  style={{ width: `${percent(job.numCompletedTasks, job.numTasks)}%` }}
                />
                <div className="bg-sky-400" style={{ width: `${percent(active, job.numTasks)}%` }} />
                <div className="bg-red-400" style={{ width: `${percent(failed, job.numTasks)}%` }} />
              </div>
              <span className="text-slate-500 tabular-nums">
                {job.numCompletedTasks}/{job.numTasks} tasks
                {job.stages && ` · ${job.stages.completed}/${job.stages.total} stages`}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
});

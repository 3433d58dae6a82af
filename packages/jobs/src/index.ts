/**
 * `@flint/jobs`: notebooks run on a schedule or by hand, with parameters (docs/jobs.md).
 *
 * ```ts
 * const jobs = await startJobService({ prisma, databaseUrl, kernels: runtime.kernels, mayRun, log });
 * const run = await createJobRun(prisma, { jobId, trigger: "manual", parameters: { city: "Oslo" } });
 * await jobs.enqueue(run!.id);
 * await jobs.stop();
 * ```
 */

export {
  createJobRun,
  executeJobRunAttempt,
  type TAttemptOutcome,
  type TJobRunStatus,
  type TRunDeps,
} from "./runs";
export { isValidTimeZone, nextFireTime, nextFireTimes, parseSchedule, ScheduleError } from "./schedule";
export {
  fireDueSchedules,
  queueJobId,
  RUN_QUEUE,
  startJobService,
  type TJobService,
  type TJobServiceOptions,
} from "./service";

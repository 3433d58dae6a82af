/**
 * The job service each web server runs: a scheduler tick that turns due schedules into runs, and
 * pg-boss workers that carry the runs out. Any number of servers may run it on one database:
 * a schedule time becomes one run (compare-and-swap on `job.nextRunAt`, and a unique
 * (job, scheduledFor)), and a run is carried out by one worker (pg-boss locks it with
 * `SKIP LOCKED`). See docs/jobs.md.
 */

import { createHash } from "node:crypto";
import type { PrismaClient } from "@flint/db";
import PgBoss from "pg-boss";
import { createJobRun, executeJobRunAttempt, type TRunDeps } from "./runs";
import { nextFireTime } from "./schedule";

/** The pg-boss queue of job runs. */
export const RUN_QUEUE = "flint-job-run";

/** Options of {@link startJobService}. */
export type TJobServiceOptions = TRunDeps & {
  /** The database pg-boss keeps its queue in (its own schema, `pgboss`). */
  databaseUrl: string;
  /** How often the scheduler looks for due schedules. Default 5 s. */
  tickMs?: number;
  /** Runs one server carries out at once. Default 2. */
  concurrency?: number;
  /** Seconds between a failed attempt and the next. Default 5. */
  retryDelaySeconds?: number;
  /** Whether this server runs workers (false: it only schedules and enqueues). Default true. */
  isWorker?: boolean;
};

/** The running service. */
export type TJobService = {
  /** Puts a run on the queue (idempotent: a run is queued once however often it is sent). */
  enqueue(runId: string): Promise<void>;
  /** One scheduler pass (the timer calls it; tests may too). */
  tick(now?: Date): Promise<number>;
  /** Stops the timer and the workers, waiting for runs in progress up to `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
};

/** The queue job's id for a run: fixed per run, so sending it twice inserts it once. */
export function queueJobId(runId: string): string {
  const hex = createHash("sha256").update(`flint-job-run:${runId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Starts the scheduler and workers; resolves once pg-boss is up (its schema made on first start). */
export async function startJobService(options: TJobServiceOptions): Promise<TJobService> {
  const { prisma, log } = options;
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    schema: "pgboss",
    max: 4,
    application_name: "flint-jobs",
    // Flint schedules itself (below); pg-boss's own cron would be a second clock.
    schedule: false,
  });
  boss.on("error", (error) => log(`job queue: ${(error as Error).message ?? String(error)}`));
  await boss.start();
  if (!(await boss.getQueue(RUN_QUEUE))) {
    try {
      await boss.createQueue(RUN_QUEUE, { name: RUN_QUEUE, policy: "standard" });
    } catch (error) {
      // Another server made it between the check and here.
      if (!(await boss.getQueue(RUN_QUEUE))) throw error;
    }
  }
  const retryDelay = options.retryDelaySeconds ?? 5;

  const enqueue = async (runId: string) => {
    const run = await prisma.jobRun.findUnique({
      where: { id: runId },
      select: { maxAttempts: true, attempts: true, job: { select: { timeoutSeconds: true } } },
    });
    if (!run) return;
    await boss.send(
      RUN_QUEUE,
      { runId },
      {
        id: queueJobId(runId),
        retryLimit: Math.max(0, run.maxAttempts - run.attempts - 1),
        retryDelay,
        // A worker whose server died holds the run until this passes; then it is tried again.
        expireInSeconds: run.job.timeoutSeconds + 300,
      },
    );
  };

  if (options.isWorker !== false) {
    const concurrency = Math.max(1, options.concurrency ?? 2);
    for (let i = 0; i < concurrency; i++) {
      await boss.work<{ runId: string }>(
        RUN_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: 1 },
        async (jobs) => {
          for (const job of jobs) {
            const outcome = await executeJobRunAttempt(options, job.data.runId);
            // Throwing hands the retry to pg-boss (after retryDelay), which survives a restart.
            if (outcome.shouldRetry) throw new Error(`run ${job.data.runId} failed; retrying`);
          }
        },
      );
    }
  }

  let ticking: Promise<number> | null = null;
  const tick = (now = new Date()) => {
    ticking ??= fireDueSchedules(prisma, now, enqueue, log)
      .then(async (fired) => {
        await recoverStrandedRuns(prisma, now, enqueue);
        return fired;
      })
      .finally(() => {
        ticking = null;
      });
    return ticking;
  };
  const timer = setInterval(() => {
    tick().catch((error) => log(`job scheduler: ${(error as Error).message ?? String(error)}`));
  }, options.tickMs ?? 5_000);
  timer.unref();
  await tick().catch((error) => log(`job scheduler: ${(error as Error).message ?? String(error)}`));

  return {
    enqueue,
    tick,
    async stop(timeoutMs = 10_000) {
      clearInterval(timer);
      await ticking?.catch(() => undefined);
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
    },
  };
}

/**
 * Makes a run for every schedule that is due. Each due job's `nextRunAt` is moved on by
 * compare-and-swap in the same transaction that creates the run, so of several servers ticking
 * together exactly one makes it. After a stop, a job whose times passed meanwhile fires once,
 * for the latest of them (not once per missed time).
 */
export async function fireDueSchedules(
  prisma: PrismaClient,
  now: Date,
  enqueue: (runId: string) => Promise<void>,
  log: (message: string) => void,
): Promise<number> {
  const due = await prisma.job.findMany({
    where: { isPaused: false, cron: { not: null }, nextRunAt: { lte: now } },
    select: { id: true, cron: true, timeZone: true, nextRunAt: true },
    orderBy: { nextRunAt: "asc" },
    take: 200,
  });
  let fired = 0;
  for (const job of due) {
    const dueAt = job.nextRunAt!;
    let fireAt = dueAt;
    let next: Date | null;
    try {
      next = nextFireTime(job.cron!, job.timeZone, fireAt);
      for (let skipped = 0; next && next <= now && skipped < 100_000; skipped++) {
        fireAt = next;
        next = nextFireTime(job.cron!, job.timeZone, fireAt);
      }
    } catch (error) {
      log(`job ${job.id} has a schedule that no longer parses: ${(error as Error).message}`);
      await prisma.job.updateMany({ where: { id: job.id, nextRunAt: dueAt }, data: { nextRunAt: null } });
      continue;
    }
    if (fireAt.getTime() !== dueAt.getTime()) {
      log(
        `job ${job.id} missed its times from ${dueAt.toISOString()}; running once for ${fireAt.toISOString()}`,
      );
    }
    const runId = await prisma.$transaction(async (tx) => {
      const claimed = await tx.job.updateMany({
        where: { id: job.id, nextRunAt: dueAt },
        data: { nextRunAt: next },
      });
      if (claimed.count !== 1) return null;
      const run = await createJobRun(tx as PrismaClient, {
        jobId: job.id,
        trigger: "schedule",
        scheduledFor: fireAt,
      });
      return run?.id ?? null;
    });
    if (!runId) continue;
    fired++;
    await enqueue(runId);
  }
  return fired;
}

/**
 * Runs a server stopped on: `queued` ones whose queue job was never sent (the server stopped
 * between the commit and the send) are sent again (a no-op when it was sent), and `running` ones
 * well past their timeout (their server died) are marked failed.
 */
async function recoverStrandedRuns(
  prisma: PrismaClient,
  now: Date,
  enqueue: (runId: string) => Promise<void>,
): Promise<void> {
  const queued = await prisma.jobRun.findMany({
    where: { status: "queued", createdAt: { lt: new Date(now.getTime() - 30_000) } },
    select: { id: true },
    take: 100,
  });
  for (const run of queued) await enqueue(run.id);
  const running = await prisma.jobRun.findMany({
    where: { status: "running" },
    select: { id: true, startedAt: true, job: { select: { timeoutSeconds: true } } },
    take: 100,
  });
  for (const run of running) {
    const deadline = (run.startedAt?.getTime() ?? 0) + (run.job.timeoutSeconds + 600) * 1000;
    if (deadline > now.getTime()) continue;
    await prisma.jobRun.updateMany({
      where: { id: run.id, status: "running" },
      data: { status: "failed", error: "The server running this run stopped before it ended", endedAt: now },
    });
  }
}

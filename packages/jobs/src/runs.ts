/**
 * Job runs: creating a run record, and carrying out one attempt of it (load the notebook as the
 * job pins it, inject the parameters, run it in a kernel of its own, keep the executed notebook).
 */

import type { Prisma, PrismaClient } from "@flint/db";
import {
  runNotebook,
  type TNotebookRunResult,
  type TRunContext,
  type TRunKernelProvider,
} from "@flint/kernel";
import { injectParameters, type TCell, type TParameterValues, ZCell } from "@flint/notebook";

/** How long a run's token outlives its timeout: the kernel's start and the last cell's end. */
const TOKEN_MARGIN_MS = 10 * 60_000;

/** A run's status: `queued` (waiting for a worker or a retry), `running`, and the three ends. */
export type TJobRunStatus = "queued" | "running" | "succeeded" | "failed" | "timed_out";

/** What running a notebook needs from the server. */
export type TRunDeps = {
  prisma: PrismaClient;
  kernels: TRunKernelProvider;
  /**
   * The kernel environment for the owner: a notebook token of the run's own (`jobRunId`, alive
   * `ttlMs`), never the notebook's interactive kernel's, so a person restarting that kernel does
   * not cut the run off, and the run does not rotate theirs.
   */
  prepareRun?: (
    context: TRunContext & { notebookId: string; jobRunId: string; ttlMs: number },
  ) => Promise<Record<string, string> | null>;
  /** Revokes what {@link prepareRun} gave the run's kernel (called when each attempt ends). */
  releaseRun?: (jobRunId: string) => Promise<unknown>;
  /**
   * Whether `userId` may still run notebooks in `projectId` (the permission table's answer). A
   * run is refused when its owner lost the right since the job was made.
   */
  mayRun: (userId: string, projectId: string) => Promise<boolean>;
  log: (message: string) => void;
};

/** Creates a queued run of `jobId`. A scheduled one returns null when that time already has a run. */
export async function createJobRun(
  prisma: PrismaClient,
  input: {
    jobId: string;
    trigger: "schedule" | "manual";
    scheduledFor?: Date;
    requestedById?: string;
    /** Values for this run, over the job's own. */
    parameters?: TParameterValues;
  },
): Promise<{ id: string } | null> {
  const job = await prisma.job.findUniqueOrThrow({
    where: { id: input.jobId },
    select: { parameters: true, retries: true, notebook: { select: { name: true } } },
  });
  const parameters = { ...(job.parameters as TParameterValues), ...(input.parameters ?? {}) };
  try {
    return await prisma.jobRun.create({
      data: {
        jobId: input.jobId,
        trigger: input.trigger,
        scheduledFor: input.scheduledFor ?? null,
        requestedById: input.requestedById ?? null,
        parameters: parameters as Prisma.InputJsonValue,
        maxAttempts: job.retries + 1,
        notebookName: job.notebook.name,
      },
      select: { id: true },
    });
  } catch (error) {
    // The unique (jobId, scheduledFor): another server already made this time's run.
    if ((error as { code?: string }).code === "P2002") return null;
    throw error;
  }
}

/** The cells a run starts from: the pinned checkpoint's, or the notebook's as saved now. */
async function loadSourceCells(
  prisma: PrismaClient,
  job: { notebookId: string; checkpointId: string | null },
): Promise<{ cells: TCell[]; metadata: unknown; version: number }> {
  if (job.checkpointId) {
    const checkpoint = await prisma.notebookCheckpoint.findFirst({
      where: { id: job.checkpointId, notebookId: job.notebookId },
      select: { content: true, version: true },
    });
    if (!checkpoint)
      throw new Error("the saved version this job is pinned to no longer exists; edit the job");
    const content = checkpoint.content as { cells?: unknown[]; metadata?: unknown };
    return {
      cells: toCells(content.cells ?? []),
      metadata: content.metadata ?? {},
      version: checkpoint.version,
    };
  }
  const notebook = await prisma.notebook.findUniqueOrThrow({
    where: { id: job.notebookId },
    select: { cells: true, metadata: true, version: true, deletedAt: true },
  });
  if (notebook.deletedAt) throw new Error("the notebook is in the trash; restore it to run this job");
  return {
    cells: toCells(notebook.cells as unknown[]),
    metadata: notebook.metadata,
    version: notebook.version,
  };
}

/** Stored cells (code cells may lack outputs) as model cells. */
function toCells(stored: unknown[]): TCell[] {
  return stored.map((raw) => {
    const cell = raw as Record<string, unknown>;
    const withDefaults =
      cell.cell_type === "code"
        ? { metadata: {}, ...cell, outputs: [], execution_count: null }
        : { metadata: {}, ...cell };
    return ZCell.parse(withDefaults);
  });
}

/** What one attempt did: whether the queue should try again. */
export type TAttemptOutcome = { status: TJobRunStatus; shouldRetry: boolean };

/**
 * Carries out one attempt of run `runId` and records it. A run that already ended is left alone
 * (a queue job delivered twice does nothing). When the attempt fails and attempts remain, the run
 * goes back to `queued` and `shouldRetry` is true; on the last failure the owner is notified.
 */
export async function executeJobRunAttempt(deps: TRunDeps, runId: string): Promise<TAttemptOutcome> {
  const { prisma } = deps;
  const run = await prisma.jobRun.findUnique({
    where: { id: runId },
    select: {
      status: true,
      attempts: true,
      maxAttempts: true,
      parameters: true,
      log: true,
      job: {
        select: {
          id: true,
          name: true,
          projectId: true,
          notebookId: true,
          checkpointId: true,
          ownerId: true,
          kernelName: true,
          timeoutSeconds: true,
          notifyOnFailure: true,
          owner: { select: { name: true, disabledAt: true } },
        },
      },
    },
  });
  if (!run) return { status: "failed", shouldRetry: false };
  if (run.status !== "queued" && run.status !== "running")
    return { status: run.status as TJobRunStatus, shouldRetry: false };
  const { job } = run;
  const attempt = run.attempts + 1;
  const startedAt = new Date();
  await prisma.jobRun.update({
    where: { id: runId },
    data: { status: "running", attempts: attempt, startedAt, endedAt: null, durationMs: null },
  });
  let result: TNotebookRunResult;
  let source: Awaited<ReturnType<typeof loadSourceCells>> | null = null;
  try {
    if (job.owner.disabledAt || !(await deps.mayRun(job.ownerId, job.projectId))) {
      throw new Error(
        "the job's owner may no longer run notebooks in this project; a project admin can take the job over or delete it",
      );
    }
    source = await loadSourceCells(prisma, job);
    const cells = injectParameters(source.cells, run.parameters as TParameterValues);
    result = await runNotebook({
      kernels: deps.kernels,
      notebookId: job.notebookId,
      cells,
      kernelName: job.kernelName,
      timeoutMs: job.timeoutSeconds * 1000,
      context: { userId: job.ownerId, userName: job.owner.name },
      prepareRun: deps.prepareRun
        ? (context) =>
            deps.prepareRun!({
              ...context,
              jobRunId: runId,
              // The run's timeout, and a margin for the kernel's start and the end of its last cell.
              ttlMs: job.timeoutSeconds * 1000 + TOKEN_MARGIN_MS,
            })
        : undefined,
    });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    result = {
      status: "failed",
      cells: source?.cells ?? [],
      error: `The run could not start: ${message}`,
      failedCellId: null,
      log: [`${new Date().toISOString()} ${message}`],
      kernelId: null,
    };
  }
  // The attempt's kernel is gone (runNotebook shuts it down): so is its token.
  await deps
    .releaseRun?.(runId)
    .catch((error: unknown) => deps.log(`could not revoke the token of job run ${runId}: ${String(error)}`));
  const endedAt = new Date();
  const shouldRetry = result.status !== "succeeded" && attempt < run.maxAttempts;
  const status: TJobRunStatus = shouldRetry ? "queued" : result.status;
  const header = `--- attempt ${attempt} of ${run.maxAttempts}: ${result.status}${shouldRetry ? ", retrying" : ""}`;
  const log = [run.log, header, ...result.log].filter(Boolean).join("\n");
  const content = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: source?.metadata ?? {},
    cells: result.cells,
  };
  const isFinalFailure = !shouldRetry && status !== "succeeded" && job.notifyOnFailure;
  // The run's end and the owner's notification land together: whoever sees the failed run also
  // finds the notification.
  await prisma.$transaction([
    prisma.jobRun.update({
      where: { id: runId },
      data: {
        status,
        content: content as Prisma.InputJsonValue,
        notebookVersion: source?.version ?? null,
        error: result.error,
        log: log.slice(-200_000),
        endedAt,
        durationMs: endedAt.getTime() - startedAt.getTime(),
      },
    }),
    ...(isFinalFailure
      ? [prisma.notification.create({ data: { userId: job.ownerId, kind: "job_failed", jobRunId: runId } })]
      : []),
  ]);
  deps.log(
    `job ${job.id} run ${runId} attempt ${attempt}: ${result.status}${result.error ? ` (${result.error})` : ""}`,
  );
  return { status, shouldRetry };
}

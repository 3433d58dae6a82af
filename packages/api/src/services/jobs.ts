/**
 * Jobs as the API sees them: create, list, change, delete, run now, read a run. Scheduling and
 * running are `@flint/jobs`'s; this file checks what only a row can tell (a job is changed by its
 * owner or a project admin; a pinned version belongs to the notebook) and shapes the answers.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import { createJobRun, nextFireTime, parseSchedule, ScheduleError, type TJobService } from "@flint/jobs";
import { readParameterDefaults, type TCell } from "@flint/notebook";
import type { z } from "zod";
import type { TGrant } from "../authorize.js";
import type {
  TJob,
  TJobDetail,
  TJobRun,
  TJobRunSummary,
  TJobSettings,
  ZCreateJobBody,
} from "../contract/jobs.js";
import { AppError } from "../errors.js";
import { hasPermission, type TAccessRole } from "../permissions.js";

/** Who asks: their user id and role in the job's project. */
export type TJobCaller = { userId: string; role: TAccessRole };

const RUN_SELECT = {
  id: true,
  jobId: true,
  trigger: true,
  status: true,
  scheduledFor: true,
  requestedBy: { select: { name: true } },
  parameters: true,
  attempts: true,
  maxAttempts: true,
  error: true,
  createdAt: true,
  startedAt: true,
  endedAt: true,
  durationMs: true,
} as const satisfies Prisma.JobRunSelect;

const JOB_SELECT = {
  id: true,
  projectId: true,
  notebookId: true,
  notebook: { select: { name: true } },
  checkpointId: true,
  name: true,
  owner: { select: { id: true, name: true } },
  parameters: true,
  cron: true,
  timeZone: true,
  kernelName: true,
  timeoutSeconds: true,
  retries: true,
  notifyOnFailure: true,
  isPaused: true,
  nextRunAt: true,
  createdAt: true,
  runs: { select: RUN_SELECT, orderBy: { createdAt: "desc" }, take: 1 },
} as const satisfies Prisma.JobSelect;

type TRunRow = Prisma.JobRunGetPayload<{ select: typeof RUN_SELECT }>;
type TJobRow = Prisma.JobGetPayload<{ select: typeof JOB_SELECT }>;

function toRunSummary(row: TRunRow): TJobRunSummary {
  return {
    id: row.id,
    jobId: row.jobId,
    trigger: row.trigger as TJobRunSummary["trigger"],
    status: row.status as TJobRunSummary["status"],
    scheduledFor: row.scheduledFor?.toISOString() ?? null,
    requestedBy: row.requestedBy?.name ?? null,
    parameters: row.parameters as TJobRunSummary["parameters"],
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    endedAt: row.endedAt?.toISOString() ?? null,
    durationMs: row.durationMs,
  };
}

function canEdit(row: { owner: { id: string } }, caller: TJobCaller): boolean {
  return (
    hasPermission(caller.role, "job.create") && (row.owner.id === caller.userId || caller.role === "admin")
  );
}

function toJob(row: TJobRow, caller: TJobCaller): TJob {
  return {
    id: row.id,
    projectId: row.projectId,
    notebookId: row.notebookId,
    notebookName: row.notebook.name,
    checkpointId: row.checkpointId,
    name: row.name,
    owner: row.owner,
    parameters: row.parameters as TJob["parameters"],
    cron: row.cron,
    timeZone: row.timeZone,
    kernelName: row.kernelName,
    timeoutSeconds: row.timeoutSeconds,
    retries: row.retries,
    notifyOnFailure: row.notifyOnFailure,
    isPaused: row.isPaused,
    nextRunAt: row.cron && !row.isPaused ? (row.nextRunAt?.toISOString() ?? null) : null,
    createdAt: row.createdAt.toISOString(),
    lastRun: row.runs[0] ? toRunSummary(row.runs[0]) : null,
    canEdit: canEdit(row, caller),
    canRun: hasPermission(caller.role, "job.run"),
  };
}

/** Checks a schedule and gives its first time after now (null: manual). Throws a 400 that says what is wrong. */
function firstRunAt(cron: string | null, timeZone: string): Date | null {
  if (!cron) return null;
  try {
    parseSchedule(cron, timeZone);
    return nextFireTime(cron, timeZone, new Date());
  } catch (error) {
    if (error instanceof ScheduleError) throw new AppError("bad_request", error.message);
    throw error;
  }
}

async function checkCheckpoint(prisma: PrismaClient, notebookId: string, checkpointId: string | null) {
  if (!checkpointId) return;
  const found = await prisma.notebookCheckpoint.findFirst({
    where: { id: checkpointId, notebookId },
    select: { id: true },
  });
  if (!found) {
    throw new AppError(
      "bad_request",
      "That saved version is not one of this notebook's; pick one from its Versions list, or run the latest",
    );
  }
}

/** A project's jobs, by name. */
export async function listJobs(prisma: PrismaClient, projectId: string, caller: TJobCaller): Promise<TJob[]> {
  const rows = await prisma.job.findMany({
    where: { projectId },
    select: JOB_SELECT,
    orderBy: { name: "asc" },
  });
  return rows.map((row) => toJob(row, caller));
}

/** Makes a job of a notebook, owned by the caller. */
export async function createJob(
  prisma: PrismaClient,
  caller: TJobCaller & { grant: TGrant },
  body: z.output<typeof ZCreateJobBody>,
): Promise<TJob> {
  await checkCheckpoint(prisma, body.notebookId, body.checkpointId);
  const nextRunAt = firstRunAt(body.cron, body.timeZone);
  const { notebookId, ...settings } = body;
  const row = await prisma.job.create({
    data: {
      ...settings,
      parameters: settings.parameters as Prisma.InputJsonValue,
      projectId: caller.grant.projectId,
      notebookId,
      ownerId: caller.userId,
      nextRunAt,
    },
    select: JOB_SELECT,
  });
  return toJob(row, caller);
}

/** A job with its latest runs and the defaults its notebook declares. */
export async function getJob(prisma: PrismaClient, jobId: string, caller: TJobCaller): Promise<TJobDetail> {
  const row = await prisma.job.findUniqueOrThrow({
    where: { id: jobId },
    select: {
      ...JOB_SELECT,
      runs: { select: RUN_SELECT, orderBy: { createdAt: "desc" }, take: 100 },
      notebook: { select: { name: true, cells: true } },
    },
  });
  const cells = (row.notebook.cells as TCell[]).map((cell) => ({ ...cell, metadata: cell.metadata ?? {} }));
  return {
    ...toJob(row, caller),
    runs: row.runs.map(toRunSummary),
    parameterDefaults: readParameterDefaults(cells as TCell[]),
  };
}

async function loadEditable(prisma: PrismaClient, jobId: string, caller: TJobCaller) {
  const row = await prisma.job.findUniqueOrThrow({ where: { id: jobId }, select: JOB_SELECT });
  if (!canEdit(row, caller)) {
    throw new AppError(
      "forbidden",
      `This job is ${row.owner.name}'s; only they or a project admin may change or delete it`,
    );
  }
  return row;
}

/** Changes a job; a new schedule (or unpausing) starts counting from now. */
export async function updateJob(
  prisma: PrismaClient,
  jobId: string,
  caller: TJobCaller,
  body: Partial<TJobSettings>,
): Promise<TJob> {
  const current = await loadEditable(prisma, jobId, caller);
  if (body.checkpointId !== undefined) await checkCheckpoint(prisma, current.notebookId, body.checkpointId);
  const cron = body.cron === undefined ? current.cron : body.cron;
  const timeZone = body.timeZone ?? current.timeZone;
  const isScheduleChanged =
    body.cron !== undefined || body.timeZone !== undefined || (body.isPaused === false && current.isPaused);
  const row = await prisma.job.update({
    where: { id: jobId },
    data: {
      ...body,
      ...(body.parameters ? { parameters: body.parameters as Prisma.InputJsonValue } : {}),
      ...(isScheduleChanged ? { nextRunAt: firstRunAt(cron, timeZone) } : {}),
    },
    select: JOB_SELECT,
  });
  return toJob(row, caller);
}

/** Deletes a job with its runs. */
export async function deleteJob(prisma: PrismaClient, jobId: string, caller: TJobCaller): Promise<void> {
  await loadEditable(prisma, jobId, caller);
  await prisma.job.delete({ where: { id: jobId } });
}

/**
 * Queues a run now. Without a job service in this process the run stays queued until a server
 * that has one picks it up (its stranded-run sweep).
 */
export async function requestRun(
  prisma: PrismaClient,
  jobs: TJobService | null,
  jobId: string,
  userId: string,
  parameters: Record<string, unknown>,
): Promise<TJobRunSummary> {
  const created = await createJobRun(prisma, {
    jobId,
    trigger: "manual",
    requestedById: userId,
    parameters: parameters as never,
  });
  if (!created) throw new AppError("conflict", "This run already exists");
  await jobs?.enqueue(created.id);
  const row = await prisma.jobRun.findUniqueOrThrow({ where: { id: created.id }, select: RUN_SELECT });
  return toRunSummary(row);
}

/** One run with its executed notebook and log. */
export async function getJobRun(prisma: PrismaClient, runId: string): Promise<TJobRun> {
  const row = await prisma.jobRun.findUniqueOrThrow({
    where: { id: runId },
    select: {
      ...RUN_SELECT,
      notebookName: true,
      notebookVersion: true,
      content: true,
      log: true,
      job: { select: { name: true, projectId: true, notebookId: true } },
    },
  });
  return {
    ...toRunSummary(row),
    jobName: row.job.name,
    projectId: row.job.projectId,
    notebookId: row.job.notebookId,
    notebookName: row.notebookName,
    notebookVersion: row.notebookVersion,
    content: (row.content as Record<string, unknown> | null) ?? null,
    log: row.log,
  };
}

/**
 * The job service's `mayRun`: whether a job's owner still holds `job.run` in its project (the
 * permission table decides, as for every route), checked before each run.
 */
export function createJobRunCheck(
  prisma: PrismaClient,
): (userId: string, projectId: string) => Promise<boolean> {
  return async (userId, projectId) => {
    const membership = await prisma.projectMember.findUnique({
      where: { projectId_userId: { projectId, userId } },
      select: { role: true },
    });
    return membership !== null && hasPermission(membership.role, "job.run");
  };
}

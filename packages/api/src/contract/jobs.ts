/** Jobs: notebooks run on a schedule or by hand with parameters, and their runs (docs/jobs.md). */
import { isValidParameterName } from "@flint/notebook";
import { z } from "zod";
import { ZId, ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** The kernels a job may run on (the kernelspecs `packages/python` installs). */
export const JOB_KERNELS = ["flint-spark", "flint-spark-dedicated"] as const;

/** Parameter values by name: JSON values, rendered as Python literals in the run's notebook. */
export const ZJobParameters = z.record(z.string(), z.json()).superRefine((values, context) => {
  const names = Object.keys(values);
  if (names.length > 100) context.addIssue({ code: "custom", message: "a job takes at most 100 parameters" });
  for (const name of names.filter((candidate) => !isValidParameterName(candidate))) {
    context.addIssue({
      code: "custom",
      message: `"${name.slice(0, 100)}" is not a parameter name: use a Python identifier (letters, digits and _, not starting with a digit, no keyword)`,
    });
  }
});

/** A job's settings, each required (the create body gives defaults, the update body takes any). */
const ZJobFields = z.object({
  name: z.string().trim().min(1, "a job needs a name").max(200),
  /** A saved version (checkpoint) of the notebook to run; null: the notebook as saved when the run starts. */
  checkpointId: ZId.nullable(),
  parameters: ZJobParameters,
  /** Five cron fields (minute hour day-of-month month day-of-week); null: run only by hand. */
  cron: z.string().trim().max(100).nullable(),
  /** The IANA time zone the cron fields are read in. */
  timeZone: z.string().trim().min(1).max(100),
  kernelName: z.enum(JOB_KERNELS),
  timeoutSeconds: z.int().min(10, "a timeout is at least 10 s").max(86_400, "a timeout is at most a day"),
  retries: z.int().min(0).max(5, "a job retries at most 5 times"),
  notifyOnFailure: z.boolean(),
  isPaused: z.boolean(),
});

export const ZCreateJobBody = z.strictObject({
  notebookId: ZId,
  name: ZJobFields.shape.name,
  checkpointId: ZJobFields.shape.checkpointId.default(null),
  parameters: ZJobParameters.default({}),
  cron: ZJobFields.shape.cron.default(null),
  timeZone: ZJobFields.shape.timeZone.default("UTC"),
  kernelName: ZJobFields.shape.kernelName.default("flint-spark"),
  timeoutSeconds: ZJobFields.shape.timeoutSeconds.default(3600),
  retries: ZJobFields.shape.retries.default(0),
  notifyOnFailure: z.boolean().default(true),
  isPaused: z.boolean().default(false),
});
export const ZUpdateJobBody = ZJobFields.partial().strict();
export type TJobSettings = z.output<typeof ZJobFields>;

export const ZJobRunStatus = z.enum(["queued", "running", "succeeded", "failed", "timed_out"]);

export const ZJobRunSummary = z.object({
  id: z.string(),
  jobId: z.string(),
  trigger: z.enum(["schedule", "manual"]),
  status: ZJobRunStatus,
  scheduledFor: z.string().nullable(),
  requestedBy: z.string().nullable(),
  parameters: z.record(z.string(), z.json()),
  attempts: z.int(),
  maxAttempts: z.int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.int().nullable(),
});
export type TJobRunSummary = z.infer<typeof ZJobRunSummary>;

export const ZJob = z.object({
  id: z.string(),
  projectId: z.string(),
  notebookId: z.string(),
  notebookName: z.string(),
  checkpointId: z.string().nullable(),
  name: z.string(),
  owner: z.object({ id: z.string(), name: z.string() }),
  parameters: z.record(z.string(), z.json()),
  cron: z.string().nullable(),
  timeZone: z.string(),
  kernelName: z.string(),
  timeoutSeconds: z.int(),
  retries: z.int(),
  notifyOnFailure: z.boolean(),
  isPaused: z.boolean(),
  nextRunAt: z.string().nullable(),
  createdAt: z.string(),
  lastRun: ZJobRunSummary.nullable(),
  /** Whether the caller may change or delete the job (its owner, or a project admin) and run it. */
  canEdit: z.boolean(),
  canRun: z.boolean(),
});
export type TJob = z.infer<typeof ZJob>;

export const ZJobDetail = ZJob.extend({
  runs: z.array(ZJobRunSummary).describe("The latest 100 runs, newest first."),
  parameterDefaults: z
    .array(z.object({ name: z.string(), expression: z.string() }))
    .describe("What the notebook's `parameters` cell assigns, as text."),
});
export type TJobDetail = z.infer<typeof ZJobDetail>;

export const ZJobRun = ZJobRunSummary.extend({
  jobName: z.string(),
  projectId: z.string(),
  notebookId: z.string(),
  notebookName: z.string(),
  notebookVersion: z.int().nullable(),
  /** The executed notebook (Flint's model JSON: cells with this run's outputs); null before it ran. */
  content: z.record(z.string(), z.unknown()).nullable(),
  log: z.string(),
});
export type TJobRun = z.infer<typeof ZJobRun>;

/** The jobs' endpoints. */
export const jobEndpoints = {
  listProjectJobs: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/jobs",
    summary: "A project's jobs with their next and last runs",
    tag: "jobs",
    access: { permission: "job.read", target: { kind: "project", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ jobs: z.array(ZJob) }),
  }),
  createJob: defineEndpoint({
    method: "POST",
    path: "/api/v1/jobs",
    summary: "Schedule a notebook (or make a job to run by hand); the caller owns it and runs run as them",
    tag: "jobs",
    access: { permission: "job.create", target: { kind: "notebook", from: "body.notebookId" } },
    status: 201,
    body: ZCreateJobBody,
    response: ZJob,
  }),
  getJob: defineEndpoint({
    method: "GET",
    path: "/api/v1/jobs/{id}",
    summary: "A job with its run history",
    tag: "jobs",
    access: { permission: "job.read", target: { kind: "job", from: "params.id" } },
    params: ZIdParams,
    response: ZJobDetail,
  }),
  updateJob: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/jobs/{id}",
    summary: "Change a job (its owner or a project admin)",
    tag: "jobs",
    access: { permission: "job.create", target: { kind: "job", from: "params.id" } },
    params: ZIdParams,
    body: ZUpdateJobBody,
    response: ZJob,
  }),
  deleteJob: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/jobs/{id}",
    summary: "Delete a job and its runs (its owner or a project admin)",
    tag: "jobs",
    access: { permission: "job.create", target: { kind: "job", from: "params.id" } },
    params: ZIdParams,
    response: z.object({ deleted: z.literal(true) }),
  }),
  runJob: defineEndpoint({
    method: "POST",
    path: "/api/v1/jobs/{id}/runs",
    summary: "Run a job now, with parameter values over the job's own; answers at once with the queued run",
    tag: "jobs",
    access: { permission: "job.run", target: { kind: "job", from: "params.id" } },
    status: 202,
    params: ZIdParams,
    body: z.strictObject({ parameters: ZJobParameters.default({}) }),
    response: ZJobRunSummary,
  }),
  getJobRun: defineEndpoint({
    method: "GET",
    path: "/api/v1/job-runs/{id}",
    summary: "One run: status, parameters, log and the executed notebook",
    tag: "jobs",
    access: { permission: "job.read", target: { kind: "jobRun", from: "params.id" } },
    params: ZIdParams,
    response: ZJobRun,
  }),
};

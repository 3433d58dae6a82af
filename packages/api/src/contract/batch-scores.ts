/**
 * Batch scoring (docs/models.md): a project's registered model applied to one of its catalog
 * assets as a Spark job in the project's sandbox; the output is registered as a new asset whose
 * lineage names the input asset and the model version.
 */
import { ZAssetName } from "@flint/catalog/schemas";
import { z } from "zod";
import { ZId, ZIdParams } from "./common";
import { ZAlias, ZVersion } from "./deployments";
import { defineEndpoint } from "./endpoint";

/** One batch scoring run, as the pages and the API show it. */
export const ZBatchScore = z.object({
  id: z.string(),
  projectId: z.string(),
  modelName: z.string(),
  modelVersion: z.string().nullable().describe("The version asked for, or null when an alias was."),
  modelAlias: z.string().nullable(),
  scoredVersion: z
    .string()
    .describe("The version scored with (what an alias named when the run was asked for)."),
  flavor: z.enum(["spark", "pyfunc"]).describe("spark: model.transform; pyfunc: mlflow.pyfunc.spark_udf."),
  state: z.enum(["queued", "running", "succeeded", "failed"]),
  progress: z.string().nullable().describe("What the job is doing now, e.g. 'writing: 6 of 8 tasks'."),
  error: z.string().nullable().describe("Why it failed, and what to do."),
  rows: z.number().nullable().describe("Rows written (state succeeded)."),
  input: z.object({
    assetId: z.string(),
    name: z.string().nullable().describe("Null once the asset is deleted."),
  }),
  output: z.object({
    name: z.string(),
    assetId: z.string().nullable().describe("The registered output asset (state succeeded)."),
  }),
  createdBy: z.object({ name: z.string() }).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  log: z.array(z.string()).describe("What happened, a line per step."),
});
export type TBatchScore = z.infer<typeof ZBatchScore>;

/** What a batch scoring request names. */
export const ZBatchScoreRequest = z
  .object({
    modelName: z.string().min(1).max(200),
    version: ZVersion.optional(),
    alias: ZAlias.optional(),
    assetId: ZId.describe("The catalog asset to score (a file asset of this project)."),
    outputName: ZAssetName.describe("The name of the new asset the predictions are registered as."),
  })
  .refine((target) => (target.version === undefined) !== (target.alias === undefined), {
    message: "give either a version or an alias (e.g. champion), not both",
    path: ["version"],
  });

const READ = { permission: "model.read", target: { kind: "project", from: "params.id" } } as const;
// Scoring runs the project's model over its data and writes a new asset: what a runner may do from
// a notebook (running cells, logging models, registering assets), so the same permission.
const WRITE = { permission: "model.write", target: { kind: "project", from: "params.id" } } as const;

/** The batch scoring endpoints. */
export const batchScoreEndpoints = {
  createBatchScore: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/models/batch-scores",
    summary:
      "Score a catalog asset with a registered model version or alias as a Spark job; the output becomes a new asset (202: follow the run's state)",
    tag: "models",
    access: WRITE,
    params: ZIdParams,
    body: ZBatchScoreRequest,
    response: ZBatchScore,
    status: 202,
  }),
  listBatchScores: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/models/batch-scores",
    summary: "The project's batch scoring runs, newest first",
    tag: "models",
    access: READ,
    params: ZIdParams,
    query: z.object({
      assetId: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .describe("Only runs that read or produced this asset (lineage: the asset page)."),
      modelName: z.string().min(1).max(200).optional().describe("Only runs of this registered model."),
    }),
    response: z.object({ batchScores: z.array(ZBatchScore) }),
  }),
  getBatchScore: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/models/batch-scores/{runId}",
    summary: "One batch scoring run: state, progress, error, the output asset",
    tag: "models",
    access: READ,
    params: ZIdParams.extend({ runId: ZId }),
    response: ZBatchScore,
  }),
};

/**
 * Models (docs/models.md): MLflow's tracking API through Flint, one project at a time, and the
 * Models tab's views of a project's experiments, runs and registered models.
 */
import { z } from "zod";
import { ZIdParams } from "./common";
import { defineEndpoint } from "./endpoint";

/** The project and the MLflow path that follows `/mlflow/` (`api/2.0/mlflow/runs/get`...). */
export const ZMlflowProxyParams = z.object({
  id: z.string().min(1),
  path: z.string().min(1).max(2000).describe("MLflow's own path, e.g. api/2.0/mlflow/runs/search."),
});

const PROXY_SUMMARY =
  "MLflow's REST API for this project (set MLFLOW_TRACKING_URI to /api/v1/projects/{id}/mlflow); members read, runners, editors and admins write; kernels call it with their notebook token";
const ZMlflowAnswer = z.unknown().describe("MLflow's own answer (JSON, or an artifact's bytes).");

/** The same route for every method MLflow's client uses; the handler checks read or write. */
function proxyEndpoint<const M extends "GET" | "POST" | "PUT" | "PATCH" | "DELETE">(method: M) {
  return defineEndpoint({
    method,
    path: "/api/v1/projects/{id}/mlflow/{path+}",
    summary: PROXY_SUMMARY,
    tag: "models",
    // A kernel calls it with its notebook's token (MLFLOW_TRACKING_TOKEN); people with a session
    // or an access token. The handler authorizes model.read or model.write on the project.
    access: "notebookToken",
    params: ZMlflowProxyParams,
    documentedBody: {
      description: "MLflow's request (JSON), or an artifact's bytes",
      content: { "application/json": z.unknown() },
    },
    response: ZMlflowAnswer,
    isDownload: true,
  });
}

export const ZMetric = z.object({
  key: z.string(),
  value: z.number(),
  step: z.number(),
  timestamp: z.number(),
});

/** One run, as the Models tab lists it. */
export const ZModelRun = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  status: z.string(),
  startTime: z.number().nullable(),
  endTime: z.number().nullable(),
  user: z.string().nullable(),
  notebookId: z.string().nullable(),
  notebookVersion: z.number().nullable(),
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  trainedOn: z
    .array(z.object({ assetId: z.string(), name: z.string() }))
    .describe("The project's catalog assets the run's kernel had read (flint.load) when it ran: lineage."),
});
export type TModelRun = z.infer<typeof ZModelRun>;

export const ZExperiment = z.object({
  experimentId: z.string(),
  name: z.string().describe("As the notebook named it (without Flint's project prefix)."),
  runs: z.array(ZModelRun),
});

export const ZModelVersion = z.object({
  version: z.string(),
  runId: z.string().nullable(),
  status: z.string(),
  createdAt: z.number().nullable(),
  aliases: z.array(z.string()),
  source: z.string(),
});

export const ZRegisteredModel = z.object({
  name: z.string(),
  description: z.string(),
  updatedAt: z.number().nullable(),
  aliases: z.record(z.string(), z.string()).describe("alias → version"),
  versions: z.array(ZModelVersion),
});

const READ = { permission: "model.read", target: { kind: "project", from: "params.id" } } as const;

/** The models endpoints. */
export const modelEndpoints = {
  mlflowGet: proxyEndpoint("GET"),
  mlflowPost: proxyEndpoint("POST"),
  mlflowPut: proxyEndpoint("PUT"),
  mlflowPatch: proxyEndpoint("PATCH"),
  mlflowDelete: proxyEndpoint("DELETE"),
  listModelRuns: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/models/runs",
    summary:
      "The project's experiments with their latest runs (metrics, parameters, the notebook that made each)",
    tag: "models",
    access: READ,
    params: ZIdParams,
    query: z.object({
      assetId: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .describe("Only the runs trained on this catalog asset (lineage: the asset page's models)."),
    }),
    response: z.object({ experiments: z.array(ZExperiment) }),
  }),
  getRunMetricHistory: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/models/runs/{runId}/metrics",
    summary: "Every logged value of a run's metrics, by step (for the metric charts)",
    tag: "models",
    access: READ,
    params: ZIdParams.extend({ runId: z.string().regex(/^[0-9a-f]{32}$/, "a run id is 32 hex digits") }),
    response: z.object({ metrics: z.array(ZMetric) }),
  }),
  listRegisteredModels: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/models/registered",
    summary: "The project's registered models with their versions and aliases",
    tag: "models",
    access: READ,
    params: ZIdParams,
    response: z.object({ models: z.array(ZRegisteredModel) }),
  }),
};

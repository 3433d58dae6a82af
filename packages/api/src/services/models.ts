/**
 * The Models tab's views of a project (docs/models.md): its experiments with their runs, a run's
 * metric history, its registered models. Read from the MLflow tracking server with the same
 * project scoping as the proxy (names under `<projectId>.`).
 */
import type { PrismaClient } from "@flint/db";
import type { TModelRun } from "../contract/models.js";
import { AppError, notFound } from "../errors.js";
import { ASSETS_TAG, projectPrefix, type TMlflowBackend } from "./mlflow-proxy.js";

/** At most this many assets are named on one run (an MLflow tag holds a few thousand characters). */
const MAX_ASSETS_PER_RUN = 100;

/**
 * The catalog assets the kernel of `notebookId` has read (`flint.load`) since it started, oldest
 * first. The kernel's start is the oldest live notebook token of the notebook: the broker issues
 * one at the kernel's first run and revokes them all when the kernel stops, dies or restarts, so
 * no read of an earlier kernel is counted. Reads are recorded by Flint's API, not claimed by the
 * kernel, so a notebook cannot name data it never read.
 */
export async function listAssetsReadByKernel(prisma: PrismaClient, notebookId: string): Promise<string[]> {
  const first = await prisma.catalogNotebookToken.findFirst({
    // The interactive kernel's tokens (a job run's kernel is another process, with its own).
    where: { notebookId, jobRunId: null },
    orderBy: { createdAt: "asc" },
    select: { createdAt: true },
  });
  if (!first) return [];
  const reads = await prisma.catalogUsageEvent.findMany({
    where: { notebookId, kind: "notebook_read", at: { gte: first.createdAt } },
    orderBy: { at: "asc" },
    select: { assetId: true },
  });
  return [...new Set(reads.map((read) => read.assetId))].slice(0, MAX_ASSETS_PER_RUN);
}

/** Names the assets each run was trained on (its `flint.assets` tag), as far as they still exist in the project. */
export async function nameTrainedOnAssets<T extends { experiments: { runs: TModelRun[] }[] }>(
  prisma: PrismaClient,
  projectId: string,
  listing: T,
): Promise<T> {
  const ids = new Set<string>();
  for (const experiment of listing.experiments)
    for (const run of experiment.runs) for (const id of run.trainedOn) ids.add(id.assetId);
  if (ids.size === 0) return listing;
  const assets = await prisma.catalogAsset.findMany({
    where: { id: { in: [...ids] }, projectId },
    select: { id: true, name: true },
  });
  const names = new Map(assets.map((asset) => [asset.id, asset.name]));
  for (const experiment of listing.experiments)
    for (const run of experiment.runs)
      run.trainedOn = run.trainedOn
        .filter((asset) => names.has(asset.assetId))
        .map((asset) => ({ assetId: asset.assetId, name: names.get(asset.assetId) ?? "" }));
  return listing;
}

type TTag = { key: string; value: string };
type TRunJson = {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    status: string;
    start_time?: number;
    end_time?: number;
  };
  data?: { metrics?: { key: string; value: number }[]; params?: TTag[]; tags?: TTag[] };
};

function failed(status: number, json: Record<string, unknown>): AppError {
  return new AppError(
    "unavailable",
    `The tracking server answered ${status}: ${String(json.message ?? json.error_code ?? "no details")}`,
  );
}

function toRun(run: TRunJson): TModelRun {
  const tags = Object.fromEntries((run.data?.tags ?? []).map((tag) => [tag.key, tag.value]));
  const version = Number(tags["flint.notebookVersion"]);
  return {
    runId: run.info.run_id,
    runName: run.info.run_name ?? tags["mlflow.runName"] ?? run.info.run_id.slice(0, 8),
    experimentId: run.info.experiment_id,
    status: run.info.status,
    startTime: run.info.start_time ?? null,
    endTime: run.info.end_time ?? null,
    user: tags["flint.user"] ?? tags["mlflow.user"] ?? null,
    notebookId: tags["flint.notebookId"] ?? null,
    notebookVersion: Number.isFinite(version) ? version : null,
    metrics: Object.fromEntries((run.data?.metrics ?? []).map((metric) => [metric.key, metric.value])),
    params: Object.fromEntries((run.data?.params ?? []).map((param) => [param.key, param.value])),
    tags,
    // Named by the route (nameTrainedOnAssets): the tag holds ids.
    trainedOn: (tags[ASSETS_TAG] ?? "")
      .split(",")
      .filter(Boolean)
      .map((assetId) => ({ assetId, name: "" })),
  };
}

/** The project's experiments (newest first) with up to `maxRuns` runs each. */
export async function listProjectRuns(backend: TMlflowBackend, projectId: string, maxRuns = 200) {
  const prefix = projectPrefix(projectId);
  const found = await backend.requestJson("POST", "/api/2.0/mlflow/experiments/search", {
    filter: `name LIKE '${prefix}%'`,
    max_results: 1000,
    order_by: ["last_update_time DESC"],
  });
  if (found.status !== 200) throw failed(found.status, found.json);
  const experiments = ((found.json.experiments ?? []) as { experiment_id: string; name: string }[]).filter(
    (experiment) => experiment.name.startsWith(prefix),
  );
  if (experiments.length === 0) return { experiments: [] };
  const runs = await backend.requestJson("POST", "/api/2.0/mlflow/runs/search", {
    experiment_ids: experiments.map((experiment) => experiment.experiment_id),
    max_results: maxRuns,
    order_by: ["attributes.start_time DESC"],
  });
  if (runs.status !== 200) throw failed(runs.status, runs.json);
  const all = ((runs.json.runs ?? []) as TRunJson[]).map(toRun);
  return {
    experiments: experiments.map((experiment) => ({
      experimentId: experiment.experiment_id,
      name: experiment.name.slice(prefix.length),
      runs: all.filter((run) => run.experimentId === experiment.experiment_id),
    })),
  };
}

/** Every value of every metric of one run of the project. */
export async function getRunMetricHistory(backend: TMlflowBackend, projectId: string, runId: string) {
  const prefix = projectPrefix(projectId);
  const run = await backend.requestJson("GET", `/api/2.0/mlflow/runs/get?run_id=${runId}`);
  const info = (run.json.run as TRunJson | undefined)?.info;
  if (run.status !== 200 || !info) throw notFound("Run");
  const experiment = await backend.requestJson(
    "GET",
    `/api/2.0/mlflow/experiments/get?experiment_id=${encodeURIComponent(info.experiment_id)}`,
  );
  const name = (experiment.json.experiment as { name?: string } | undefined)?.name ?? "";
  if (!name.startsWith(prefix)) throw notFound("Run");
  const keys = ((run.json.run as TRunJson).data?.metrics ?? []).map((metric) => metric.key);
  const metrics: { key: string; value: number; step: number; timestamp: number }[] = [];
  for (const key of keys) {
    const history = await backend.requestJson(
      "GET",
      `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}&max_results=5000`,
    );
    if (history.status !== 200) throw failed(history.status, history.json);
    for (const point of (history.json.metrics ?? []) as {
      key: string;
      value: number;
      step?: number;
      timestamp?: number;
    }[]) {
      metrics.push({
        key: point.key,
        value: point.value,
        step: point.step ?? 0,
        timestamp: point.timestamp ?? 0,
      });
    }
  }
  return { metrics };
}

/** The project's registered models with their versions and aliases. */
export async function listRegisteredModels(backend: TMlflowBackend, projectId: string) {
  const prefix = projectPrefix(projectId);
  const filter = encodeURIComponent(`name LIKE '${prefix}%'`);
  const found = await backend.requestJson(
    "GET",
    `/api/2.0/mlflow/registered-models/search?filter=${filter}&max_results=1000`,
  );
  if (found.status !== 200) throw failed(found.status, found.json);
  const models = (
    (found.json.registered_models ?? []) as {
      name: string;
      description?: string;
      last_updated_timestamp?: number;
      aliases?: { alias: string; version: string }[];
    }[]
  ).filter((model) => model.name.startsWith(prefix));
  const result = [];
  for (const model of models) {
    const versions = await backend.requestJson(
      "GET",
      `/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent(`name='${model.name.replaceAll("'", "\\'")}'`)}&max_results=1000`,
    );
    if (versions.status !== 200) throw failed(versions.status, versions.json);
    const aliases = Object.fromEntries((model.aliases ?? []).map((entry) => [entry.alias, entry.version]));
    result.push({
      name: model.name.slice(prefix.length),
      description: model.description ?? "",
      updatedAt: model.last_updated_timestamp ?? null,
      aliases,
      versions: (
        (versions.json.model_versions ?? []) as {
          version: string;
          run_id?: string;
          status?: string;
          creation_timestamp?: number;
          aliases?: string[];
          source?: string;
        }[]
      )
        .map((version) => ({
          version: version.version,
          runId: version.run_id || null,
          status: version.status ?? "READY",
          createdAt: version.creation_timestamp ?? null,
          // Version search leaves aliases out; the model's alias map has them.
          aliases: Object.entries(aliases)
            .filter(([, target]) => target === version.version)
            .map(([alias]) => alias),
          source: version.source ?? "",
        }))
        .sort((a, b) => Number(b.version) - Number(a.version)),
    });
  }
  return { models: result };
}

/**
 * Deployments (docs/models.md): a project's registered model version (or alias) served by a
 * scoring process (`ScoringManager` of `@flint/kernel`) behind
 * `POST /api/v1/deployments/{name}/predict`.
 *
 * The model's files are copied out of Flint's MLflow server here, by Flint, for the project that
 * owns the model (its registered name is `<projectId>.<name>`): the scoring process gets a folder
 * of files and no credential for MLflow or Flint's API.
 */
import type { PrismaClient } from "@flint/db";
import type { TScoringAnswer } from "@flint/kernel";
import type { TDeployment } from "../contract/deployments.js";
import { AppError, notFound } from "../errors.js";
import type { TMlflowBackend } from "./mlflow-proxy.js";
import { downloadModelFiles, resolveModelVersion, type TModelTarget } from "./model-files.js";

/** What the deployments need of the kernel runtime's `ScoringManager`. */
export interface TScoringServices {
  deploy(
    deployment: { id: string; projectId: string },
    label: string,
    stage: (modelDir: string) => Promise<void>,
  ): Promise<void>;
  predict(deploymentId: string, body: Uint8Array): Promise<TScoringAnswer>;
  describe(deploymentId: string): Promise<Record<string, unknown>>;
  isRunning(deploymentId: string): boolean;
  stop(deploymentId: string): Promise<void>;
}

/** What a deployment serves: a version, or an alias followed when it moves. */
export type TDeploymentTarget = TModelTarget;

const DEPLOYMENT_SELECT = {
  id: true,
  name: true,
  projectId: true,
  modelName: true,
  modelVersion: true,
  modelAlias: true,
  servedVersion: true,
  state: true,
  error: true,
  inputColumns: true,
  createdAt: true,
  createdBy: { select: { name: true, email: true } },
  keys: {
    where: { revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true },
  },
} as const;

type TRow = {
  id: string;
  name: string;
  projectId: string;
  modelName: string;
  modelVersion: string | null;
  modelAlias: string | null;
  servedVersion: string | null;
  state: "starting" | "running" | "failed" | "stopped";
  error: string | null;
  inputColumns: unknown;
  createdAt: Date;
  createdBy: { name: string; email: string };
  keys: { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null }[];
};

function toDocument(row: TRow): TDeployment {
  return {
    id: row.id,
    name: row.name,
    projectId: row.projectId,
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    modelAlias: row.modelAlias,
    servedVersion: row.servedVersion,
    state: row.state,
    error: row.error,
    inputColumns: Array.isArray(row.inputColumns)
      ? (row.inputColumns as { name: string; type: string }[])
      : null,
    predictPath: `/api/v1/deployments/${row.name}/predict`,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    keys: row.keys.map((key) => ({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

function trackingUnavailable(): AppError {
  return new AppError(
    "unavailable",
    "Model tracking is not available on this server (FLINT_MODELS=off, or the MLflow tracking server is not running; a site administrator sees why in /api/health).",
  );
}

function scoringUnavailable(): AppError {
  return new AppError(
    "unavailable",
    "Scoring processes are not available on this server yet (the kernel runtime is not attached); try again shortly.",
  );
}

/** The deployments of one Flint process. */
export interface TDeploymentService {
  list(projectId: string): Promise<TDeployment[]>;
  get(projectId: string, name: string): Promise<TDeployment>;
  create(
    projectId: string,
    userId: string,
    input: TDeploymentTarget & { name: string },
  ): Promise<TDeployment>;
  update(projectId: string, name: string, target: TDeploymentTarget): Promise<TDeployment>;
  remove(projectId: string, name: string): Promise<void>;
  /** The deployment's id in the project, or 404. */
  idOf(projectId: string, name: string): Promise<string>;
  predict(deploymentId: string, body: unknown): Promise<Response>;
  /** Called when an alias of a project's model was set: deployments following it swap. */
  followAlias(projectId: string, modelName: string, alias: string): void;
}

/** Creates the deployments service over the tracking server and the scoring processes. */
export function createDeploymentService(deps: {
  prisma: PrismaClient;
  dataDir: string;
  getMlflow: () => TMlflowBackend | null;
  getScoring: () => TScoringServices | null;
  log?: (message: string) => void;
}): TDeploymentService {
  const { prisma } = deps;
  const log = deps.log ?? ((message: string) => process.stderr.write(`[flint:deployments] ${message}\n`));
  /** Starts under way, by deployment id: a predict that finds no process waits for the one start. */
  const starting = new Map<string, Promise<void>>();

  const backend = (): TMlflowBackend => {
    const server = deps.getMlflow();
    if (!server) throw trackingUnavailable();
    return server;
  };
  const scoring = (): TScoringServices => {
    const services = deps.getScoring();
    if (!services) throw scoringUnavailable();
    return services;
  };

  async function load(projectId: string, name: string): Promise<TRow> {
    const row = await prisma.deployment.findFirst({ where: { projectId, name }, select: DEPLOYMENT_SELECT });
    if (!row) throw notFound("Deployment");
    return row as TRow;
  }

  /** The model version a target names now, and where its files are in MLflow's artifact store. */
  const resolveTarget = (projectId: string, target: TDeploymentTarget) =>
    resolveModelVersion(backend(), projectId, target);

  /** Copies the files under `artifactPath` into `into`, folder by folder. */
  const download = (artifactPath: string, into: string) => downloadModelFiles(backend(), artifactPath, into);

  /** Starts (or swaps in) the process for what the deployment names now. */
  async function start(row: Pick<TRow, "id" | "projectId" | "modelName" | "modelVersion" | "modelAlias">) {
    const target: TDeploymentTarget = {
      modelName: row.modelName,
      ...(row.modelAlias ? { alias: row.modelAlias } : { version: row.modelVersion ?? "" }),
    };
    const services = scoring();
    try {
      const { version, artifactPath } = await resolveTarget(row.projectId, target);
      await services.deploy({ id: row.id, projectId: row.projectId }, version, (modelDir) =>
        download(artifactPath, modelDir),
      );
      const described = await services.describe(row.id).catch(() => ({}) as Record<string, unknown>);
      const updated = await prisma.deployment.updateMany({
        where: { id: row.id },
        data: {
          state: "running",
          servedVersion: version,
          error: null,
          inputColumns: inputColumnsOf(described.signature) ?? undefined,
        },
      });
      // Deleted while its model loaded: nothing may keep serving it.
      if (updated.count === 0) await services.stop(row.id);
    } catch (error) {
      const message = (error as Error).message.slice(0, 2000);
      log(`deployment ${row.id} did not start: ${message}`);
      // A failed swap leaves the previous process answering: the deployment still runs.
      const isServing = services.isRunning(row.id);
      await prisma.deployment.updateMany({
        where: { id: row.id },
        data: { state: isServing ? "running" : "failed", error: message },
      });
      throw error;
    }
  }

  /** One start at a time per deployment; callers of a start under way share it. */
  function ensureStarted(row: Parameters<typeof start>[0]): Promise<void> {
    let pending = starting.get(row.id);
    if (!pending) {
      pending = start(row).finally(() => starting.delete(row.id));
      starting.set(row.id, pending);
    }
    return pending;
  }

  function startInBackground(row: Parameters<typeof start>[0]): void {
    ensureStarted(row).catch(() => undefined);
  }

  return {
    async list(projectId) {
      const rows = await prisma.deployment.findMany({
        where: { projectId },
        orderBy: { createdAt: "desc" },
        select: DEPLOYMENT_SELECT,
      });
      return (rows as TRow[]).map(toDocument);
    },

    async get(projectId, name) {
      return toDocument(await load(projectId, name));
    },

    async idOf(projectId, name) {
      return (await load(projectId, name)).id;
    },

    async create(projectId, userId, input) {
      scoring();
      // Checked before the row exists: an unknown model or alias is a 404 now, not a failed start.
      await resolveTarget(projectId, input);
      const taken = await prisma.deployment.findUnique({ where: { name: input.name }, select: { id: true } });
      if (taken)
        throw new AppError(
          "conflict",
          `A deployment named ${input.name} exists already (names are unique on this Flint, as the predict URL holds them); choose another name.`,
        );
      const row = await prisma.deployment.create({
        data: {
          name: input.name,
          projectId,
          modelName: input.modelName,
          modelVersion: input.version ?? null,
          modelAlias: input.alias ?? null,
          createdById: userId,
        },
        select: DEPLOYMENT_SELECT,
      });
      startInBackground(row as TRow);
      return toDocument(row as TRow);
    },

    async update(projectId, name, target) {
      const row = await load(projectId, name);
      scoring();
      await resolveTarget(projectId, target);
      const updated = await prisma.deployment.update({
        where: { id: row.id },
        data: {
          modelName: target.modelName,
          modelVersion: target.version ?? null,
          modelAlias: target.alias ?? null,
          // Whatever runs keeps answering until the new process is ready.
          ...(row.state === "running" ? {} : { state: "starting" as const, error: null }),
        },
        select: DEPLOYMENT_SELECT,
      });
      // Queued behind a start under way, if any (the scoring manager runs one deploy at a time).
      start(updated as TRow).catch(() => undefined);
      return toDocument(updated as TRow);
    },

    async remove(projectId, name) {
      const row = await load(projectId, name);
      await prisma.deployment.delete({ where: { id: row.id } });
      await deps.getScoring()?.stop(row.id);
    },

    async predict(deploymentId, body) {
      const services = scoring();
      if (!services.isRunning(deploymentId)) {
        const row = await prisma.deployment.findUnique({
          where: { id: deploymentId },
          select: DEPLOYMENT_SELECT,
        });
        if (!row) throw notFound("Deployment");
        if (row.state === "failed" && !starting.has(deploymentId))
          throw new AppError(
            "unavailable",
            `This deployment's model did not start (${row.error ?? "no details"}); its project can redeploy it on the deployment's page.`,
          );
        // Not started since Flint started, or its process stopped: start it and wait.
        await ensureStarted(row as TRow).catch((error: Error) => {
          throw new AppError("unavailable", `This deployment's model could not start: ${error.message}`);
        });
      }
      let answer: TScoringAnswer;
      try {
        answer = await services.predict(deploymentId, Buffer.from(JSON.stringify(body)));
      } catch (error) {
        if ((error as Error).name === "ScoringMemoryError") {
          // The process is gone: start the model again now rather than at the next request.
          log(`deployment ${deploymentId}: ${(error as Error).message}; restarting it`);
          const row = await prisma.deployment.findUnique({
            where: { id: deploymentId },
            select: DEPLOYMENT_SELECT,
          });
          if (row) startInBackground(row as TRow);
          throw new AppError(
            "unavailable",
            `Scoring this request, ${(error as Error).message}; it is starting again. Send fewer rows at once, or ask the administrator to raise FLINT_DEPLOYMENT_MEMORY_MB.`,
            { reason: "memory_limit" },
          );
        }
        throw new AppError(
          "unavailable",
          `The deployment's scoring process did not answer (${(error as Error).message}); try again.`,
        );
      }
      return new Response(new Uint8Array(answer.body), {
        status: answer.status,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      });
    },

    followAlias(projectId, modelName, alias) {
      void (async () => {
        const rows = await prisma.deployment.findMany({
          where: { projectId, modelName, modelAlias: alias, state: { in: ["starting", "running"] } },
          select: DEPLOYMENT_SELECT,
        });
        for (const row of rows) {
          log(`the alias ${alias} of ${modelName} moved: swapping deployment ${row.name}`);
          start(row as TRow).catch(() => undefined);
        }
      })().catch((error) => log(`could not follow the alias ${alias} of ${modelName}: ${String(error)}`));
    },
  };
}

/** `[{name, type}]` of a column signature (`Schema.to_dict()`), or null for tensors and none. */
function inputColumnsOf(signature: unknown): { name: string; type: string }[] | null {
  if (!Array.isArray(signature)) return null;
  const columns = signature
    .filter((input): input is { name: string; type: string } => typeof input?.name === "string")
    .map((input) => ({ name: input.name, type: String(input.type) }));
  return columns.length > 0 ? columns : null;
}

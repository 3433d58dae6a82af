/**
 * Batch scoring (docs/models.md): a project's registered model version applied to one of its
 * catalog assets as a Spark job, the output registered as a new asset with lineage.
 *
 * Where it runs: a kernel of its own in the project's sandbox (the kernel pool's
 * `acquireInProject`, kernelspec `flint-spark-dedicated`), driven by the jobs' notebook runner with
 * one generated cell that calls `flint.batch_score.score_asset`. The user's model code (a pyfunc
 * model is Python) therefore never runs in the web server. Like a deployment's scoring process, the
 * job gets files and paths and no credential: Flint copies the model's files out of MLflow into
 * the project's folder, tells it how Spark reads the input (the catalog's own read answer), and
 * where to write; Flint registers the output itself when the job has succeeded.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Catalog } from "@flint/catalog";
import { projectStorageDir } from "@flint/catalog";
import type { PrismaClient } from "@flint/db";
import { type KernelHandle, runNotebook } from "@flint/kernel";
import type { TCell, TOutput } from "@flint/notebook";
import type { TBatchScore } from "../contract/batch-scores.js";
import { AppError, notFound } from "../errors.js";
import { catalogCall } from "./catalog.js";
import type { TMlflowBackend } from "./mlflow-proxy.js";
import { downloadModelFiles, resolveModelVersion, type TModelTarget } from "./model-files.js";

/** What batch scoring needs of the kernel runtime's pool. */
export interface TBatchKernels {
  /** A fresh kernel in the project's sandbox. */
  acquireInProject(projectId: string, kernelName?: string): Promise<KernelHandle>;
  /** Shuts it down. */
  release(handle: KernelHandle): void;
}

/** What a batch scoring request names (validated by the contract). */
export type TBatchScoreInput = TModelTarget & { assetId: string; outputName: string };

/** The lines `flint.batch_score` prints (packages/python/flint/batch_score.py). */
const PROGRESS_PREFIX = "FLINT_BATCH_PROGRESS ";
const RESULT_PREFIX = "FLINT_BATCH_RESULT ";
/** The folder of a project's storage the staged model files go to, one folder per run. */
const STAGING = ".flint-batch";
/** Progress is written to the database at most this often. */
const PROGRESS_WRITE_MS = 1_000;

const SELECT = {
  id: true,
  projectId: true,
  modelName: true,
  modelVersion: true,
  modelAlias: true,
  scoredVersion: true,
  flavor: true,
  state: true,
  progress: true,
  error: true,
  rows: true,
  inputAssetId: true,
  outputName: true,
  outputAssetId: true,
  createdById: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  log: true,
} as const;

type TRow = {
  id: string;
  projectId: string;
  modelName: string;
  modelVersion: string | null;
  modelAlias: string | null;
  scoredVersion: string;
  flavor: string;
  state: string;
  progress: string | null;
  error: string | null;
  rows: bigint | null;
  inputAssetId: string;
  outputName: string;
  outputAssetId: string | null;
  createdById: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  log: unknown;
};

/** The batch scoring runs of one Flint process. */
export interface TBatchScoreService {
  create(projectId: string, userId: string, input: TBatchScoreInput): Promise<TBatchScore>;
  list(projectId: string, filter: { assetId?: string; modelName?: string }): Promise<TBatchScore[]>;
  get(projectId: string, runId: string): Promise<TBatchScore>;
  /** Ends this process's runs (their kernels stop with it): marked failed, saying so. */
  stop(): Promise<void>;
}

/** `spark` when the model's `MLmodel` has the Spark flavor, `pyfunc` for python_function, else null. */
export function flavorOfMlmodel(text: string): "spark" | "pyfunc" | null {
  // MLflow writes MLmodel as YAML with two-space indents: the flavors are the keys under `flavors:`.
  const block = /^flavors:\s*\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(text)?.[1] ?? "";
  const keys = [...block.matchAll(/^ {2}([A-Za-z0-9_]+):/gm)].map((match) => match[1]);
  if (keys.includes("spark")) return "spark";
  if (keys.includes("python_function")) return "pyfunc";
  return null;
}

/** The `FLINT_BATCH_*` lines of a cell's stream outputs. */
export function readJobLines(outputs: readonly TOutput[]): {
  progress: { done: number; total: number } | null;
  result: { rows: number; columns: { name: string; dataType: string; nullable: boolean }[] } | null;
} {
  let progress: { done: number; total: number } | null = null;
  let result = null;
  for (const output of outputs) {
    if (output.output_type !== "stream") continue;
    const text = Array.isArray(output.text) ? output.text.join("") : String(output.text ?? "");
    for (const line of text.split("\n")) {
      try {
        if (line.startsWith(PROGRESS_PREFIX)) progress = JSON.parse(line.slice(PROGRESS_PREFIX.length));
        else if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
      } catch {
        // A line cut by the output cap: the next one will do.
      }
    }
  }
  return { progress, result };
}

/** The one cell the job runs: the spec travels as a JSON string literal, never as code. */
export function scoringCell(spec: Record<string, unknown>): TCell {
  // JSON's string escapes read the same in a Python double-quoted literal (docs/jobs.md).
  // U+2028/2029 are escaped too: Python reads them either way, but editors and logs break lines there.
  const literal = JSON.stringify(JSON.stringify(spec)).replace(
    /[\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16)}`,
  );
  return {
    id: "batch-score",
    cell_type: "code",
    metadata: {},
    source: `import json\nfrom flint.batch_score import score_asset\nscore_asset(json.loads(${literal}), spark)`,
    outputs: [],
    execution_count: null,
  };
}

/** Creates the batch scoring service. */
export function createBatchScoreService(deps: {
  prisma: PrismaClient;
  catalog: Catalog;
  getMlflow: () => TMlflowBackend | null;
  getKernels: () => TBatchKernels | null;
  /** Kernelspec of the jobs: a classic Spark in the kernel (mlflow.spark cannot load over Connect). */
  kernelName?: string;
  /** A job (kernel start included) may take this long. Default 2 hours. */
  timeoutMs?: number;
  /** Jobs at once on this server (two cores: one). Others wait, state `queued`. */
  maxConcurrent?: number;
  log?: (message: string) => void;
}): TBatchScoreService {
  const { prisma, catalog } = deps;
  const log = deps.log ?? ((message: string) => process.stderr.write(`[flint:batch-scores] ${message}\n`));
  const kernelName = deps.kernelName ?? "flint-spark-dedicated";
  const timeoutMs = deps.timeoutMs ?? 2 * 60 * 60 * 1000;
  const maxConcurrent = Math.max(1, deps.maxConcurrent ?? 1);
  const waiting: { id: string; work: () => Promise<void> }[] = [];
  const active = new Set<string>();
  let isStopped = false;

  const mlflow = (): TMlflowBackend => {
    const server = deps.getMlflow();
    if (!server)
      throw new AppError(
        "unavailable",
        "Model tracking is not available on this server (FLINT_MODELS=off, or the MLflow tracking server is not running).",
      );
    return server;
  };
  const kernels = (): TBatchKernels => {
    const pool = deps.getKernels();
    if (!pool)
      throw new AppError("unavailable", "Kernels are not available on this server yet; try again shortly.");
    return pool;
  };

  async function toDocuments(rows: TRow[]): Promise<TBatchScore[]> {
    const assetIds = [...new Set(rows.flatMap((row) => [row.inputAssetId]))];
    const userIds = [...new Set(rows.map((row) => row.createdById))];
    const [assets, users] = await Promise.all([
      prisma.catalogAsset.findMany({
        where: { id: { in: assetIds } },
        select: { id: true, name: true, projectId: true },
      }),
      prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } }),
    ]);
    return rows.map((row) => {
      // Only names of the run's own project: an id cannot name another project's asset.
      const input = assets.find(
        (asset) => asset.id === row.inputAssetId && asset.projectId === row.projectId,
      );
      const user = users.find((candidate) => candidate.id === row.createdById);
      return {
        id: row.id,
        projectId: row.projectId,
        modelName: row.modelName,
        modelVersion: row.modelVersion,
        modelAlias: row.modelAlias,
        scoredVersion: row.scoredVersion,
        flavor: row.flavor === "spark" ? "spark" : "pyfunc",
        state: row.state as TBatchScore["state"],
        progress: row.progress,
        error: row.error,
        rows: row.rows === null ? null : Number(row.rows),
        input: { assetId: row.inputAssetId, name: input?.name ?? null },
        output: { name: row.outputName, assetId: row.outputAssetId },
        createdBy: user ? { name: user.name } : null,
        createdAt: row.createdAt.toISOString(),
        startedAt: row.startedAt?.toISOString() ?? null,
        finishedAt: row.finishedAt?.toISOString() ?? null,
        log: Array.isArray(row.log) ? (row.log as string[]) : [],
      };
    });
  }

  async function load(projectId: string, runId: string): Promise<TRow> {
    const row = await prisma.batchScore.findFirst({ where: { id: runId, projectId }, select: SELECT });
    if (!row) throw notFound("Batch scoring run");
    return row as TRow;
  }

  async function update(id: string, data: Record<string, unknown>): Promise<void> {
    await prisma.batchScore.updateMany({ where: { id }, data });
  }

  /** Starts queued work while there is room. */
  function pump(): void {
    while (!isStopped && active.size < maxConcurrent && waiting.length > 0) {
      const next = waiting.shift();
      if (!next) return;
      active.add(next.id);
      next
        .work()
        .catch((error) => log(`batch score ${next.id}: ${String(error)}`))
        .finally(() => {
          active.delete(next.id);
          pump();
        });
    }
  }

  /** Runs one batch score from start to end; never rejects with the run left `running`. */
  async function execute(
    row: TRow,
    plan: {
      artifactPath: string;
      userId: string;
      read: { format: string; path: string; options?: Record<string, string> };
      outputPath: string;
      relativePath: string;
      inputName: string;
    },
  ): Promise<void> {
    const lines: string[] = [];
    const note = (line: string) => lines.push(`${new Date().toISOString()} ${line}`);
    const stagingDir = path.join(projectStorageDir(catalog.storageRoot, row.projectId), STAGING, row.id);
    const modelDir = path.join(stagingDir, "model");
    try {
      await update(row.id, {
        state: "running",
        startedAt: new Date(),
        progress: "copying the model's files",
      });
      // Readable by the project's sandbox user (the kernel), writable by Flint only.
      mkdirSync(modelDir, { recursive: true, mode: 0o755 });
      await downloadModelFiles(mlflow(), plan.artifactPath, modelDir);
      note(`copied ${row.modelName} v${row.scoredVersion} (${row.flavor})`);
      await update(row.id, { progress: "starting a Spark kernel in the project" });
      const pool = kernels();
      let lastWrite = 0;
      let phase = "loading the model and the asset";
      const result = await runNotebook({
        kernels: {
          acquire: (_notebookId, name) => pool.acquireInProject(row.projectId, name),
          release: (handle) => pool.release(handle),
        },
        notebookId: `batch-score-${row.id}`,
        cells: [
          scoringCell({
            modelDir,
            flavor: row.flavor,
            input: plan.read,
            outputPath: plan.outputPath,
          }),
        ],
        kernelName,
        timeoutMs,
        onCell: (_cellId, outputs) => {
          const { progress } = readJobLines(outputs);
          if (progress) phase = `scoring: ${progress.done} of ${progress.total} tasks`;
          const now = Date.now();
          if (now - lastWrite < PROGRESS_WRITE_MS) return;
          lastWrite = now;
          update(row.id, { progress: phase }).catch(() => undefined);
        },
      });
      lines.push(...result.log);
      if (result.status !== "succeeded") {
        throw new AppError("bad_request", explainFailure(result.error ?? "the job stopped", result.status));
      }
      const outputs = result.cells[0]?.cell_type === "code" ? result.cells[0].outputs : [];
      const { result: written } = readJobLines(outputs);
      if (!written) throw new Error("the job ended without reporting what it wrote");
      await update(row.id, { progress: "registering the output" });
      // The name was free when the run was asked for; an asset registered since is not replaced.
      const taken = await prisma.catalogAsset.findFirst({
        where: { projectId: row.projectId, name: { equals: row.outputName, mode: "insensitive" } },
        select: { id: true },
      });
      if (taken)
        throw new AppError(
          "conflict",
          `An asset named ${row.outputName} was registered while the job ran; score again with another output name.`,
        );
      const asset = await catalogCall(() =>
        catalog.registerWritten(row.projectId, plan.userId, {
          name: row.outputName,
          path: plan.relativePath,
          format: "parquet",
          description: `Predictions of ${row.modelName} v${row.scoredVersion} on ${plan.inputName} (batch scoring).`,
          tags: ["batch-score"],
          columns: written.columns,
        }),
      );
      note(`registered ${row.outputName} (${written.rows} rows)`);
      await update(row.id, {
        state: "succeeded",
        outputAssetId: asset.id,
        rows: BigInt(written.rows),
        progress: null,
        finishedAt: new Date(),
        log: lines,
      });
    } catch (error) {
      const message = (error as Error).message.slice(0, 2000);
      note(`failed: ${message}`);
      log(`batch score ${row.id} failed: ${message}`);
      // A half-written output is not left behind under a name nobody registered.
      // (A bucket's s3a:// folder is left: Flint's storage client deletes nothing it did not register.)
      if (path.isAbsolute(plan.outputPath)) rmSync(plan.outputPath, { recursive: true, force: true });
      await update(row.id, {
        state: "failed",
        error: message,
        progress: null,
        finishedAt: new Date(),
        log: lines,
      });
    } finally {
      rmSync(stagingDir, { recursive: true, force: true });
    }
  }

  return {
    async create(projectId, userId, input) {
      const server = mlflow();
      kernels();
      const asset = await prisma.catalogAsset.findFirst({
        where: { id: input.assetId, projectId },
        select: { id: true, name: true, kind: true },
      });
      if (!asset) throw notFound("Asset");
      if (asset.kind !== "file")
        throw new AppError(
          "bad_request",
          `Only file assets (uploaded, or written with flint.catalog.register) can be scored; ${asset.name} is a ${asset.kind === "table" ? "connection table" : "Spark table"}. Write it to Flint's storage with flint.catalog.register(df, ...) first.`,
        );
      const { version, artifactPath } = await resolveModelVersion(server, projectId, input);
      const flavor = await flavorOf(server, artifactPath);
      const inFlight = await prisma.batchScore.findFirst({
        where: {
          projectId,
          outputName: { equals: input.outputName, mode: "insensitive" },
          state: { in: ["queued", "running"] },
        },
        select: { id: true },
      });
      if (inFlight)
        throw new AppError(
          "conflict",
          `A batch score writing ${input.outputName} is already under way; wait for it or choose another output name.`,
        );
      // 409 when the project has an asset of that name (a run never replaces one).
      const target = await catalogCall(() =>
        catalog.writeTarget(projectId, input.outputName, "parquet", false),
      );
      const answer = await catalogCall(() =>
        catalog.prepareLoad(asset.id, { userId, projectScope: [projectId] }, null, projectId),
      );
      if (answer.read.type !== "file")
        throw new AppError("bad_request", `${asset.name} cannot be read by path; it cannot be scored.`);
      const row = (await prisma.batchScore.create({
        data: {
          projectId,
          modelName: input.modelName,
          modelVersion: input.version ?? null,
          modelAlias: input.alias ?? null,
          scoredVersion: version,
          flavor,
          inputAssetId: asset.id,
          outputName: input.outputName,
          createdById: userId,
        },
        select: SELECT,
      })) as TRow;
      const plan = {
        artifactPath,
        userId,
        read: { format: answer.read.format, path: answer.read.path, options: answer.read.options },
        outputPath: target.path,
        relativePath: target.relativePath,
        inputName: asset.name,
      };
      waiting.push({ id: row.id, work: () => execute(row, plan) });
      pump();
      const [document] = await toDocuments([row]);
      return document as TBatchScore;
    },

    async list(projectId, filter) {
      const rows = await prisma.batchScore.findMany({
        where: {
          projectId,
          ...(filter.modelName ? { modelName: filter.modelName } : {}),
          ...(filter.assetId
            ? { OR: [{ inputAssetId: filter.assetId }, { outputAssetId: filter.assetId }] }
            : {}),
        },
        orderBy: { createdAt: "desc" },
        take: 100,
        select: SELECT,
      });
      return toDocuments(rows as TRow[]);
    },

    async get(projectId, runId) {
      const [document] = await toDocuments([await load(projectId, runId)]);
      return document as TBatchScore;
    },

    async stop() {
      isStopped = true;
      const ids = [...active, ...waiting.map((entry) => entry.id)];
      waiting.length = 0;
      if (ids.length === 0) return;
      await prisma.batchScore.updateMany({
        where: { id: { in: ids }, state: { in: ["queued", "running"] } },
        data: {
          state: "failed",
          error: "Flint stopped while this run was queued or running; score the asset again.",
          progress: null,
          finishedAt: new Date(),
        },
      });
    },
  };
}

/** The model's flavor, from its `MLmodel` file (one small request to MLflow). */
async function flavorOf(mlflow: TMlflowBackend, artifactPath: string): Promise<"spark" | "pyfunc"> {
  const encoded = `${artifactPath}/MLmodel`.split("/").map(encodeURIComponent).join("/");
  const answer = await mlflow.request({
    method: "GET",
    path: `/api/2.0/mlflow-artifacts/artifacts/${encoded}`,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of answer.body) chunks.push(Buffer.from(chunk as Uint8Array));
  const flavor = answer.status === 200 ? flavorOfMlmodel(Buffer.concat(chunks).toString("utf8")) : null;
  if (!flavor)
    throw new AppError(
      "bad_request",
      "This model version cannot be applied by Spark: it has neither the spark nor the python_function flavor (log it with mlflow.spark, mlflow.sklearn or mlflow.pyfunc).",
    );
  return flavor;
}

/** What a failed job says to the person: the reason, and what to do. */
export function explainFailure(fullError: string, status: string): string {
  // A Py4JJavaError's value is the whole Java stack: the lines before the first frame say it all.
  const lines = fullError.split("\n");
  const frame = lines.findIndex((line) => /^\s+at /.test(line));
  const error = (frame === -1 ? lines : lines.slice(0, frame)).join("\n").trim().slice(0, 800);
  if (/FAILED_READ_FILE|FileNotFoundException/.test(error))
    return `The Spark job could not read the asset's file (${error}). The project's sandbox must be able to read it: register a copy written from a notebook (flint.catalog.register) and score that.`;
  if (status === "timed_out")
    return `${error}. Score a smaller asset, or ask an administrator for a longer limit.`;
  if (/^BatchScoreError: /.test(error)) return error.replace(/^BatchScoreError: /, "");
  if (/kernel died/.test(error))
    return `The Spark job's kernel died (${error}); the project's memory limit may be too small for this asset. Score a smaller asset or ask an administrator.`;
  return `The Spark job failed: ${error}. Check that the asset has the columns the model takes, then score again.`;
}

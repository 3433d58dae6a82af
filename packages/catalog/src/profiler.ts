/**
 * Profiling jobs: a queue in the database (`catalog_profile_run`) worked by one Spark job at a
 * time per Flint process (the machines have two cores), in a fair order (`profile-order.ts`), on
 * a warm `python -m flint.profile --serve` process with the Python environment's pyspark on
 * `local[2]` (`profiler-process.ts`), closed after a while without work. Progress is written to
 * the run as it arrives; the result replaces the asset's schema and row count.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PrismaClient } from "@flint/db";
import type { TObjectStore, TSparkStorageSettings } from "@flint/storage";
import { replaceColumns } from "./assets.js";
import { DEFAULT_CONNECTION_POLICY, type TConnectionPolicy } from "./connection-guard.js";
import {
  jdbcUrl,
  loadConnectionSecret,
  quoteIdentifier,
  resolveConnectionAddress,
  splitTableName,
} from "./connections.js";
import { assetNotFound, CatalogError } from "./errors.js";
import {
  DEFAULT_PROFILE_SECONDS,
  estimateStartSeconds,
  orderProfiles,
  type TQueuedProfile,
} from "./profile-order.js";
import { ProfileJobError, ProfilerProcess } from "./profiler-process.js";
import { type TProfileResult, type TProfileRun, ZProfileResult } from "./schemas.js";
import { toNumber } from "./sql.js";
import { describeStoredData, readOptionsFor, resolveProjectPath } from "./storage.js";
import { describeStoredObject, projectKey, readOptionsForObject } from "./stored-objects.js";

/** The PostgreSQL JDBC driver Spark fetches from Maven Central for connection tables. */
export const POSTGRES_JDBC_PACKAGE = "org.postgresql:postgresql:42.7.14";

/** The folder holding the `flint` Python package, put on PYTHONPATH for `python -m flint.profile`. */
const PYTHON_PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../python");

/** Options of a {@link ProfileQueue}. */
export interface TProfileQueueOptions {
  prisma: PrismaClient;
  dataDir: string;
  /** The folder that holds `projects/<id>/`; default `<dataDir>/storage`. */
  storageRoot?: string;
  /** The Python environment (prefix) with pyspark. */
  pythonEnv: string;
  /** Key that decrypts connection passwords (handed to the job on stdin only). */
  secretKey: Buffer;
  /** Where connections may go; the job gets the checked address, not the host name. */
  connectionPolicy?: TConnectionPolicy;
  /** Statistics use a sample of about this many rows beyond it. Default 1,000,000. */
  maxRows?: number;
  /** Spark master of profiling jobs. Default `local[2]`. */
  master?: string;
  /**
   * This web server's id (`flint_server.id`), written on the runs it takes. With it, `resume`
   * leaves runs other servers started alone: the server registry fails those of servers that are
   * gone ({@link failProfileRunsOf}). Without it, every run started before this queue is failed.
   */
  serverId?: string;
  /** A job is stopped after this long. Default 30 minutes. */
  timeoutMs?: number;
  /** The warm Spark process is closed after this long without a job. Default 10 minutes. */
  idleMs?: number;
  /** A bucket that holds file assets, and how Spark reads it (see TCatalogOptions). */
  objectStore?: { store: TObjectStore; spark: TSparkStorageSettings };
  log?: (message: string) => void;
}

/** Converts a run row to its API shape. */
export function toProfileRun(row: {
  id: string;
  status: string;
  progress: number;
  message: string;
  rowCount: bigint | null;
  profiledRows: bigint | null;
  isSampled: boolean;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  result: unknown;
}): TProfileRun {
  const parsed = row.result ? ZProfileResult.safeParse(row.result) : null;
  return {
    id: row.id,
    status: row.status as TProfileRun["status"],
    progress: row.progress,
    message: row.message,
    rowCount: toNumber(row.rowCount),
    profiledRows: toNumber(row.profiledRows),
    isSampled: row.isSampled,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    result: parsed?.success ? parsed.data : null,
    queuePosition: null,
    estimatedStartSeconds: null,
  };
}

/** The queued runs in the order they will start (see {@link orderProfiles}). */
async function loadQueueInOrder(prisma: PrismaClient): Promise<TQueuedProfile[]> {
  const [queued, served] = await Promise.all([
    prisma.catalogProfileRun.findMany({
      where: { status: "queued" },
      select: { id: true, requestedById: true, createdAt: true, asset: { select: { sizeBytes: true } } },
    }),
    prisma.catalogProfileRun.groupBy({
      by: ["requestedById"],
      where: { startedAt: { not: null } },
      _max: { startedAt: true },
    }),
  ]);
  const lastServedAt = new Map<string, number>();
  for (const row of served) {
    if (row._max.startedAt) lastServedAt.set(row.requestedById ?? "", row._max.startedAt.getTime());
  }
  return orderProfiles(
    queued.map((run) => ({
      id: run.id,
      requestedById: run.requestedById,
      sizeBytes: toNumber(run.asset.sizeBytes),
      createdAt: run.createdAt,
    })),
    lastServedAt,
  );
}

/** Where a queued run stands: its place in line and about when it starts. */
async function describeQueuePlace(
  prisma: PrismaClient,
  runId: string,
): Promise<{ queuePosition: number | null; estimatedStartSeconds: number | null }> {
  const order = await loadQueueInOrder(prisma);
  const index = order.findIndex((run) => run.id === runId);
  if (index === -1) return { queuePosition: null, estimatedStartSeconds: null };
  const [recent, running] = await Promise.all([
    prisma.catalogProfileRun.findMany({
      where: { status: "done", startedAt: { not: null }, finishedAt: { not: null } },
      orderBy: { finishedAt: "desc" },
      take: 10,
      select: { startedAt: true, finishedAt: true },
    }),
    prisma.catalogProfileRun.findFirst({
      where: { status: "running", startedAt: { not: null } },
      orderBy: { startedAt: "asc" },
      select: { startedAt: true },
    }),
  ]);
  const durations = recent.map((run) => (run.finishedAt!.getTime() - run.startedAt!.getTime()) / 1000);
  const typical =
    durations.length > 0
      ? durations.reduce((sum, value) => sum + value, 0) / durations.length
      : DEFAULT_PROFILE_SECONDS;
  const runningElapsed = running?.startedAt ? (Date.now() - running.startedAt.getTime()) / 1000 : null;
  return {
    queuePosition: index + 1,
    estimatedStartSeconds: estimateStartSeconds(index + 1, typical, runningElapsed),
  };
}

/** Fields of a run row that {@link toProfileRun} reads. */
export const PROFILE_RUN_SELECT = {
  id: true,
  status: true,
  progress: true,
  message: true,
  rowCount: true,
  profiledRows: true,
  isSampled: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  result: true,
} as const;

/** The queue of profiling jobs of one Flint process. */
export class ProfileQueue {
  private isWorking = false;
  private isStopped = false;
  private hasResumed = false;
  private worker: ProfilerProcess | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private currentRun: { runId: string; assetId: string; isCancelled: boolean } | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly log: (message: string) => void;

  /** When this queue (this process's) was made: runs started before it belong to an earlier one. */
  private readonly createdAt = new Date();

  constructor(private readonly options: TProfileQueueOptions) {
    this.log = options.log ?? ((message) => process.stderr.write(`[flint:catalog] ${message}\n`));
  }

  /** Queues a profiling run of `assetId`; returns the run. Starts working if idle. */
  async enqueue(assetId: string, requestedById: string | null): Promise<TProfileRun> {
    const run = await this.options.prisma.$transaction(async (tx) => {
      const created = await tx.catalogProfileRun.create({
        data: { assetId, requestedById, message: "Waiting for the profiler" },
        select: PROFILE_RUN_SELECT,
      });
      await tx.catalogAsset.update({ where: { id: assetId }, data: { profileStatus: "queued" } });
      return created;
    });
    this.kick();
    return toProfileRun(run);
  }

  /**
   * Records a profile computed elsewhere (a kernel profiles the Spark tables only its session
   * sees) as a finished run, exactly as if a profiling job had produced it.
   */
  async record(assetId: string, requestedById: string | null, result: TProfileResult): Promise<void> {
    const run = await this.options.prisma.catalogProfileRun.create({
      data: { assetId, requestedById, message: "Profiled by the notebook", status: "running" },
      select: { id: true },
    });
    await this.finishDone(run.id, assetId, { ...result, sizeBytes: result.sizeBytes ?? null });
  }

  /**
   * Picks up work left by a previous process: runs it left "running" failed (their Spark job
   * died with it), queued runs are worked. Called once, lazily, by the routes.
   */
  resume(): void {
    if (this.hasResumed) return;
    this.hasResumed = true;
    void (async () => {
      // Only runs a previous process started: this one may already be working (a profile queued
      // at start, e.g. the sample catalog's), and failing that would say "Flint restarted" on a
      // fresh start.
      const stale = await this.options.prisma.catalogProfileRun.findMany({
        where: {
          status: "running",
          startedAt: { lt: this.createdAt },
          ...(this.options.serverId ? { serverId: this.options.serverId } : {}),
        },
        select: { id: true, assetId: true },
      });
      for (const run of stale) {
        await this.finishFailed(
          run.id,
          run.assetId,
          "Flint restarted while this profile was running; run it again.",
        );
      }
      this.kick();
    })().catch((error) => this.log(`resuming profiling jobs failed: ${String(error)}`));
  }

  /** Cancels an asset's queued runs and stops its running one; they end as failed, "Cancelled". */
  async cancel(assetId: string): Promise<void> {
    await this.options.prisma.catalogProfileRun.updateMany({
      where: { assetId, status: "queued" },
      data: { status: "failed", error: "Cancelled", message: "Cancelled", finishedAt: new Date() },
    });
    if (this.currentRun?.assetId === assetId) {
      this.currentRun.isCancelled = true;
      this.killCurrent();
    }
    await this.options.prisma.catalogAsset.updateMany({
      where: { id: assetId, profileStatus: "queued" },
      data: { profileStatus: "failed" },
    });
  }

  /** Resolves when no job runs and none is queued (tests, shutdown). */
  async waitForIdle(): Promise<void> {
    if (!this.isWorking) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the running job (its run is marked failed) and takes no more work. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.killCurrent();
    await this.waitForIdle();
  }

  private killCurrent(): void {
    this.worker?.kill();
    this.worker = null;
  }

  private kick(): void {
    if (this.isWorking || this.isStopped) return;
    this.isWorking = true;
    void this.work()
      .catch((error) => this.log(`profiling loop stopped: ${String(error)}`))
      .finally(() => {
        this.isWorking = false;
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }

  private async work(): Promise<void> {
    while (!this.isStopped) {
      const run = await this.claimNext();
      if (!run) return;
      await this.options.prisma.catalogAsset
        .update({ where: { id: run.assetId }, data: { profileStatus: "running" } })
        .catch(() => undefined);
      this.currentRun = { runId: run.id, assetId: run.assetId, isCancelled: false };
      try {
        const result = await this.execute(run.id, run.assetId);
        await this.finishDone(run.id, run.assetId, result);
      } catch (error) {
        const message = this.currentRun?.isCancelled
          ? "Cancelled"
          : error instanceof CatalogError || error instanceof ProfileJobError
            ? error.message
            : String(error);
        if (!(error instanceof CatalogError || error instanceof ProfileJobError))
          this.log(`profile ${run.id}: ${message}`);
        await this.finishFailed(run.id, run.assetId, message).catch(() => undefined);
      } finally {
        this.currentRun = null;
      }
    }
  }

  /**
   * Takes the next run in the fair order ({@link orderProfiles}). The claim is conditional on the
   * run still being queued, so several Flint processes on one database never take the same run;
   * one that lost the race looks again.
   */
  private async claimNext(): Promise<{ id: string; assetId: string } | null> {
    const { prisma } = this.options;
    for (let attempt = 0; attempt < 20; attempt++) {
      const [next] = await loadQueueInOrder(prisma);
      if (!next) return null;
      const claimed = await prisma.catalogProfileRun.updateMany({
        where: { id: next.id, status: "queued" },
        data: {
          status: "running",
          startedAt: new Date(),
          message: "Starting Spark",
          serverId: this.options.serverId ?? null,
        },
      });
      if (claimed.count === 1) {
        const row = await prisma.catalogProfileRun.findUnique({
          where: { id: next.id },
          select: { assetId: true },
        });
        if (row) return { id: next.id, assetId: row.assetId };
      }
    }
    return null;
  }

  /** Builds the job of an asset: where Spark reads it from, with which options. */
  private async buildJob(
    assetId: string,
    output: string,
  ): Promise<{ job: Record<string, unknown>; sizeBytes: number | null }> {
    const { prisma, dataDir, secretKey } = this.options;
    const asset = await prisma.catalogAsset.findUnique({
      where: { id: assetId },
      select: { projectId: true, kind: true, format: true, location: true, connectionId: true },
    });
    if (!asset) throw assetNotFound();
    const common = {
      output,
      maxRows: this.options.maxRows ?? 1_000_000,
      master: this.options.master ?? "local[2]",
      previewRows: 20,
    };
    if (asset.kind === "file" && this.options.objectStore) {
      const { store, spark } = this.options.objectStore;
      const key = projectKey(asset.projectId, asset.location);
      const stored = await describeStoredObject(store, key);
      const format = asset.format as "csv" | "json" | "parquet";
      return {
        job: {
          ...common,
          sparkConf: spark.conf,
          source: {
            type: "file",
            format,
            path: store.sparkUri(key),
            options: await readOptionsForObject(store, format, key, stored.isDirectory),
          },
        },
        sizeBytes: stored.sizeBytes,
      };
    }
    if (asset.kind === "file") {
      const absolute = await resolveProjectPath(
        this.options.storageRoot ?? path.join(dataDir, "storage"),
        asset.projectId,
        asset.location,
      );
      const stored = await describeStoredData(absolute);
      const format = asset.format as "csv" | "json" | "parquet";
      return {
        job: {
          ...common,
          source: { type: "file", format, path: absolute, options: await readOptionsFor(format, absolute) },
        },
        sizeBytes: stored.sizeBytes,
      };
    }
    if (asset.kind === "table" && asset.connectionId) {
      const secret = await loadConnectionSecret(prisma, secretKey, asset.connectionId);
      const address = await resolveConnectionAddress(
        secret,
        this.options.connectionPolicy ?? DEFAULT_CONNECTION_POLICY,
      );
      const { schema, table } = splitTableName(asset.location);
      return {
        job: {
          ...common,
          jdbcPackage: POSTGRES_JDBC_PACKAGE,
          ivyDir: path.join(dataDir, "cache", "ivy"),
          source: {
            type: "jdbc",
            url: jdbcUrl({ ...secret, host: address }),
            table: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
            user: secret.username,
            password: secret.password,
          },
        },
        sizeBytes: null,
      };
    }
    throw new CatalogError("bad_request", "Spark tables are profiled from the notebook that holds them.");
  }

  private async execute(
    runId: string,
    assetId: string,
  ): Promise<TProfileResult & { sizeBytes: number | null }> {
    const python = path.join(this.options.pythonEnv, "bin", "python");
    if (!existsSync(python)) {
      throw new ProfileJobError(
        `The Python environment with Spark was not found at ${this.options.pythonEnv}; run \`npm start\` once to create it.`,
      );
    }
    const outputDir = path.join(this.options.dataDir, "cache", "profiles");
    await mkdir(outputDir, { recursive: true });
    const output = path.join(outputDir, `${runId}.json`);
    const { job, sizeBytes } = await this.buildJob(assetId, output);
    try {
      await this.runChild(python, runId, job);
      const parsed = ZProfileResult.safeParse(JSON.parse(await readFile(output, "utf8")));
      if (!parsed.success) throw new ProfileJobError("The profiler wrote a result Flint cannot read.");
      return { ...parsed.data, sizeBytes };
    } finally {
      await rm(output, { force: true });
    }
  }

  /**
   * Runs a job on the warm profiler process, starting one when there is none or when the job
   * needs other Spark settings than the running one was built with (the JDBC driver).
   */
  private async runChild(python: string, runId: string, job: Record<string, unknown>): Promise<void> {
    const source = job.source as { type: string };
    const kind = source.type === "jdbc" ? `jdbc:${String(job.jdbcPackage ?? "")}` : "file";
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.worker && (this.worker.kind !== kind || !this.worker.isAlive)) {
      this.worker.close();
      this.worker = null;
    }
    this.worker ??= new ProfilerProcess(kind, {
      python,
      env: this.profilerEnv(python),
      cwd: this.options.dataDir,
    });
    const worker = this.worker;
    let lastWrite = 0;
    const timeout = setTimeout(() => this.killCurrent(), this.options.timeoutMs ?? 30 * 60_000);
    try {
      await worker.run(job, (progress, message) => {
        const now = Date.now();
        if (now - lastWrite < 1000) return;
        lastWrite = now;
        void this.options.prisma.catalogProfileRun
          .updateMany({
            where: { id: runId, status: "running" },
            data: { progress, message: message.slice(0, 300) },
          })
          .catch(() => undefined);
      });
    } catch (error) {
      if (this.isStopped)
        throw new ProfileJobError(
          "Spark could not profile this asset: Flint stopped while the profile was running.",
        );
      throw error;
    } finally {
      clearTimeout(timeout);
      if (!worker.isAlive && this.worker === worker) this.worker = null;
      // A warm JVM holds memory: give it back after a while without work.
      this.idleTimer = setTimeout(
        () => {
          this.worker?.close();
          this.worker = null;
        },
        this.options.idleMs ?? 10 * 60_000,
      );
      this.idleTimer.unref();
    }
  }

  /** Only what Spark needs: none of Flint's own secrets (DATABASE_URL, auth secret) are passed on. */
  private profilerEnv(python: string): Record<string, string> {
    const env: Record<string, string> = {
      PYTHONPATH: PYTHON_PACKAGE_DIR,
      PYSPARK_PYTHON: python,
      SPARK_LOCAL_IP: "127.0.0.1",
    };
    for (const name of ["PATH", "HOME", "JAVA_HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"]) {
      const value = process.env[name];
      if (value) env[name] = value;
    }
    // The bucket's credentials, which S3A reads from the environment (never a Spark setting).
    return { ...env, ...(this.options.objectStore?.spark.env ?? {}) };
  }

  private async finishDone(
    runId: string,
    assetId: string,
    result: TProfileResult & { sizeBytes: number | null },
  ): Promise<void> {
    const { prisma } = this.options;
    const asset = await prisma.catalogAsset.findUnique({ where: { id: assetId }, select: { kind: true } });
    if (!asset) return;
    // For connection tables the source database's own column types stay (richer than Spark's);
    // files get the schema Spark inferred.
    if (asset.kind === "file") {
      await replaceColumns(prisma, assetId, result.schema, {
        rowCount: result.rowCount,
        sizeBytes: result.sizeBytes,
      });
    } else {
      await prisma.catalogAsset.update({
        where: { id: assetId },
        data: { rowCount: BigInt(result.rowCount) },
      });
    }
    const { sizeBytes: _size, ...stored } = result;
    await prisma.$transaction([
      prisma.catalogProfileRun.update({
        where: { id: runId },
        data: {
          status: "done",
          progress: 1,
          message: result.isSampled ? `Sample of ${result.profiledRows} rows` : "Used all rows",
          rowCount: BigInt(result.rowCount),
          profiledRows: BigInt(result.profiledRows),
          isSampled: result.isSampled,
          result: stored,
          finishedAt: new Date(),
        },
      }),
      prisma.catalogAsset.update({
        where: { id: assetId },
        data: { profileStatus: "done", profiledAt: new Date() },
      }),
    ]);
  }

  private async finishFailed(runId: string, assetId: string, message: string): Promise<void> {
    const { prisma } = this.options;
    await prisma.catalogProfileRun.update({
      where: { id: runId },
      data: { status: "failed", error: message.slice(0, 1000), message: "Failed", finishedAt: new Date() },
    });
    await prisma.catalogAsset.updateMany({ where: { id: assetId }, data: { profileStatus: "failed" } });
  }
}

/** Why a run of a server that stopped failed. */
const SERVER_STOPPED_MESSAGE = "Flint restarted while this profile was running; run it again.";

/**
 * Fails the profiling runs that servers `serverIds` (gone: their Spark jobs went with them) left
 * running, and with `includeUnowned` those of no server (a Flint from before server ids).
 * @returns how many runs were failed.
 */
export async function failProfileRunsOf(
  prisma: PrismaClient,
  serverIds: string[],
  includeUnowned: boolean,
): Promise<number> {
  if (serverIds.length === 0 && !includeUnowned) return 0;
  const runs = await prisma.catalogProfileRun.findMany({
    where: {
      status: "running",
      OR: [{ serverId: { in: serverIds } }, ...(includeUnowned ? [{ serverId: null }] : [])],
    },
    select: { id: true, assetId: true },
  });
  for (const run of runs) {
    // Only if still running: another server may have ended it meanwhile.
    const failed = await prisma.catalogProfileRun.updateMany({
      where: { id: run.id, status: "running" },
      data: { status: "failed", error: SERVER_STOPPED_MESSAGE, message: "Failed", finishedAt: new Date() },
    });
    if (failed.count === 1)
      await prisma.catalogAsset.updateMany({ where: { id: run.assetId }, data: { profileStatus: "failed" } });
  }
  return runs.length;
}

/** The latest profiling run of an asset, or null. */
export async function getLatestProfileRun(
  prisma: PrismaClient,
  assetId: string,
): Promise<TProfileRun | null> {
  const row = await prisma.catalogProfileRun.findFirst({
    where: { assetId },
    orderBy: { createdAt: "desc" },
    select: PROFILE_RUN_SELECT,
  });
  if (!row) return null;
  const run = toProfileRun(row);
  return run.status === "queued" ? { ...run, ...(await describeQueuePlace(prisma, run.id)) } : run;
}

/** The latest successful profile's Spark schema of an asset (what `load` applies to row streams). */
export async function getProfiledSchema(
  prisma: PrismaClient,
  assetId: string,
): Promise<{ name: string; dataType: string }[] | null> {
  const row = await prisma.catalogProfileRun.findFirst({
    where: { assetId, status: "done" },
    orderBy: { createdAt: "desc" },
    select: { result: true },
  });
  const parsed = row ? ZProfileResult.safeParse(row.result) : null;
  return parsed?.success ? parsed.data.schema.map(({ name, dataType }) => ({ name, dataType })) : null;
}

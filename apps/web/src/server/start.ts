// Starts one Flint process: database, migrations, seed, API, Next.js pages, and stops them all.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkProjectsFolder,
  createAccessCache,
  createApi,
  createBucketStorage,
  createCellRunStore,
  createCollabHub,
  createJobRunCheck,
  createNotebookRouter,
  createNotebookSocketServer,
  createRunPreparer,
  describeStorage,
  getPreferences,
  kernelStorageEnv,
  listenForAccessChanges,
  loadConfig,
  newServerId,
  PREFERENCES_HEADER,
  registerServer,
  removeInterruptedUploads,
  seed,
  seedCatalogTour,
  writeServerMarker,
} from "@flint/api";
import { handleVegaDatasetRequest } from "@flint/charts/server";
import { disconnectPrisma, getPrisma } from "@flint/db";
import { ensureCompanionDatabase } from "@flint/db/companion";
import {
  startEmbeddedPostgres,
  stopOrphanedEmbeddedPostgres,
  type TEmbeddedPostgres,
} from "@flint/db/embedded";
import { applyMigrations } from "@flint/db/migrate";
import { startJobService, type TJobService } from "@flint/jobs";
import { createKernelRuntime, MlflowServer, type TKernelRuntime } from "@flint/kernel";
import next from "next";
import { serveApiRequest, toFetchHeaders } from "./http-bridge.js";
import { applySecurityHeaders, isPublicPage } from "./security.js";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = path.resolve(webDir, "../..");

export interface TFlintServer {
  url: string;
  stop: () => Promise<void>;
}

function log(message: string): void {
  process.stdout.write(`[flint] ${message}\n`);
}

/** The file that says which Flint process serves a data folder. */
function lockPath(dataDir: string): string {
  return path.join(dataDir, "flint-server.pid");
}

/**
 * Claims the data folder for this process: one Flint serves a data folder (its embedded
 * database, Jupyter and uploads). A lock left by a process that is gone (killed) is taken over.
 * @throws when another live Flint holds it.
 */
function claimDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockPath(dataDir);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (pid > 0 && pid !== process.pid && isFlintProcess(pid)) {
      throw new Error(
        `Another Flint (pid ${pid}) is serving ${dataDir}. Stop it first, or set FLINT_DATA_DIR to another folder.`,
      );
    }
  }
  writeFileSync(file, `${process.pid}\n`);
}

function releaseDataDir(dataDir: string): void {
  const file = lockPath(dataDir);
  if (existsSync(file) && readFileSync(file, "utf8").trim() === String(process.pid))
    rmSync(file, { force: true });
}

/** Whether `pid` is a live Node process (a pid reused by another program after a reboot is not Flint). */
function isFlintProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("node");
  } catch {
    return true;
  }
}

export async function startFlint(): Promise<TFlintServer> {
  const config = loadConfig();
  const isDev = config.isDev;
  const cleanups: (() => Promise<void>)[] = [];
  let embedded: TEmbeddedPostgres | null = null;
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => log(`stop: ${String(error)}`));
    cleanups.length = 0;
  };
  try {
    claimDataDir(config.dataDir);
    cleanups.push(async () => releaseDataDir(config.dataDir));
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const started = Date.now();
      const pgDir = path.join(config.dataDir, "postgres");
      // No other Flint holds the folder (claimed above): a database still running on it was left
      // by a Flint that was killed.
      const orphan = await stopOrphanedEmbeddedPostgres(pgDir);
      if (orphan !== null)
        log(`stopped the PostgreSQL (pid ${orphan}) left running by a Flint that did not stop cleanly`);
      embedded = await startEmbeddedPostgres({ dir: pgDir });
      cleanups.push(async () => embedded?.stop());
      databaseUrl = embedded.url;
      log(`embedded PostgreSQL up on 127.0.0.1:${embedded.port} in ${Date.now() - started} ms`);
    }
    const migrations = await applyMigrations(databaseUrl, path.join(repoRoot, "prisma/migrations"));
    if (migrations.applied.length > 0) log(`applied migrations: ${migrations.applied.join(", ")}`);
    const prisma = getPrisma(databaseUrl);
    cleanups.push(disconnectPrisma);
    // This server among several on the database. Cells and profiles left running by an earlier
    // process of this server (or by servers that are gone) have no kernel any more: registering
    // ends them, and only them, never another live server's (docs/deployment.md). Files it was
    // receiving when it stopped are incomplete.
    // The marker goes first, so any server listed in flint_server has written one: with several
    // servers, /api/health says "projects folder not shared" when another server's is missing.
    const serverId = newServerId();
    const removeMarker = await writeServerMarker(config.storageRoot, serverId, config.cluster.serverName);
    cleanups.push(removeMarker);
    const identity = await registerServer(prisma, {
      id: serverId,
      name: config.cluster.serverName,
      internalUrl: config.cluster.internalUrl,
      leaseMs: config.cluster.leaseMs,
      log: (message) => log(`cluster: ${message}`),
    });
    // Runs after the runtime's stop (cleanups run in reverse): its cells are ended first, then the
    // leases are freed for the other servers.
    cleanups.push(() => identity.stop());
    // Servers that started before this one see its marker from now on; this one tells at once
    // whether it sees theirs (the same check /api/health makes each time it is asked).
    const folder = await checkProjectsFolder(prisma, {
      storageRoot: config.storageRoot,
      leaseMs: config.cluster.leaseMs,
    });
    if (folder.status === "not shared") log(`cluster: ${folder.detail}`);
    const removedUploads = await removeInterruptedUploads(config.storageRoot);
    if (removedUploads > 0) log(`removed ${removedUploads} incomplete upload(s) left by the last stop`);
    const seeded = await seed(prisma, {
      dataDir: config.dataDir,
      demoPassword: config.demo.password,
      demoToken: config.demo.token,
      isDemoAllowed: config.isDemoAllowed,
    });

    // Each run hands the kernel a notebook token of the user who ran it (flint.catalog); the
    // tokens a kernel held are revoked when it stops.
    const prepareRun = createRunPreparer(prisma, config);
    // Co-editing rooms: the socket relays the shared documents, runs read their sources, REST
    // saves reach them (docs/coediting.md). Stopped after the socket server, so rooms save last.
    const collab = createCollabHub(prisma, (message) => log(`collab: ${message}`));
    cleanups.push(() => collab.close());
    // Jupyter starts in the background: pages and the API are up before the first kernel.
    // A bucket as storage (FLINT_STORAGE_URL=s3://...): kernels and the projects' Spark get its
    // s3a settings and credentials; full outputs move to it when their run ends.
    const bucket = createBucketStorage(config);
    if (bucket) log(`storage: ${describeStorage(config.storage)}`);
    const runtime: TKernelRuntime = createKernelRuntime({
      pythonEnv: config.kernels.pythonEnv,
      dataDir: config.dataDir,
      storageRoot: config.storageRoot,
      env: kernelStorageEnv(config),
      ...(bucket ? { outputStore: bucket.store } : {}),
      store: createCellRunStore(prisma, { collab, serverId: identity.id }),
      jupyterUrl: config.kernels.jupyterUrl,
      jupyterToken: config.kernels.jupyterToken,
      warmPoolSize: config.kernels.warmPoolSize,
      idleTimeoutMs: config.kernels.idleTimeoutMs,
      maxOutputBytes: config.kernels.maxOutputBytes,
      prepareRun,
      maxKernelsPerUser: config.kernels.maxPerUser,
      onKernelReleased: (notebookId) => {
        prepareRun
          .revokeNotebook(notebookId)
          .catch((error) => log(`could not revoke the tokens of notebook ${notebookId}: ${String(error)}`));
      },
      log: (message) => log(`kernels: ${message}`),
      sparkConnect: { idleMs: config.kernels.sparkIdleMs, memoryMb: config.kernels.sparkServerMemoryMb },
      scoring: { memoryBytes: config.deployments.memoryBytes },
      sandbox: {
        mode: config.kernels.sandbox,
        network: config.kernels.sandboxNetwork,
        memoryBytes: config.kernels.memoryBytes,
        // Inside a sandbox, FLINT_API_URL's port is forwarded to Flint's API socket.
        apiPort: Number(new URL(config.kernels.apiUrl).port || 80),
        projectOf: async (notebookId) =>
          (await prisma.notebook.findUnique({ where: { id: notebookId }, select: { projectId: true } }))
            ?.projectId ?? null,
      },
    });
    await runtime.start();
    cleanups.push(() => runtime.stop());

    // Notebooks another server owns are forwarded to it; this server's own run on its broker.
    const router = createNotebookRouter({
      prisma,
      broker: runtime.broker,
      identity,
      secret: config.cluster.secret,
      collab,
      log: (message) => log(`cluster: ${message}`),
    });
    cleanups.push(() => router.close());
    // Jobs: the scheduler and the run workers (docs/jobs.md). Every server runs them; the queue
    // and the schedule's compare-and-swap keep two servers from firing or running anything twice.
    // Runs take their own kernels from the runtime's pool, so the runtime stops after them.
    const jobs: TJobService = await startJobService({
      prisma,
      databaseUrl,
      kernels: runtime.kernels,
      prepareRun: prepareRun.forJobRun,
      releaseRun: prepareRun.revokeJobRun,
      mayRun: createJobRunCheck(prisma),
      log: (message) => log(`jobs: ${message}`),
    });
    cleanups.push(() => jobs.stop());
    // Model tracking (docs/models.md): MLflow's tracking server, reachable only through Flint's API,
    // starts in the background like Jupyter; its backend store is a database next to Flint's.
    let mlflow: MlflowServer | null = null;
    if (config.models.isEnabled) {
      const backendStoreUri =
        config.models.databaseUrl ?? (await ensureCompanionDatabase(databaseUrl, "mlflow"));
      mlflow = new MlflowServer({
        pythonEnv: config.kernels.pythonEnv,
        dataDir: config.dataDir,
        backendStoreUri,
        log: (message) => log(`models: ${message}`),
      });
      mlflow.start().catch((error) => log(`models: ${String(error)}`));
      const server = mlflow;
      cleanups.push(() => server.stop());
    }

    const api = createApi({
      config,
      prisma,
      isEmbeddedDb: embedded !== null,
      serverId: identity.id,
      checkProjectsFolder: () =>
        checkProjectsFolder(prisma, { storageRoot: config.storageRoot, leaseMs: config.cluster.leaseMs }),
      getBroker: () => router,
      getSparkConnect: () => runtime.sparkConnect,
      getJobs: () => jobs,
      getMlflow: () => mlflow,
      getScoring: () => runtime.scoring,
      getKernels: () => runtime.kernels,
      runtimeStatus: async () => runtime.status(),
      collab,
      onUnexpectedError: (error, request) =>
        log(
          `error in ${request.method} ${new URL(request.url).pathname}: ${(error as Error)?.stack ?? String(error)}`,
        ),
    });
    cleanups.push(() => api.stop());
    const sampleId = await seedCatalogTour(prisma, { catalog: api.catalog });
    if (sampleId)
      log("registered the catalog sample sales_2026 in Getting started; profiling it in the background");

    const nextApp = next({ dev: isDev, dir: webDir, hostname: config.host, port: config.port });
    await nextApp.prepare();
    const handlePage = nextApp.getRequestHandler();

    const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
      try {
        applySecurityHeaders(req, res, isDev);
        const url = new URL(req.url ?? "/", config.publicUrl);
        // Other Flint servers' forwarded commands (they carry FLINT_CLUSTER_SECRET).
        if (url.pathname.startsWith("/_flint/internal/") && (await router.handleInternalRequest(req, res)))
          return;
        if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
          await serveApiRequest(api.handle, req, res, config.publicUrl);
          return;
        }
        // The vega-datasets files, for charts whose data URLs name them (same origin: the
        // renderer's allow-list accepts nothing else).
        if (url.pathname.startsWith("/vega-datasets/") && (await handleVegaDatasetRequest(req, res))) return;
        // Only this server may tell the pages whose preferences to render with.
        delete req.headers[PREFERENCES_HEADER];
        const isAsset = url.pathname.startsWith("/_next/");
        const actor = isAsset
          ? null
          : await api.authenticate(new Request(url, { headers: toFetchHeaders(req) }));
        if (!actor && !isPublicPage(url.pathname)) {
          res.statusCode = 302;
          res.setHeader("location", `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
          res.end();
          return;
        }
        // The root layout renders <html data-theme> and the editor settings from these, so a
        // page's first paint is already in the person's theme (no flash of light).
        if (actor)
          req.headers[PREFERENCES_HEADER] = JSON.stringify(await getPreferences(prisma, actor.userId));
        await handlePage(req, res);
      } catch (error) {
        log(`error serving ${req.url}: ${(error as Error)?.stack ?? String(error)}`);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader("content-type", "text/plain; charset=utf-8");
        }
        res.end("Flint hit an unexpected error; it has been logged.");
      }
    };
    const server: Server = createServer(handleRequest);
    // Node closes an idle keep-alive connection after 5 s; a client that sends its next request on
    // it just then gets ECONNRESET (seen in the e2e run: a page GET about 5 s after the last one).
    // Browsers and proxies keep idle connections far longer, so the server waits longer than they
    // usually reuse one (headersTimeout must exceed it).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    // Socket commands check access from memory, kept in step by PostgreSQL notifications
    // (docs/security-model.md, "Socket commands from memory").
    const accessCache = createAccessCache();
    const stopAccessListener = await listenForAccessChanges(databaseUrl, accessCache, log);
    cleanups.push(stopAccessListener);
    const sockets = createNotebookSocketServer({
      prisma,
      broker: router,
      authenticate: api.authenticate,
      trustedOrigins: config.trustedOrigins,
      publicUrl: config.publicUrl,
      log,
      // Joins each notebook's room on its owner: here, or relayed to another server.
      collab: router.collab,
      accessCache,
    });
    const handleNextUpgrade = nextApp.getUpgradeHandler();
    server.on("upgrade", (req, socket, head) => {
      router
        .handleInternalUpgrade(req, socket, head)
        .then((isInternal) => isInternal || sockets.handleUpgrade(req, socket, head))
        .then((isHandled) => {
          // Next's own upgrade traffic (dev-mode HMR) goes to Next; anything else is refused.
          if (!isHandled && isDev) return handleNextUpgrade(req, socket, head);
          if (!isHandled) socket.destroy();
        })
        .catch((error) => {
          log(`websocket upgrade failed: ${String(error)}`);
          socket.destroy();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    cleanups.push(async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await sockets.close();
      server.closeAllConnections();
      await closed;
    });
    cleanups.push(async () => nextApp.close?.());
    // Sandboxed kernels have no route to Flint's port: they reach the API through this socket,
    // bound into each sandbox (requests still need a token, as on the port).
    const sandboxPlan = runtime.sandbox;
    if (sandboxPlan?.configFile && sandboxPlan.status.network === "isolated") {
      const apiSocket = createServer(handleRequest);
      rmSync(sandboxPlan.apiSocket, { force: true });
      await new Promise<void>((resolve, reject) => {
        apiSocket.once("error", reject);
        apiSocket.listen(sandboxPlan.apiSocket, () => resolve());
      });
      chmodSync(sandboxPlan.apiSocket, 0o666);
      cleanups.push(async () => {
        const closed = new Promise<void>((resolve) => apiSocket.close(() => resolve()));
        apiSocket.closeAllConnections();
        await closed;
      });
    }
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    log(`Flint is ready at ${url}`);
    if (seeded.generatedPassword) {
      log(
        `demo login: ${seeded.demoEmail} / ${seeded.generatedPassword}  (kept in ${seeded.passwordFile}; change it in Settings)`,
      );
    } else if (seeded.demo === "created" && config.demo.password) {
      log(`demo login: ${seeded.demoEmail} / the password in FLINT_DEMO_PASSWORD`);
    } else if (seeded.demo === "none" && !(await prisma.user.findFirst({ select: { id: true } }))) {
      log("no users yet: add one with `npm run flint -- user add EMAIL --admin`");
    }
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

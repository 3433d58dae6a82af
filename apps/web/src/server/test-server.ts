// For this folder's integration tests: Flint's API, notebook socket and kernel runtime on a real
// HTTP server on a free port, wired as `start.ts` wires them, over a test database the caller made.
// Not used by the product.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkProjectsFolder,
  createAccessCache,
  createApi,
  createBucketStorage,
  createCellRunStore,
  createCollabHub,
  createNotebookRouter,
  createNotebookSocketServer,
  kernelStorageEnv,
  listenForAccessChanges,
  loadConfig,
  newServerId,
  registerServer,
  type TAccessCache,
  type TConfig,
  type TNotebookRouter,
  type TServerIdentity,
  writeServerMarker,
} from "@flint/api";
import type { PrismaClient } from "@flint/db";
import {
  createKernelRuntime,
  MlflowServer,
  type TKernelRuntime,
  type TKernelRuntimeOptions,
} from "@flint/kernel";
import { sendFetchResponse, toFetchRequest } from "./http-bridge.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The Python environment the tests' kernels use. */
export const testPythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");

/**
 * The sandbox options `start.ts` gives the kernel runtime: each notebook's kernel in its project's
 * sandbox (bubblewrap when it works here), reaching the API on the test server's `port`.
 */
export function projectSandbox(
  prisma: PrismaClient,
  config: TConfig,
  port: number,
): NonNullable<TKernelRuntimeOptions["sandbox"]> {
  return {
    mode: config.kernels.sandbox,
    apiPort: port,
    projectOf: async (notebookId) =>
      (await prisma.notebook.findUnique({ where: { id: notebookId }, select: { projectId: true } }))
        ?.projectId ?? null,
  };
}

/** The text a cell's outputs show: streams, `text/plain`, and errors as `Name: value`. */
export function outputText(outputs: ReadonlyArray<Record<string, unknown>>): string {
  return outputs
    .map((output) => {
      if (typeof output.text === "string") return output.text;
      const data = output.data as Record<string, unknown> | undefined;
      if (data?.["text/plain"]) return String(data["text/plain"]);
      if (output.output_type === "error") return `${output.ename}: ${output.evalue}`;
      return "";
    })
    .join("");
}

/** A running test server; `stop` ends the runtime and closes the servers (not the database). */
export type TTestFlint = {
  baseUrl: string;
  config: TConfig;
  dataDir: string;
  runtime: TKernelRuntime;
  /** The co-editing rooms, as the socket and the broker share them. */
  collab: ReturnType<typeof createCollabHub>;
  /** The MLflow tracking server, when `mlflowDatabaseUrl` was given. */
  mlflow: MlflowServer | null;
  /** This server's registration (`flint_server`) and the router that forwards to notebooks' owners. */
  identity: TServerIdentity;
  router: TNotebookRouter;
  /** The socket's memory of access facts, when `databaseUrl` was given. */
  accessCache: TAccessCache | null;
  stop: () => Promise<void>;
};

/**
 * Starts the server. `runtime` adds to the kernel runtime's options, given the server's config and
 * port (no warm pool, quiet log by
 * default); `apiSocket` also serves the API on the sandbox plan's Unix socket, as sandboxed kernels
 * reach it.
 */
export async function startTestFlint(options: {
  prisma: PrismaClient;
  dataDirPrefix: string;
  runtime?: (server: { config: TConfig; port: number }) => Partial<TKernelRuntimeOptions>;
  apiSocket?: boolean;
  /** More of the server's environment, e.g. FLINT_STORAGE_URL and its S3 settings. */
  env?: Record<string, string>;
  /** Runs an MLflow tracking server with its backend store in this database (docs/models.md). */
  mlflowDatabaseUrl?: string;
  /**
   * One of several servers on the database (docs/deployment.md): they share `dataDir` (made by
   * the caller) and `env` (FLINT_CLUSTER_SECRET, BETTER_AUTH_SECRET, FLINT_CATALOG_KEY,
   * FLINT_LEASE_SECONDS, FLINT_SERVER_NAME...); each gets its own Jupyter working folder, as each
   * machine has its own.
   */
  cluster?: { dataDir: string; env: Record<string, string> };
  /** Where the server's log goes; default nowhere. */
  log?: (message: string) => void;
  /**
   * The test database's URL: the notebook socket then checks commands from memory, kept in step
   * by PostgreSQL notifications, as start.ts wires it. Without it every command reads the database.
   */
  databaseUrl?: string;
}): Promise<TTestFlint> {
  const { prisma } = options;
  const log = options.log ?? (() => undefined);
  const dataDir = options.cluster?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), options.dataDirPrefix));
  const runtimeDir = options.cluster ? mkdtempSync(path.join(os.tmpdir(), options.dataDirPrefix)) : dataDir;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    FLINT_DATA_DIR: dataDir,
    PORT: String(port),
    FLINT_AUTH_RATE_LIMIT: "off",
    FLINT_SERVER_NAME: `test-${port}`,
    ...options.env,
    ...options.cluster?.env,
  });
  // As start.ts: the projects folder's marker before the registration.
  const serverId = newServerId();
  const removeMarker = await writeServerMarker(config.storageRoot, serverId, config.cluster.serverName);
  const identity = await registerServer(prisma, {
    id: serverId,
    name: config.cluster.serverName,
    internalUrl: config.cluster.internalUrl,
    leaseMs: config.cluster.leaseMs,
    log,
  });
  const bucket = createBucketStorage(config);
  const custom = options.runtime?.({ config, port }) ?? {};
  const collab = createCollabHub(prisma);
  const runtime = createKernelRuntime({
    pythonEnv: testPythonEnv,
    dataDir: runtimeDir,
    store: createCellRunStore(prisma, { collab, serverId: identity.id }),
    warmPoolSize: 0,
    log,
    // As start.ts: FLINT_DEPLOYMENT_MEMORY_MB of the test's configuration.
    scoring: { memoryBytes: config.deployments.memoryBytes },
    ...(bucket ? { outputStore: bucket.store } : {}),
    ...custom,
    // As start.ts does: the storage's settings for kernels, under the test's own.
    env: { ...kernelStorageEnv(config), ...custom.env },
  });
  await runtime.start();
  const router = createNotebookRouter({
    prisma,
    broker: runtime.broker,
    identity,
    secret: config.cluster.secret,
    collab,
    log,
  });
  const mlflow = options.mlflowDatabaseUrl
    ? new MlflowServer({
        pythonEnv: testPythonEnv,
        dataDir,
        backendStoreUri: options.mlflowDatabaseUrl,
        log,
      })
    : null;
  await mlflow?.start();
  const api = createApi({
    config,
    prisma,
    isEmbeddedDb: true,
    serverId: identity.id,
    checkProjectsFolder: () =>
      checkProjectsFolder(prisma, { storageRoot: config.storageRoot, leaseMs: config.cluster.leaseMs }),
    getBroker: () => router,
    getSparkConnect: () => runtime.sparkConnect,
    collab,
    getMlflow: () => mlflow,
    getScoring: () => runtime.scoring,
    getKernels: () => runtime.kernels,
  });
  const accessCache = options.databaseUrl ? createAccessCache() : null;
  const stopAccessListener =
    accessCache && options.databaseUrl
      ? await listenForAccessChanges(options.databaseUrl, accessCache, log)
      : null;
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
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (await router.handleInternalRequest(req, res)) return;
    await sendFetchResponse(await api.handle(toFetchRequest(req, config.publicUrl)), res);
  };
  server.on("request", handle);
  server.on(
    "upgrade",
    (req, socket, head) =>
      void router
        .handleInternalUpgrade(req, socket, head)
        .then((isInternal) => isInternal || sockets.handleUpgrade(req, socket, head))
        .then((handled) => handled || socket.destroy()),
  );
  let apiSocket: Server | null = null;
  const plan = runtime.sandbox;
  if (options.apiSocket && plan?.configFile && plan.status.network === "isolated") {
    apiSocket = createServer(handle);
    rmSync(plan.apiSocket, { force: true });
    await new Promise<void>((resolve) => apiSocket!.listen(plan.apiSocket, resolve));
    chmodSync(plan.apiSocket, 0o666);
  }
  const stop = async () => {
    // As start.ts: forwarding stops first, the runtime ends this server's cells, then the row
    // (and with it the leases) goes.
    await router.close();
    await mlflow?.stop();
    await sockets.close();
    await stopAccessListener?.();
    await runtime.stop();
    await collab.close();
    await identity.stop();
    await api.stop();
    await removeMarker();
    await new Promise((resolve) => server.close(resolve));
    if (apiSocket) await new Promise((resolve) => apiSocket!.close(resolve));
  };
  return { baseUrl, config, dataDir, runtime, collab, mlflow, identity, router, accessCache, stop };
}

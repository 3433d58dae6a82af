/**
 * `@flint/kernel`: Flint's kernel runtime. It starts (or connects to) a Jupyter Server, keeps a
 * pool of warm `flint-spark` kernels, and runs notebooks' saved cells through the execution
 * broker, which persists and broadcasts outputs. The only package that imports
 * `@jupyterlab/services`; the Jupyter token never leaves it.
 *
 * ```ts
 * const runtime = createKernelRuntime({ pythonEnv, dataDir, store });
 * await runtime.start();            // returns at once; Jupyter starts in the background
 * const stop = runtime.broker.subscribe(notebookId, (event) => socket.send(JSON.stringify(event)));
 * await runtime.broker.handleCommand(notebookId, ZBrokerCommand.parse(message));
 * await runtime.stop();             // no Jupyter, kernel or Spark process is left
 * ```
 */

import { mkdirSync } from "node:fs";
import path from "node:path";
import { ExecutionBroker, type TBrokerOptions, type TCellRunStore } from "./broker";
import { startEgressProxy, type TEgressProxy } from "./egress-proxy";
import { describeError } from "./errors";
import { DEFAULT_KERNEL_NAME, gatewayKernelEnv, KernelPool } from "./kernels";
import {
  explainSandboxedDeath,
  planSandbox,
  type TSandboxOptions,
  type TSandboxPlan,
  type TSandboxStatus,
} from "./sandbox";
import { ScoringManager } from "./scoring";
import { SparkConnectManager, usesSpark } from "./spark-connect";
import {
  describeSparkMaster,
  ExternalJupyter,
  JupyterSupervisor,
  type TJupyterServer,
  type TJupyterStatus,
  type TLog,
} from "./supervisor";

/** What a warm kernel runs for a project whose shared Spark runs (a no-op in dedicated mode). */
const PRELOAD_SPARK_CLIENT =
  "import flint.kernel.session as _flint_session\n_flint_session.preload_connect_client()\ndel _flint_session";

export * from "./broker";
export { isPublicAddress, startEgressProxy, type TEgressProxy } from "./egress-proxy";
export { describeError, KernelRuntimeError, type TKernelErrorCode } from "./errors";
export {
  DEFAULT_KERNEL_NAME,
  KernelHandle,
  KernelPool,
  type TKernelCounts,
  type TKernelPlacement,
  type TKernelPoolOptions,
} from "./kernels";
export { MASKED_TOKEN, maskNotebookTokens } from "./mask-secrets";
export {
  MlflowServer,
  type TMlflowRequest,
  type TMlflowResponse,
  type TMlflowServerOptions,
  type TMlflowStatus,
} from "./mlflow-server";
export {
  runNotebook,
  type TNotebookRunOptions,
  type TNotebookRunResult,
  type TNotebookRunStatus,
  type TRunKernelProvider,
} from "./notebook-runner";
export {
  DEFAULT_MAX_SPOOL_BYTES,
  OutputSpool,
  outputSpoolKey,
  outputSpoolPath,
  textOfMessage,
} from "./output-spool";
export * from "./protocol";
export {
  planSandbox,
  probeBubblewrap,
  type TSandboxOptions,
  type TSandboxPlan,
  type TSandboxStatus,
} from "./sandbox";
export { ScoringManager, ScoringMemoryError, type TScoringAnswer, type TScoringOptions } from "./scoring";
export { MAX_KERNEL_MESSAGE_BYTES } from "./server-settings";
export {
  SANDBOXED_CONNECT_PORT,
  SparkConnectManager,
  type TSparkConnectAddress,
  type TSparkConnectOptions,
} from "./spark-connect";
export {
  buildJupyterEnv,
  describeSparkMaster,
  ExternalJupyter,
  JupyterSupervisor,
  type TExternalJupyterOptions,
  type TJupyterConnection,
  type TJupyterServer,
  type TJupyterStatus,
  type TLog,
  type TSupervisorOptions,
} from "./supervisor";

/** Where a runtime on `dataDir` keeps full outputs of runs over the cap (the API reads them there). */
export function outputSpoolDir(dataDir: string): string {
  return path.join(dataDir, "outputs");
}

/** Options of {@link createKernelRuntime}. */
export type TKernelRuntimeOptions = {
  /** Python environment (prefix) with jupyter_server, ipykernel, pyspark and the `flint` package. */
  pythonEnv: string;
  /** Flint's data directory; the local Jupyter Server works in `<dataDir>/jupyter/`. */
  dataDir: string;
  /** The folder of the projects' files, `projects/<id>/` (default `<dataDir>/storage`). */
  storageRoot?: string;
  /** Where cells are loaded from and outputs saved to. */
  store: TCellRunStore;
  /** Use this Jupyter Server or Enterprise Gateway instead of starting one (`JUPYTER_URL`). */
  jupyterUrl?: string;
  /** Its token (`JUPYTER_TOKEN`); required with `jupyterUrl`. */
  jupyterToken?: string;
  /** Warm kernels kept ready for new notebooks. Default 1. */
  warmPoolSize?: number;
  /** A notebook's kernel is shut down after this long without activity. Default 1 hour. */
  idleTimeoutMs?: number;
  /** Output cap per cell run. Default 5 MB. */
  maxOutputBytes?: number;
  /**
   * Extra environment for the local Jupyter Server and so for every kernel, e.g.
   * `{ SPARK_MASTER: "spark://host:7077" }`. Only an allow-list of Flint's own environment is
   * passed on (PATH, locale, JAVA_HOME, SPARK_*...), never its secrets. Ignored for an external
   * server, whose kernels get their environment from its kernelspecs.
   */
  env?: Record<string, string>;
  /** See {@link TBrokerOptions.prepareRun}: the environment a kernel gets before a user's cell. */
  prepareRun?: TBrokerOptions["prepareRun"];
  /** See {@link TBrokerOptions.onKernelReleased}: revoke what `prepareRun` gave a kernel. */
  onKernelReleased?: TBrokerOptions["onKernelReleased"];
  /** See {@link TBrokerOptions.outputStore}: where full outputs go when the storage is a bucket. */
  outputStore?: TBrokerOptions["outputStore"];
  /** See {@link TBrokerOptions.maxKernelsPerUser}. Default 0 (no limit). */
  maxKernelsPerUser?: number;
  /**
   * Kernelspec of notebooks that name none (their `metadata.kernelspec`) and of the warm pool.
   * Default `flint-spark`. A notebook naming another of {@link FLINT_KERNELSPECS} gets that one.
   */
  kernelName?: string;
  /** Lifecycle messages. Default: stderr. */
  log?: TLog;
  /**
   * Kernel sandboxes of the local Jupyter Server ({@link planSandbox}); ignored for an external
   * server (a gateway isolates its kernels itself, and gets no host paths). `projectOf` names a
   * notebook's project: its kernel starts in that project's sandbox.
   */
  sandbox?: Omit<TSandboxOptions, "dataDir" | "env"> & {
    projectOf: (notebookId: string) => Promise<string | null>;
  };
  /** The projects' shared Spark Connect servers: idle stop and memory (see `docs/spark.md`). */
  sparkConnect?: { idleMs?: number; memoryMb?: number };
  /** Deployments' scoring processes: each one's memory limit in bytes (docs/models.md). */
  scoring?: { memoryBytes?: number };
};

/** What `/api/health` shows about kernels and Spark. */
export type TRuntimeStatus = {
  jupyter: {
    status: TJupyterStatus;
    /** Kernels serving notebooks. */
    kernels: number;
    /** Warm kernels ready for new notebooks. */
    warm: number;
    /** Why Jupyter last failed (no secrets), when it is down. */
    error?: string;
  };
  /** What isolation kernels run under (see `docs/security-model.md`). */
  sandbox: TSandboxStatus;
  spark: {
    /** `running` when some kernel exists (each kernel has its Spark session), else `not started`; `down` with Jupyter. */
    status: "running" | "not started" | "down";
    /** `SPARK_REMOTE` (without credentials), `SPARK_MASTER`, or `local[*]`. */
    master: string;
  };
};

/** The kernel runtime that Flint's server holds. */
export type TKernelRuntime = {
  /** Starts Jupyter (in the background) and the warm pool. Resolves at once. */
  start(): Promise<void>;
  /** Resolves when Jupyter answers (the first run waits for it anyway). */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops the broker (finishing writes), the kernels and Jupyter; nothing is left running. */
  stop(): Promise<void>;
  /** The execution broker (subscribe, run, runAndWait, handleCommand...). */
  broker: ExecutionBroker;
  /** The kernel pool (counts, warm kernel ids). */
  kernels: KernelPool;
  /** The Jupyter Server (local supervisor or external). */
  jupyter: TJupyterServer;
  /** Health of Jupyter and Spark. */
  status(): TRuntimeStatus;
  /** The sandbox plan of the local Jupyter Server; null for an external one. */
  sandbox: TSandboxPlan | null;
  /** The projects' shared Spark Connect servers (started on a kernel's first Spark use). */
  sparkConnect: SparkConnectManager;
  /** Deployments' scoring processes (docs/models.md), sandboxed like the kernels. */
  scoring: ScoringManager;
};

/** A sandboxed kernel of `projectId` starts in its project's folder (named by it). */
function placeInFolder(projectId: string | null, projectsRoot: string) {
  if (!projectId || !/^[A-Za-z0-9_-]+$/.test(projectId)) return null;
  mkdirSync(path.join(projectsRoot, projectId), { recursive: true });
  return { key: projectId, path: projectId };
}

/** A gateway gets no host paths; it gets who the kernel is for (docs/kernels.md). */
function placeAtGateway(projectId: string | null) {
  if (!projectId || !/^[A-Za-z0-9_-]+$/.test(projectId)) return null;
  return { key: projectId, env: gatewayKernelEnv(projectId) };
}

/** Creates Flint's kernel runtime (nothing starts until `start()`). */
export function createKernelRuntime(options: TKernelRuntimeOptions): TKernelRuntime {
  const log = options.log ?? ((message: string) => process.stderr.write(`[flint:kernel] ${message}\n`));
  let jupyter: TJupyterServer;
  let sandbox: TSandboxPlan | null = null;
  let sandboxStatus: TSandboxStatus;
  if (options.jupyterUrl) {
    if (!options.jupyterToken) throw new Error("JUPYTER_URL is set but JUPYTER_TOKEN is not");
    jupyter = new ExternalJupyter({ url: options.jupyterUrl, token: options.jupyterToken, log });
    sandboxStatus = {
      mode: "off",
      user: "none",
      network: "none",
      memoryBytes: 0,
      detail: "Kernels run on the Jupyter Server or Gateway at JUPYTER_URL, which isolates them itself.",
    };
  } else {
    const { projectOf: _projectOf, ...sandboxOptions }: NonNullable<TKernelRuntimeOptions["sandbox"]> =
      options.sandbox ?? { apiPort: 0, mode: "off", projectOf: async () => null };
    sandbox = planSandbox({
      ...sandboxOptions,
      dataDir: options.dataDir,
      storageRoot: options.storageRoot,
      env: { ...process.env, ...(options.env ?? {}) },
    });
    sandboxStatus = sandbox.status;
    log(sandbox.status.detail);
    jupyter = new JupyterSupervisor({
      pythonEnv: options.pythonEnv,
      dataDir: options.dataDir,
      env: options.env,
      sandbox,
      log,
    });
  }
  const projectOf = options.sandbox?.projectOf;
  // Which kernels run on the project's shared Spark: the default kernelspec, unless Flint runs
  // dedicated Spark or an administrator's own Connect server (the kernel reads the same variables).
  const kernelEnv = { ...process.env, ...(options.env ?? {}) };
  const isSharedKernel = (kernelName: string) =>
    kernelName === DEFAULT_KERNEL_NAME &&
    (kernelEnv.FLINT_SPARK_MODE ?? "shared").trim().toLowerCase() !== "dedicated" &&
    !kernelEnv.SPARK_REMOTE;
  const projectsRoot = sandbox?.projectsRoot;
  // Warm kernels are kept per project when kernels start in one (a sandbox or a gateway).
  const isKeyedByProject = Boolean(projectOf && (projectsRoot || options.jupyterUrl));
  const kernels = new KernelPool(jupyter, {
    kernelName: options.kernelName,
    warmPoolSize: options.warmPoolSize ?? 1,
    log,
    // A project whose shared Spark runs is one whose notebooks use Spark: its warm kernels import
    // the Spark client ahead (about 1 s of the next notebook's first Spark cell; docs/spark.md).
    // Unsandboxed, warm kernels serve every project (key ""). Others stay a bare Python process.
    warmUpCode: (key) =>
      (isKeyedByProject ? sparkConnect.running().includes(key) : sparkConnect.running().length > 0)
        ? PRELOAD_SPARK_CLIENT
        : "pass",
    // A kernel starts in its project's folder: that names its sandbox, and it is the working
    // directory the project's Files tab shows, sandboxed or not (docs/notebooks.md).
    ...(projectOf && projectsRoot
      ? {
          placeKernel: async (notebookId: string) => placeInFolder(await projectOf(notebookId), projectsRoot),
          placeProject: async (projectId: string) => placeInFolder(projectId, projectsRoot),
        }
      : {}),
    // A gateway gets no host paths; it gets who the kernel is for (docs/kernels.md).
    ...(projectOf && options.jupyterUrl
      ? {
          placeKernel: async (notebookId: string) => placeAtGateway(await projectOf(notebookId)),
          placeProject: async (projectId: string) => placeAtGateway(projectId),
        }
      : {}),
  });
  let egress: TEgressProxy | null = null;
  const broker = new ExecutionBroker({
    store: options.store,
    kernels,
    // A notebook's kernelspec picks its kernel; this one is for notebooks that name none (or one
    // Flint does not offer), and the pool's warm kernels are of it.
    defaultKernelName: options.kernelName,
    maxOutputBytes: options.maxOutputBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    prepareRun: options.prepareRun,
    onKernelReleased: options.onKernelReleased,
    // Cells that will use Spark wait for a kernel to start: start the project's shared Spark
    // beside it instead of at the first use, after it (a JVM start of ~3 s overlapping the
    // kernel's; docs/spark.md, "Started with the kernel"). A dedicated kernel has its own.
    onKernelStarting: ({ notebookId, kernelName, sources }) => {
      if (!projectOf || !isSharedKernel(kernelName) || !sources.some(usesSpark)) return;
      void projectOf(notebookId)
        .then((projectId) => (projectId ? sparkConnect.ensure(projectId) : null))
        .catch((error: unknown) =>
          log(`starting the shared Spark of ${notebookId} early failed: ${describeError(error)}`),
        );
    },
    maxKernelsPerUser: options.maxKernelsPerUser,
    // A sandboxed kernel that went over its memory limit was killed by its cgroup: say so.
    explainDeath: (kernelId) => (sandbox ? explainSandboxedDeath(sandbox, kernelId) : null),
    outputSpoolDir: outputSpoolDir(options.dataDir),
    outputStore: options.outputStore,
    log,
  });
  const sparkConnect = new SparkConnectManager({
    pythonEnv: options.pythonEnv,
    dataDir: options.dataDir,
    sandbox,
    idleMs: options.sparkConnect?.idleMs,
    memoryMb: options.sparkConnect?.memoryMb,
    env: options.env,
    log,
    // While a project's Spark runs, the pool keeps a warm kernel with the Spark client for it.
    onReady: (projectId) => {
      kernels.rewarm(isKeyedByProject ? projectId : "");
      kernels.keepWarmFor(projectId, true);
    },
    onStopped: (projectId) => kernels.keepWarmFor(projectId, false),
  });
  const scoring = new ScoringManager({
    pythonEnv: options.pythonEnv,
    dataDir: options.dataDir,
    sandbox,
    memoryBytes: options.scoring?.memoryBytes,
    env: options.env,
    log,
  });
  // Behind JUPYTER_URL the kernels' environment is the gateway's (its kernelspecs), not Flint's.
  const master = jupyter.isExternal
    ? "set by the kernels of JUPYTER_URL (its kernelspecs' SPARK_MASTER or SPARK_REMOTE)"
    : describeSparkMaster({ ...process.env, ...(options.env ?? {}) });
  let stopping: Promise<void> | null = null;

  return {
    async start() {
      if (sandbox?.configFile && sandbox.status.network === "isolated") {
        egress = await startEgressProxy(sandbox.proxySocket, (message) => log(message));
      }
      jupyter.start();
      kernels.start();
    },
    async ready(timeoutMs) {
      await jupyter.ready(timeoutMs);
    },
    stop() {
      stopping ??= (async () => {
        await broker.stop();
        await kernels.stop(jupyter.isExternal);
        await sparkConnect.close();
        await scoring.close();
        await jupyter.stop();
        await egress?.close();
      })();
      return stopping;
    },
    broker,
    kernels,
    jupyter,
    sandbox,
    sparkConnect,
    scoring,
    status() {
      const counts = kernels.counts();
      const status = jupyter.status();
      const error = status === "down" ? (jupyter.lastError() ?? undefined) : undefined;
      const hasKernels = counts.kernels + counts.warm > 0;
      return {
        jupyter: { status, ...counts, ...(error ? { error } : {}) },
        sandbox: sandboxStatus,
        spark: { status: status === "down" ? "down" : hasKernels ? "running" : "not started", master },
      };
    },
  };
}

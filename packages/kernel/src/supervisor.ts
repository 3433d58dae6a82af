/**
 * The Jupyter Server that runs Flint's kernels: either one this process starts and looks after
 * ({@link JupyterSupervisor}: 127.0.0.1, a random port and token, restarted when it dies), or one
 * given by URL and token ({@link ExternalJupyter}: a remote Jupyter Server or a Jupyter
 * Enterprise Gateway). Both give the kernel pool the same {@link TJupyterServer} interface.
 *
 * The token never leaves this process: it reaches the server through a config file that is
 * deleted once the server has read it (not argv, which `ps` shows, nor the environment, which
 * kernels and so user code inherit), and `@jupyterlab/services` sends it only in headers.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import type { ServerConnection } from "@jupyterlab/services";
import { describeError, KernelRuntimeError } from "./errors";
import {
  hasProcFs,
  killMarkedProcesses,
  OWNER_ENV,
  readCpuTicks,
  signalProcessGroup,
  sleep,
} from "./process-tree";
import { createServerSettings, requestJupyter, type TJupyterEndpoint } from "./server-settings";

/**
 * What `/api/health` reports about Jupyter: `not started` (before `start()` or after `stop()`),
 * `starting`, `running`, `down` (it died or failed to start; a restart is scheduled),
 * `external` (a server Flint does not manage).
 */
export type TJupyterStatus = "not started" | "starting" | "running" | "down" | "external";

/** A usable connection to the server. */
export type TJupyterConnection = {
  /** Settings for `@jupyterlab/services` (they hold the token: keep them in this process). */
  settings: ServerConnection.ISettings;
  /** Which launch of the server this is; kernels of an earlier launch are gone. */
  launch: number;
  /** Calls `listener` with a kernel's id when a message of it was too large and dropped. */
  onOversizedMessage(listener: (kernelId: string) => void): () => void;
};

/** Builds the connection to a server at `endpoint`. */
function createConnection(endpoint: TJupyterEndpoint, launch: number, log: TLog): TJupyterConnection {
  const listeners = new Set<(kernelId: string) => void>();
  const settings = createServerSettings(endpoint, {
    onMessageError: (error) => log(`ignored a malformed kernel message: ${describeError(error)}`),
    onOversizedMessage: (kernelId) => {
      for (const listener of listeners) listener(kernelId);
    },
  });
  return {
    settings,
    launch,
    onOversizedMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The Jupyter Server as the kernel pool sees it. */
export interface TJupyterServer {
  /** True for a server Flint does not start (it cannot restart it or clean up its processes). */
  readonly isExternal: boolean;
  /** Starts the server in the background; returns at once. */
  start(): void;
  /**
   * Resolves once the server answers. Rejects with a `jupyter_unavailable` error after
   * `timeoutMs`, when launches keep failing, or when the server is stopped.
   */
  ready(timeoutMs?: number): Promise<TJupyterConnection>;
  /** Stops the server and everything it started. */
  stop(): Promise<void>;
  /** The current status. */
  status(): TJupyterStatus;
  /** Why the server last failed, in words safe to show; `null` when it has not failed. */
  lastError(): string | null;
  /** Calls `listener` when a launch of the server is lost (all its kernels are gone). */
  onLost(listener: (launch: number, reason: string) => void): () => void;
}

/** Logger for lifecycle messages (one line each). */
export type TLog = (message: string) => void;

/** Options of {@link JupyterSupervisor}. */
export type TSupervisorOptions = {
  /** A Python environment (virtualenv prefix) with jupyter_server, ipykernel and `flint`. */
  pythonEnv: string;
  /** Flint's data directory; the server gets `<dataDir>/jupyter/`. */
  dataDir: string;
  /** Extra environment for the server and so for every kernel (e.g. `SPARK_MASTER`). */
  env?: Record<string, string>;
  /**
   * Kernel sandboxes ({@link planSandbox}): the server's root_dir becomes the projects' work
   * folders (a kernel starts in its project's), and its provisioner reads the plan file.
   */
  sandbox?: { configFile: string | null; projectsRoot: string };
  /** Lifecycle messages. Default: stderr with a `[flint:jupyter]` prefix. */
  log?: TLog;
  /** How long one launch may take to answer `/api/status`. Default 90 s. */
  startTimeoutMs?: number;
  /** How long `stop()` waits for a graceful exit before killing. Default 8 s. */
  stopTimeoutMs?: number;
  /** First restart delay after a crash, doubled per consecutive failure. Default 1 s. */
  restartDelayMs?: number;
  /** Longest restart delay. Default 30 s. */
  maxRestartDelayMs?: number;
  /** Interval of the health check (`/api/status`). Default 10 s. */
  healthIntervalMs?: number;
};

/**
 * Environment variables passed from Flint's own environment to Jupyter and its kernels. Anything
 * else (`DATABASE_URL`, session secrets...) stays out of reach of notebook code. Add more through
 * the `env` option.
 */
const INHERITED_ENV = [
  /^PATH$/,
  /^HOME$/,
  /^USER$/,
  /^LOGNAME$/,
  /^SHELL$/,
  /^LANG$/,
  /^LANGUAGE$/,
  /^LC_[A-Z]+$/,
  /^TZ$/,
  /^TMPDIR$/,
  /^TEMP$/,
  /^TMP$/,
  /^JAVA_HOME$/,
  /^JAVA_TOOL_OPTIONS$/,
  /^SPARK_(HOME|MASTER|REMOTE|CONF_DIR|LOCAL_DIRS|LOCAL_IP)$/,
  /^PYSPARK_(PYTHON|DRIVER_PYTHON|SUBMIT_ARGS)$/,
  /^HADOOP_(HOME|CONF_DIR)$/,
  /^YARN_CONF_DIR$/,
  /^FLINT_(SPARK|TABLE)_[A-Z_]+$/,
  /^SSL_CERT_(FILE|DIR)$/,
  /^REQUESTS_CA_BUNDLE$/,
  /^(HTTP|HTTPS|NO)_PROXY$/i,
];

/** Builds the environment of the server (and kernels): an allow-list of `base` plus `extra`. */
export function buildJupyterEnv(
  base: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && INHERITED_ENV.some((pattern) => pattern.test(name))) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Describes where Spark runs, for health: `SPARK_REMOTE` (without its `;token=...` and other
 * parameters, which may hold credentials), else `SPARK_MASTER`, else `local[*]`.
 */
export function describeSparkMaster(env: Record<string, string | undefined>): string {
  const remote = env.SPARK_REMOTE;
  if (remote) return remote.split(";")[0]!.replace(/\/\/[^/@]*@/, "//");
  return env.SPARK_MASTER?.replace(/\/\/[^/@]*@/, "//") || "local[*]";
}

/** Describes a URL without credentials or query, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Runs jupyter_server's `main` after starting a thread that sends the server SIGTERM when its
 * parent (Flint) is gone, so a Flint killed with SIGKILL, which cannot stop anything, still
 * leaves no server behind: on SIGTERM the server shuts its kernels (and their Spark JVMs) down.
 */
const SERVER_BOOTSTRAP = [
  "import os, signal, sys, threading, time",
  "parent = os.getppid()",
  "def watch_parent():",
  "    while os.getppid() == parent:",
  "        time.sleep(1)",
  "    os.kill(os.getpid(), signal.SIGTERM)",
  "threading.Thread(target=watch_parent, name='flint-parent-watch', daemon=True).start()",
  "sys.argv[0] = 'jupyter-server'",
  "from jupyter_server.serverapp import main",
  "sys.exit(main())",
].join("\n");

/** Finds a free TCP port on 127.0.0.1 (the server is started with `port_retries=0`, so a race fails loudly). */
async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function defaultLog(prefix: string): TLog {
  return (message) => process.stderr.write(`[${prefix}] ${message}\n`);
}

type TWaiter = {
  resolve: (connection: TJupyterConnection) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * Starts and watches a local Jupyter Server:
 * - jupyter_server on 127.0.0.1, a random free port and a random token, in its own
 *   process group with stdin ignored (a Ctrl-C in Flint's terminal reaches Flint only, and Flint
 *   stops the server), output appended to `<dataDir>/jupyter/jupyter-server.log`;
 * - the TCP_NODELAY kernel WebSocket of the `flint` package, IOPub limits raised (the broker caps
 *   outputs per cell), no terminals, no culling (the broker shuts idle kernels down itself);
 * - ready when `/api/status` answers; checked every `healthIntervalMs`; restarted with backoff
 *   when it exits or stops answering, after killing the kernels and Spark JVMs it left;
 * - `stop()`: SIGTERM to its group (the server shuts its kernels down), then SIGKILL to every
 *   process it started, found by an environment marker (kernels live in sessions of their own);
 * - if Flint dies without stopping it, the server notices its parent is gone and stops itself, and
 *   the next start from the same data directory kills whatever is left.
 */
/** How long a server that uses the CPU but does not answer health checks is given before it is killed. */
const BUSY_GRACE_MS = 5 * 60_000;

/**
 * Whether a process used a noticeable share of a core (5 %) between two CPU readings taken one
 * health interval apart: a server that does is working, not hung.
 */
function isWorking(ticksBefore: number | null, ticksNow: number | null, intervalMs: number): boolean {
  if (ticksBefore === null || ticksNow === null) return false;
  const cpuMs = (ticksNow - ticksBefore) * 10;
  return cpuMs >= intervalMs * 0.05;
}

export class JupyterSupervisor implements TJupyterServer {
  readonly isExternal = false;
  private readonly options: Required<Omit<TSupervisorOptions, "env" | "log" | "sandbox">> & {
    env: Record<string, string>;
    log: TLog;
    sandbox?: TSupervisorOptions["sandbox"];
  };
  private readonly home: string;
  /** Marker prefix shared by all launches from this data directory (also finds leftovers of a crash). */
  private readonly ownerPrefix: string;
  private state: TJupyterStatus = "not started";
  private child: ChildProcess | null = null;
  private connection: TJupyterConnection | null = null;
  private launchCount = 0;
  private failures = 0;
  private error: string | null = null;
  private waiters = new Set<TWaiter>();
  private lostListeners = new Set<(launch: number, reason: string) => void>();
  private restartTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private healthFailures = 0;
  /** Since when the server has been busy without answering health checks (null: it answers). */
  private busySince: number | null = null;
  private isStopping = false;
  private stopping: Promise<void> | null = null;
  private launching: Promise<void> | null = null;
  private startedAt = 0;

  /** Creates a supervisor; nothing starts until {@link start}. */
  constructor(options: TSupervisorOptions) {
    const dataDir = resolve(options.dataDir);
    this.options = {
      pythonEnv: resolve(options.pythonEnv),
      dataDir,
      env: options.env ?? {},
      sandbox: options.sandbox,
      log: options.log ?? defaultLog("flint:jupyter"),
      startTimeoutMs: options.startTimeoutMs ?? 90_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 8_000,
      restartDelayMs: options.restartDelayMs ?? 1_000,
      maxRestartDelayMs: options.maxRestartDelayMs ?? 30_000,
      healthIntervalMs: options.healthIntervalMs ?? 10_000,
    };
    this.home = join(dataDir, "jupyter");
    this.ownerPrefix = `${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}:`;
  }

  /** Where the server's output goes. */
  get logPath(): string {
    return join(this.home, "jupyter-server.log");
  }

  /**
   * The environment marker prefix of every process this supervisor starts (server, kernels, Spark
   * JVMs): `FLINT_JUPYTER_OWNER=<prefix><launch>`. For tests and diagnostics.
   */
  get processMarker(): string {
    return this.ownerPrefix;
  }

  /** The server's process id while it runs (for tests and diagnostics). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  status(): TJupyterStatus {
    return this.state;
  }

  lastError(): string | null {
    return this.error;
  }

  onLost(listener: (launch: number, reason: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  start(): void {
    if (this.isStopping || this.child || this.launching || this.restartTimer) return;
    this.state = "starting";
    this.launching = this.launch().finally(() => {
      this.launching = null;
    });
  }

  ready(timeoutMs = 120_000): Promise<TJupyterConnection> {
    if (this.state === "running" && this.connection) return Promise.resolve(this.connection);
    if (this.isStopping || this.state === "not started") {
      return Promise.reject(new KernelRuntimeError("jupyter_unavailable", "Jupyter Server is not running"));
    }
    // Launches keep failing (bad Python environment...): say why now rather than after the timeout.
    if (this.state === "down" && this.failures >= 2 && this.error) {
      return Promise.reject(new KernelRuntimeError("jupyter_unavailable", this.error));
    }
    return new Promise((resolveReady, reject) => {
      const waiter: TWaiter = {
        resolve: resolveReady,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const why = this.error ? `: ${this.error}` : "";
          reject(
            new KernelRuntimeError(
              "jupyter_unavailable",
              `Jupyter Server did not become ready within ${Math.round(timeoutMs / 1000)} s${why}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.isStopping = true;
    this.stopping = this.shutDown();
    await this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.clearTimers();
    this.rejectWaiters(new KernelRuntimeError("stopped", "Jupyter Server is stopping"));
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      // The server's SIGTERM handler shuts its kernels down, which lets Spark clean its temp files.
      signalProcessGroup(child.pid, "SIGTERM");
      const exited = await waitForExit(child, this.options.stopTimeoutMs);
      if (!exited) {
        this.options.log(`Jupyter Server did not stop within ${this.options.stopTimeoutMs} ms; killing it`);
      }
      signalProcessGroup(child.pid, "SIGKILL");
    }
    if (this.launching) await this.launching.catch(() => undefined);
    await this.killLeftovers(this.ownerPrefix);
    this.child = null;
    this.connection = null;
    this.state = "not started";
  }

  private async launch(): Promise<void> {
    const launch = ++this.launchCount;
    const owner = `${this.ownerPrefix}${launch}`;
    const isFirst = launch === 1;
    try {
      // Processes of an earlier Flint that was killed before it could stop its server.
      if (isFirst) await this.killLeftovers(this.ownerPrefix, "left by an earlier run");
      if (this.isStopping) return;
      const port = await findFreePort();
      const token = randomBytes(32).toString("hex");
      const configDir = join(this.home, "config");
      const configFile = join(configDir, "jupyter_server_config.json");
      for (const dir of ["root", "runtime", "config", "data", "ipython"]) {
        mkdirSync(join(this.home, dir), { recursive: true, mode: 0o700 });
      }
      writeFileSync(configFile, JSON.stringify({ IdentityProvider: { token } }), { mode: 0o600 });

      const python = join(this.options.pythonEnv, "bin", "python");
      if (!existsSync(python)) {
        throw new Error(`no Python at ${python} (set the Python environment of Flint's kernels)`);
      }
      const args = [
        "-c",
        SERVER_BOOTSTRAP,
        "--ServerApp.ip=127.0.0.1",
        `--ServerApp.port=${port}`,
        // Fail instead of silently moving to another port than the one we poll.
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        `--ServerApp.root_dir=${this.options.sandbox?.projectsRoot ?? join(this.home, "root")}`,
        "--ServerApp.allow_root=True",
        // Terminals are a shell; Flint never uses them.
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.kernel_websocket_connection_class=flint.jupyter_nodelay.NoDelayChannelsConnection",
        // jupyter_server drops IOPub above 1000 msg/s or 1 MB/s. The broker caps each cell's output
        // itself (5 MB), so allow bursts of that size; the limit still sheds true floods before
        // they reach Node (ipykernel sends all output of 0.2 s in one message, 100+ MB in a loop).
        "--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=5000",
        "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=4000000",
        "--ZMQChannelsWebsocketConnection.rate_limit_window=3",
        // Flint shuts idle kernels down itself (and keeps their outputs); no culling here.
        "--MappingKernelManager.cull_idle_timeout=0",
        // A kernel on a busy 2-core machine can take a while to answer its first kernel_info.
        "--MappingKernelManager.kernel_info_timeout=120",
      ];
      const env = buildJupyterEnv(process.env, this.options.env);
      Object.assign(env, {
        JUPYTER_CONFIG_DIR: configDir,
        JUPYTER_RUNTIME_DIR: join(this.home, "runtime"),
        JUPYTER_DATA_DIR: join(this.home, "data"),
        IPYTHONDIR: join(this.home, "ipython"),
        PYTHONUNBUFFERED: "1",
        ...(this.options.sandbox?.configFile
          ? { FLINT_SANDBOX_CONFIG: this.options.sandbox.configFile }
          : {}),
        [OWNER_ENV]: owner,
      });
      const logFd = openSync(this.logPath, "a", 0o600);
      let child: ChildProcess;
      try {
        child = spawn(python, args, {
          cwd: join(this.home, "root"),
          // Exactly this environment (apps that augment ProcessEnv with required keys still compile).
          env: env as NodeJS.ProcessEnv,
          detached: true,
          stdio: ["ignore", logFd, logFd],
        });
      } finally {
        closeSync(logFd);
      }
      this.child = child;
      const exited = new Promise<string>((resolveExit) => {
        child.once("error", (error) => resolveExit(`could not run ${python}: ${error.message}`));
        child.once("exit", (code, signal) =>
          resolveExit(signal ? `killed by ${signal}` : `exit code ${code}`),
        );
      });
      void exited.then((how) => this.handleExit(child, launch, how));
      this.options.log(`starting Jupyter Server (launch ${launch}, port ${port}, pid ${child.pid})`);

      const endpoint: TJupyterEndpoint = { baseUrl: `http://127.0.0.1:${port}/`, token };
      const isUp = await this.waitUntilUp(endpoint, exited);
      // The server read its config at start; the token now lives only in memory.
      rmSync(configFile, { force: true });
      if (!isUp || this.child !== child || this.isStopping) return;

      this.connection = createConnection(endpoint, launch, this.options.log);
      this.state = "running";
      this.error = null;
      this.startedAt = Date.now();
      this.healthFailures = 0;
      this.busySince = null;
      this.options.log(`Jupyter Server is running (launch ${launch})`);
      for (const waiter of this.waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(this.connection);
      }
      this.waiters.clear();
      this.scheduleHealthCheck(endpoint, child);
    } catch (error) {
      this.recordFailure(`Jupyter Server could not start: ${describeError(error)}`);
      this.scheduleRestart();
    }
  }

  /** Polls `/api/status` until it answers 200; `false` when the process exited or time ran out. */
  private async waitUntilUp(endpoint: TJupyterEndpoint, exited: Promise<string>): Promise<boolean> {
    let hasExited = false;
    void exited.then(() => {
      hasExited = true;
    });
    const deadline = Date.now() + this.options.startTimeoutMs;
    while (!hasExited && !this.isStopping && Date.now() < deadline) {
      try {
        const response = await requestJupyter(endpoint, "api/status", 2_000);
        await response.body?.cancel();
        if (response.ok) return true;
      } catch {
        // Not listening yet.
      }
      await sleep(150);
    }
    if (!hasExited && !this.isStopping) {
      this.options.log(`Jupyter Server did not answer within ${this.options.startTimeoutMs} ms; killing it`);
      if (this.child?.pid) signalProcessGroup(this.child.pid, "SIGKILL");
    }
    return false;
  }

  private handleExit(child: ChildProcess, launch: number, how: string): void {
    if (this.child !== child) return;
    this.child = null;
    this.clearTimers();
    const wasRunning = this.connection?.launch === launch;
    this.connection = null;
    if (this.isStopping) return;
    const reason = wasRunning
      ? `Jupyter Server stopped unexpectedly, ${how}`
      : `Jupyter Server exited before it was ready (${how}); see ${this.logPath}`;
    this.options.log(reason);
    this.recordFailure(reason, wasRunning && Date.now() - this.startedAt > 60_000);
    if (wasRunning) {
      for (const listener of this.lostListeners) {
        try {
          listener(launch, reason);
        } catch (error) {
          this.options.log(`lost-server listener failed: ${describeError(error)}`);
        }
      }
    }
    // Its kernels (own sessions) survive it as orphans, with their Spark JVMs: end them.
    void this.killLeftovers(`${this.ownerPrefix}${launch}`, "left by the stopped server").finally(() =>
      this.scheduleRestart(),
    );
  }

  private recordFailure(reason: string, wasStable = false): void {
    this.error = reason;
    this.failures = wasStable ? 1 : this.failures + 1;
    this.state = "down";
    if (this.failures >= 2) {
      this.rejectWaiters(new KernelRuntimeError("jupyter_unavailable", reason));
    }
  }

  private scheduleRestart(): void {
    if (this.isStopping || this.restartTimer || this.child) return;
    const delay = Math.min(
      this.options.maxRestartDelayMs,
      this.options.restartDelayMs * 2 ** Math.max(0, this.failures - 1),
    );
    this.options.log(`restarting Jupyter Server in ${Math.round(delay / 100) / 10} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.isStopping) return;
      this.state = "starting";
      this.launching = this.launch().finally(() => {
        this.launching = null;
      });
    }, delay);
    this.restartTimer.unref();
  }

  private scheduleHealthCheck(
    endpoint: TJupyterEndpoint,
    child: ChildProcess,
    cpuBefore?: number | null,
  ): void {
    this.healthTimer = setTimeout(async () => {
      this.healthTimer = null;
      if (this.child !== child || this.isStopping) return;
      let isAnswering = false;
      try {
        const response = await requestJupyter(endpoint, "api/status", 5_000);
        await response.body?.cancel();
        isAnswering = response.ok;
      } catch {
        isAnswering = false;
      }
      const cpuNow = child.pid ? await readCpuTicks(child.pid) : null;
      if (this.child !== child || this.isStopping) return;
      if (isAnswering) {
        this.healthFailures = 0;
        this.busySince = null;
      } else if (isWorking(cpuBefore ?? null, cpuNow, this.options.healthIntervalMs)) {
        // Slow, not hung: it is using the CPU (starting many kernels on a loaded machine). Killing
        // it would kill every kernel with it, so it gets time, up to a bound.
        this.busySince ??= Date.now();
        if (Date.now() - this.busySince > BUSY_GRACE_MS) this.healthFailures = 3;
      } else {
        this.healthFailures++;
      }
      if (this.healthFailures >= 3) {
        // Alive but not answering: kill it; the exit handler restarts it.
        this.options.log("Jupyter Server stopped answering; killing it");
        if (child.pid) signalProcessGroup(child.pid, "SIGKILL");
        return;
      }
      this.scheduleHealthCheck(endpoint, child, cpuNow);
    }, this.options.healthIntervalMs);
    this.healthTimer.unref();
  }

  private async killLeftovers(prefix: string, why?: string): Promise<void> {
    if (!(await hasProcFs())) return;
    const count = await killMarkedProcesses(prefix);
    if (count > 0 && why) this.options.log(`killed ${count} process(es) ${why}`);
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.restartTimer = null;
    this.healthTimer = null;
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

/** Options of {@link ExternalJupyter}. */
export type TExternalJupyterOptions = {
  /** Base URL of the server or gateway, e.g. `https://gateway.example:8888/`. */
  url: string;
  /** Its token. */
  token: string;
  /** Lifecycle messages. */
  log?: TLog;
};

/**
 * A Jupyter Server or Enterprise Gateway that someone else runs (`JUPYTER_URL` + `JUPYTER_TOKEN`).
 * Flint starts none; `ready()` checks once that it answers to the token.
 */
export class ExternalJupyter implements TJupyterServer {
  readonly isExternal = true;
  private readonly endpoint: TJupyterEndpoint;
  private readonly log: TLog;
  private connection: TJupyterConnection | null = null;
  private error: string | null = null;
  private isStarted = false;

  /** Creates the client; nothing is contacted until {@link ready}. */
  constructor(options: TExternalJupyterOptions) {
    this.endpoint = { baseUrl: options.url, token: options.token };
    this.log = options.log ?? defaultLog("flint:jupyter");
  }

  status(): TJupyterStatus {
    return this.isStarted ? "external" : "not started";
  }

  lastError(): string | null {
    return this.error;
  }

  onLost(): () => void {
    return () => undefined;
  }

  start(): void {
    this.isStarted = true;
  }

  async ready(timeoutMs = 30_000): Promise<TJupyterConnection> {
    if (!this.isStarted) throw new KernelRuntimeError("jupyter_unavailable", "Jupyter is not started");
    if (this.connection) return this.connection;
    const where = describeUrl(this.endpoint.baseUrl);
    let response: Response;
    try {
      // Enterprise Gateway has no /api/status; both answer /api/kernelspecs, and only to the token.
      response = await requestJupyter(this.endpoint, "api/kernelspecs", timeoutMs);
      await response.body?.cancel();
    } catch (error) {
      this.error = `Jupyter at ${where} is unreachable: ${describeError(error)}`;
      throw new KernelRuntimeError("jupyter_unavailable", this.error, { cause: error });
    }
    if (!response.ok) {
      this.error = `Jupyter at ${where} answered ${response.status} ${response.statusText} (check JUPYTER_TOKEN)`;
      throw new KernelRuntimeError("jupyter_unavailable", this.error);
    }
    this.connection = createConnection(this.endpoint, 1, this.log);
    this.error = null;
    return this.connection;
  }

  async stop(): Promise<void> {
    this.isStarted = false;
    this.connection = null;
  }
}

/**
 * The MLflow tracking server Flint runs for model tracking (docs/models.md): `mlflow server` with
 * its backend store in Flint's PostgreSQL and its artifacts in Flint's data folder, listening on
 * a Unix socket that only Flint's own user may open.
 *
 * MLflow has no authorization of its own, so nobody but Flint may reach it: not a TCP port (a
 * kernel on the host's network, `FLINT_SANDBOX_NETWORK=host`, could call 127.0.0.1), but a socket
 * file of mode 0600 in a folder of mode 0700. Every request comes through Flint's proxy
 * (`@flint/api`'s MLflow routes), which checks the caller's project rights first.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { KernelRuntimeError } from "./errors";
import { OWNER_ENV, signalProcessGroup, sleep } from "./process-tree";
import { buildJupyterEnv, type TLog } from "./supervisor";

/** Options of {@link MlflowServer}. */
export interface TMlflowServerOptions {
  /** The Python environment with `mlflow` and `psycopg2` (Flint's kernel environment). */
  pythonEnv: string;
  /** Flint's data directory: the server keeps its socket, log and artifacts in `<dataDir>/mlflow/`. */
  dataDir: string;
  /** SQLAlchemy URL of the backend store (a database of Flint's PostgreSQL). Holds a password. */
  backendStoreUri: string;
  log?: TLog;
  /** How long the first start may take (it creates MLflow's tables). Default 120 s. */
  startTimeoutMs?: number;
  /** The first wait before starting a crashed server again; doubled per crash, up to 60 s. Default 1 s. */
  restartDelayMs?: number;
}

/** The longest wait between two restarts of a server that keeps crashing. */
const MAX_RESTART_DELAY_MS = 60_000;
/** A server that ran this long is healthy again: its next crash waits the first delay. */
const STABLE_AFTER_MS = 60_000;

/** What `/api/health` reports about the tracking server. */
export type TMlflowStatus = "not started" | "starting" | "running" | "down";

/** An answer of the tracking server. */
export interface TMlflowResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as a stream (artifacts can be large); read it once. */
  body: Readable;
}

/** One request to the tracking server (a path like `/api/2.0/mlflow/runs/get?run_id=...`). */
export interface TMlflowRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON value, bytes, or a stream (artifact uploads). */
  body?: unknown;
}

/**
 * Starts and stops `mlflow server` (uvicorn, one worker) as a child in its own process group, with
 * output appended to `<dataDir>/mlflow/mlflow-server.log`. A server that exits or fails to start
 * is started again after a delay that doubles with each crash (1 s, 2 s, 4 s ... 60 s; back to 1 s
 * once it ran a minute), so a server that cannot start does not spin a CPU; requests meanwhile
 * get a clear "restarting in N s".
 */
export class MlflowServer {
  private readonly home: string;
  private readonly log: TLog;
  private child: ChildProcess | null = null;
  private starting: Promise<void> | null = null;
  private state: TMlflowStatus = "not started";
  private error: string | null = null;
  private isStopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartAt: number | null = null;
  private restartDelayMs: number;
  private runningSince = 0;
  private restarts = 0;

  /** Creates the supervisor; nothing runs until {@link start}. */
  constructor(private readonly options: TMlflowServerOptions) {
    this.home = resolve(options.dataDir, "mlflow");
    this.log = options.log ?? ((message) => process.stderr.write(`[flint:mlflow] ${message}\n`));
    this.restartDelayMs = options.restartDelayMs ?? 1_000;
  }

  /** The Unix socket the server listens on (inside a folder only Flint's user can enter). */
  get socketPath(): string {
    return join(this.home, "run", "server.sock");
  }

  /** The server's process id while it runs (its process group's leader). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Where run and model artifacts are kept. */
  get artifactsDir(): string {
    return join(this.home, "artifacts");
  }

  /**
   * The server's state, why it last failed, when it is started again after a crash (epoch ms)
   * and how many times it was restarted.
   */
  status(): { state: TMlflowStatus; error: string | null; restartAt: number | null; restarts: number } {
    return { state: this.state, error: this.error, restartAt: this.restartAt, restarts: this.restarts };
  }

  /** Starts the server and resolves once it answers `/health`. Safe to call again. */
  start(): Promise<void> {
    if (this.isStopping) return Promise.reject(new KernelRuntimeError("stopped", "MLflow is stopping"));
    if (this.state === "running" && this.child) return Promise.resolve();
    this.starting ??= this.launch()
      .catch((error: unknown) => {
        this.scheduleRestart();
        throw error;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  /** Starts a crashed server again after the current delay, then doubles the delay. */
  private scheduleRestart(): void {
    if (this.isStopping || this.restartTimer) return;
    // A server that ran a while crashed once: start again soon. One that keeps crashing waits longer.
    if (this.runningSince && Date.now() - this.runningSince > STABLE_AFTER_MS)
      this.restartDelayMs = this.options.restartDelayMs ?? 1_000;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.restartAt = Date.now() + delay;
    this.log(`starting the MLflow server again in ${Math.round(delay / 100) / 10} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restartAt = null;
      this.restarts += 1;
      this.start().catch(() => undefined);
    }, delay);
    this.restartTimer.unref();
  }

  private async launch(): Promise<void> {
    this.state = "starting";
    const python = join(resolve(this.options.pythonEnv), "bin", "python");
    if (!existsSync(python)) throw new Error(`no Python at ${python}`);
    const runDir = join(this.home, "run");
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.artifactsDir, { recursive: true, mode: 0o700 });
    rmSync(this.socketPath, { force: true });
    const env = buildJupyterEnv(process.env, {
      // The password travels in the environment of Flint's own child, never in argv (ps shows it).
      // SQLAlchemy picks psycopg 3 for a bare postgresql:// URL; the environment has psycopg2.
      MLFLOW_BACKEND_STORE_URI: this.options.backendStoreUri.replace(
        /^postgres(ql)?:\/\//,
        "postgresql+psycopg2://",
      ),
      // No background job runner (huey workers): Flint uses tracking and the registry only.
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "false",
      PYTHONUNBUFFERED: "1",
      [OWNER_ENV]: `mlflow:${this.home}`,
    });
    const args = [
      "-m",
      "mlflow",
      "server",
      "--artifacts-destination",
      this.artifactsDir,
      "--serve-artifacts",
      // Ignored by uvicorn once --uds is given; MLflow's CLI still wants them.
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--workers",
      "1",
      "--uvicorn-opts",
      `--uds ${this.socketPath}`,
    ];
    const logFd = openSync(join(this.home, "mlflow-server.log"), "a", 0o600);
    let child: ChildProcess;
    try {
      child = spawn(python, args, {
        cwd: this.home,
        env: env as NodeJS.ProcessEnv,
        detached: true,
        stdio: ["ignore", logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    let exitReason: string | null = null;
    child.once("exit", (code, signal) => {
      exitReason = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (this.child === child) {
        this.child = null;
        if (!this.isStopping) {
          const wasRunning = this.state === "running";
          this.state = "down";
          this.error = `the MLflow server exited (${exitReason}); see ${join(this.home, "mlflow-server.log")}`;
          this.log(this.error);
          // While starting, launch() sees the exit and start() schedules the restart.
          if (wasRunning) this.scheduleRestart();
        }
      }
    });
    this.log(`starting the MLflow tracking server (pid ${child.pid})`);
    const startedAt = Date.now();
    const deadline = startedAt + (this.options.startTimeoutMs ?? 120_000);
    for (;;) {
      if (exitReason !== null) {
        this.state = "down";
        this.error = `the MLflow server exited while starting (${exitReason}): ${this.logTail()}`;
        throw new KernelRuntimeError("jupyter_unavailable", this.error);
      }
      if (this.isStopping) throw new KernelRuntimeError("stopped", "MLflow is stopping");
      if (existsSync(this.socketPath) && (await this.isHealthy())) break;
      if (Date.now() > deadline) {
        this.error = `the MLflow server did not answer within ${Math.round((deadline - startedAt) / 1000)} s`;
        signalProcessGroup(child.pid as number, "SIGKILL");
        this.state = "down";
        throw new KernelRuntimeError("jupyter_unavailable", this.error);
      }
      await sleep(200);
    }
    this.state = "running";
    this.error = null;
    this.runningSince = Date.now();
    this.log(`MLflow tracking server is running (${Date.now() - startedAt} ms)`);
  }

  /** The last lines of the server's log, without the backend store's URL (it holds a password). */
  private logTail(): string {
    try {
      const lines = readFileSync(join(this.home, "mlflow-server.log"), "utf8").trim().split("\n").slice(-6);
      return lines.join(" | ").replaceAll(/postgresql:\/\/[^\s'"]+/g, "postgresql://…");
    } catch {
      return "no log";
    }
  }

  private async isHealthy(): Promise<boolean> {
    try {
      const answer = await this.send({ method: "GET", path: "/health" });
      answer.body.resume();
      return answer.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Sends one request, starting the server first if it is not running. While a crashed server
   * waits for its restart, answers at once with the reason instead of starting it early.
   */
  async request(request: TMlflowRequest): Promise<TMlflowResponse> {
    if (this.restartAt !== null) {
      const seconds = Math.max(1, Math.ceil((this.restartAt - Date.now()) / 1000));
      throw new KernelRuntimeError(
        "jupyter_unavailable",
        `The MLflow tracking server is down (${this.error ?? "it crashed"}); Flint starts it again in ${seconds} s.`,
      );
    }
    if (this.state !== "running" || !this.child) await this.start();
    return this.send(request);
  }

  /** Sends a JSON request and reads a JSON answer (MLflow's REST API). */
  async requestJson(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const answer = await this.request({ method, path, body });
    const chunks: Buffer[] = [];
    for await (const chunk of answer.body) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { message: text.slice(0, 500) };
    }
    return { status: answer.status, json };
  }

  private send({ method, path, headers = {}, body }: TMlflowRequest): Promise<TMlflowResponse> {
    return new Promise((resolveAnswer, reject) => {
      const isStream = body instanceof Readable;
      const bytes =
        body === undefined || isStream
          ? undefined
          : body instanceof Uint8Array
            ? Buffer.from(body)
            : Buffer.from(JSON.stringify(body));
      const outgoing: Record<string, string> = { ...headers, host: "localhost" };
      if (bytes) {
        outgoing["content-length"] = String(bytes.byteLength);
        if (!(body instanceof Uint8Array)) outgoing["content-type"] = "application/json";
      }
      const req = httpRequest({ socketPath: this.socketPath, method, path, headers: outgoing }, (res) =>
        resolveAnswer({ status: res.statusCode ?? 502, headers: res.headers, body: res }),
      );
      req.on("error", reject);
      if (isStream) (body as Readable).on("error", (error) => req.destroy(error)).pipe(req);
      else req.end(bytes);
    });
  }

  /** Stops the server (SIGTERM to its group, SIGKILL after 8 s). */
  async stop(): Promise<void> {
    this.isStopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.restartAt = null;
    const child = this.child;
    if (this.starting) await this.starting.catch(() => undefined);
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
      signalProcessGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => signalProcessGroup(child.pid as number, "SIGKILL"), 8_000);
      await exited;
      clearTimeout(timer);
    }
    this.child = null;
    this.state = "not started";
    rmSync(this.socketPath, { force: true });
  }
}

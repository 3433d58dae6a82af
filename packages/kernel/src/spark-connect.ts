/**
 * One shared Spark per project: a Spark Connect server that the project's notebooks use, each
 * with its own Spark session (issue 17; `docs/spark.md`).
 *
 * A kernel asks for it at its first Spark use (`POST /api/v1/notebooks/{id}/spark-connect`, with
 * its notebook token); {@link SparkConnectManager.ensure} starts the project's server if it is not
 * running and answers its address once it accepts connections. The server runs
 * `python -m flint.spark_connect` (packages/python): in the project's bubblewrap sandbox when
 * kernels are sandboxed (the project's uid, its own network namespace; the project's kernels reach
 * it through a Unix socket in a folder bound into the project's sandboxes only), else on a
 * loopback port. It is stopped when no bytes went through it for the idle time.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TSandboxPlan } from "./sandbox";
import { buildJupyterEnv, type TLog } from "./supervisor";

/** The port kernels reach the project's server on inside their sandbox (flint.sandbox.CONNECT_PORT). */
export const SANDBOXED_CONNECT_PORT = 15002;

/**
 * Whether a cell's source uses the notebook's Spark: `spark`, a `%%sql` cell, or a catalog asset
 * loaded into Spark (`catalog.load(...)`, the catalog's "Insert into notebook" snippet). A guess
 * from the text, used only to start the project's server early; a wrong "yes" (the word in a
 * comment) costs an idle server until its idle stop, a wrong "no" the start at the first use.
 */
export function usesSpark(source: string): boolean {
  return /\bspark\b|^\s*%%sql\b|\bcatalog\.load\(/m.test(source);
}

/** Options of {@link SparkConnectManager}. */
export type TSparkConnectOptions = {
  /** Python environment with pyspark[connect] and the `flint` package. */
  pythonEnv: string;
  /** Flint's data directory. */
  dataDir: string;
  /** The kernels' sandbox plan; null or mode `off`: servers run unsandboxed on loopback ports. */
  sandbox: TSandboxPlan | null;
  /** Stop a server after this long without traffic. Default 30 minutes; 0: never. */
  idleMs?: number;
  /** Driver memory of one server (its JVM heap) in MiB. Default 2048. */
  memoryMb?: number;
  /** How long a start may take before it fails. Default 5 minutes (a loaded 2-core machine). */
  startTimeoutMs?: number;
  /** Extra environment (e.g. `JAVA_HOME`), on top of the allow-listed part of Flint's. */
  env?: Record<string, string>;
  log?: TLog;
  /** Called when a project's server starts accepting sessions (the warm pool gets ready for it). */
  onReady?: (projectId: string) => void;
  /** Called when a project's server has exited and no other runs for it (stopped, idle or died). */
  onStopped?: (projectId: string) => void;
};

/** What {@link SparkConnectManager.ensure} answers: the address a kernel of the project uses. */
export type TSparkConnectAddress = { url: string };

type TServer = {
  projectId: string;
  process: ChildProcess;
  /** Resolves with the kernel-side address once the server accepts connections. */
  ready: Promise<TSparkConnectAddress>;
  activityFile: string;
  startedAt: number;
  /** When it first accepted connections (null while starting: a start is never "idle"). */
  readyAt: number | null;
  stopping: boolean;
};

/** What `flint.sandbox.launch --serve` prints once the server accepts connections, and where. */
const READY_LINE = /flint\.sandbox: serving (\S+)/;

/** Starts, shares and stops the projects' Spark Connect servers. */
export class SparkConnectManager {
  private readonly servers = new Map<string, TServer>();
  private readonly idleMs: number;
  private readonly log: TLog;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: TSparkConnectOptions) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.log = options.log ?? ((message) => process.stderr.write(`[flint:spark] ${message}\n`));
  }

  private get isSandboxed(): boolean {
    return Boolean(this.options.sandbox?.configFile);
  }

  /**
   * The project's server address, starting the server first if it is not running. Concurrent
   * calls for one project share one start.
   * @throws Error saying why the server could not start (the kernel shows it in the cell).
   */
  async ensure(projectId: string): Promise<TSparkConnectAddress> {
    if (this.closed) throw new Error("Flint is shutting down");
    if (!/^[A-Za-z0-9_-]+$/.test(projectId)) throw new Error(`invalid project id ${projectId}`);
    let server = this.servers.get(projectId);
    if (!server || server.stopping) {
      server = this.start(projectId);
      this.servers.set(projectId, server);
    }
    this.touch(server);
    return await server.ready;
  }

  /** Projects whose server runs (or starts) now. */
  running(): string[] {
    return [...this.servers.values()].filter((server) => !server.stopping).map((server) => server.projectId);
  }

  /** The server process id of a project (tests, benchmarks), or null. */
  pidOf(projectId: string): number | null {
    return this.servers.get(projectId)?.process.pid ?? null;
  }

  /** Stops every server whose last traffic is older than the idle time; returns their projects. */
  async stopIdle(now = Date.now()): Promise<string[]> {
    if (this.idleMs <= 0) return [];
    const idle: TServer[] = [];
    for (const server of this.servers.values()) {
      if (server.stopping || server.readyAt === null) continue;
      if (now - this.lastActivity(server) >= this.idleMs) idle.push(server);
    }
    await Promise.all(idle.map((server) => this.stopServer(server, "idle")));
    return idle.map((server) => server.projectId);
  }

  /** Stops one project's server (no-op when none runs). */
  async stopProject(projectId: string): Promise<void> {
    const server = this.servers.get(projectId);
    if (server) await this.stopServer(server, "asked");
  }

  /** Stops every server; later `ensure` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    await Promise.all([...this.servers.values()].map((server) => this.stopServer(server, "shutdown")));
  }

  private folderOf(projectId: string): string {
    // Sandboxed: the folder that the provisioner binds into the project's kernels (flint.sandbox
    // .project_spark_dir); it is made 0700 for the project's uid, so no other project can enter.
    const sandbox = this.options.sandbox;
    if (sandbox?.configFile) return path.join(path.dirname(sandbox.configFile), "spark", projectId);
    return path.join(this.options.dataDir, "spark-connect", projectId);
  }

  private start(projectId: string): TServer {
    const folder = this.folderOf(projectId);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const activityFile = path.join(folder, "activity");
    writeFileSync(activityFile, "");
    // Unsandboxed: port 0, the launcher binds a free loopback port and names it when ready.
    const listen = this.isSandboxed ? path.join(folder, "connect.sock") : "0";
    const python = path.join(this.options.pythonEnv, "bin", "python");
    const env = buildJupyterEnv(process.env, {
      ...(this.options.env ?? {}),
      ...(this.options.sandbox?.configFile ? { FLINT_SANDBOX_CONFIG: this.options.sandbox.configFile } : {}),
    });
    const args = ["-m", "flint.spark_connect", "--project", projectId, "--listen", listen];
    args.push("--activity", activityFile, "--memory-mb", String(this.options.memoryMb ?? 2048));
    const started = Date.now();
    this.log(`starting the shared Spark of project ${projectId}`);
    const child: ChildProcess = spawn(python, args, {
      // Next's types make NODE_ENV required in ProcessEnv; a child's environment need not have it.
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stderrTail = "";
    const ready = new Promise<TSparkConnectAddress>((resolve, reject) => {
      const timeoutMs = this.options.startTimeoutMs ?? 5 * 60_000;
      const timer = setTimeout(() => {
        reject(new Error(`the project's Spark did not start within ${Math.round(timeoutMs / 1000)} s`));
        void this.stopServer(server, "start timed out");
      }, timeoutMs);
      let stdout = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const match = READY_LINE.exec(stdout);
        if (match) {
          clearTimeout(timer);
          this.log(`the shared Spark of project ${projectId} is up after ${Date.now() - started} ms`);
          server.readyAt = Date.now();
          this.options.onReady?.(projectId);
          const port = this.isSandboxed ? SANDBOXED_CONNECT_PORT : Number(match[1]);
          resolve({ url: `sc://127.0.0.1:${port}` });
          stdout = "";
        }
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString("utf8")).slice(-4000);
      });
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`the project's Spark could not start: ${error.message}`));
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.servers.get(projectId) === server) this.servers.delete(projectId);
        if (!this.servers.has(projectId)) this.options.onStopped?.(projectId);
        const lastLines = stderrTail.trim().split("\n").slice(-5).join("\n");
        reject(
          new Error(
            `the project's Spark stopped (${signal ?? `exit ${code}`}) before it accepted sessions${lastLines ? `:\n${lastLines}` : ""}`,
          ),
        );
      });
    });
    // A start that failed is reported to its callers; nothing else waits on it.
    ready.catch(() => {});
    const server: TServer = {
      projectId,
      process: child,
      ready,
      activityFile,
      startedAt: started,
      readyAt: null,
      stopping: false,
    };
    this.scheduleIdleChecks();
    return server;
  }

  private touch(server: TServer): void {
    try {
      const now = new Date();
      utimesSync(server.activityFile, now, now);
    } catch {
      // The file is remade at the next start; a missing one only makes the server look idle.
    }
  }

  private lastActivity(server: TServer): number {
    try {
      return Math.max(statSync(server.activityFile).mtimeMs, server.readyAt ?? Date.now());
    } catch {
      return server.readyAt ?? Date.now();
    }
  }

  private scheduleIdleChecks(): void {
    if (this.idleTimer || this.idleMs <= 0) return;
    this.idleTimer = setInterval(
      () => {
        void this.stopIdle();
      },
      Math.max(250, Math.min(60_000, this.idleMs / 4)),
    );
    this.idleTimer.unref();
  }

  private async stopServer(server: TServer, why: string): Promise<void> {
    if (server.process.exitCode !== null || server.process.signalCode !== null) {
      if (this.servers.get(server.projectId) === server) this.servers.delete(server.projectId);
      return;
    }
    server.stopping = true;
    this.log(`stopping the shared Spark of project ${server.projectId} (${why})`);
    const exited = new Promise<void>((resolve) => server.process.once("exit", () => resolve()));
    // The whole group: spark-submit's JVM and Python workers, or bwrap with everything inside.
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (server.process.pid) process.kill(-server.process.pid, signal);
      } catch {
        // Already gone.
      }
    };
    signalGroup("SIGTERM");
    const killed = setTimeout(() => signalGroup("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killed);
    if (this.servers.get(server.projectId) === server) this.servers.delete(server.projectId);
  }
}

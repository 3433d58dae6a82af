/**
 * Deployments' scoring processes (docs/models.md, Deployments): one long-lived process per
 * deployment, `python -m flint.serving` (packages/python), sandboxed like the project's kernels
 * when kernels are (the project's uid, its own network namespace), answering on a Unix socket.
 *
 * {@link ScoringManager.deploy} starts a new process for a deployment and, once its model is
 * loaded, routes new requests to it and drains the one it replaces: requests already sent to the
 * old process finish there, none is refused. That is how an alias moved to a new version swaps
 * without dropping a request.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import path from "node:path";
import { signalProcessGroup, sleep } from "./process-tree";
import { memoryGroup, type TSandboxPlan } from "./sandbox";
import { buildJupyterEnv, type TLog } from "./supervisor";

/** Options of {@link ScoringManager}. */
export type TScoringOptions = {
  /** Python environment with mlflow and the `flint` package. */
  pythonEnv: string;
  /** Flint's data directory; each process's model files are staged in `<dataDir>/deployments/`. */
  dataDir: string;
  /** The kernels' sandbox plan; null or mode `off`: processes run as Flint's user. */
  sandbox: TSandboxPlan | null;
  /** How long loading a model may take. Default 3 minutes (a loaded 2-core machine). */
  startTimeoutMs?: number;
  /**
   * Memory limit of one scoring process with everything it starts, in bytes (0 or unset: none): a
   * cgroup v1 memory group per process, as kernels have (needs root; otherwise no limit, logged).
   */
  memoryBytes?: number;
  env?: Record<string, string>;
  log?: TLog;
};

/** What a scoring process answered. */
export type TScoringAnswer = { status: number; body: Buffer };

/** A scoring process was stopped by its memory limit (the request it was scoring gets this). */
export class ScoringMemoryError extends Error {
  constructor(readonly limitBytes: number) {
    super(
      `the model's scoring process used more than its memory limit of ${Math.round(limitBytes / 1024 ** 2)} MiB and was stopped`,
    );
    this.name = "ScoringMemoryError";
  }
}

type TInstance = {
  name: string;
  deploymentId: string;
  label: string;
  process: ChildProcess;
  socketPath: string;
  agent: Agent;
  inflight: number;
  workDir: string;
  exited: boolean;
  /** Resolves when the process exited. */
  exit: Promise<void>;
  /** The process's memory cgroup, or null (no limit). */
  cgroup: string | null;
  /** Set when the memory limit killed it. */
  memoryError: ScoringMemoryError | null;
};

type TService = {
  active: TInstance | null;
  /** Deploys of one deployment run one after another. */
  queue: Promise<void>;
};

const READY_LINE = /flint\.serving: ready (\S+)/;

/** Starts, swaps and stops deployments' scoring processes. */
export class ScoringManager {
  private readonly services = new Map<string, TService>();
  private readonly log: TLog;
  private generation = 0;
  private closed = false;
  /** Where processes' memory groups are made; null: no limit. */
  private readonly memoryHierarchy: string | null;

  constructor(private readonly options: TScoringOptions) {
    this.log = options.log ?? ((message) => process.stderr.write(`[flint:scoring] ${message}\n`));
    const wantsLimit = (options.memoryBytes ?? 0) > 0;
    this.memoryHierarchy = wantsLimit
      ? (options.sandbox?.memoryCgroup ?? (process.getuid?.() === 0 ? memoryGroup() : null))
      : null;
    if (wantsLimit && !this.memoryHierarchy)
      this.log(
        "scoring processes run with NO memory limit: no cgroup v1 memory hierarchy Flint may write (root only)",
      );
  }

  /** Whether a process answers for the deployment now. */
  isRunning(deploymentId: string): boolean {
    const active = this.services.get(deploymentId)?.active;
    return Boolean(active && !active.exited);
  }

  /** What the running process serves (the label given to {@link deploy}), or null. */
  servedLabel(deploymentId: string): string | null {
    const active = this.services.get(deploymentId)?.active;
    return active && !active.exited ? active.label : null;
  }

  /** The pid of the deployment's running process (tests, benchmarks), or null. */
  pidOf(deploymentId: string): number | null {
    const active = this.services.get(deploymentId)?.active;
    return active && !active.exited ? (active.process.pid ?? null) : null;
  }

  /**
   * Starts a process for the deployment with the model files `stage` writes into the folder it is
   * given, waits until the model is loaded, then makes it the one that answers and drains and
   * stops the previous one. Deploys of one deployment are queued.
   * @throws Error saying why the process did not start (the previous one keeps answering).
   */
  deploy(
    deployment: { id: string; projectId: string },
    label: string,
    stage: (modelDir: string) => Promise<void>,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new Error("Flint is shutting down"));
    if (!/^[A-Za-z0-9_-]+$/.test(deployment.id) || !/^[A-Za-z0-9_-]+$/.test(deployment.projectId))
      return Promise.reject(new Error(`invalid deployment ${deployment.id}`));
    const service = this.serviceOf(deployment.id);
    const run = service.queue.then(() => this.swap(service, deployment, label, stage));
    service.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends one prediction request to the deployment's process.
   * @throws Error when no process runs for it (the caller starts one).
   */
  async predict(deploymentId: string, body: Uint8Array): Promise<TScoringAnswer> {
    const active = this.services.get(deploymentId)?.active;
    if (!active || active.exited) throw new Error("no scoring process runs for this deployment");
    // Counted from here: a swap waits for these before stopping the process.
    active.inflight += 1;
    try {
      return await this.send(active, "POST", "/invocations", body);
    } catch (error) {
      // The connection broke: if the memory limit killed the process, say so (its exit event may
      // come a moment after the broken socket).
      if (active.cgroup) {
        await Promise.race([active.exit, sleep(5_000)]);
        if (active.memoryError) throw active.memoryError;
      }
      throw error;
    } finally {
      active.inflight -= 1;
    }
  }

  /** What the deployment's running process says of itself (`GET /health`: its model's signature). */
  async describe(deploymentId: string): Promise<Record<string, unknown>> {
    const active = this.services.get(deploymentId)?.active;
    if (!active || active.exited) throw new Error("no scoring process runs for this deployment");
    const answer = await this.send(active, "GET", "/health");
    return JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
  }

  /** Stops the deployment's process (no-op when none runs). */
  async stop(deploymentId: string): Promise<void> {
    const service = this.services.get(deploymentId);
    if (!service) return;
    await service.queue;
    const active = service.active;
    service.active = null;
    this.services.delete(deploymentId);
    if (active) await this.retire(active, "asked");
  }

  /** Stops every process; later deploys fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.services.keys()].map((id) => this.stop(id)));
  }

  private serviceOf(deploymentId: string): TService {
    let service = this.services.get(deploymentId);
    if (!service) {
      service = { active: null, queue: Promise.resolve() };
      this.services.set(deploymentId, service);
    }
    return service;
  }

  private async swap(
    service: TService,
    deployment: { id: string; projectId: string },
    label: string,
    stage: (modelDir: string) => Promise<void>,
  ): Promise<void> {
    this.generation += 1;
    const name = `${deployment.id}-${Date.now().toString(36)}${this.generation}`;
    const workDir = path.join(this.options.dataDir, "deployments", name);
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(path.join(workDir, "model"), { recursive: true, mode: 0o755 });
    let next: TInstance;
    try {
      await stage(path.join(workDir, "model"));
      next = await this.launch(deployment, name, label, workDir);
    } catch (error) {
      rmSync(workDir, { recursive: true, force: true });
      throw error;
    }
    const previous = service.active;
    // From here on new requests go to the new process; Node runs this line atomically.
    service.active = next;
    this.log(`deployment ${deployment.id} serves ${label}`);
    if (previous) await this.retire(previous, `replaced by ${label}`);
  }

  private launch(
    deployment: { id: string; projectId: string },
    name: string,
    label: string,
    workDir: string,
  ): Promise<TInstance> {
    const python = path.join(this.options.pythonEnv, "bin", "python");
    const env = buildJupyterEnv(process.env, {
      ...(this.options.env ?? {}),
      ...(this.options.sandbox?.configFile ? { FLINT_SANDBOX_CONFIG: this.options.sandbox.configFile } : {}),
    });
    const args = [
      "-m",
      "flint.serving",
      "--project",
      deployment.projectId,
      "--instance",
      name,
      "--work",
      workDir,
    ];
    const started = Date.now();
    const cgroup = this.memoryGroupFor(name);
    // The shell joins the memory group before anything starts, then becomes the scoring process
    // (same pid), so bwrap and everything inside it is counted, as kernels are (flint.sandbox).
    const command = cgroup
      ? ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', path.join(cgroup, "cgroup.procs"), python, ...args]
      : [python, ...args];
    const child = spawn(command[0] as string, command.slice(1), {
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const instance: TInstance = {
      name,
      deploymentId: deployment.id,
      label,
      process: child,
      socketPath: "",
      // Keep-alive: a request reuses a connection instead of opening one each time.
      agent: new Agent({ keepAlive: true, maxSockets: 32 }),
      inflight: 0,
      workDir,
      exited: false,
      exit: new Promise<void>((resolve) => child.once("exit", () => resolve())),
      cgroup,
      memoryError: null,
    };
    let stderrTail = "";
    return new Promise<TInstance>((resolve, reject) => {
      const timeoutMs = this.options.startTimeoutMs ?? 180_000;
      const timer = setTimeout(() => {
        reject(new Error(`the model did not load within ${Math.round(timeoutMs / 1000)} s`));
        void this.retire(instance, "start timed out");
      }, timeoutMs);
      let stdout = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const match = READY_LINE.exec(stdout);
        if (match && !instance.socketPath) {
          clearTimeout(timer);
          instance.socketPath = match[1] as string;
          this.log(`scoring process ${name} ready after ${Date.now() - started} ms`);
          resolve(instance);
        }
        stdout = stdout.slice(-2000);
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString("utf8")).slice(-4000);
      });
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`the scoring process could not start: ${error.message}`));
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        instance.exited = true;
        instance.agent.destroy();
        if (cgroup && wasKilledByMemoryLimit(cgroup))
          instance.memoryError = new ScoringMemoryError(this.options.memoryBytes ?? 0);
        if (cgroup) removeGroup(cgroup);
        const service = this.services.get(deployment.id);
        if (service?.active === instance) {
          // A crash: the next request starts a new process (the deployments service does).
          service.active = null;
          this.log(`scoring process ${name} exited (${signal ?? `exit ${code}`}): ${lastLines(stderrTail)}`);
        }
        rmSync(workDir, { recursive: true, force: true });
        // Sandboxed, the model was copied into the instance's folder next to the kernels' (flint.serving).
        const sandbox = this.options.sandbox;
        if (sandbox?.configFile)
          rmSync(path.join(path.dirname(sandbox.configFile), "kernels", `deploy-${name}`), {
            recursive: true,
            force: true,
          });
        reject(
          instance.memoryError
            ? new Error(`${instance.memoryError.message} while loading the model`)
            : new Error(
                `the scoring process stopped (${signal ?? `exit ${code}`}) before the model loaded${stderrTail ? `:\n${lastLines(stderrTail)}` : ""}`,
              ),
        );
      });
    });
  }

  /** A memory group limited to `memoryBytes` for the process `name`, or null (no limit). */
  private memoryGroupFor(name: string): string | null {
    if (!this.memoryHierarchy) return null;
    const group = path.join(this.memoryHierarchy, `deploy-${name}`);
    try {
      mkdirSync(group, { recursive: true });
      writeFileSync(path.join(group, "memory.limit_in_bytes"), String(this.options.memoryBytes));
      return group;
    } catch (error) {
      this.log(`scoring process ${name} runs with no memory limit: ${(error as Error).message}`);
      return null;
    }
  }

  /** Waits until no request is in flight on `instance`, then stops it. */
  private async retire(instance: TInstance, why: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (instance.inflight > 0 && !instance.exited && Date.now() < deadline) await sleep(10);
    if (instance.exited || !instance.process.pid) return;
    this.log(`stopping scoring process ${instance.name} (${why})`);
    const exited = new Promise<void>((resolve) => instance.process.once("exit", () => resolve()));
    // The whole group: bwrap and everything inside it.
    signalProcessGroup(instance.process.pid, "SIGTERM");
    const killed = setTimeout(() => signalProcessGroup(instance.process.pid as number, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(killed);
  }

  private send(
    instance: TInstance,
    method: string,
    urlPath: string,
    body?: Uint8Array,
  ): Promise<TScoringAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { host: "localhost" };
      if (body) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(body.byteLength);
      }
      const req = httpRequest(
        { socketPath: instance.socketPath, agent: instance.agent, method, path: urlPath, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body ? Buffer.from(body) : undefined);
    });
  }
}

/** Whether the memory group's limit killed a process in it (cgroup v1 `oom_kill` count). */
function wasKilledByMemoryLimit(group: string): boolean {
  try {
    const control = readFileSync(path.join(group, "memory.oom_control"), "utf8");
    return Number(/^oom_kill (\d+)$/m.exec(control)?.[1] ?? 0) > 0;
  } catch {
    return false;
  }
}

/** Removes an empty memory group; its last process may take a moment to leave it. */
function removeGroup(group: string, attempt = 0): void {
  try {
    rmdirSync(group);
  } catch {
    if (attempt < 5) setTimeout(() => removeGroup(group, attempt + 1), 200).unref();
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-5).join("\n");
}

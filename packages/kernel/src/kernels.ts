/**
 * Kernels: one {@link KernelHandle} per running kernel, and the {@link KernelPool} that starts
 * them, keeps a few warm ones ready (so a new notebook's first cell does not wait for Python and
 * Spark to start) and notices when they die.
 */

import { type Kernel, KernelAPI, KernelConnection, type KernelMessage } from "@jupyterlab/services";
import { describeError, KernelRuntimeError } from "./errors";
import { Slots } from "./slots";
import type { TJupyterServer, TLog } from "./supervisor";

/** The kernelspec Flint starts: `packages/python`'s "Python 3 (Spark)". */
export const DEFAULT_KERNEL_NAME = "flint-spark";

/**
 * Runs in every warm kernel once it answers: it does nothing, but as a real (non-silent) cell it
 * makes the `flint` extension finish its first-cell setup (Altair's renderer), while the
 * SparkSession the extension started at load keeps building in the background.
 */
const WARM_UP_CODE = "pass";

/** A kernel's status as `@jupyterlab/services` reports it. */
export type TServicesStatus = KernelMessage.Status;

/**
 * One running kernel and its WebSocket connection. Reports its death once, whatever the cause:
 * the process exited (Jupyter's restarter reports `restarting`; Flint never restarts a kernel
 * in place, it replaces it), the connection could not be re-established, or the Jupyter Server
 * itself went away.
 */
export class KernelHandle {
  /** Jupyter's kernel id. */
  readonly id: string;
  /** The server launch this kernel belongs to. */
  readonly launch: number;
  /** The connection (comm-handling, one per kernel). */
  readonly connection: Kernel.IKernelConnection;
  private deathReason: string | null = null;
  private readonly deathListeners = new Set<(reason: string) => void>();
  private readonly statusListeners = new Set<(status: TServicesStatus) => void>();
  private readonly iopubListeners = new Set<(msg: KernelMessage.IIOPubMessage) => void>();
  private readonly droppedListeners = new Set<() => void>();
  private readonly log: TLog;
  private isShutDown = false;

  /** Wraps a connection; see {@link KernelPool} for how handles are made. */
  constructor(connection: Kernel.IKernelConnection, launch: number, log: TLog) {
    this.id = connection.id;
    this.launch = launch;
    this.connection = connection;
    this.log = log;
    // After a server-side restart, services reconnects on its own and leaves the promise of that
    // reconnect unhandled. Flint replaces such a kernel (and closes the connection), so the
    // reconnect fails on purpose; unhandled, that rejection would end the Node process.
    const reconnect = connection.reconnect.bind(connection);
    connection.reconnect = async () => {
      try {
        await reconnect();
      } catch {
        // Expected when the kernel was replaced; a live kernel's callers see its status instead.
      }
    };
    // services 7.6 schedules reconnects with `setTimeout(this._createSocket)` and does not cancel
    // them on dispose; a reconnect firing after Flint closed a dead kernel's connection throws
    // "Kernel connection is disposed" from a timer, an uncaught exception that would end the Node
    // process. Guard the private method (the version is pinned; kernels.integration.test.ts checks it).
    const internals = connection as unknown as { _createSocket?: (useProtocols?: boolean) => void };
    const createSocket = internals._createSocket;
    if (typeof createSocket === "function") {
      internals._createSocket = (useProtocols?: boolean) => {
        if (!connection.isDisposed) createSocket(useProtocols);
      };
    }
    connection.statusChanged.connect(this.handleStatus, this);
    connection.connectionStatusChanged.connect(this.handleConnectionStatus, this);
    connection.iopubMessage.connect(this.handleIOPub, this);
  }

  /** True once the kernel died or was shut down. */
  get isDead(): boolean {
    return this.deathReason !== null;
  }

  /** Why it died, or `null`. */
  get reasonOfDeath(): string | null {
    return this.deathReason;
  }

  /** The latest status from the kernel. */
  get status(): TServicesStatus {
    return this.connection.status;
  }

  /** Calls `listener` once when the kernel dies (at once if it already has). */
  onDeath(listener: (reason: string) => void): () => void {
    if (this.deathReason !== null) {
      const reason = this.deathReason;
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  /** Calls `listener` on every status change. */
  onStatus(listener: (status: TServicesStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Calls `listener` for every IOPub message of the kernel, whichever request it belongs to. */
  onIOPub(listener: (msg: KernelMessage.IIOPubMessage) => void): () => void {
    this.iopubListeners.add(listener);
    return () => this.iopubListeners.delete(listener);
  }

  /** Calls `listener` when a message of this kernel was too large to accept and was dropped. */
  onDroppedMessage(listener: () => void): () => void {
    this.droppedListeners.add(listener);
    return () => this.droppedListeners.delete(listener);
  }

  /** Reports a dropped (oversized) message to the listeners. Used by the pool. */
  reportDroppedMessage(): void {
    for (const listener of this.droppedListeners) listener();
  }

  /**
   * Sends an `execute_request`. `allow_stdin` is always false (Flint answers no input requests,
   * so `input()` fails at once instead of hanging) and `stop_on_error` is false (the broker keeps
   * the queue and stops it itself; the kernel must not abort requests sent after an error).
   */
  execute(
    code: string,
    metadata: Record<string, string>,
  ): Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg> {
    return this.connection.requestExecute(
      { code, silent: false, store_history: true, allow_stdin: false, stop_on_error: false },
      true,
      metadata,
    );
  }

  /**
   * Sends code the user does not see: no outputs, no execution count, no history. The broker
   * uses it to set the kernel's environment before a cell (the caller's notebook token). Not
   * awaited: the kernel handles shell requests in order, so it has run before the next
   * `execute`. Its errors are ignored.
   */
  executeSilent(code: string): void {
    const future = this.connection.requestExecute(
      { code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false },
      true,
    );
    future.done.catch(() => undefined);
  }

  /** Asks Jupyter to interrupt the kernel (SIGINT; the `flint` extension cancels Spark jobs). */
  async interrupt(): Promise<void> {
    if (this.isDead) return;
    await this.connection.interrupt();
  }

  /** Marks the kernel dead (once) and tells the listeners. Also used by the pool. */
  markDead(reason: string): void {
    if (this.deathReason !== null) return;
    this.deathReason = reason;
    this.detach();
    for (const listener of this.deathListeners) {
      try {
        listener(reason);
      } catch (error) {
        this.log(`kernel death listener failed: ${describeError(error)}`);
      }
    }
    this.deathListeners.clear();
    this.droppedListeners.clear();
  }

  /**
   * Shuts the kernel down through Jupyter (which stops its Spark driver with it) and closes the
   * connection. Never throws: a kernel that is already gone is fine.
   */
  async shutdown(): Promise<void> {
    if (this.isShutDown) return;
    this.isShutDown = true;
    this.markDead("the kernel was shut down");
    try {
      await KernelAPI.shutdownKernel(this.id, this.connection.serverSettings);
    } catch {
      // Already gone (404), or the server is down: nothing left to shut down.
    }
  }

  private detach(): void {
    this.connection.statusChanged.disconnect(this.handleStatus, this);
    this.connection.connectionStatusChanged.disconnect(this.handleConnectionStatus, this);
    this.connection.iopubMessage.disconnect(this.handleIOPub, this);
    if (!this.connection.isDisposed) this.connection.dispose();
  }

  private handleStatus(_: Kernel.IKernelConnection, status: TServicesStatus): void {
    for (const listener of this.statusListeners) listener(status);
    if (status === "restarting" || status === "autorestarting") {
      this.markDead("the kernel process exited");
    } else if (status === "dead") {
      this.markDead("the kernel died");
    }
  }

  private handleConnectionStatus(_: Kernel.IKernelConnection, status: Kernel.ConnectionStatus): void {
    // "disconnected" after "connecting" means the connection gave up reconnecting.
    if (status === "disconnected") this.markDead("the connection to the kernel was lost");
  }

  private handleIOPub(_: Kernel.IKernelConnection, msg: KernelMessage.IIOPubMessage): void {
    for (const listener of this.iopubListeners) {
      try {
        listener(msg);
      } catch (error) {
        this.log(`IOPub listener failed on ${msg.header.msg_type}: ${describeError(error)}`);
      }
    }
  }
}

/** Options of {@link KernelPool}. */
export type TKernelPoolOptions = {
  /** Kernelspec to start. Default {@link DEFAULT_KERNEL_NAME}. */
  kernelName?: string;
  /** Kernels kept started and warmed up ahead of need. Default 1; 0 turns the pool off. */
  warmPoolSize?: number;
  /**
   * Kernels starting at once, at most (default 4). Fifty notebooks opened together would otherwise
   * start fifty kernels at the same moment: on two cores that starves the Jupyter Server of CPU
   * for minutes, and every start takes as long as all of them.
   */
  maxConcurrentStarts?: number;
  /** How long a kernel may take to answer its first `kernel_info`. Default 180 s. */
  startTimeoutMs?: number;
  /** Lifecycle messages. */
  log?: TLog;
  /**
   * Where a notebook's kernel must start (its project's sandbox). When set, every kernel is
   * started for a placement, and warm kernels are kept for the project that last took one (moving
   * only after that project has asked for none for 30 s).
   */
  placeKernel?: (notebookId: string) => Promise<TKernelPlacement | null>;
  /**
   * Where a kernel for a project's own work (a batch scoring job, no notebook) starts; set with
   * `placeKernel` (the same sandbox a notebook of that project gets).
   */
  placeProject?: (projectId: string) => Promise<TKernelPlacement | null>;
  /**
   * What a warm kernel of a placement key runs once it answers (default `pass`): a project whose
   * shared Spark runs gets its Spark client imported ahead (docs/spark.md).
   */
  warmUpCode?: (key: string) => string;
  /** How long the warm pool stays with a project after it last asked for a kernel. Default 30 s. */
  warmStickyMs?: number;
};

/** How long the warm pool stays with its project after that project last asked for a kernel. */
const DEFAULT_WARM_STICKY_MS = 30_000;

/** Where a kernel starts: `path` for Jupyter (the project's folder), `key` for warm reuse. */
/**
 * Where a notebook's kernel starts: `key` groups kernels (warm ones are kept per key), `path` is
 * the kernel's folder on Flint's own Jupyter Server, `env` goes into the start request (a gateway's
 * `KERNEL_*` variables).
 */
export type TKernelPlacement = { key: string; path?: string; env?: Record<string, string> };

/** Seconds a gateway may take to launch a kernel (`KERNEL_LAUNCH_TIMEOUT`): the pool's own wait. */
const GATEWAY_LAUNCH_TIMEOUT_S = 180;

/**
 * The `KERNEL_*` variables Jupyter Enterprise Gateway takes from a kernel start request. Without
 * `KERNEL_USERNAME` the gateway names the kernel's user after its own process (root in its image),
 * which its default `EG_UNAUTHORIZED_USERS` refuses with 403. A Flint kernel belongs to a project,
 * shared by its members (the local sandbox gives it the project's uid), so the user is the
 * project's: lower-case letters, digits and dashes, as Kubernetes names need.
 */
export function gatewayKernelEnv(projectId: string): Record<string, string> {
  return {
    KERNEL_USERNAME: `flint-${projectId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`,
    KERNEL_LAUNCH_TIMEOUT: String(GATEWAY_LAUNCH_TIMEOUT_S),
  };
}

type TWarmEntry = { promise: Promise<KernelHandle>; handle: KernelHandle | null; key: string };

/** Kernel counts for health. */
export type TKernelCounts = {
  /** Kernels serving notebooks. */
  kernels: number;
  /** Warm kernels ready (started and warmed up) for the next notebook. */
  warm: number;
};

/**
 * Starts kernels on the Jupyter Server and keeps `warmPoolSize` of them ready. `acquire()` hands
 * out a warm kernel when there is one (or one still starting, which is ahead of a new one) and
 * refills the pool in the background. Kernels of a server launch that is lost are reported dead.
 */
export class KernelPool {
  private readonly server: TJupyterServer;
  private readonly kernelName: string;
  private readonly warmPoolSize: number;
  private readonly startSlots: Slots;
  private readonly startTimeoutMs: number;
  private readonly log: TLog;
  private readonly warm: TWarmEntry[] = [];
  private readonly owned = new Set<KernelHandle>();
  private readonly all = new Set<KernelHandle>();
  private isStarted = false;
  private isStopped = false;
  private fillFailures = 0;
  private fillTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribeLost: () => void;
  private readonly placeKernel: TKernelPoolOptions["placeKernel"];
  private readonly placeProject: TKernelPoolOptions["placeProject"];
  private readonly warmUpCode: (key: string) => string;
  private readonly warmStickyMs: number;
  /** The placement warm kernels are started for; null: none yet (kernels need one). */
  private warmPlacement: TKernelPlacement | null = null;
  /** When a kernel of the warm pool's project was last asked for (epoch ms). */
  private warmUsedAt = 0;
  /** The placement of each project a kernel was started for (to start warm ones for it later). */
  private readonly placements = new Map<string, TKernelPlacement>();
  /** Projects that keep one warm kernel of their own besides the pool's (their Spark runs). */
  private readonly keptWarm = new Set<string>();

  /** Creates a pool on `server`; nothing starts until {@link start}. */
  constructor(server: TJupyterServer, options: TKernelPoolOptions = {}) {
    this.server = server;
    this.kernelName = options.kernelName ?? DEFAULT_KERNEL_NAME;
    this.warmPoolSize = Math.max(0, options.warmPoolSize ?? 1);
    this.startSlots = new Slots(Math.max(1, options.maxConcurrentStarts ?? 4));
    this.startTimeoutMs = options.startTimeoutMs ?? 180_000;
    this.log = options.log ?? ((message) => process.stderr.write(`[flint:kernels] ${message}\n`));
    this.placeKernel = options.placeKernel;
    this.placeProject = options.placeProject;
    this.warmUpCode = options.warmUpCode ?? (() => WARM_UP_CODE);
    this.warmStickyMs = options.warmStickyMs ?? DEFAULT_WARM_STICKY_MS;
    this.unsubscribeLost = server.onLost((launch, reason) => this.handleServerLost(launch, reason));
  }

  /** Starts filling the warm pool (in the background, once the server is ready). */
  start(): void {
    if (this.isStarted || this.isStopped) return;
    this.isStarted = true;
    this.fill();
  }

  /** Counts for health. */
  counts(): TKernelCounts {
    return {
      kernels: [...this.owned].filter((handle) => !handle.isDead).length,
      warm: this.warm.filter((entry) => entry.handle && !entry.handle.isDead).length,
    };
  }

  /**
   * Runs the warm-up code again in the ready warm kernels of `key` (what it is may have changed:
   * the project's Spark just started). A kernel handed out meanwhile runs its first cell after it.
   */
  rewarm(key: string): void {
    const code = this.warmUpCode(key);
    for (const entry of this.warm) {
      if (entry.key !== key || !entry.handle || entry.handle.isDead) continue;
      entry.handle.connection.requestExecute(
        { code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false },
        true,
      );
    }
  }

  /**
   * Keeps one warm kernel for project `key` besides the pool's own (`on`), or stops doing so. A
   * project whose shared Spark runs is one whose people use Spark now: its next notebook should
   * not wait for a kernel start when the pool follows another project (docs/spark.md). Only with
   * placements (sandboxes or a gateway); unplaced kernels serve every project anyway.
   */
  keepWarmFor(key: string, on: boolean): void {
    if (!this.placeKernel) return;
    if (on) {
      this.keptWarm.add(key);
      this.fill();
      return;
    }
    this.keptWarm.delete(key);
    if (this.warmPlacement?.key === key) return;
    for (const entry of this.warm.filter((candidate) => candidate.key === key)) this.dropWarm(entry);
  }

  /** Ids of the warm kernels that are ready (for diagnostics and tests). */
  warmKernelIds(): string[] {
    return this.warm.flatMap((entry) => (entry.handle && !entry.handle.isDead ? [entry.handle.id] : []));
  }

  /**
   * A kernel for a notebook: a warm one when available, else a new one. Rejects with
   * `jupyter_unavailable` or `kernel_start_failed` (the message says why). With sandboxes, the
   * kernel starts in the notebook's project and warm kernels follow that project. `kernelName`
   * other than the pool's kernelspec starts a kernel of that spec (never a warm one).
   */
  async acquire(notebookId?: string, kernelName?: string): Promise<KernelHandle> {
    return this.acquireAt(
      this.placeKernel
        ? async () => (notebookId ? await this.placeKernel?.(notebookId) : null) ?? null
        : null,
      kernelName,
    );
  }

  /**
   * A kernel in project `projectId`'s sandbox for work that belongs to no notebook (a batch
   * scoring job, docs/models.md); otherwise like {@link acquire}.
   */
  async acquireInProject(projectId: string, kernelName?: string): Promise<KernelHandle> {
    return this.acquireAt(
      this.placeKernel ? async () => (await this.placeProject?.(projectId)) ?? null : null,
      kernelName,
    );
  }

  private async acquireAt(
    place: (() => Promise<TKernelPlacement | null>) | null,
    kernelName?: string,
  ): Promise<KernelHandle> {
    if (this.isStopped) throw new KernelRuntimeError("stopped", "Flint's kernels are shutting down");
    let placement: TKernelPlacement | null = null;
    if (place) {
      placement = await place();
      if (!placement) {
        throw new KernelRuntimeError(
          "kernel_start_failed",
          "A kernel needs the notebook's project, and none was found",
        );
      }
      this.placements.set(placement.key, placement);
      const now = Date.now();
      if (this.warmPlacement?.key === placement.key) this.warmUsedAt = now;
      else if (!this.warmPlacement || now - this.warmUsedAt >= this.warmStickyMs) {
        // The warm pool follows a new project only once its current one has had no kernel for a
        // while: when many projects start kernels together, following each would throw every
        // warm kernel away (a burst of 50 notebooks in 26 projects started 109 kernels).
        this.retargetWarm(placement);
        this.warmUsedAt = now;
      }
    }
    // Another kernelspec than the pool's (a job's kernel choice) is started for the caller alone.
    if (kernelName && kernelName !== this.kernelName) {
      const handle = await this.startKernel(false, placement, kernelName);
      this.owned.add(handle);
      return handle;
    }
    const key = placement?.key ?? "";
    // A ready kernel first; else the oldest one still starting, which is ahead of a new start.
    let index = this.warm.findIndex((entry) => entry.key === key && entry.handle && !entry.handle.isDead);
    if (index === -1) index = this.warm.findIndex((entry) => entry.key === key);
    const entry = index === -1 ? undefined : this.warm[index];
    if (entry) {
      this.warm.splice(index, 1);
      this.fill();
      try {
        const handle = await entry.promise;
        if (!handle.isDead) {
          this.owned.add(handle);
          return handle;
        }
      } catch {
        // That warm kernel failed to start; start one directly and report its error if any.
      }
    }
    const handle = await this.startKernel(false, placement);
    this.owned.add(handle);
    return handle;
  }

  /** Warm kernels from now on are for `placement`; those of another project are shut down. */
  private retargetWarm(placement: TKernelPlacement): void {
    this.warmPlacement = placement;
    const isStale = (entry: TWarmEntry) => entry.key !== placement.key && !this.keptWarm.has(entry.key);
    for (const entry of this.warm.filter(isStale)) this.dropWarm(entry);
    this.fill();
  }

  /** Takes a warm kernel out of the pool and shuts it down once it has started. */
  private dropWarm(entry: TWarmEntry): void {
    const at = this.warm.indexOf(entry);
    if (at !== -1) this.warm.splice(at, 1);
    entry.promise.then(
      (handle) => this.release(handle),
      () => undefined,
    );
  }

  /** Shuts a kernel down in the background (a notebook's kernel that is replaced or idle). */
  release(handle: KernelHandle): void {
    this.owned.delete(handle);
    this.all.delete(handle);
    void handle.shutdown();
  }

  /**
   * Stops the pool. With `shutDownKernels` every kernel is shut down through Jupyter (needed for an
   * external server; a local supervisor's stop ends them anyway, faster). Connections are closed.
   */
  async stop(shutDownKernels: boolean): Promise<void> {
    this.isStopped = true;
    if (this.fillTimer) clearTimeout(this.fillTimer);
    this.unsubscribeLost();
    const handles = [...this.all];
    this.all.clear();
    this.owned.clear();
    this.warm.length = 0;
    await Promise.all(
      handles.map(async (handle) => {
        if (shutDownKernels) await handle.shutdown();
        else handle.markDead("Flint is stopping");
      }),
    );
  }

  private fill(): void {
    if (!this.isStarted || this.isStopped || this.fillTimer) return;
    // With sandboxes a kernel belongs to a project: warm ones wait until a project is known.
    if (this.placeKernel && !this.warmPlacement) return;
    const wanted: Array<[TKernelPlacement | null, number]> = [[this.warmPlacement, this.warmPoolSize]];
    // One more for each project whose Spark runs, unless the pool already follows it.
    for (const key of this.keptWarm) {
      const kept = this.placements.get(key);
      if (kept && key !== this.warmPlacement?.key && this.warmPoolSize > 0) wanted.push([kept, 1]);
    }
    for (const [placement, size] of wanted) this.fillFor(placement, size);
  }

  private fillFor(placement: TKernelPlacement | null, size: number): void {
    const key = placement?.key ?? "";
    while (this.warm.filter((entry) => entry.key === key).length < size) {
      const entry: TWarmEntry = {
        promise: this.startKernel(true, placement),
        handle: null,
        key: placement?.key ?? "",
      };
      this.warm.push(entry);
      entry.promise.then(
        (handle) => {
          this.fillFailures = 0;
          entry.handle = handle;
          handle.onDeath(() => {
            const at = this.warm.indexOf(entry);
            if (at === -1) return;
            this.warm.splice(at, 1);
            this.fill();
          });
        },
        (error: unknown) => {
          const at = this.warm.indexOf(entry);
          if (at === -1) return;
          this.warm.splice(at, 1);
          if (this.isStopped) return;
          this.fillFailures++;
          // Back off: a broken environment must not start kernels in a tight loop.
          const delay = Math.min(60_000, 2_000 * 2 ** (this.fillFailures - 1));
          this.log(`warm kernel did not start (${describeError(error)}); retrying in ${delay / 1000} s`);
          this.fillTimer = setTimeout(() => {
            this.fillTimer = null;
            this.fill();
          }, delay);
          this.fillTimer.unref();
        },
      );
    }
  }

  /** Starts a kernel when a start slot is free (see {@link TKernelPoolOptions.maxConcurrentStarts}). */
  private async startKernel(
    isWarm: boolean,
    placement: TKernelPlacement | null,
    kernelName = this.kernelName,
  ): Promise<KernelHandle> {
    await this.startSlots.take();
    try {
      return await this.startKernelNow(isWarm, placement, kernelName);
    } finally {
      this.startSlots.give();
    }
  }

  private async startKernelNow(
    isWarm: boolean,
    placement: TKernelPlacement | null,
    kernelName: string,
  ): Promise<KernelHandle> {
    const server = await this.server.ready(this.startTimeoutMs);
    const { settings, launch } = server;
    if (this.isStopped) throw new KernelRuntimeError("stopped", "Flint's kernels are shutting down");
    let model: Kernel.IModel;
    try {
      // Jupyter's POST /api/kernels takes `path` (the kernel's folder); services' type omits it.
      const options = {
        name: kernelName,
        ...(placement?.path ? { path: placement.path } : {}),
        ...(placement?.env ? { env: placement.env } : {}),
      };
      model = await KernelAPI.startNew(options as KernelAPI.IKernelOptions, settings);
    } catch (error) {
      throw new KernelRuntimeError("kernel_start_failed", describeStartError(kernelName, error), {
        cause: error,
      });
    }
    const connection = new KernelConnection({ model, serverSettings: settings, handleComms: true });
    const handle = new KernelHandle(connection, launch, this.log);
    this.all.add(handle);
    const stopWatchingSize = server.onOversizedMessage((kernelId) => {
      if (kernelId === handle.id) handle.reportDroppedMessage();
    });
    handle.onDeath(() => {
      stopWatchingSize();
      this.all.delete(handle);
    });
    try {
      await this.untilReady(handle, connection.info, "answer");
      if (isWarm) {
        const future = connection.requestExecute(
          {
            code: this.warmUpCode(placement?.key ?? ""),
            silent: false,
            store_history: false,
            allow_stdin: false,
            stop_on_error: false,
          },
          true,
        );
        await this.untilReady(handle, future.done, "warm up");
      }
    } catch (error) {
      this.release(handle);
      throw error;
    }
    if (this.isStopped) {
      this.release(handle);
      throw new KernelRuntimeError("stopped", "Flint's kernels are shutting down");
    }
    return handle;
  }

  /** Waits for `step` of a starting kernel, failing early when it dies and after the timeout. */
  private untilReady<T>(handle: KernelHandle, step: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolveStep, reject) => {
      const fail = (message: string) =>
        reject(new KernelRuntimeError("kernel_start_failed", `Kernel ${this.kernelName} ${message}`));
      const timer = setTimeout(
        () => fail(`did not ${what} within ${Math.round(this.startTimeoutMs / 1000)} s`),
        this.startTimeoutMs,
      );
      const stopWatching = handle.onDeath((reason) => fail(`died while starting: ${reason}`));
      step.then(
        (value) => {
          clearTimeout(timer);
          stopWatching();
          resolveStep(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          stopWatching();
          fail(`did not ${what}: ${describeError(error)}`);
        },
      );
    });
  }

  private handleServerLost(launch: number, reason: string): void {
    for (const handle of [...this.all]) {
      if (handle.launch === launch) handle.markDead(reason);
    }
  }
}

function describeStartError(kernelName: string, error: unknown): string {
  const message = describeError(error);
  if (/no such kernel/i.test(message)) {
    return (
      `Kernel "${kernelName}" is not installed in the kernels' Python environment ` +
      `(run "python -m flint.install" there): ${message}`
    );
  }
  return `Kernel "${kernelName}" did not start: ${message}`;
}

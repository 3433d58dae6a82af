/**
 * The execution broker: one {@link NotebookSession} per notebook runs its saved cells in a kernel,
 * folds IOPub into outputs with `@flint/notebook`, persists them as they arrive and broadcasts
 * them to every subscriber. Transport-agnostic: the WebSocket glue and REST call these methods
 * after authorizing the caller, and send the events on.
 *
 * A session is composed of parts, one concern each: `notebook-session.ts` (queue and execution,
 * commands), `kernel-slot.ts` (the notebook's kernel and its lifecycle), `iopub-fold.ts` (what
 * IOPub messages mean, folding outputs), `session-events.ts` (subscribers, batched output
 * events), `session-cells.ts` (cell states and their persistence), `kernel-queries.ts`
 * (completion, inspection, live outputs). Their public types are in `broker-types.ts`.
 *
 * Security: `run` takes cell ids only and executes the source saved in the store, never code
 * from the client (SECURITY.md case 16). `complete` and `inspect` take client code, which the
 * kernel only parses for introspection.
 */

import type {
  TBrokerListener,
  TBrokerOptions,
  TCellRunStore,
  TKernelProvider,
  TResolvedOptions,
  TRunContext,
} from "./broker-types";
import { KernelRuntimeError } from "./errors";
import { DEFAULT_KERNEL_NAME } from "./kernels";
import { NotebookSession } from "./notebook-session";
import type { TBrokerCommand, TCellRunResult, TReplyEvent } from "./protocol";

export {
  KERNEL_BUSY_MESSAGE,
  KERNEL_DIED_MESSAGE,
  OVERSIZED_NOTICE,
  RATE_LIMIT_NOTICE,
  TABLE_GONE_MESSAGE,
  type TBrokerListener,
  type TBrokerOptions,
  type TCellRunStore,
  type TCellRunUpdate,
  type TKernelProvider,
  type TRunContext,
  type TRunEnvironment,
  type TStoredCell,
} from "./broker-types";
export { pythonEnvironmentUpdate } from "./kernel-slot";
export { NotebookSession } from "./notebook-session";

/**
 * Runs cells for every notebook. Get a notebook's {@link NotebookSession} with {@link session};
 * the shortcuts ({@link subscribe}, {@link runAndWait}, ...) call the same methods.
 */
export class ExecutionBroker {
  private readonly store: TCellRunStore;
  private readonly kernels: TKernelProvider;
  private readonly options: TResolvedOptions;
  private readonly sessions = new Map<string, NotebookSession>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private isStopped = false;

  /** Creates the broker; it sweeps idle kernels periodically once created. */
  constructor(options: TBrokerOptions) {
    this.store = options.store;
    this.kernels = options.kernels;
    this.options = {
      defaultKernelName: options.defaultKernelName ?? DEFAULT_KERNEL_NAME,
      maxOutputBytes: options.maxOutputBytes ?? 5_000_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 3_600_000,
      keepFinishedOutputsMs: options.keepFinishedOutputsMs ?? 60_000,
      persistIntervalMs: options.persistIntervalMs ?? 250,
      broadcastIntervalMs: options.broadcastIntervalMs ?? 50,
      introspectionTimeoutMs: options.introspectionTimeoutMs ?? 30_000,
      liveOutputTimeoutMs: options.liveOutputTimeoutMs ?? 120_000,
      log: options.log ?? ((message) => process.stderr.write(`[flint:broker] ${message}\n`)),
      prepareRun: options.prepareRun,
      onKernelReleased: options.onKernelReleased,
      onKernelStarting: options.onKernelStarting,
      maxKernelsPerUser: options.maxKernelsPerUser ?? 0,
      explainDeath: options.explainDeath,
      outputSpoolDir: options.outputSpoolDir,
      outputStore: options.outputStore,
    };
    const shortest = Math.min(this.options.idleTimeoutMs, this.options.keepFinishedOutputsMs);
    const sweepEvery = Math.max(200, Math.min(30_000, Math.floor(shortest / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
  }

  /** The session of a notebook (created on first use). */
  session(notebookId: string): NotebookSession {
    if (this.isStopped) throw new KernelRuntimeError("stopped", "Flint is shutting down");
    let session = this.sessions.get(notebookId);
    if (!session) {
      session = new NotebookSession(notebookId, this.store, this.kernels, this.options, (userId) =>
        [...this.sessions.values()].filter((other) => other !== session && other.kernelOwner === userId),
      );
      this.sessions.set(notebookId, session);
    }
    return session;
  }

  /** Subscribes to a notebook's events; the listener first gets a snapshot. Returns unsubscribe. */
  subscribe(notebookId: string, listener: TBrokerListener): () => void {
    return this.session(notebookId).subscribe(listener);
  }

  /** Queues saved cells to run; see {@link NotebookSession.run}. */
  run(notebookId: string, cellIds: readonly string[], context?: TRunContext): Promise<void> {
    return this.session(notebookId).run(cellIds, context);
  }

  /** Runs saved cells and waits for them; see {@link NotebookSession.runAndWait}. */
  runAndWait(
    notebookId: string,
    cellIds: readonly string[],
    timeoutMs: number,
    context?: TRunContext,
  ): Promise<TCellRunResult[]> {
    return this.session(notebookId).runAndWait(cellIds, timeoutMs, context);
  }

  /** Carries out a parsed, authorized command; see {@link NotebookSession.handleCommand}. */
  handleCommand(
    notebookId: string,
    command: TBrokerCommand,
    context?: TRunContext,
  ): Promise<TReplyEvent | null> {
    return this.session(notebookId).handleCommand(command, context);
  }

  /** Jupyter's kernel id serving a notebook, or `null` (diagnostics, tests). */
  kernelIdOf(notebookId: string): string | null {
    return this.sessions.get(notebookId)?.kernelId ?? null;
  }

  /** Kernel ids of notebooks with a kernel. */
  activeKernels(): Array<{ notebookId: string; kernelId: string }> {
    return [...this.sessions.values()].flatMap((session) =>
      session.kernelId ? [{ notebookId: session.notebookId, kernelId: session.kernelId }] : [],
    );
  }

  /**
   * Stops every session: queued cells are cancelled, running ones end as `died` ("Flint
   * stopped"), and pending writes are finished. Kernels are left to the pool and supervisor.
   */
  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.all([...this.sessions.values()].map((session) => session.close()));
    this.sessions.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      // Sessions themselves stay (a few objects each): a caller may hold one, and two sessions
      // for one notebook would mean two kernels.
      session.sweep(now);
    }
  }
}

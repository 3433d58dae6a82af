/**
 * The execution broker: one {@link NotebookSession} per notebook runs its saved cells in a kernel,
 * folds IOPub into outputs with `@flint/notebook`, persists them as they arrive and broadcasts
 * them to every subscriber. Transport-agnostic: the WebSocket glue and REST call these methods
 * after authorizing the caller, and send the events on.
 *
 * Security: `run` takes cell ids only and executes the source saved in the store, never code
 * from the client (SECURITY.md case 16). `complete` and `inspect` take client code, which the
 * kernel only parses for introspection.
 */

import {
  applyKernelMessage,
  createCellRun,
  readDisplayUpdate,
  type TCellRun,
  type TDisplayUpdate,
  type TFoldOptions,
  type TKernelMessage,
  type TOutput,
  updateDisplayInCellRun,
  updateDisplayInOutputs,
} from "@flint/notebook";
import type { KernelMessage } from "@jupyterlab/services";
import { CellWriter } from "./cell-writer";
import { describeError, KernelRuntimeError } from "./errors";
import type { KernelHandle, TServicesStatus } from "./kernels";
import { maskNotebookTokens } from "./mask-secrets";
import { DEFAULT_MAX_SPOOL_BYTES, OutputSpool } from "./output-spool";
import {
  diffOutputs,
  isFinishedCellStatus,
  type TBrokerCommand,
  type TBrokerEvent,
  type TCellExecution,
  type TCellRunResult,
  type TCellStatus,
  type TChartPreviewCommand,
  type TChartPreviewResult,
  type TCompleteResult,
  type TInspectResult,
  type TKernelStatus,
  type TReplyEvent,
  type TRunStop,
  type TSnapshotEvent,
  type TTablePageCommand,
  type TTablePageResult,
  ZChartPreviewResult,
  ZTablePageResult,
} from "./protocol";
import { MAX_KERNEL_MESSAGE_BYTES } from "./server-settings";
import type { TLog } from "./supervisor";

/** A cell as the store has it saved. */
export type TStoredCell = { id: string; cell_type: string; source: string };

/**
 * A write of one cell's run. `outputs`, `executionCount` and `execution` are left out when only
 * the status changes (`queued`, `cancelled`): the store must then keep the stored ones.
 */
export type TCellRunUpdate = {
  status: TCellStatus;
  outputs?: TOutput[];
  executionCount?: number | null;
  /** When the run started and ended and who ran it; `null` clears them. */
  execution?: TCellExecution | null;
};

/** Flint's database as the broker needs it; implemented by the server (and in tests, in memory). */
export interface TNotebookStore {
  /** The notebook's cells as saved, in order. The broker executes only these sources. */
  loadCells(notebookId: string): Promise<TStoredCell[]>;
  /** Stores one cell's outputs, execution count and status (fields left out stay unchanged). */
  saveCellRun(notebookId: string, cellId: string, update: TCellRunUpdate): Promise<void>;
}

/** How long an interrupt held until the cell started may take before it is sent again. */
const EARLY_INTERRUPT_RECHECK_MS = 2_000;
/** How often such an interrupt is sent again at most. */
const EARLY_INTERRUPT_RESENDS = 2;

/** Where the broker gets kernels (the {@link KernelPool}). */
export interface TKernelProvider {
  /** A started kernel for one notebook (in the notebook's project sandbox, where there are sandboxes). */
  acquire(notebookId: string): Promise<KernelHandle>;
  /** Shuts down a kernel the broker no longer uses. */
  release(handle: KernelHandle): void;
}

/**
 * Who asked for a run: cells run with this user's rights where the kernel calls Flint back, and
 * their name is shown with the run's times ("by Ada").
 */
export type TRunContext = { userId: string; userName: string };

/**
 * Environment a kernel gets before it runs a cell for a user (e.g. `FLINT_API_TOKEN`, a
 * notebook token of that user). Returned by {@link TBrokerOptions.prepareRun}.
 */
export type TRunEnvironment = Record<string, string>;

/** Receives a notebook's events. */
export type TBrokerListener = (event: TBrokerEvent) => void;

/** Options of {@link ExecutionBroker}. */
export type TBrokerOptions = {
  store: TNotebookStore;
  kernels: TKernelProvider;
  /** Output cap per cell run, in bytes. Default 5 MB. */
  maxOutputBytes?: number;
  /** A notebook's kernel is shut down after this long without activity. Default 1 hour. */
  idleTimeoutMs?: number;
  /** Least time between two writes of a streaming cell. Default 250 ms. */
  persistIntervalMs?: number;
  /** Output events of a cell are batched over this long. Default 50 ms. */
  broadcastIntervalMs?: number;
  /**
   * How long `complete`/`inspect` wait for the kernel. Default 30 s: the kernel's first jedi
   * completion in a fresh environment parses pyspark's sources and takes seconds on a small machine.
   */
  introspectionTimeoutMs?: number;
  /**
   * How long a table page or chart preview may take in the kernel. Default 120 s: a sorted page
   * of a large Spark DataFrame is a job over all of it.
   */
  liveOutputTimeoutMs?: number;
  /**
   * Called before each cell run that has a {@link TRunContext}; the variables it returns are
   * set in the kernel's `os.environ` (a silent execute, sent only when they changed for that
   * kernel). The server uses it to hand the kernel a notebook token of the user who ran the
   * cell, so `flint.catalog` calls Flint as that user. A failure is logged and the cell runs.
   */
  prepareRun?: (context: TRunContext & { notebookId: string }) => Promise<TRunEnvironment | null>;
  /**
   * Called when a notebook's kernel is let go (shutdown, restart, death, idle): the tokens that
   * {@link prepareRun} gave it must stop working.
   */
  onKernelReleased?: (notebookId: string) => void;
  /**
   * Kernels one person may have running at once (the person whose run started each kernel).
   * A run that needs one more is refused with a message that says what to do. 0: no limit.
   */
  maxKernelsPerUser?: number;
  /**
   * Why kernel `kernelId` died, when the runtime knows better than "the process exited" (e.g. it
   * went over its memory limit); null when it does not.
   */
  explainDeath?: (kernelId: string) => string | null;
  /**
   * Where the full text of runs over the output cap is kept ({@link OutputSpool}), for
   * "download full output". Without it, what is past the cap is only counted.
   */
  outputSpoolDir?: string;
  log?: TLog;
};

/** The text shown in a cell whose kernel died under it. */
export const KERNEL_DIED_MESSAGE = "The kernel died while running this cell";

/** What a cell shows when jupyter_server's IOPub rate limit dropped some of its output. */
export const RATE_LIMIT_NOTICE =
  "output truncated: output came faster than Flint forwards it (over 4 MB/s or 5,000 messages/s); some was dropped\n";

/** What a cell shows when one of its messages was over the size Flint accepts at all. */
export const OVERSIZED_NOTICE = `output truncated: an output over ${MAX_KERNEL_MESSAGE_BYTES / 1024 / 1024} MB was dropped\n`;

/** What a live table says when its kernel no longer has it (restart, shutdown, another kernel). */
export const TABLE_GONE_MESSAGE = "This table is no longer in the kernel; run the cell again.";

/** What a live output says while a cell runs (the kernel answers shell requests one at a time). */
export const KERNEL_BUSY_MESSAGE = "The kernel is running a cell; try again when it finishes.";

/** How long a finished cell's outputs stay in memory for snapshots (unless displays may update them). */
const KEEP_FINISHED_OUTPUTS_MS = 60_000;

/** How long to wait for a cell's final `idle` after its reply before finishing it anyway. */
const IDLE_AFTER_REPLY_MS = 2_000;

type TCellState = {
  cellId: string;
  status: TCellStatus;
  executionCount: number | null;
  /** The fold state of the cell's latest run; `null` when its outputs are not held in memory. */
  run: TCellRun | null;
  /** Its outputs carry display ids the current kernel may still update. */
  hasDisplayIds: boolean;
  finishedAt: number | null;
  /** The latest run's times; `undefined` until the broker runs or clears the cell (unknown here). */
  execution: TCellExecution | null | undefined;
  /** What subscribers hold; `null`: the stored outputs (unknown here), so send everything. */
  sentOutputs: readonly TOutput[] | null;
  writer: CellWriter<TCellRunUpdate>;
};

type TQueueEntry = {
  cellId: string;
  source: string;
  context: TRunContext | null;
  settle: () => void;
  done: Promise<void>;
};

type TExecution = {
  entry: TQueueEntry;
  state: TCellState;
  kernel: KernelHandle;
  msgId: string;
  reply: KernelMessage.IExecuteReplyMsg["content"] | null;
  isIdle: boolean;
  isInterruptRequested: boolean;
  /** An `error` output of this request arrived (jupyter_server's rate limit may drop it). */
  hasErrorOutput?: boolean;
  /**
   * The kernel published something for this request (normally `execute_input`), so it is inside
   * the request's handler, where SIGINT raises KeyboardInterrupt. Before that, ipykernel ignores
   * SIGINT (or it would interrupt the previous request), so an interrupt waits for this.
   */
  hasKernelStarted: boolean;
  hasRateNotice: boolean;
  idleTimer: NodeJS.Timeout | null;
  /** The run's full text, when the broker keeps it (see {@link OutputSpool}). */
  spool: OutputSpool | null;
};

type TResolvedOptions = Required<
  Omit<
    TBrokerOptions,
    "store" | "kernels" | "prepareRun" | "outputSpoolDir" | "onKernelReleased" | "explainDeath"
  >
> &
  Pick<TBrokerOptions, "prepareRun" | "outputSpoolDir" | "onKernelReleased" | "explainDeath">;

/**
 * Runs cells for every notebook. Get a notebook's {@link NotebookSession} with {@link session};
 * the shortcuts ({@link subscribe}, {@link runAndWait}, ...) call the same methods.
 */
export class ExecutionBroker {
  private readonly store: TNotebookStore;
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
      maxOutputBytes: options.maxOutputBytes ?? 5_000_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 3_600_000,
      persistIntervalMs: options.persistIntervalMs ?? 250,
      broadcastIntervalMs: options.broadcastIntervalMs ?? 50,
      introspectionTimeoutMs: options.introspectionTimeoutMs ?? 30_000,
      liveOutputTimeoutMs: options.liveOutputTimeoutMs ?? 120_000,
      log: options.log ?? ((message) => process.stderr.write(`[flint:broker] ${message}\n`)),
      prepareRun: options.prepareRun,
      onKernelReleased: options.onKernelReleased,
      maxKernelsPerUser: options.maxKernelsPerUser ?? 0,
      explainDeath: options.explainDeath,
      outputSpoolDir: options.outputSpoolDir,
    };
    const sweepEvery = Math.max(200, Math.min(30_000, Math.floor(this.options.idleTimeoutMs / 4)));
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

/**
 * One notebook's execution state: its kernel, the queue of cells, the running cell's outputs,
 * subscribers. Cells run one at a time in queue order; a cell that fails (error reply, interrupt,
 * kernel death) cancels the rest of the queue, as JupyterLab's run-all does.
 */
export class NotebookSession {
  /** The notebook this session runs. */
  readonly notebookId: string;
  private readonly store: TNotebookStore;
  private readonly kernels: TKernelProvider;
  private readonly options: TResolvedOptions;
  private readonly foldOptions: TFoldOptions;
  private kernel: KernelHandle | null = null;
  private kernelSubscriptions: Array<() => void> = [];
  private kernelStatus: TKernelStatus = "not started";
  private kernelDetail: string | undefined;
  private acquiring: Promise<KernelHandle> | null = null;
  /** Set when the kernel is shut down while one is being acquired: that one is not wanted. */
  private isAcquiredUnwanted = false;
  private readonly queue: TQueueEntry[] = [];
  private current: TExecution | null = null;
  /** Completions and inspections each kernel is answering (they make it "busy" too). */
  private readonly introspections = new WeakMap<KernelHandle, number>();
  private readonly cells = new Map<string, TCellState>();
  private readonly listeners = new Set<TBrokerListener>();
  private readonly dirty = new Set<TCellState>();
  private broadcastTimer: NodeJS.Timeout | null = null;
  /** When outputs with content last went out (ms); see {@link markOutputsChanged}. */
  private lastOutputsSentAt = 0;
  private lastActivity = Date.now();
  private isPumping = false;
  /** What {@link prepareKernel} last set, and in which kernel. */
  private preparedEnv: { kernel: KernelHandle; key: string } | null = null;
  /** How the latest run of several cells stopped early; cleared when a new run begins. */
  private runStop: TRunStop | null = null;
  private isClosed = false;
  /** Who started the current kernel (see {@link kernelOwner}). */
  private owner: string | null = null;

  /** Use {@link ExecutionBroker.session}. */
  constructor(
    notebookId: string,
    store: TNotebookStore,
    kernels: TKernelProvider,
    options: TResolvedOptions,
    /** The other sessions whose kernel `userId` started (for {@link TBrokerOptions.maxKernelsPerUser}). */
    private readonly sessionsOwnedBy: (userId: string) => NotebookSession[] = () => [],
  ) {
    this.notebookId = notebookId;
    this.store = store;
    this.kernels = kernels;
    this.options = options;
    this.foldOptions = { maxOutputBytes: options.maxOutputBytes };
  }

  /** Who started this notebook's live (or starting) kernel; null without one. */
  get kernelOwner(): string | null {
    const hasKernel = (this.kernel !== null && !this.kernel.isDead) || this.acquiring !== null;
    return hasKernel ? this.owner : null;
  }

  /** Jupyter's id of the notebook's kernel, or `null` when it has none. */
  get kernelId(): string | null {
    return this.kernel?.id ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Subscribers

  /**
   * Adds a subscriber. It gets a {@link TSnapshotEvent} at once, then every event of the notebook.
   * Returns the function that unsubscribes it.
   */
  subscribe(listener: TBrokerListener): () => void {
    this.flushOutputs();
    this.listeners.add(listener);
    this.deliver(listener, this.snapshot());
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The current state, as sent to a new subscriber. */
  snapshot(): TSnapshotEvent {
    return {
      type: "snapshot",
      notebookId: this.notebookId,
      kernel: { status: this.kernelStatus, ...(this.kernelDetail ? { detail: this.kernelDetail } : {}) },
      queue: this.queue.map((entry) => entry.cellId),
      cells: [...this.cells.values()].map((state) => ({
        cellId: state.cellId,
        status: state.status,
        executionCount: state.executionCount,
        ...(state.run ? { outputs: state.run.outputs } : {}),
        ...(state.execution !== undefined ? { execution: state.execution } : {}),
      })),
      runStop: this.runStop,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /**
   * Queues saved code cells to run, in the order given, after cells already queued. Resolves once
   * they are queued (results arrive as events and in the store). Cells already queued are not
   * queued twice; markdown and raw cells are skipped. Throws `cell_not_found` for an id the
   * saved notebook does not have (then nothing is queued).
   */
  async run(cellIds: readonly string[], context?: TRunContext): Promise<void> {
    await this.enqueue(cellIds, context ?? null);
  }

  /**
   * Runs saved cells and waits until they finish or `timeoutMs` passes (they keep running then).
   * Returns one result per distinct requested id, in request order; cells that did not start
   * have `outputs: []`.
   */
  async runAndWait(
    cellIds: readonly string[],
    timeoutMs: number,
    context?: TRunContext,
  ): Promise<TCellRunResult[]> {
    const entries = await this.enqueue(cellIds, context ?? null);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(entries.map((entry) => entry.done)),
      new Promise<void>((resolveWait) => {
        timer = setTimeout(resolveWait, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return [...new Set(cellIds)].map((cellId) => {
      const state = this.cells.get(cellId);
      if (!state) return { cellId, status: "idle", executionCount: null, outputs: [], execution: null };
      const hasStarted = state.status !== "queued" && state.status !== "cancelled";
      return {
        cellId,
        status: state.status,
        executionCount: hasStarted ? state.executionCount : null,
        outputs: hasStarted ? (state.run?.outputs ?? []) : [],
        execution: hasStarted ? (state.execution ?? null) : null,
      };
    });
  }

  /** Interrupts the running cell (its Spark jobs are cancelled by the kernel) and cancels the queue. */
  async interrupt(): Promise<void> {
    this.touch();
    const cancelled = this.cancelQueue();
    const execution = this.current;
    this.stopRun(execution?.entry.cellId ?? null, "interrupted", cancelled);
    if (!execution) return;
    execution.isInterruptRequested = true;
    // Not started yet: `handleIOPub` sends it when the kernel starts the cell.
    if (execution.hasKernelStarted) await this.sendInterrupt(execution);
  }

  /**
   * Interrupts the kernel. `resends`: how often to send it again while the same cell still runs
   * {@link EARLY_INTERRUPT_RECHECK_MS} later. Only for an interrupt held until the kernel started
   * the cell: ipykernel publishes `execute_input` a moment before it stops ignoring SIGINT, and
   * on a loaded machine that moment is long enough to lose the signal (the cell then ran on).
   */
  private async sendInterrupt(execution: TExecution, resends = 0): Promise<void> {
    try {
      await execution.kernel.interrupt();
    } catch (error) {
      this.options.log(
        `could not interrupt the kernel of notebook ${this.notebookId}: ${describeError(error)}`,
      );
      return;
    }
    if (resends <= 0) return;
    const timer = setTimeout(() => {
      if (this.current !== execution || execution.kernel.isDead || this.isClosed) return;
      void this.sendInterrupt(execution, resends - 1);
    }, EARLY_INTERRUPT_RECHECK_MS);
    timer.unref();
  }

  /**
   * Replaces the kernel with a fresh one: the queue is cancelled, a running cell ends as
   * `interrupted`, the old kernel (and its Spark driver and jobs) is shut down. Resolves when
   * the new kernel is ready; rejects when it cannot start (the kernel status says why).
   */
  async restart(): Promise<void> {
    this.touch();
    this.dropKernel("interrupted", "restarting");
    await this.ensureKernel("restarting");
    this.touch();
  }

  /** Shuts the notebook's kernel down (as `restart` does, without starting a new one). */
  async shutdown(detail?: string): Promise<void> {
    this.dropKernel("interrupted", "not started", detail);
  }

  /**
   * Completions at `cursorPos` (code points; the browser converts Monaco's UTF-16 offsets with
   * `utf16OffsetToCodePoints`). Reads only: starts no kernel and does not queue behind a running
   * cell (it answers `isAvailable: false` then), only behind another completion or inspection.
   * `_cellId` is accepted for symmetry with JupyterLab's API; Jupyter's `complete_request`
   * carries no cell context.
   */
  async complete(code: string, cursorPos: number, _cellId?: string): Promise<TCompleteResult> {
    const empty: TCompleteResult = {
      isAvailable: false,
      matches: [],
      cursorStart: cursorPos,
      cursorEnd: cursorPos,
      metadata: {},
    };
    const kernel = this.introspectionKernel();
    if (!kernel) return empty;
    this.touch();
    const reply = await this.withIntrospectionTimeout(
      kernel,
      kernel.connection.requestComplete({ code, cursor_pos: cursorPos }),
    );
    const content = reply?.content;
    if (content?.status !== "ok") return empty;
    return {
      isAvailable: true,
      matches: content.matches,
      cursorStart: content.cursor_start,
      cursorEnd: content.cursor_end,
      metadata: { ...content.metadata },
    };
  }

  /** Documentation of the name at `cursorPos` (code points). Same rules as {@link complete}. */
  async inspect(code: string, cursorPos: number, detailLevel: 0 | 1 = 0): Promise<TInspectResult> {
    const empty: TInspectResult = { isAvailable: false, found: false, data: {}, metadata: {} };
    const kernel = this.introspectionKernel();
    if (!kernel) return empty;
    this.touch();
    const reply = await this.withIntrospectionTimeout(
      kernel,
      kernel.connection.requestInspect({ code, cursor_pos: cursorPos, detail_level: detailLevel }),
    );
    const content = reply?.content;
    if (content?.status !== "ok") return empty;
    return {
      isAvailable: true,
      found: content.found,
      data: { ...content.data },
      metadata: { ...content.metadata },
    };
  }

  /**
   * One page of a live table, computed in the kernel by `flint.kernel.live` (see
   * {@link ZTablePageCommand}). Starts no kernel: without one the table is gone (its first page
   * stays in the saved output). Answers `busy` while a cell runs or waits, rather than queueing
   * behind it on the kernel's shell channel.
   */
  async tablePage(command: TTablePageCommand): Promise<TTablePageResult> {
    const { type: _type, requestId: _requestId, ...request } = command;
    return this.askKernel({ kind: "tablePage", ...request }, ZTablePageResult);
  }

  /** The Vega-Lite spec of a `%chart` line, computed in the kernel as the cell would be, shown nowhere. */
  async chartPreview(command: TChartPreviewCommand): Promise<TChartPreviewResult> {
    return this.askKernel({ kind: "chartPreview", command: command.command }, ZChartPreviewResult);
  }

  /**
   * Asks `flint.kernel.live.answer` in the kernel with a silent execute whose only work is a
   * user expression: no execution count, no history, no output, no Spark progress. The request
   * travels as JSON inside a Python string literal (as {@link pythonEnvironmentUpdate} does), so
   * nothing in it is code. The kernel's answer is checked with `schema` and masked like outputs.
   */
  private async askKernel<T extends { status: string }>(
    request: Record<string, unknown>,
    schema: { safeParse: (value: unknown) => { success: true; data: T } | { success: false } },
  ): Promise<T | { status: "gone" | "busy" | "error"; message: string }> {
    const kernel = this.kernel;
    if (!kernel || kernel.isDead) return { status: "gone", message: TABLE_GONE_MESSAGE };
    if (this.current || this.queue.length > 0) return { status: "busy", message: KERNEL_BUSY_MESSAGE };
    this.touch();
    const literal = JSON.stringify(JSON.stringify(request));
    const expression = `__import__("flint.kernel.live", fromlist=["answer"]).answer(${literal})`;
    const future = kernel.connection.requestExecute(
      {
        code: "",
        silent: true,
        store_history: false,
        user_expressions: { flint: expression },
        allow_stdin: false,
        stop_on_error: false,
      },
      true,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(null), this.options.liveOutputTimeoutMs);
    });
    let reply: KernelMessage.IExecuteReplyMsg | null;
    try {
      reply = await Promise.race([future.done, timeout]);
    } catch {
      // The kernel died or was replaced while answering.
      return { status: "gone", message: TABLE_GONE_MESSAGE };
    } finally {
      clearTimeout(timer);
    }
    if (!reply) {
      return {
        status: "error",
        message: `The kernel did not answer within ${Math.round(this.options.liveOutputTimeoutMs / 1000)} s.`,
      };
    }
    const content = reply.content;
    const value =
      content.status === "ok" ? (content.user_expressions?.flint as Record<string, unknown>) : null;
    if (value?.status !== "ok") {
      const reason =
        typeof value?.evalue === "string" ? value.evalue : "the kernel could not evaluate the request";
      // Most likely a kernel without Flint's package (an external Jupyter): nothing to page with.
      return { status: "error", message: `The kernel could not answer: ${reason}.` };
    }
    const data = (value.data as Record<string, unknown> | undefined)?.["application/json"];
    const parsed = schema.safeParse(maskNotebookTokens(data));
    if (!parsed.success) return { status: "error", message: "The kernel's answer was not understood." };
    return parsed.data;
  }

  /**
   * Clears outputs and execution counts of the given code cells (default: all). A running cell
   * keeps running and its later outputs appear; a queued one stays queued.
   */
  async clearOutputs(cellIds?: readonly string[]): Promise<void> {
    const saved = await this.store.loadCells(this.notebookId);
    const code = new Set(saved.filter((cell) => cell.cell_type === "code").map((cell) => cell.id));
    if (cellIds) this.checkCellIds(cellIds, new Set(saved.map((cell) => cell.id)));
    const targets = cellIds ? cellIds.filter((id) => code.has(id)) : [...code];
    // A notice about a stopped run no longer applies once the failed cell's outputs are gone.
    if (this.runStop && (!cellIds || (this.runStop.cellId && targets.includes(this.runStop.cellId)))) {
      this.setRunStop(null);
    }
    for (const cellId of new Set(targets)) {
      const state = this.cellState(cellId);
      if (this.current?.state === state && state.run) {
        state.run = createCellRun([], state.run.executionCount);
        this.markOutputsChanged(state);
        continue;
      }
      state.run = createCellRun();
      state.sentOutputs = null;
      state.executionCount = null;
      state.execution = null;
      state.hasDisplayIds = false;
      if (isFinishedCellStatus(state.status)) state.status = "idle";
      this.dirty.add(state);
      this.emitCell(state, true);
      void state.writer.write({ status: state.status, outputs: [], executionCount: null, execution: null });
    }
  }

  /**
   * Carries out a command (already parsed with `ZBrokerCommand` and authorized) and returns the
   * reply to send to the subscriber that sent it: always for `complete` and `inspect`, for the
   * others only when they carry a `requestId`. Errors become `ok: false` replies.
   */
  async handleCommand(command: TBrokerCommand, context?: TRunContext): Promise<TReplyEvent | null> {
    const requestId = command.requestId;
    try {
      let result: TCompleteResult | TInspectResult | TTablePageResult | TChartPreviewResult | null = null;
      switch (command.type) {
        case "run":
          await this.run(command.cellIds, context);
          break;
        case "interrupt":
          await this.interrupt();
          break;
        case "restart":
          await this.restart();
          break;
        case "shutdown":
          await this.shutdown();
          break;
        case "clearOutputs":
          await this.clearOutputs(command.cellIds);
          break;
        case "complete":
          result = await this.complete(command.code, command.cursorPos, command.cellId);
          break;
        case "inspect":
          result = await this.inspect(command.code, command.cursorPos, command.detailLevel);
          break;
        case "tablePage":
          result = await this.tablePage(command);
          break;
        case "chartPreview":
          result = await this.chartPreview(command);
          break;
      }
      return requestId ? { type: "reply", requestId, ok: true, result } : null;
    } catch (error) {
      if (!requestId) {
        this.options.log(
          `command ${command.type} on notebook ${this.notebookId} failed: ${describeError(error)}`,
        );
        return null;
      }
      if (error instanceof KernelRuntimeError) {
        return { type: "reply", requestId, ok: false, error: { code: error.code, message: error.message } };
      }
      this.options.log(
        `command ${command.type} on notebook ${this.notebookId} failed: ${describeError(error)}`,
      );
      return {
        type: "reply",
        requestId,
        ok: false,
        error: { code: "internal", message: `Could not ${command.type}: internal error` },
      };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle (called by the broker)

  /** Periodic upkeep: shut an idle kernel down, release outputs no snapshot needs any more. */
  sweep(now: number): void {
    const isIdle = !this.current && this.queue.length === 0 && !this.acquiring;
    if (this.kernel && isIdle && now - this.lastActivity >= this.options.idleTimeoutMs) {
      const minutes = Math.max(1, Math.round(this.options.idleTimeoutMs / 60_000));
      void this.shutdown(`shut down after ${minutes} min without activity`);
    }
    for (const state of this.cells.values()) {
      const isOld = state.finishedAt !== null && now - state.finishedAt > KEEP_FINISHED_OUTPUTS_MS;
      if (isOld && !state.hasDisplayIds && !this.dirty.has(state)) {
        state.run = null;
        state.sentOutputs = null;
      }
      if (state.run === null && !state.writer.isBusy && isFinishedCellStatus(state.status)) {
        this.cells.delete(state.cellId);
      }
    }
  }

  /** Ends the session for a stopping server: cancels, ends the running cell, finishes writes. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelQueue();
    const execution = this.current;
    if (execution) this.endWithError(execution, "died", "Flint stopped while this cell was running.");
    this.detachKernel();
    this.flushOutputs();
    if (this.broadcastTimer) clearTimeout(this.broadcastTimer);
    await Promise.all([...this.cells.values()].map((state) => state.writer.settle()));
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Queue and execution

  private async enqueue(cellIds: readonly string[], context: TRunContext | null): Promise<TQueueEntry[]> {
    if (this.isClosed) throw new KernelRuntimeError("stopped", "Flint is shutting down");
    this.touch();
    const saved = await this.store.loadCells(this.notebookId);
    const byId = new Map(saved.map((cell) => [cell.id, cell]));
    this.checkCellIds(cellIds, new Set(byId.keys()));
    if (this.isClosed) throw new KernelRuntimeError("stopped", "Flint is shutting down");
    const entries: TQueueEntry[] = [];
    const queuedBefore = this.queue.length;
    for (const cellId of cellIds) {
      const cell = byId.get(cellId)!;
      if (cell.cell_type !== "code") continue;
      const queued = this.queue.find((entry) => entry.cellId === cellId);
      if (queued) {
        entries.push(queued);
        continue;
      }
      let settle: () => void = () => undefined;
      const done = new Promise<void>((resolveDone) => {
        settle = resolveDone;
      });
      const entry: TQueueEntry = { cellId, source: cell.source, context, settle, done };
      this.queue.push(entry);
      entries.push(entry);
      // Queued again while it runs: it shows "running" until this run ends, then runs again.
      if (this.current?.entry.cellId === cellId) continue;
      const state = this.cellState(cellId);
      state.status = "queued";
      state.finishedAt = null;
      this.emitCell(state, false);
      void state.writer.write({ status: "queued" });
    }
    // A new run began: a notice about how the previous one stopped no longer applies.
    if (this.queue.length > queuedBefore) this.setRunStop(null);
    void this.pump();
    return entries;
  }

  /**
   * Records who starts this notebook's next kernel, refusing when that person already has
   * {@link TBrokerOptions.maxKernelsPerUser} kernels.
   */
  private claimKernel(context: TRunContext | null): void {
    const limit = this.options.maxKernelsPerUser;
    const userId = context?.userId ?? null;
    if (userId && limit > 0) {
      const others = this.sessionsOwnedBy(userId);
      if (others.length >= limit) {
        throw new KernelRuntimeError(
          "kernel_limit",
          `you have ${others.length} kernels running, as many as one person may have at once (${limit}). ` +
            "Shut down the kernel of a notebook you are done with (its Shut down button), or wait until an idle one stops, then run again.",
        );
      }
    }
    this.owner = userId;
  }

  private checkCellIds(cellIds: readonly string[], known: Set<string>): void {
    const missing = cellIds.filter((id) => !known.has(id));
    if (missing.length > 0) {
      const list = missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", ..." : "");
      throw new KernelRuntimeError(
        "cell_not_found",
        `Notebook ${this.notebookId} has no saved cell ${list} (save the notebook, then run)`,
      );
    }
  }

  /** Starts queued cells one after the other while there is no running cell. */
  private async pump(): Promise<void> {
    if (this.isPumping) return;
    this.isPumping = true;
    try {
      while (!this.current && this.queue.length > 0 && !this.isClosed) {
        let kernel: KernelHandle;
        try {
          if (!this.kernelOwner) this.claimKernel(this.queue[0]?.context ?? null);
          kernel = await this.ensureKernel("starting");
        } catch (error) {
          this.failQueue(error);
          return;
        }
        if (this.current || this.isClosed) return;
        // Shut down or replaced while it started: go round and get the current one.
        if (kernel.isDead || kernel !== this.kernel) continue;
        const next = this.queue[0];
        if (!next) return;
        if (next.source.trim() === "") {
          this.queue.shift();
          this.finishEmptyCell(next);
          continue;
        }
        // The entry stays queued while the kernel is prepared, so an interrupt or restart in
        // that time cancels it like any queued cell.
        await this.prepareKernel(kernel, next);
        if (this.isClosed || this.current) return;
        if (kernel.isDead || kernel !== this.kernel || this.queue[0] !== next) continue;
        const entry = this.queue.shift()!;
        this.startExecution(kernel, entry);
      }
    } finally {
      this.isPumping = false;
    }
  }

  /** The notebook's kernel, starting (or taking a warm) one when there is none. */
  private async ensureKernel(waitingStatus: TKernelStatus): Promise<KernelHandle> {
    if (this.kernel && !this.kernel.isDead) return this.kernel;
    this.isAcquiredUnwanted = false;
    if (!this.acquiring) {
      this.setKernelStatus(waitingStatus);
      const acquiring = this.kernels.acquire(this.notebookId);
      this.acquiring = acquiring;
      acquiring.then(
        (handle) => {
          if (this.acquiring === acquiring) this.acquiring = null;
          if (this.isClosed || this.isAcquiredUnwanted) {
            this.isAcquiredUnwanted = false;
            this.kernels.release(handle);
            return;
          }
          this.attachKernel(handle);
        },
        (error: unknown) => {
          if (this.acquiring === acquiring) this.acquiring = null;
          this.setKernelStatus("dead", `The kernel could not start: ${describeError(error)}`);
        },
      );
    }
    const handle = await this.acquiring;
    if (this.isClosed) throw new KernelRuntimeError("stopped", "Flint is shutting down");
    // `attachKernel` ran in the handler above (registered first), unless the kernel was unwanted.
    return this.kernel ?? handle;
  }

  /** Shuts the notebook's kernel down and tells {@link TBrokerOptions.onKernelReleased}. */
  private releaseKernel(kernel: KernelHandle): void {
    this.kernels.release(kernel);
    this.preparedEnv = null;
    try {
      this.options.onKernelReleased?.(this.notebookId);
    } catch (error) {
      this.options.log(`after the kernel of ${this.notebookId} stopped: ${describeError(error)}`);
    }
  }

  private attachKernel(handle: KernelHandle): void {
    this.detachKernel();
    this.kernel = handle;
    this.kernelSubscriptions = [
      handle.onIOPub((msg) => this.handleIOPub(handle, msg)),
      handle.onStatus((status) => this.handleKernelStatus(handle, status)),
      handle.onDeath((reason) => this.handleKernelDeath(handle, reason)),
      handle.onDroppedMessage(() => this.handleDroppedMessage(handle)),
    ];
    this.setKernelStatus(toKernelStatus(handle.status) ?? "idle");
  }

  private detachKernel(): KernelHandle | null {
    for (const unsubscribe of this.kernelSubscriptions) unsubscribe();
    this.kernelSubscriptions = [];
    const kernel = this.kernel;
    this.kernel = null;
    return kernel;
  }

  /** Lets go of the kernel (restart, shutdown): queue cancelled, running cell ended. */
  private dropKernel(runningStatus: "interrupted", status: TKernelStatus, detail?: string): void {
    const cancelled = this.cancelQueue();
    const execution = this.current;
    if (execution) this.endExecution(execution, runningStatus);
    this.stopRun(execution?.entry.cellId ?? null, runningStatus, cancelled);
    const kernel = this.detachKernel();
    if (kernel) this.releaseKernel(kernel);
    // A kernel still starting would be attached when it arrives; a restart re-wants it.
    if (this.acquiring) this.isAcquiredUnwanted = true;
    this.forgetDisplays();
    this.setKernelStatus(status, detail);
  }

  /** A full-output spool for a new run of `cellId` (it replaces the last run's file), or null. */
  private createSpool(cellId: string): OutputSpool | null {
    const dir = this.options.outputSpoolDir;
    if (!dir) return null;
    try {
      return new OutputSpool(dir, this.notebookId, cellId, {
        memoryBytes: this.options.maxOutputBytes,
        maxFileBytes: DEFAULT_MAX_SPOOL_BYTES,
      });
    } catch (error) {
      this.options.log(`cannot keep the full output of cell ${cellId}: ${describeError(error)}`);
      return null;
    }
  }

  /**
   * Sets the environment {@link TBrokerOptions.prepareRun} gives for the entry's user in the
   * kernel, unless that kernel already has exactly it (the usual case: tokens are reused).
   */
  private async prepareKernel(kernel: KernelHandle, entry: TQueueEntry): Promise<void> {
    const prepareRun = this.options.prepareRun;
    if (!prepareRun || !entry.context) return;
    let env: TRunEnvironment | null = null;
    try {
      env = await prepareRun({ ...entry.context, notebookId: this.notebookId });
    } catch (error) {
      this.options.log(`preparing a run of notebook ${this.notebookId} failed: ${describeError(error)}`);
      return;
    }
    if (!env || kernel.isDead || kernel !== this.kernel) return;
    const key = JSON.stringify(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
    if (this.preparedEnv?.kernel === kernel && this.preparedEnv.key === key) return;
    this.preparedEnv = { kernel, key };
    kernel.executeSilent(pythonEnvironmentUpdate(env));
  }

  private startExecution(kernel: KernelHandle, entry: TQueueEntry): void {
    const state = this.cellState(entry.cellId);
    state.run = createCellRun();
    state.status = "running";
    state.executionCount = null;
    state.hasDisplayIds = false;
    state.finishedAt = null;
    state.sentOutputs = null;
    state.execution = {
      startedAt: new Date().toISOString(),
      endedAt: null,
      ranBy: entry.context ? { id: entry.context.userId, name: entry.context.userName } : null,
    };
    this.dirty.add(state);
    this.emitCell(state, true);
    void state.writer.write({
      status: "running",
      outputs: [],
      executionCount: null,
      execution: state.execution,
    });

    const future = kernel.execute(entry.source, { cellId: entry.cellId });
    const execution: TExecution = {
      entry,
      state,
      kernel,
      msgId: future.msg.header.msg_id,
      reply: null,
      isIdle: false,
      isInterruptRequested: false,
      hasKernelStarted: false,
      hasRateNotice: false,
      idleTimer: null,
      spool: this.createSpool(entry.cellId),
    };
    this.current = execution;
    future.onReply = (msg) => {
      execution.reply = msg.content;
      this.maybeFinish(execution);
    };
    // Rejects when the kernel dies or is replaced; the death handler has dealt with the cell.
    future.done.catch(() => undefined);
  }

  private handleIOPub(kernel: KernelHandle, raw: KernelMessage.IIOPubMessage): void {
    if (kernel !== this.kernel) return;
    // A notebook token printed by a cell never reaches the fold, the database or a browser.
    const msg = { ...raw, content: maskNotebookTokens(raw.content) } as KernelMessage.IIOPubMessage;
    const type = msg.header.msg_type;
    if (type === "update_display_data") {
      const update = readDisplayUpdate(msg.content);
      if (update) this.applyDisplayUpdate(update);
      return;
    }
    const execution = this.current;
    // Output of a cell that already finished (a background thread) is dropped, as JupyterLab does.
    if (!execution || msg.parent_header?.msg_id !== execution.msgId) return;
    if (type === "status") {
      if ((msg.content as { execution_state?: string }).execution_state === "idle") {
        execution.isIdle = true;
        this.maybeFinish(execution);
      }
      return;
    }
    if (!execution.hasKernelStarted) {
      execution.hasKernelStarted = true;
      // The user interrupted while the request still waited in the kernel's queue.
      if (execution.isInterruptRequested) void this.sendInterrupt(execution, EARLY_INTERRUPT_RESENDS);
    }
    let content: unknown = msg.content;
    if (type === "stream" && isRateLimitNotice(content)) {
      // jupyter_server's words name its own config flags; say what happened in Flint's.
      if (execution.hasRateNotice) return;
      execution.hasRateNotice = true;
      content = { name: "stderr", text: RATE_LIMIT_NOTICE };
    }
    if (type === "error") execution.hasErrorOutput = true;
    if (type === "display_data") {
      // A new display with a known id also updates the earlier displays with that id.
      const update = readDisplayUpdate(content);
      if (update) this.applyDisplayUpdate(update);
    }
    const state = execution.state;
    // Before the fold: what the cap drops from the notebook still goes into the full output.
    execution.spool?.append(type, content);
    const before = state.run ?? createCellRun();
    const message: TKernelMessage = { msg_type: type, content, metadata: msg.metadata };
    const after = applyKernelMessage(before, message, this.foldOptions);
    if (after === before) return;
    state.run = after;
    if (hasDisplayId(content)) state.hasDisplayIds = true;
    this.markOutputsChanged(state);
    if (after.executionCount !== state.executionCount) {
      state.executionCount = after.executionCount;
      this.emitCell(state, true);
    }
  }

  private applyDisplayUpdate(update: TDisplayUpdate): void {
    for (const state of this.cells.values()) {
      if (!state.run || !state.hasDisplayIds) continue;
      const before = state.run;
      const isRunning = this.current?.state === state;
      const after = isRunning
        ? updateDisplayInCellRun(before, update, this.foldOptions)
        : withOutputs(
            before,
            updateDisplayInOutputs(
              before.outputs,
              update.displayId,
              update.data,
              update.metadata,
              this.foldOptions,
            ),
          );
      if (after !== before) {
        state.run = after;
        this.markOutputsChanged(state);
      }
    }
  }

  private maybeFinish(execution: TExecution): void {
    if (this.current !== execution || !execution.reply) return;
    if (!execution.isIdle) {
      // Normally `idle` follows the reply at once; do not wait forever if it was lost.
      execution.idleTimer ??= setTimeout(() => {
        execution.isIdle = true;
        this.maybeFinish(execution);
      }, IDLE_AFTER_REPLY_MS);
      return;
    }
    const reply = execution.reply;
    if (reply.status === "ok") {
      for (const payload of reply.payload ?? []) this.applyPayload(execution, payload);
    }
    if (reply.status === "error" && !execution.hasErrorOutput) this.applyReplyError(execution, reply);
    const status = readReplyStatus(reply, execution.isInterruptRequested);
    // Cancel first: a second run of this same cell in the queue must not overwrite its status.
    const cancelled = status !== "ok" ? this.cancelQueue() : [];
    this.endExecution(execution, status);
    if (status === "error" || status === "interrupted") {
      this.stopRun(execution.entry.cellId, status, cancelled);
    }
    void this.pump();
  }

  /**
   * The error of a failed cell from its reply, when its `error` output never came: while a cell
   * floods, jupyter_server's IOPub rate limit drops every message, the traceback included, and
   * the person would see an interrupted cell with no KeyboardInterrupt.
   */
  private applyReplyError(execution: TExecution, reply: KernelMessage.IExecuteReplyMsg["content"]): void {
    if (reply.status !== "error") return;
    const before = execution.state.run ?? createCellRun();
    execution.state.run = applyKernelMessage(
      before,
      {
        msg_type: "error",
        content: maskNotebookTokens({
          ename: reply.ename,
          evalue: reply.evalue,
          traceback: reply.traceback ?? [],
        }),
      },
      this.foldOptions,
    );
    this.markOutputsChanged(execution.state);
  }

  /** `obj?` and `%pinfo` answer with a "page" payload; show it as an output, as JupyterLab can. */
  private applyPayload(execution: TExecution, payload: Record<string, unknown>): void {
    if (payload.source !== "page" || typeof payload.data !== "object" || payload.data === null) return;
    const before = execution.state.run ?? createCellRun();
    const after = applyKernelMessage(
      before,
      { msg_type: "display_data", content: { data: payload.data, metadata: {} } },
      this.foldOptions,
    );
    if (after === before) return;
    execution.state.run = after;
    this.markOutputsChanged(execution.state);
  }

  /** Ends the running cell with `status` and persists its final outputs. */
  private endExecution(execution: TExecution, status: TCellStatus): void {
    if (this.current !== execution) return;
    this.current = null;
    if (execution.idleTimer) clearTimeout(execution.idleTimer);
    void execution.spool?.close();
    const state = execution.state;
    state.status = status;
    state.finishedAt = Date.now();
    if (state.execution) state.execution = { ...state.execution, endedAt: new Date().toISOString() };
    this.touch();
    this.finishCell(state, execution.entry, true, {
      status,
      outputs: state.run?.outputs ?? [],
      executionCount: state.executionCount,
      execution: state.execution ?? null,
    });
  }

  /**
   * Persists how a queued or running cell ended, then announces it and settles its entry. The
   * order matters: whoever sees the cell finished (a browser, a `run` with `wait`) can read
   * everything it showed from the database. The outputs themselves stream before this.
   */
  private finishCell(
    state: TCellState,
    entry: TQueueEntry,
    withCount: boolean,
    update: TCellRunUpdate,
  ): void {
    this.flushOutputs();
    const status = state.status;
    void state.writer.write(update).then(() => {
      // A run of the same cell that began meanwhile has announced itself already; announcing
      // this older end after it would show a stale state.
      if (state.status === status) this.emitCell(state, withCount);
      entry.settle();
    });
  }

  /** Ends the running cell with an error output saying why (kernel death, Flint stopping). */
  private endWithError(execution: TExecution, status: TCellStatus, text: string): void {
    const state = execution.state;
    const before = state.run ?? createCellRun();
    // An error output is kept even past the output cap, so the reason is always visible.
    state.run = applyKernelMessage(
      before,
      {
        msg_type: "error",
        content: {
          ename: "KernelDied",
          evalue: text,
          traceback: [`\u001b[0;31mKernelDied\u001b[0m: ${text}`],
        },
      },
      this.foldOptions,
    );
    this.markOutputsChanged(state);
    this.endExecution(execution, status);
  }

  private finishEmptyCell(entry: TQueueEntry): void {
    // As JupyterLab: an empty cell is not sent to the kernel; its outputs and count are cleared.
    const state = this.cellState(entry.cellId);
    state.run = createCellRun();
    state.sentOutputs = null;
    state.executionCount = null;
    state.execution = null;
    state.status = "idle";
    state.finishedAt = Date.now();
    this.dirty.add(state);
    this.finishCell(state, entry, true, {
      status: "idle",
      outputs: [],
      executionCount: null,
      execution: null,
    });
  }

  /**
   * Cancels every queued cell (they did not run; their stored outputs, count and times stay) and
   * returns their ids in queue order.
   */
  private cancelQueue(): string[] {
    const entries = this.queue.splice(0);
    const cancelled: string[] = [];
    for (const entry of entries) {
      if (this.current?.entry.cellId === entry.cellId) {
        // A second run of the running cell: the running one keeps its status.
        entry.settle();
        continue;
      }
      const state = this.cellState(entry.cellId);
      state.status = "cancelled";
      state.finishedAt = Date.now();
      this.finishCell(state, entry, false, { status: "cancelled" });
      cancelled.push(entry.cellId);
    }
    return cancelled;
  }

  /**
   * Records and announces that a run stopped early at `cellId` (see {@link TRunStop}). Nothing
   * when no queued cell was cancelled: then nothing else was waiting, and the cell says itself
   * how it ended.
   */
  private stopRun(cellId: string | null, status: TRunStop["status"], cancelled: string[]): void {
    if (cancelled.length === 0) return;
    this.setRunStop({ cellId, status, cancelledCellIds: cancelled, stoppedAt: new Date().toISOString() });
  }

  private setRunStop(stop: TRunStop | null): void {
    if (stop === null && this.runStop === null) return;
    this.runStop = stop;
    this.broadcast({ type: "runStop", notebookId: this.notebookId, stop });
  }

  /** The kernel could not be had: the first queued cell says why, the others are cancelled. */
  private failQueue(error: unknown): void {
    const entry = this.queue.shift();
    if (entry) {
      const state = this.cellState(entry.cellId);
      const text = `Could not run this cell: ${describeError(error)}`;
      state.run = applyKernelMessage(
        createCellRun(),
        { msg_type: "error", content: { ename: "KernelStartError", evalue: text, traceback: [text] } },
        this.foldOptions,
      );
      state.sentOutputs = null;
      state.executionCount = null;
      // It never reached a kernel: no run times.
      state.execution = null;
      state.status = "error";
      state.finishedAt = Date.now();
      this.dirty.add(state);
      this.finishCell(state, entry, true, {
        status: "error",
        outputs: state.run.outputs,
        executionCount: null,
        execution: null,
      });
    }
    this.stopRun(entry?.cellId ?? null, "error", this.cancelQueue());
  }

  /** An oversized message of the running cell was dropped: say so in its outputs. */
  private handleDroppedMessage(kernel: KernelHandle): void {
    const execution = this.current;
    if (kernel !== this.kernel || !execution) return;
    const before = execution.state.run ?? createCellRun();
    const after = applyKernelMessage(
      before,
      { msg_type: "stream", content: { name: "stderr", text: OVERSIZED_NOTICE } },
      this.foldOptions,
    );
    if (after === before) return;
    execution.state.run = after;
    this.markOutputsChanged(execution.state);
  }

  private handleKernelStatus(kernel: KernelHandle, status: TServicesStatus): void {
    if (kernel !== this.kernel) return;
    const mapped = toKernelStatus(status);
    if (mapped) this.setKernelStatus(mapped);
  }

  private handleKernelDeath(kernel: KernelHandle, died: string): void {
    if (kernel !== this.kernel) return;
    // Read before the kernel is released: its sandbox's records go with it.
    const explained = this.explainDeath(kernel);
    const reason = explained ?? died;
    this.detachKernel();
    // Jupyter may already be restarting the process; Flint replaces the kernel instead.
    this.releaseKernel(kernel);
    const cancelled = this.cancelQueue();
    const execution = this.current;
    if (execution) {
      this.endWithError(
        execution,
        "died",
        `${KERNEL_DIED_MESSAGE} (${reason}). Restart the kernel to continue.`,
      );
    }
    this.stopRun(execution?.entry.cellId ?? null, "died", cancelled);
    this.forgetDisplays();
    this.setKernelStatus("dead", `The kernel died: ${reason}`);
  }

  private explainDeath(kernel: KernelHandle): string | null {
    try {
      return this.options.explainDeath?.(kernel.id) ?? null;
    } catch {
      return null;
    }
  }

  /** Display ids die with their kernel: finished cells' outputs need not stay in memory for them. */
  private forgetDisplays(): void {
    for (const state of this.cells.values()) state.hasDisplayIds = false;
  }

  private introspectionKernel(): KernelHandle | null {
    const kernel = this.kernel;
    if (!kernel || kernel.isDead || this.current) return null;
    // A kernel busy with a cell would answer only after it: not worth a stuck request. Busy with
    // an earlier completion (typing "." asks, and Tab asks again while a fresh kernel's first
    // answer takes seconds), the request just waits behind it on the shell channel: refusing it
    // left the person with "No suggestions" and a second Tab to press.
    if (kernel.status === "busy" && !this.introspections.get(kernel)) return null;
    return kernel;
  }

  private async withIntrospectionTimeout<T>(kernel: KernelHandle, request: Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(null), this.options.introspectionTimeoutMs);
    });
    this.introspections.set(kernel, (this.introspections.get(kernel) ?? 0) + 1);
    try {
      return await Promise.race([request, timeout]);
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
      this.introspections.set(kernel, (this.introspections.get(kernel) ?? 1) - 1);
    }
  }

  // -------------------------------------------------------------------------------------------
  // State, events, persistence

  private cellState(cellId: string): TCellState {
    let state = this.cells.get(cellId);
    if (!state) {
      const created: TCellState = {
        cellId,
        status: "idle",
        executionCount: null,
        run: null,
        hasDisplayIds: false,
        finishedAt: null,
        execution: undefined,
        sentOutputs: null,
        writer: new CellWriter<TCellRunUpdate>(
          (update) => this.store.saveCellRun(this.notebookId, cellId, update),
          this.options.persistIntervalMs,
          this.options.log,
        ),
      };
      this.cells.set(cellId, created);
      state = created;
    }
    return state;
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private setKernelStatus(status: TKernelStatus, detail?: string): void {
    if (status === this.kernelStatus && detail === this.kernelDetail) return;
    this.kernelStatus = status;
    this.kernelDetail = detail;
    this.broadcast({
      type: "kernel",
      notebookId: this.notebookId,
      status,
      ...(detail ? { detail } : {}),
    });
  }

  /** A cell's outputs changed: broadcast them soon (batched) and persist them (throttled). */
  private markOutputsChanged(state: TCellState): void {
    this.dirty.add(state);
    // The first output after a quiet spell goes out on the next tick (a cell's result should not
    // wait out the batching interval: issue 23); outputs that follow it are batched.
    const wait = Math.max(0, this.lastOutputsSentAt + this.options.broadcastIntervalMs - Date.now());
    this.broadcastTimer ??= setTimeout(() => {
      this.broadcastTimer = null;
      this.flushOutputs();
    }, wait);
    state.writer.schedule(() => ({
      status: state.status,
      outputs: state.run?.outputs ?? [],
      executionCount: state.executionCount,
    }));
  }

  /** Sends the pending output changes of every cell (before any status event, to keep order). */
  private flushOutputs(): void {
    if (this.broadcastTimer) clearTimeout(this.broadcastTimer);
    this.broadcastTimer = null;
    for (const state of this.dirty) {
      const next = state.run?.outputs ?? [];
      const previous = state.sentOutputs;
      const changes = diffOutputs(previous ?? [], next);
      if (previous === null || changes.length > 0 || previous.length !== next.length) {
        if (next.length > 0) this.lastOutputsSentAt = Date.now();
        this.broadcast({
          type: "outputs",
          notebookId: this.notebookId,
          cellId: state.cellId,
          length: next.length,
          changes,
        });
      }
      state.sentOutputs = next;
    }
    this.dirty.clear();
  }

  private emitCell(state: TCellState, withCount: boolean): void {
    this.flushOutputs();
    this.broadcast({
      type: "cell",
      notebookId: this.notebookId,
      cellId: state.cellId,
      status: state.status,
      ...(withCount ? { executionCount: state.executionCount } : {}),
      ...(state.execution !== undefined ? { execution: state.execution } : {}),
    });
  }

  private broadcast(event: TBrokerEvent): void {
    for (const listener of this.listeners) this.deliver(listener, event);
  }

  private deliver(listener: TBrokerListener, event: TBrokerEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.options.log(`a subscriber of notebook ${this.notebookId} failed: ${describeError(error)}`);
    }
  }
}

function readReplyStatus(
  reply: KernelMessage.IExecuteReplyMsg["content"],
  isInterruptRequested: boolean,
): TCellStatus {
  if (reply.status === "ok") return "ok";
  if (reply.status === "aborted") return "cancelled";
  if (reply.status === "error" && (isInterruptRequested || reply.ename === "KeyboardInterrupt")) {
    return "interrupted";
  }
  return "error";
}

function toKernelStatus(status: TServicesStatus): TKernelStatus | null {
  switch (status) {
    case "idle":
      return "idle";
    case "busy":
      return "busy";
    case "starting":
      return "starting";
    default:
      // "unknown" while reconnecting, "restarting"/"dead" are handled as deaths.
      return null;
  }
}

function withOutputs(run: TCellRun, outputs: TOutput[]): TCellRun {
  return outputs === run.outputs ? run : { ...run, outputs };
}

function hasDisplayId(content: unknown): boolean {
  const transient = (content as { transient?: { display_id?: unknown } } | null)?.transient;
  return typeof transient?.display_id === "string";
}

function isRateLimitNotice(content: unknown): boolean {
  const text = (content as { text?: unknown } | null)?.text;
  return (
    typeof text === "string" &&
    (text.startsWith("IOPub data rate exceeded.") || text.startsWith("IOPub message rate exceeded."))
  );
}

/**
 * Python that sets `env` in `os.environ`. The values travel as one JSON document inside a
 * Python string literal (JSON string syntax is valid Python), so no value can break out of it.
 */
export function pythonEnvironmentUpdate(env: TRunEnvironment): string {
  const json = JSON.stringify(JSON.stringify(env));
  return `import os as _flint_os, json as _flint_json\n_flint_os.environ.update(_flint_json.loads(${json}))\ndel _flint_os, _flint_json\n`;
}

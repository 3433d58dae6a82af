/**
 * One notebook's queue and execution: cells run one at a time in queue order, and a cell that
 * fails (error reply, interrupt, kernel death) cancels the rest of the queue, as JupyterLab's
 * run-all does. The session composes its parts: the {@link KernelSlot} (which kernel, its
 * lifecycle), the IOPub fold (`iopub-fold.ts`), {@link SessionEvents} (subscribers, batched
 * output events), {@link SessionCells} (cell states and their persistence) and
 * {@link KernelQueries} (completion, inspection, live outputs).
 *
 * Security: `run` takes cell ids only and executes the source saved in the store, never code
 * from the client (SECURITY.md case 16).
 */

import { createCellRun, type TDisplayUpdate, type TFoldOptions, type TKernelMessage } from "@flint/notebook";
import type { KernelMessage } from "@jupyterlab/services";
import {
  KERNEL_DIED_MESSAGE,
  OVERSIZED_NOTICE,
  type TBrokerListener,
  type TCellRunStore,
  type TCellRunUpdate,
  type TKernelProvider,
  type TResolvedOptions,
  type TRunContext,
} from "./broker-types";
import { describeError, KernelRuntimeError } from "./errors";
import {
  applyDisplayUpdate,
  errorMessage,
  foldIntoCell,
  payloadMessage,
  readIOPub,
  readReplyStatus,
  replyErrorMessage,
  replyLessOutcome,
} from "./iopub-fold";
import { KernelQueries } from "./kernel-queries";
import { KernelSlot } from "./kernel-slot";
import type { KernelHandle } from "./kernels";
import { DEFAULT_MAX_SPOOL_BYTES, OutputSpool } from "./output-spool";
import {
  isFinishedCellStatus,
  type TBrokerCommand,
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
import { SessionCells } from "./session-cells";
import { SessionEvents } from "./session-events";
import type { TCellState, TExecution, TQueueEntry } from "./session-state";

/** How long an interrupt held until the cell started may take before it is sent again. */
const EARLY_INTERRUPT_RECHECK_MS = 2_000;
/** How long after the kernel started a cell an interrupt is treated as early (checked and resent). */
const EARLY_INTERRUPT_WINDOW_MS = 5_000;
/** How often such an interrupt is sent again at most. */
const EARLY_INTERRUPT_RESENDS = 2;

/** How long to wait for a cell's final `idle` after its reply before finishing it anyway. */
const IDLE_AFTER_REPLY_MS = 2_000;

/** How long to wait for a cell's reply after its `idle` before finishing it without one. */
const REPLY_AFTER_IDLE_MS = 5_000;

/**
 * One notebook's execution state: its kernel, the queue of cells, the running cell's outputs,
 * subscribers. Cells run one at a time in queue order; a cell that fails (error reply, interrupt,
 * kernel death) cancels the rest of the queue, as JupyterLab's run-all does.
 */
export class NotebookSession {
  /** The notebook this session runs. */
  readonly notebookId: string;
  private readonly store: TCellRunStore;
  private readonly options: TResolvedOptions;
  private readonly foldOptions: TFoldOptions;
  private readonly slot: KernelSlot;
  private readonly events: SessionEvents;
  private readonly cells: SessionCells;
  private readonly queries: KernelQueries;
  private readonly queue: TQueueEntry[] = [];
  private current: TExecution | null = null;
  private lastActivity = Date.now();
  private isPumping = false;
  /** How the latest run of several cells stopped early; cleared when a new run begins. */
  private runStop: TRunStop | null = null;
  private isClosed = false;

  /** Use {@link ExecutionBroker.session}. */
  constructor(
    notebookId: string,
    store: TCellRunStore,
    kernels: TKernelProvider,
    options: TResolvedOptions,
    /** The other sessions whose kernel `userId` started (for {@link TBrokerOptions.maxKernelsPerUser}). */
    sessionsOwnedBy: (userId: string) => NotebookSession[] = () => [],
  ) {
    this.notebookId = notebookId;
    this.store = store;
    this.options = options;
    this.foldOptions = { maxOutputBytes: options.maxOutputBytes };
    this.events = new SessionEvents(notebookId, options.broadcastIntervalMs, options.log);
    this.cells = new SessionCells(notebookId, store, options);
    this.queries = new KernelQueries(options, () => this.touch());
    this.slot = new KernelSlot(
      notebookId,
      store,
      kernels,
      options,
      {
        onIOPub: (kernel, msg) => this.handleIOPub(kernel, msg),
        onDeath: (kernel, reason) => this.handleKernelDeath(kernel, reason),
        onDroppedMessage: (kernel) => this.handleDroppedMessage(kernel),
        onStatus: (status, detail) =>
          this.events.broadcast({
            type: "kernel",
            notebookId: this.notebookId,
            status,
            ...(detail ? { detail } : {}),
          }),
        onChoice: (choice) => {
          const { status, detail } = this.slot.status;
          this.events.broadcast({
            type: "kernel",
            notebookId: this.notebookId,
            status,
            ...(detail ? { detail } : {}),
            choice,
          });
        },
      },
      (userId) => sessionsOwnedBy(userId).length,
      () => this.isClosed,
    );
  }

  /** Who started this notebook's live (or starting) kernel; null without one. */
  get kernelOwner(): string | null {
    return this.slot.owner;
  }

  /** Jupyter's id of the notebook's kernel, or `null` when it has none. */
  get kernelId(): string | null {
    return this.slot.kernel?.id ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Subscribers

  /**
   * Adds a subscriber. It gets a {@link TSnapshotEvent} at once, then every event of the notebook.
   * Returns the function that unsubscribes it.
   */
  subscribe(listener: TBrokerListener): () => void {
    const unsubscribe = this.events.subscribe(listener, () => this.snapshot());
    // A page shows which kernel the notebook gets (and whether its kernelspec was refused) before
    // any kernel starts: read the choice once; it arrives as a kernel event.
    if (!this.slot.choice && !this.slot.isAcquiring) void this.slot.readChoice();
    return unsubscribe;
  }

  /** The current state, as sent to a new subscriber. */
  snapshot(): TSnapshotEvent {
    const { status, detail } = this.slot.status;
    const choice = this.slot.choice;
    return {
      type: "snapshot",
      notebookId: this.notebookId,
      kernel: { status, ...(detail ? { detail } : {}), ...(choice ? { choice } : {}) },
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
    // Each cell's result is taken when it ends: the session lets go of a finished cell's outputs
    // a minute later, and a long run (a slow Spark cell after a quick one) would answer the early
    // cells as never run.
    const finished = new Map<string, TCellRunResult>();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(
        entries.map((entry) =>
          entry.done.then(() => finished.set(entry.cellId, this.resultOf(entry.cellId))),
        ),
      ),
      new Promise<void>((resolveWait) => {
        timer = setTimeout(resolveWait, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return [...new Set(cellIds)].map((cellId) => finished.get(cellId) ?? this.resultOf(cellId));
  }

  /** A cell's state as a run's result. */
  private resultOf(cellId: string): TCellRunResult {
    const state = this.cells.find(cellId);
    if (!state) return { cellId, status: "idle", executionCount: null, outputs: [], execution: null };
    const hasStarted = state.status !== "queued" && state.status !== "cancelled";
    return {
      cellId,
      status: state.status,
      executionCount: hasStarted ? state.executionCount : null,
      outputs: hasStarted ? (state.run?.outputs ?? []) : [],
      execution: hasStarted ? (state.execution ?? null) : null,
    };
  }

  /** Interrupts the running cell (its Spark jobs are cancelled by the kernel) and cancels the queue. */
  async interrupt(): Promise<void> {
    this.touch();
    const cancelled = this.cancelQueue();
    const execution = this.current;
    this.stopRun(execution?.entry.cellId ?? null, "interrupted", cancelled);
    if (!execution) return;
    execution.isInterruptRequested = true;
    // Not started yet: `handleIOPub` sends it when the kernel starts the cell. Just started: the
    // kernel may still be in the moment between announcing the cell and taking SIGINT, where a
    // signal is lost (the cell then ran on; e2e "Interrupt stops time.sleep(60)" saw it under
    // load), so it is checked and sent again as for an interrupt held until the start.
    if (execution.hasKernelStarted) {
      const isEarly =
        execution.kernelStartedAt !== null &&
        Date.now() - execution.kernelStartedAt < EARLY_INTERRUPT_WINDOW_MS;
      await this.sendInterrupt(execution, isEarly ? EARLY_INTERRUPT_RESENDS : 0);
    }
  }

  /**
   * Replaces the kernel with a fresh one: the queue is cancelled, a running cell ends as
   * `interrupted`, the old kernel (and its Spark driver and jobs) is shut down. Resolves when
   * the new kernel is ready; rejects when it cannot start (the kernel status says why).
   */
  async restart(): Promise<void> {
    this.touch();
    this.dropKernel("interrupted", "restarting");
    await this.slot.ensure("restarting");
    this.touch();
  }

  /**
   * Applies a changed kernel choice (the notebook's saved `metadata.kernelspec`): a kernel of
   * another kind is replaced by one of the new kind, as {@link restart} does (its state is lost);
   * without a kernel, the next run starts the new kind. Subscribers are told the new choice.
   */
  async switchKernel(): Promise<void> {
    this.touch();
    const hasKernel = (this.slot.kernel !== null && !this.slot.kernel.isDead) || this.slot.isAcquiring;
    const choice = await this.slot.readChoice();
    if (!hasKernel || choice.name === this.slot.kernelName) return;
    await this.restart();
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
    return this.queries.complete(this.introspectionKernel(), code, cursorPos);
  }

  /** Documentation of the name at `cursorPos` (code points). Same rules as {@link complete}. */
  async inspect(code: string, cursorPos: number, detailLevel: 0 | 1 = 0): Promise<TInspectResult> {
    return this.queries.inspect(this.introspectionKernel(), code, cursorPos, detailLevel);
  }

  /**
   * One page of a live table, computed in the kernel by `flint.kernel.live` (see
   * {@link ZTablePageCommand}). Starts no kernel: without one the table is gone (its first page
   * stays in the saved output). Answers `busy` while a cell runs or waits, rather than queueing
   * behind it on the kernel's shell channel.
   */
  async tablePage(command: TTablePageCommand): Promise<TTablePageResult> {
    const { type: _type, requestId: _requestId, ...request } = command;
    return this.queries.askLive(
      this.slot.kernel,
      this.isBusy(),
      { kind: "tablePage", ...request },
      ZTablePageResult,
    );
  }

  /** The Vega-Lite spec of a `%chart` line, computed in the kernel as the cell would be, shown nowhere. */
  async chartPreview(command: TChartPreviewCommand): Promise<TChartPreviewResult> {
    return this.queries.askLive(
      this.slot.kernel,
      this.isBusy(),
      { kind: "chartPreview", command: command.command },
      ZChartPreviewResult,
    );
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
      const state = this.cells.get(cellId);
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
      this.events.markReplaced(state);
      this.events.emitCell(state, true);
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
        case "switchKernel":
          await this.switchKernel();
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
    const isIdle = !this.current && this.queue.length === 0 && !this.slot.isAcquiring;
    if (this.slot.kernel && isIdle && now - this.lastActivity >= this.options.idleTimeoutMs) {
      const minutes = Math.max(1, Math.round(this.options.idleTimeoutMs / 60_000));
      void this.shutdown(`shut down after ${minutes} min without activity`);
    }
    this.cells.sweep(now, (state) => this.events.isPending(state));
  }

  /** Ends the session for a stopping server: cancels, ends the running cell, finishes writes. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.cancelQueue();
    const execution = this.current;
    if (execution) this.endWithError(execution, "died", "Flint stopped while this cell was running.");
    this.slot.detach();
    this.events.flush();
    await this.cells.settle();
    this.events.close();
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
      const state = this.cells.get(cellId);
      state.status = "queued";
      state.finishedAt = null;
      this.events.emitCell(state, false);
      void state.writer.write({ status: "queued" });
    }
    // A new run began: a notice about how the previous one stopped no longer applies.
    if (this.queue.length > queuedBefore) this.setRunStop(null);
    void this.pump();
    return entries;
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
          if (!this.slot.owner) this.slot.claim(this.queue[0]?.context ?? null);
          kernel = await this.slot.ensure("starting", () => this.queue.map((entry) => entry.source));
        } catch (error) {
          this.failQueue(error);
          return;
        }
        if (this.current || this.isClosed) return;
        // Shut down or replaced while it started: go round and get the current one.
        if (kernel.isDead || kernel !== this.slot.kernel) continue;
        const next = this.queue[0];
        if (!next) return;
        if (next.source.trim() === "") {
          this.queue.shift();
          this.finishEmptyCell(next);
          continue;
        }
        // The entry stays queued while the kernel is prepared, so an interrupt or restart in
        // that time cancels it like any queued cell.
        await this.slot.prepare(kernel, next.context);
        if (this.isClosed || this.current) return;
        if (kernel.isDead || kernel !== this.slot.kernel || this.queue[0] !== next) continue;
        const entry = this.queue.shift()!;
        this.startExecution(kernel, entry);
      }
    } finally {
      this.isPumping = false;
    }
  }

  /** Lets go of the kernel (restart, shutdown): queue cancelled, running cell ended. */
  private dropKernel(runningStatus: "interrupted", status: TKernelStatus, detail?: string): void {
    const cancelled = this.cancelQueue();
    const execution = this.current;
    if (execution) this.endExecution(execution, runningStatus);
    this.stopRun(execution?.entry.cellId ?? null, runningStatus, cancelled);
    this.slot.drop();
    this.cells.forgetDisplays();
    this.slot.setStatus(status, detail);
  }

  /**
   * Interrupts the kernel. `resends`: how often to send it again while the same cell still runs
   * {@link EARLY_INTERRUPT_RECHECK_MS} later with no sign that the signal took. Only for an
   * interrupt in the cell's first moments (held until the kernel started it, or within
   * {@link EARLY_INTERRUPT_WINDOW_MS} of that): ipykernel publishes `execute_input` a moment
   * before it stops ignoring SIGINT, and on a loaded machine that moment is long enough to lose
   * the signal (the cell then ran on).
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
      // The signal took: the cell's code ended (its KeyboardInterrupt, or a reply) and the kernel
      // is finishing it (a Spark cell cancels its jobs and settles its progress for seconds). A
      // second SIGINT now would land in that clean-up, not in the user's code.
      if (execution.hasErrorOutput || execution.reply !== null) return;
      void this.sendInterrupt(execution, resends - 1);
    }, EARLY_INTERRUPT_RECHECK_MS);
    timer.unref();
  }

  /** A full-output spool for a new run of `cellId` (it replaces the last run's file), or null. */
  private createSpool(cellId: string): OutputSpool | null {
    const dir = this.options.outputSpoolDir;
    if (!dir) return null;
    try {
      return new OutputSpool(
        dir,
        this.notebookId,
        cellId,
        { memoryBytes: this.options.maxOutputBytes, maxFileBytes: DEFAULT_MAX_SPOOL_BYTES },
        this.options.outputStore ?? null,
      );
    } catch (error) {
      this.options.log(`cannot keep the full output of cell ${cellId}: ${describeError(error)}`);
      return null;
    }
  }

  private startExecution(kernel: KernelHandle, entry: TQueueEntry): void {
    const state = this.cells.get(entry.cellId);
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
    this.events.markReplaced(state);
    this.events.emitCell(state, true);
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
      kernelStartedAt: null,
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
    if (kernel !== this.slot.kernel) return;
    const execution = this.current;
    const { action, hasJustStarted } = readIOPub(raw, execution);
    // The user interrupted while the request still waited in the kernel's queue.
    if (hasJustStarted && execution) execution.kernelStartedAt = Date.now();
    if (hasJustStarted && execution?.isInterruptRequested) {
      void this.sendInterrupt(execution, EARLY_INTERRUPT_RESENDS);
    }
    switch (action.kind) {
      case "display":
        this.applyDisplayUpdate(action.update);
        return;
      case "idle":
        if (!execution) return;
        execution.isIdle = true;
        this.maybeFinish(execution);
        return;
      case "ignore":
        return;
      case "output": {
        if (!execution) return;
        if (action.display) this.applyDisplayUpdate(action.display);
        const state = execution.state;
        // Before the fold: what the cap drops from the notebook still goes into the full output.
        execution.spool?.append(action.message.msg_type, action.message.content);
        if (!foldIntoCell(state, action.message, this.foldOptions)) return;
        this.markOutputsChanged(state);
        const count = state.run?.executionCount ?? null;
        if (count !== state.executionCount) {
          state.executionCount = count;
          this.events.emitCell(state, true);
        }
      }
    }
  }

  private applyDisplayUpdate(update: TDisplayUpdate): void {
    const running = this.current?.state ?? null;
    for (const state of applyDisplayUpdate(this.cells.values(), update, running, this.foldOptions)) {
      this.markOutputsChanged(state);
    }
  }

  private maybeFinish(execution: TExecution): void {
    if (this.current !== execution) return;
    if (!execution.reply) {
      // ipykernel catches a KeyboardInterrupt that lands between `execute_input` and the user's
      // code ("KeyboardInterrupt caught in kernel"), sends no reply and goes idle: the cell would
      // show Running forever. The reply travels on another channel, so give it a moment first.
      if (execution.isIdle) {
        execution.idleTimer ??= setTimeout(() => {
          if (this.current !== execution || execution.reply) return;
          execution.reply = replyLessOutcome(execution.isInterruptRequested);
          this.maybeFinish(execution);
        }, REPLY_AFTER_IDLE_MS);
      }
      return;
    }
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
      for (const payload of reply.payload ?? []) {
        const message = payloadMessage(payload);
        if (message && foldIntoCell(execution.state, message, this.foldOptions)) {
          this.markOutputsChanged(execution.state);
        }
      }
    }
    const replyError = execution.hasErrorOutput ? null : replyErrorMessage(reply);
    if (replyError) this.appendOutput(execution.state, replyError);
    const status = readReplyStatus(reply, execution.isInterruptRequested);
    // Cancel first: a second run of this same cell in the queue must not overwrite its status.
    // An interrupt cancelled the queue when it was asked; what was queued since (the person ran
    // another cell while the kernel was still stopping this one) was asked for after it, and runs.
    const cancelled = status !== "ok" && !execution.isInterruptRequested ? this.cancelQueue() : [];
    this.endExecution(execution, status);
    if (status === "error" || status === "interrupted") {
      this.stopRun(execution.entry.cellId, status, cancelled);
    }
    void this.pump();
  }

  /** Folds a message Flint adds (not the kernel) into a cell's outputs and sends them. */
  private appendOutput(state: TCellState, message: TKernelMessage): void {
    foldIntoCell(state, message, this.foldOptions);
    this.markOutputsChanged(state);
  }

  /** Ends the running cell with `status` and persists its final outputs. */
  private endExecution(execution: TExecution, status: TCellStatus): void {
    if (this.current !== execution) return;
    this.current = null;
    if (execution.idleTimer) clearTimeout(execution.idleTimer);
    execution.spool
      ?.close()
      .catch((error) =>
        this.options.log(
          `could not store the full output of cell ${execution.entry.cellId}: ${describeError(error)}`,
        ),
      );
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
    this.events.flush();
    const status = state.status;
    void state.writer.write(update).then(() => {
      // A run of the same cell that began meanwhile has announced itself already; announcing
      // this older end after it would show a stale state.
      if (state.status === status) this.events.emitCell(state, withCount);
      entry.settle();
    });
  }

  /** Ends the running cell with an error output saying why (kernel death, Flint stopping). */
  private endWithError(execution: TExecution, status: TCellStatus, text: string): void {
    // An error output is kept even past the output cap, so the reason is always visible.
    this.appendOutput(
      execution.state,
      errorMessage("KernelDied", text, [`\u001b[0;31mKernelDied\u001b[0m: ${text}`]),
    );
    this.endExecution(execution, status);
  }

  private finishEmptyCell(entry: TQueueEntry): void {
    // As JupyterLab: an empty cell is not sent to the kernel; its outputs and count are cleared.
    this.finishUnsent(entry, "idle", null);
  }

  /**
   * Ends a queued cell that never reached a kernel: its outputs become `message` alone (or
   * none), with no execution count and no run times.
   */
  private finishUnsent(entry: TQueueEntry, status: "idle" | "error", message: TKernelMessage | null): void {
    const state = this.cells.get(entry.cellId);
    state.run = createCellRun();
    if (message) foldIntoCell(state, message, this.foldOptions);
    state.sentOutputs = null;
    state.executionCount = null;
    state.execution = null;
    state.status = status;
    state.finishedAt = Date.now();
    this.events.markReplaced(state);
    this.finishCell(state, entry, true, {
      status,
      outputs: state.run?.outputs ?? [],
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
      const state = this.cells.get(entry.cellId);
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
    this.events.broadcast({ type: "runStop", notebookId: this.notebookId, stop });
  }

  /** The kernel could not be had: the first queued cell says why, the others are cancelled. */
  private failQueue(error: unknown): void {
    const entry = this.queue.shift();
    if (entry) {
      const text = `Could not run this cell: ${describeError(error)}`;
      this.finishUnsent(entry, "error", errorMessage("KernelStartError", text, [text]));
    }
    this.stopRun(entry?.cellId ?? null, "error", this.cancelQueue());
  }

  /** An oversized message of the running cell was dropped: say so in its outputs. */
  private handleDroppedMessage(kernel: KernelHandle): void {
    const execution = this.current;
    if (kernel !== this.slot.kernel || !execution) return;
    const notice: TKernelMessage = {
      msg_type: "stream",
      content: { name: "stderr", text: OVERSIZED_NOTICE },
    };
    if (foldIntoCell(execution.state, notice, this.foldOptions)) this.markOutputsChanged(execution.state);
  }

  private handleKernelDeath(kernel: KernelHandle, died: string): void {
    if (kernel !== this.slot.kernel) return;
    // Read before the kernel is released: its sandbox's records go with it.
    const explained = this.slot.explainDeath(kernel);
    const reason = explained ?? died;
    this.slot.detach();
    // Jupyter may already be restarting the process; Flint replaces the kernel instead.
    this.slot.release(kernel);
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
    this.cells.forgetDisplays();
    this.slot.setStatus("dead", `The kernel died: ${reason}`);
  }

  /** The kernel that may answer a completion or inspection now: none while a cell runs. */
  private introspectionKernel(): KernelHandle | null {
    return this.current ? null : this.slot.kernel;
  }

  /** A cell runs or waits: the kernel answers shell requests one at a time. */
  private isBusy(): boolean {
    return this.current !== null || this.queue.length > 0;
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  /** A cell's outputs changed: broadcast them soon (batched) and persist them (throttled). */
  private markOutputsChanged(state: TCellState): void {
    this.events.markChanged(state);
    this.cells.scheduleOutputs(state);
  }
}

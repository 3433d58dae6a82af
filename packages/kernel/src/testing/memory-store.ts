/**
 * Test doubles for code that uses the broker: an in-memory {@link TCellRunStore} that records
 * every write, and a {@link NotebookMirror} that applies broker events the way a browser does.
 * Not used by Flint itself.
 */

import type { TOutput } from "@flint/notebook";
import type { ExecutionBroker, TCellRunStore, TCellRunUpdate, TStoredCell } from "../broker";
import {
  applyOutputChanges,
  type TBrokerEvent,
  type TCellExecution,
  type TCellStatus,
  type TKernelStatus,
  type TRunStop,
} from "../protocol";

/** A stored cell run, as the database would hold it. */
export type TStoredRun = {
  status: TCellStatus;
  outputs: TOutput[];
  executionCount: number | null;
  execution: TCellExecution | null;
};

const NEVER_RUN: TStoredRun = { status: "idle", outputs: [], executionCount: null, execution: null };

/** One recorded `saveCellRun` call. */
export type TRecordedWrite = { notebookId: string; cellId: string; update: TCellRunUpdate; at: number };

/** An in-memory notebook store: cells per notebook, runs per cell, and a log of writes. */
export class MemoryCellRunStore implements TCellRunStore {
  private readonly notebooks = new Map<string, TStoredCell[]>();
  private readonly runs = new Map<string, TStoredRun>();
  /** Every write, in order. */
  readonly writes: TRecordedWrite[] = [];
  /** How long each `saveCellRun` takes, as a slow or busy database would. */
  saveDelayMs = 0;

  /**
   * Saves a notebook. Each cell is a code source or a full cell; ids default to `c0`, `c1`...
   * Returns the cell ids in order.
   */
  setNotebook(notebookId: string, cells: Array<string | Partial<TStoredCell>>): string[] {
    const stored = cells.map((cell, index) =>
      typeof cell === "string"
        ? { id: `c${index}`, cell_type: "code", source: cell }
        : { id: cell.id ?? `c${index}`, cell_type: cell.cell_type ?? "code", source: cell.source ?? "" },
    );
    this.notebooks.set(notebookId, stored);
    return stored.map((cell) => cell.id);
  }

  async loadCells(notebookId: string): Promise<TStoredCell[]> {
    const cells = this.notebooks.get(notebookId);
    if (!cells) throw new Error(`no notebook ${notebookId}`);
    return cells.map((cell) => ({ ...cell }));
  }

  async saveCellRun(notebookId: string, cellId: string, update: TCellRunUpdate): Promise<void> {
    if (this.saveDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.saveDelayMs));
    this.writes.push({ notebookId, cellId, update, at: Date.now() });
    const key = `${notebookId}/${cellId}`;
    const previous = this.runs.get(key) ?? NEVER_RUN;
    this.runs.set(key, {
      status: update.status,
      outputs: update.outputs ?? previous.outputs,
      executionCount: update.executionCount === undefined ? previous.executionCount : update.executionCount,
      execution: update.execution === undefined ? previous.execution : update.execution,
    });
  }

  /** The stored run of a cell (default: never run). */
  getRun(notebookId: string, cellId: string): TStoredRun {
    return this.runs.get(`${notebookId}/${cellId}`) ?? NEVER_RUN;
  }
}

/**
 * What a browser subscribed to one notebook would show, built only from broker events (so a
 * test on it also checks that snapshots and incremental output events add up).
 */
export class NotebookMirror {
  /** Kernel status from the events. */
  kernel: TKernelStatus = "not started";
  /** Latest kernel detail. */
  kernelDetail: string | undefined;
  /** Cell statuses. */
  readonly status = new Map<string, TCellStatus>();
  /** Execution counts. */
  readonly counts = new Map<string, number | null>();
  /** Outputs per cell (only cells the events mentioned). */
  readonly outputs = new Map<string, TOutput[]>();
  /** Run times per cell (only cells whose times the events gave). */
  readonly executions = new Map<string, TCellExecution | null>();
  /** How the latest run of several cells stopped early, if it did. */
  runStop: TRunStop | null = null;
  /** Every event, in order. */
  readonly events: TBrokerEvent[] = [];

  /** Applies one event; pass this method as the subscriber. */
  readonly apply = (event: TBrokerEvent): void => {
    this.events.push(event);
    switch (event.type) {
      case "snapshot":
        this.kernel = event.kernel.status;
        this.kernelDetail = event.kernel.detail;
        for (const cell of event.cells) {
          this.status.set(cell.cellId, cell.status);
          this.counts.set(cell.cellId, cell.executionCount);
          if (cell.outputs) this.outputs.set(cell.cellId, cell.outputs);
          if (cell.execution !== undefined) this.executions.set(cell.cellId, cell.execution);
        }
        this.runStop = event.runStop ?? null;
        break;
      case "kernel":
        this.kernel = event.status;
        this.kernelDetail = event.detail;
        break;
      case "cell":
        this.status.set(event.cellId, event.status);
        if (event.executionCount !== undefined) this.counts.set(event.cellId, event.executionCount);
        if (event.execution !== undefined) this.executions.set(event.cellId, event.execution);
        break;
      case "runStop":
        this.runStop = event.stop;
        break;
      case "outputs":
        this.outputs.set(event.cellId, applyOutputChanges(this.outputs.get(event.cellId) ?? [], event));
        break;
    }
  };

  /** All text of a cell's outputs (streams, text/plain, errors), for assertions. */
  text(cellId: string): string {
    return describeOutputs(this.outputs.get(cellId) ?? []);
  }
}

/** All text of outputs (stream text, `text/plain`, error name, value and traceback). */
export function describeOutputs(outputs: readonly TOutput[]): string {
  return outputs
    .map((output) => {
      switch (output.output_type) {
        case "stream":
          return output.text;
        case "error":
          return `${output.ename}: ${output.evalue}\n${output.traceback.join("\n")}`;
        default: {
          const plain = output.data["text/plain"];
          return typeof plain === "string" ? plain : JSON.stringify(output.data);
        }
      }
    })
    .join("\n");
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Runs `code` as the only cell of `notebookId` on a runtime whose broker uses `store`, and answers
 * its outputs as text ({@link describeOutputs}).
 */
export async function runCellText(
  broker: Pick<ExecutionBroker, "runAndWait">,
  store: MemoryCellRunStore,
  notebookId: string,
  code: string,
  timeoutMs = 240_000,
): Promise<string> {
  const [cellId] = store.setNotebook(notebookId, [code]);
  const [result] = await broker.runAndWait(notebookId, [cellId!], timeoutMs);
  return describeOutputs(result!.outputs);
}

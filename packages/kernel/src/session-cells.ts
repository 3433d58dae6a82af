/**
 * The cells of a notebook session and their persistence: each cell's state with its
 * {@link CellWriter}, which writes runs to the {@link TCellRunStore} in order, throttled while
 * a cell streams. Finished cells' outputs are let go after a while; the store keeps them.
 */

import type { TCellRunStore, TCellRunUpdate, TResolvedOptions } from "./broker-types";
import { CellWriter } from "./cell-writer";
import { isFinishedCellStatus } from "./protocol";
import type { TCellState } from "./session-state";

/** The cells of one notebook that the session has run, queued or cleared. */
export class SessionCells {
  private readonly cells = new Map<string, TCellState>();

  constructor(
    private readonly notebookId: string,
    private readonly store: TCellRunStore,
    private readonly options: Pick<TResolvedOptions, "persistIntervalMs" | "keepFinishedOutputsMs" | "log">,
  ) {}

  /** The state of a cell, created (idle, outputs unknown) on first use. */
  get(cellId: string): TCellState {
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

  /** The state of a cell when the session holds one. */
  find(cellId: string): TCellState | undefined {
    return this.cells.get(cellId);
  }

  /** Every held cell. */
  values(): IterableIterator<TCellState> {
    return this.cells.values();
  }

  /** Persists a streaming cell's outputs soon (throttled, always the latest outputs). */
  scheduleOutputs(state: TCellState): void {
    state.writer.schedule(() => ({
      status: state.status,
      outputs: state.run?.outputs ?? [],
      executionCount: state.executionCount,
    }));
  }

  /** Display ids die with their kernel: finished cells' outputs need not stay in memory for them. */
  forgetDisplays(): void {
    for (const state of this.cells.values()) state.hasDisplayIds = false;
  }

  /**
   * Lets go of finished cells' outputs after `keepFinishedOutputsMs` (unless displays
   * may still update them, or `isPending` says subscribers have not got them yet), and of cells
   * with nothing left to hold or write.
   */
  sweep(now: number, isPending: (state: TCellState) => boolean): void {
    for (const state of this.cells.values()) {
      const isOld = state.finishedAt !== null && now - state.finishedAt > this.options.keepFinishedOutputsMs;
      if (isOld && !state.hasDisplayIds && !isPending(state)) {
        state.run = null;
        state.sentOutputs = null;
      }
      if (state.run === null && !state.writer.isBusy && isFinishedCellStatus(state.status)) {
        this.cells.delete(state.cellId);
      }
    }
  }

  /** Waits until every cell's writes are done. */
  async settle(): Promise<void> {
    await Promise.all([...this.cells.values()].map((state) => state.writer.settle()));
  }
}

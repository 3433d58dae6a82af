/**
 * A notebook session's subscribers and how events reach them: output changes of every cell are
 * batched over `broadcastIntervalMs` and sent as diffs, always before the next cell or kernel
 * event, so a subscriber sees outputs and statuses in the order they happened.
 */

import type { TBrokerListener } from "./broker-types";
import { describeError } from "./errors";
import { diffOutputs, type TBrokerEvent, type TSnapshotEvent } from "./protocol";
import type { TCellState } from "./session-state";
import type { TLog } from "./supervisor";

/** The subscribers of one notebook and its batched output events. */
export class SessionEvents {
  private readonly listeners = new Set<TBrokerListener>();
  /** Cells whose outputs changed since the last flush. */
  private readonly dirty = new Set<TCellState>();
  private timer: NodeJS.Timeout | null = null;
  /** When outputs with content last went out (ms); see {@link markChanged}. */
  private lastOutputsSentAt = 0;

  constructor(
    private readonly notebookId: string,
    private readonly broadcastIntervalMs: number,
    private readonly log: TLog,
  ) {}

  /** Adds a subscriber; it gets `snapshot()` at once (after pending outputs went out). */
  subscribe(listener: TBrokerListener, snapshot: () => TSnapshotEvent): () => void {
    this.flush();
    this.listeners.add(listener);
    this.deliver(listener, snapshot());
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * A cell's outputs changed: send them with the next batch. The first output after a quiet spell
   * goes out on the next tick (a cell's result should not wait out the batching interval: issue
   * 23); outputs that follow it within the interval are batched.
   */
  markChanged(state: TCellState): void {
    this.dirty.add(state);
    const wait = Math.max(0, this.lastOutputsSentAt + this.broadcastIntervalMs - Date.now());
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** A cell's outputs were replaced: send them before its next event (no timer needed). */
  markReplaced(state: TCellState): void {
    this.dirty.add(state);
  }

  /** Whether a cell has outputs not sent yet (they must stay in memory until then). */
  isPending(state: TCellState): boolean {
    return this.dirty.has(state);
  }

  /** Sends the pending output changes of every cell (before any status event, to keep order). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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

  /** Announces a cell's status (and count, with `withCount`), after its pending outputs. */
  emitCell(state: TCellState, withCount: boolean): void {
    this.flush();
    this.broadcast({
      type: "cell",
      notebookId: this.notebookId,
      cellId: state.cellId,
      status: state.status,
      ...(withCount ? { executionCount: state.executionCount } : {}),
      ...(state.execution !== undefined ? { execution: state.execution } : {}),
    });
  }

  /** Sends an event to every subscriber. */
  broadcast(event: TBrokerEvent): void {
    for (const listener of this.listeners) this.deliver(listener, event);
  }

  /** Drops every subscriber (the session closed). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private deliver(listener: TBrokerListener, event: TBrokerEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.log(`a subscriber of notebook ${this.notebookId} failed: ${describeError(error)}`);
    }
  }
}

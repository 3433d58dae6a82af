/**
 * Persistence of one cell's run: writes go to the store in order, one at a time, and while a
 * cell streams they are throttled (at most one every `intervalMs`, always with the latest state),
 * so outputs survive without a browser connected and a flood does not flood the database.
 */

import { describeError } from "./errors";

/** Waits between attempts of a failed write: about a minute in all, enough for a database restart. */
const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** A write of a cell's run; fields left out are unchanged in the store. */
export type TCellWrite<T> = () => T;

/** Serialized, throttled writes of one cell. */
export class CellWriter<T> {
  private readonly save: (update: T) => Promise<void>;
  private readonly intervalMs: number;
  private readonly log: (message: string) => void;
  private chain: Promise<void> = Promise.resolve();
  private pending: TCellWrite<T> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private isWriting = false;
  private lastWriteAt = 0;

  private readonly retryDelaysMs: readonly number[];

  /**
   * `save` performs one write. A failed write is tried again after each of `retryDelaysMs`
   * (a database restarting must not lose a run's outputs; later writes wait behind it, so the
   * order holds); when those run out it is logged and dropped, and later writes go on.
   */
  constructor(
    save: (update: T) => Promise<void>,
    intervalMs: number,
    log: (message: string) => void,
    retryDelaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS,
  ) {
    this.save = save;
    this.intervalMs = intervalMs;
    this.log = log;
    this.retryDelaysMs = retryDelaysMs;
  }

  /**
   * Asks for a write soon. `read` is called when the write happens, so several calls within one
   * interval produce one write of the latest state.
   */
  schedule(read: TCellWrite<T>): void {
    this.pending = read;
    if (this.timer || this.isWriting) return;
    const delay = Math.max(0, this.lastWriteAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.writePending(), delay);
  }

  /** Writes `update` now (after writes already under way) and drops any scheduled write. */
  write(update: T): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    return this.enqueue(update);
  }

  /** Resolves when every write asked for so far is done (a scheduled one is written first). */
  async settle(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writePending();
    }
    await this.chain;
  }

  /** True while a write is scheduled or under way. */
  get isBusy(): boolean {
    return this.timer !== null || this.isWriting || this.pending !== null;
  }

  private writePending(): void {
    this.timer = null;
    const read = this.pending;
    this.pending = null;
    if (!read) return;
    this.isWriting = true;
    void this.enqueue(read()).finally(() => {
      this.isWriting = false;
      if (this.pending) this.schedule(this.pending);
    });
  }

  private enqueue(update: T): Promise<void> {
    this.lastWriteAt = Date.now();
    const next = this.chain.then(() => this.saveWithRetries(update));
    this.chain = next;
    return next;
  }

  private async saveWithRetries(update: T): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.save(update);
        if (attempt > 0) this.log(`saved a cell's outputs after ${attempt} failed attempt(s)`);
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) {
          this.log(`could not save a cell's outputs, giving up: ${describeError(error)}`);
          return;
        }
        if (attempt === 0) this.log(`could not save a cell's outputs, trying again: ${describeError(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

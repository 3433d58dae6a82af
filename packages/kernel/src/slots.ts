/** A counting semaphore for the kernel pool's starts (see `maxConcurrentStarts`). */

/** A counting semaphore: at most `size` holders at once, the others wait in order. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves when a slot is held. */
  take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back (to the longest waiter, if any). */
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

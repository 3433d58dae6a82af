import { describe, expect, it } from "vitest";
import { CellWriter } from "./cell-writer";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("CellWriter", () => {
  it("throttles streaming writes to the latest state and keeps them in order", async () => {
    const saved: number[] = [];
    const writer = new CellWriter<number>(
      async (value) => {
        await sleep(5);
        saved.push(value);
      },
      100,
      () => undefined,
    );
    let value = 0;
    const started = Date.now();
    while (Date.now() - started < 450) {
      value++;
      writer.schedule(() => value);
      await sleep(2);
    }
    await writer.write(-1);
    // About one write per 100 ms, not one per change, and the final write comes last.
    expect(saved.length).toBeGreaterThanOrEqual(3);
    expect(saved.length).toBeLessThanOrEqual(8);
    expect(saved.at(-1)).toBe(-1);
    const streamed = saved.slice(0, -1);
    expect([...streamed].sort((a, b) => a - b)).toEqual(streamed);
  });

  it("keeps writing after a save that fails every time", async () => {
    const saved: string[] = [];
    const logged: string[] = [];
    const writer = new CellWriter<string>(
      async (value) => {
        if (value === "bad") throw new Error("database down");
        saved.push(value);
      },
      10,
      (message) => logged.push(message),
      [5, 5],
    );
    await writer.write("bad");
    await writer.write("good");
    expect(saved).toEqual(["good"]);
    expect(logged.join()).toMatch(/database down/);
    expect(logged.join()).toMatch(/giving up/);
  });

  it("tries a failed save again until the database is back, keeping the order", async () => {
    const saved: string[] = [];
    let failuresLeft = 3;
    const writer = new CellWriter<string>(
      async (value) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error("connection refused");
        }
        saved.push(value);
      },
      10,
      () => undefined,
      [5, 5, 5, 5],
    );
    const first = writer.write("running");
    const last = writer.write("ok");
    await last;
    await first;
    expect(saved).toEqual(["running", "ok"]);
  });

  it("settle() writes a scheduled update at once", async () => {
    const saved: string[] = [];
    const writer = new CellWriter<string>(
      async (value) => void saved.push(value),
      10_000,
      () => undefined,
    );
    await writer.write("first");
    writer.schedule(() => "second");
    expect(writer.isBusy).toBe(true);
    await writer.settle();
    expect(saved).toEqual(["first", "second"]);
    expect(writer.isBusy).toBe(false);
  });
});

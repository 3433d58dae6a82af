import type { TOutput } from "@flint/notebook";
import { describe, expect, it } from "vitest";
import {
  applyOutputChanges,
  chooseKernel,
  codePointsToUtf16Offset,
  diffOutputs,
  utf16OffsetToCodePoints,
  ZBrokerCommand,
  ZBrokerEvent,
  ZKernelName,
} from "./protocol";

const stream = (text: string, name = "stdout"): TOutput => ({ output_type: "stream", name, text });
const display = (value: string): TOutput => ({
  output_type: "display_data",
  data: { "text/plain": value },
  metadata: {},
});

function roundTrip(previous: TOutput[], next: TOutput[]): TOutput[] {
  const changes = diffOutputs(previous, next);
  return applyOutputChanges(previous, { length: next.length, changes });
}

describe("diffOutputs / applyOutputChanges", () => {
  it("sends only the appended tail of a growing stream", () => {
    const big = "x".repeat(1_000_000);
    const previous = [stream(big)];
    const next = [stream(`${big}more\n`)];
    const changes = diffOutputs(previous, next);
    expect(changes).toEqual([{ kind: "stream", index: 0, keep: big.length, text: "more\n" }]);
    expect(JSON.stringify(changes).length).toBeLessThan(100);
    expect(roundTrip(previous, next)).toEqual(next);
  });

  it("sends a rewritten last line (a \\r progress bar) without the lines before it", () => {
    const head = "line\n".repeat(10_000);
    const previous = [stream(`${head}progress 10%`)];
    const next = [stream(`${head}progress 20%`)];
    const [change] = diffOutputs(previous, next);
    expect(change).toMatchObject({ kind: "stream", index: 0 });
    expect(change?.kind === "stream" && change.text.length).toBeLessThanOrEqual(3);
    expect(roundTrip(previous, next)).toEqual(next);
  });

  it("skips unchanged outputs by identity and sets replaced ones", () => {
    const kept = display("a");
    const previous = [kept, display("b")];
    const next = [kept, display("c"), stream("new")];
    const changes = diffOutputs(previous, next);
    expect(changes.map((change) => change.index)).toEqual([1, 2]);
    expect(roundTrip(previous, next)).toEqual(next);
  });

  it("clears with length 0 and handles a stream that changed its name", () => {
    expect(roundTrip([stream("a"), stream("b")], [])).toEqual([]);
    expect(roundTrip([stream("a", "stdout")], [stream("a", "stderr")])).toEqual([stream("a", "stderr")]);
  });

  it("never splits a surrogate pair between kept text and new text", () => {
    const previous = [stream("a😀")];
    const next = [stream("a😃")];
    const [change] = diffOutputs(previous, next);
    expect(change).toEqual({ kind: "stream", index: 0, keep: 1, text: "😃" });
    expect(roundTrip(previous, next)).toEqual(next);
  });

  it("refuses a stream change for an output that is not a stream (a missed event)", () => {
    expect(() =>
      applyOutputChanges([display("a")], {
        length: 1,
        changes: [{ kind: "stream", index: 0, keep: 0, text: "x" }],
      }),
    ).toThrow(/out of date/);
  });
});

describe("cursor offsets", () => {
  it("converts between UTF-16 units and code points around astral characters", () => {
    const code = "s = '😀'; s.up";
    const utf16 = code.length;
    expect(utf16OffsetToCodePoints(code, utf16)).toBe(utf16 - 1);
    expect(codePointsToUtf16Offset(code, utf16 - 1)).toBe(utf16);
    expect(utf16OffsetToCodePoints("abc", 2)).toBe(2);
    expect(codePointsToUtf16Offset("abc", 10)).toBe(3);
  });
});

describe("schemas", () => {
  it("accepts commands with ids only and rejects client code for run", () => {
    expect(ZBrokerCommand.parse({ type: "run", cellIds: ["a1"] })).toEqual({ type: "run", cellIds: ["a1"] });
    const withCode = ZBrokerCommand.safeParse({ type: "run", cellIds: ["a1"], code: "import os" });
    // zod strips unknown keys: the code never reaches the broker.
    expect(withCode.success && "code" in withCode.data).toBe(false);
    expect(ZBrokerCommand.safeParse({ type: "run", cellIds: [] }).success).toBe(false);
    expect(ZBrokerCommand.safeParse({ type: "run", cellIds: ["../x"] }).success).toBe(false);
    expect(
      ZBrokerCommand.parse({ type: "inspect", requestId: "r", code: "len", cursorPos: 3 }),
    ).toMatchObject({
      detailLevel: 0,
    });
  });

  it("describes every event the broker sends", () => {
    expect(
      ZBrokerEvent.parse({ type: "outputs", notebookId: "n", cellId: "c", length: 1, changes: [] }).type,
    ).toBe("outputs");
    expect(
      ZBrokerEvent.safeParse({ type: "cell", notebookId: "n", cellId: "c", status: "weird" }).success,
    ).toBe(false);
  });
});

describe("a notebook's kernel choice", () => {
  it("takes a kernelspec Flint offers, and the default for none", () => {
    expect(chooseKernel("flint-spark-dedicated")).toEqual({ name: "flint-spark-dedicated" });
    expect(chooseKernel("flint-spark")).toEqual({ name: "flint-spark" });
    expect(chooseKernel(null)).toEqual({ name: "flint-spark" });
    expect(chooseKernel("  ")).toEqual({ name: "flint-spark" });
    // A runtime whose default is another kernelspec (tests, FLINT_SPARK_MODE=dedicated setups).
    expect(chooseKernel("python3", "python3")).toEqual({ name: "python3" });
  });

  it("runs any other kernelspec on the default, with a notice that names both", () => {
    const choice = chooseKernel("python3", "flint-spark-dedicated");
    expect(choice.name).toBe("flint-spark-dedicated");
    expect(choice.notice).toContain('"python3", which Flint does not offer');
    expect(choice.notice).toContain("Python 3 (Spark, dedicated)");
  });

  it("accepts only offered names in commands and requests, saying which exist", () => {
    expect(ZKernelName.safeParse("flint-spark-dedicated").success).toBe(true);
    const refused = ZKernelName.safeParse("python3");
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain("flint-spark, flint-spark-dedicated");
    expect(ZBrokerCommand.safeParse({ type: "switchKernel" }).success).toBe(true);
  });
});

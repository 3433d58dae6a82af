import { describe, expect, it } from "vitest";
import type { TOutput } from "./model";
import {
  applyKernelMessage,
  createCellRun,
  ERROR_ALLOWANCE_BYTES,
  readDisplayUpdate,
  type TCellRun,
  type TFoldOptions,
  type TKernelMessage,
  updateDisplayInCellRun,
  updateDisplayInOutputs,
} from "./outputs";
import { resolveStreamText } from "./stream-text";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\n";

function fold(messages: TKernelMessage[], opts?: TFoldOptions, start: TCellRun = createCellRun()): TCellRun {
  return messages.reduce((run, msg) => applyKernelMessage(run, msg, opts), start);
}

const stdout = (text: string): TKernelMessage => ({ msg_type: "stream", content: { name: "stdout", text } });
const stderr = (text: string): TKernelMessage => ({ msg_type: "stream", content: { name: "stderr", text } });
const display = (data: Record<string, unknown>, displayId?: string): TKernelMessage => ({
  msg_type: "display_data",
  content: { data, metadata: {}, ...(displayId ? { transient: { display_id: displayId } } : {}) },
});
const clear = (wait: boolean): TKernelMessage => ({ msg_type: "clear_output", content: { wait } });

function texts(run: TCellRun): string[] {
  return run.outputs.map((output) =>
    output.output_type === "stream" ? `${output.name}:${output.text}` : output.output_type,
  );
}

describe("applyKernelMessage: streams", () => {
  it("coalesces consecutive chunks of the same stream into one output", () => {
    const run = fold([stdout("a"), stdout("b\n"), stdout("c\n")]);
    expect(texts(run)).toEqual(["stdout:ab\nc\n"]);
  });

  it("starts a new output when the stream name changes or a display came between", () => {
    const run = fold([
      stdout("1\n"),
      stderr("warn\n"),
      stdout("2\n"),
      display({ "text/plain": "x" }),
      stdout("3\n"),
    ]);
    expect(texts(run)).toEqual(["stdout:1\n", "stderr:warn\n", "stdout:2\n", "display_data", "stdout:3\n"]);
  });

  it("collapses a \\r progress bar redrawn over many messages to its last state", () => {
    const messages = [stdout("Loading\n")];
    for (let percent = 0; percent <= 100; percent++)
      messages.push(stdout(`\r${String(percent).padStart(3)}%|${"#".repeat(percent / 10)}`));
    messages.push(stdout("\ndone\n"));
    const run = fold(messages);
    expect(texts(run)).toEqual(["stdout:Loading\n100%|##########\ndone\n"]);
    expect(run.outputBytes).toBe("Loading\n100%|##########\ndone\n".length);
  });

  it("overwrites like a terminal: a shorter redraw leaves the end of the longer line", () => {
    expect(texts(fold([stdout("abcdef\rxy")]))).toEqual(["stdout:xycdef"]);
    // The cursor is remembered across messages: "e" lands on the third column.
    expect(texts(fold([stdout("abc\rd"), stdout("e")]))).toEqual(["stdout:dec"]);
    // A trailing "\r" waits for the next message, as in JupyterLab.
    expect(texts(fold([stdout("10%\r"), stdout("20%\r"), stdout("30%")]))).toEqual(["stdout:30%"]);
  });

  it("treats \\r\\n as a newline and only rewrites the current line", () => {
    expect(texts(fold([stdout("one\r\ntwo\r\n")]))).toEqual(["stdout:one\ntwo\n"]);
    expect(texts(fold([stdout("kept\nold"), stdout("\rnew")]))).toEqual(["stdout:kept\nnew"]);
  });

  it("applies backspaces within the line, never across a newline", () => {
    expect(texts(fold([stdout("ab\b\bc")]))).toEqual(["stdout:c"]);
    expect(texts(fold([stdout("10"), stdout("\b\b20")]))).toEqual(["stdout:20"]);
    expect(texts(fold([stdout("line\n"), stdout("\bx")]))).toEqual(["stdout:line\nx"]);
    expect(texts(fold([stdout("|\b/\b-\b\\")]))).toEqual(["stdout:\\"]);
  });

  it("keeps emoji whole when overwriting", () => {
    expect(texts(fold([stdout("😀😀\rab")]))).toEqual(["stdout:ab"]);
    expect(texts(fold([stdout("😀\rx")]))).toEqual(["stdout:x"]);
  });

  it("does not coalesce \\r across different streams", () => {
    expect(texts(fold([stdout("50%"), stderr("\rerr")]))).toEqual(["stdout:50%", "stderr:err"]);
  });
});

describe("applyKernelMessage: execution count and results", () => {
  it("takes the execution count from execute_input and from execute_result", () => {
    const afterInput = fold([{ msg_type: "execute_input", content: { code: "1+1", execution_count: 7 } }]);
    expect(afterInput.executionCount).toBe(7);
    expect(afterInput.outputs).toEqual([]);
    const afterResult = applyKernelMessage(afterInput, {
      msg_type: "execute_result",
      content: { execution_count: 8, data: { "text/plain": "2" }, metadata: {} },
    });
    expect(afterResult.executionCount).toBe(8);
    expect(afterResult.outputs).toEqual([
      { output_type: "execute_result", execution_count: 8, data: { "text/plain": "2" }, metadata: {} },
    ]);
  });

  it("adds error outputs", () => {
    const run = fold([
      stdout("before\n"),
      {
        msg_type: "error",
        content: { ename: "ValueError", evalue: "bad", traceback: ["Traceback", "ValueError: bad"] },
      },
    ]);
    expect(run.outputs[1]).toEqual({
      output_type: "error",
      ename: "ValueError",
      evalue: "bad",
      traceback: ["Traceback", "ValueError: bad"],
    });
  });

  it("joins line lists in bundles, keeps JSON types as values, and drops images that are not base64", () => {
    const run = fold([
      display({
        "text/plain": ["a\n", "b"],
        "application/json": ["a", "b"],
        "image/png": PNG,
      }),
      display({ "image/png": '"><script>alert(1)</script>' }),
    ]);
    expect(run.outputs[0]).toMatchObject({
      data: { "text/plain": "a\nb", "application/json": ["a", "b"], "image/png": PNG },
    });
    const second = run.outputs[1] as { data: Record<string, unknown> };
    expect(Object.keys(second.data)).toEqual(["text/plain"]);
    expect(second.data["text/plain"]).toContain("image/png");
  });

  it("drops JSON nested too deep to serialize, without overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const run = fold([display({ "application/json": deep, "text/plain": "deep" })]);
    expect(run.outputs[0]).toMatchObject({ data: { "text/plain": "deep" } });
    expect(Object.keys((run.outputs[0] as { data: object }).data)).toEqual(["text/plain"]);
  });

  it("ignores unknown message types and malformed content, returning the same state", () => {
    const run = fold([stdout("x")]);
    expect(applyKernelMessage(run, { msg_type: "status", content: { execution_state: "idle" } })).toBe(run);
    expect(applyKernelMessage(run, { msg_type: "comm_msg", content: {} })).toBe(run);
    expect(applyKernelMessage(run, { msg_type: "stream", content: { name: "stdout" } })).toBe(run);
    expect(applyKernelMessage(run, { msg_type: "display_data", content: null })).toBe(run);
    expect(applyKernelMessage(run, { msg_type: "update_display_data", content: {} })).toBe(run);
  });

  it("never mutates the state it is given", () => {
    const start = fold([stdout("a")]);
    const snapshot = structuredClone(start);
    Object.freeze(start);
    Object.freeze(start.outputs);
    for (const output of start.outputs) Object.freeze(output);
    fold([stdout("b\rc"), display({ "text/plain": "d" }), clear(true), stderr("e"), clear(false)], {}, start);
    expect(start).toEqual(snapshot);
  });
});

describe("applyKernelMessage: clear_output", () => {
  it("clears at once without wait", () => {
    const run = fold([stdout("a\n"), display({ "text/plain": "b" }), clear(false)]);
    expect(run.outputs).toEqual([]);
    expect(run.outputBytes).toBe(0);
    expect(run.clearPending).toBe(false);
  });

  it("with wait, keeps the old outputs until the next output arrives, then replaces them", () => {
    const waiting = fold([stdout("frame 1\n"), clear(true)]);
    expect(texts(waiting)).toEqual(["stdout:frame 1\n"]);
    expect(waiting.clearPending).toBe(true);
    const next = applyKernelMessage(waiting, stdout("frame 2\n"));
    expect(texts(next)).toEqual(["stdout:frame 2\n"]);
    expect(next.clearPending).toBe(false);
  });

  it("animates: clear(wait) + display in a loop leaves only the last frame", () => {
    const messages: TKernelMessage[] = [];
    for (let frame = 0; frame < 50; frame++)
      messages.push(clear(true), display({ "text/plain": `frame ${frame}` }));
    const run = fold(messages);
    expect(run.outputs).toEqual([
      { output_type: "display_data", data: { "text/plain": "frame 49" }, metadata: {} },
    ]);
  });

  it("keeps the execution count across a clear", () => {
    const run = fold([
      { msg_type: "execute_input", content: { execution_count: 3 } },
      stdout("x"),
      clear(false),
    ]);
    expect(run.executionCount).toBe(3);
  });
});

describe("display updates", () => {
  const update = (displayId: string, text: string) =>
    readDisplayUpdate({ data: { "text/plain": text }, metadata: {}, transient: { display_id: displayId } })!;

  it("readDisplayUpdate validates and normalizes the content", () => {
    expect(readDisplayUpdate({ data: {}, metadata: {} })).toBeNull();
    expect(readDisplayUpdate(null)).toBeNull();
    expect(update("d1", "x")).toMatchObject({ displayId: "d1", data: { "text/plain": "x" } });
  });

  it("replaces every output with the display id, keeps transient, and leaves others alone", () => {
    const run = fold([
      display({ "text/plain": "0%" }, "progress"),
      display({ "text/plain": "other" }),
      display({ "text/plain": "0% again" }, "progress"),
    ]);
    const { displayId, data, metadata } = update("progress", "100%");
    const outputs = updateDisplayInOutputs(run.outputs, displayId, data, metadata);
    expect(outputs).toEqual([
      {
        output_type: "display_data",
        data: { "text/plain": "100%" },
        metadata: {},
        transient: { display_id: "progress" },
      },
      { output_type: "display_data", data: { "text/plain": "other" }, metadata: {} },
      {
        output_type: "display_data",
        data: { "text/plain": "100%" },
        metadata: {},
        transient: { display_id: "progress" },
      },
    ]);
    expect(run.outputs[0]).toMatchObject({ data: { "text/plain": "0%" } });
  });

  it("returns the same array when no output has the display id (nothing to save)", () => {
    const outputs: TOutput[] = [{ output_type: "stream", name: "stdout", text: "x" }];
    expect(updateDisplayInOutputs(outputs, "nope", { "text/plain": "y" }, {})).toBe(outputs);
  });

  it("updates execute_result outputs that carry a display id", () => {
    const run = fold([
      {
        msg_type: "execute_result",
        content: {
          execution_count: 1,
          data: { "text/plain": "a" },
          metadata: {},
          transient: { display_id: "r" },
        },
      },
    ]);
    const outputs = updateDisplayInOutputs(run.outputs, "r", { "text/plain": "b" }, {});
    expect(outputs[0]).toMatchObject({
      output_type: "execute_result",
      execution_count: 1,
      data: { "text/plain": "b" },
    });
  });

  it("keeps the running cell's byte count right and respects the cap", () => {
    const opts = { maxOutputBytes: 100 };
    const run = fold([display({ "text/plain": "0%" }, "p")], opts);
    const updated = updateDisplayInCellRun(run, update("p", "50%"), opts);
    expect(updated.outputBytes).toBe(run.outputBytes + 1);
    expect(updated.outputs[0]).toMatchObject({ data: { "text/plain": "50%" } });
    const tooBig = updateDisplayInCellRun(updated, update("p", "x".repeat(200)), opts);
    expect(tooBig.outputs[0]).toMatchObject({ data: { "text/plain": "50%" } });
    expect(tooBig.truncatedBytes).toBeGreaterThan(200);
    expect(texts(tooBig).at(-1)).toMatch(/^stderr:output truncated: .* MB more\n$/);
    expect(updateDisplayInCellRun(run, update("other", "x"), opts)).toBe(run);
  });
});

describe("output cap", () => {
  const opts = { maxOutputBytes: 1000 };

  it("keeps what fits, drops the rest, and ends with one notice that keeps counting", () => {
    let run = createCellRun();
    for (let i = 0; i < 30; i++) run = applyKernelMessage(run, stdout(`${"x".repeat(99)}\n`), opts);
    expect(run.outputs).toHaveLength(2);
    const [kept, notice] = run.outputs;
    expect(kept).toMatchObject({ output_type: "stream", name: "stdout" });
    expect((kept as { text: string }).text.length).toBe(1000);
    expect(run.truncatedBytes).toBe(30 * 100 - 1000);
    expect(notice).toEqual({
      output_type: "stream",
      name: "stderr",
      text: "output truncated: 0.1 MB more\n",
    });
    expect(run.outputBytes).toBe(1000);
  });

  it("drops displays past the cap and keeps the notice last", () => {
    const run = fold(
      [
        display({ "text/plain": "a".repeat(600) }),
        display({ "text/plain": "b".repeat(600) }),
        stdout("later\n"),
      ],
      opts,
    );
    expect(run.outputs.map((output) => output.output_type)).toEqual(["display_data", "stream"]);
    expect(texts(run).at(-1)).toMatch(/^stderr:output truncated/);
    expect(run.truncatedBytes).toBe(600 + 2 + 6); // the dropped display (data + "{}" metadata) and "later\n"
  });

  it("reports megabytes with the default 5 MB cap", () => {
    const chunk = "y".repeat(1024 * 1024);
    let run = createCellRun();
    for (let i = 0; i < 8; i++) run = applyKernelMessage(run, stdout(chunk));
    expect(run.outputBytes).toBe(5 * 1024 * 1024);
    expect(run.truncatedBytes).toBe(3 * 1024 * 1024);
    expect(texts(run).at(-1)).toBe("stderr:output truncated: 3.0 MB more\n");
  });

  it("does not count progress redraws against the cap", () => {
    let run = createCellRun();
    for (let i = 0; i < 5000; i++) run = applyKernelMessage(run, stdout(`\r${i}`), opts);
    expect(texts(run)).toEqual(["stdout:4999"]);
    expect(run.truncatedBytes).toBe(0);
  });

  it("still shows a small error after the cap, before the notice", () => {
    const run = fold(
      [
        stdout("z".repeat(2000)),
        {
          msg_type: "error",
          content: { ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] },
        },
        {
          msg_type: "error",
          content: { ename: "Huge", evalue: "", traceback: ["t".repeat(ERROR_ALLOWANCE_BYTES + 1)] },
        },
      ],
      opts,
    );
    expect(run.outputs.map((output) => output.output_type)).toEqual(["stream", "error", "stream"]);
    expect(run.outputs[1]).toMatchObject({ ename: "KeyboardInterrupt" });
    expect(texts(run).at(-1)).toMatch(/^stderr:output truncated/);
  });

  it("starts the notice on its own line after partial stderr text", () => {
    const run = fold([stderr("e".repeat(2000))], opts);
    expect(texts(run)).toEqual([`stderr:${"e".repeat(1000)}`, "stderr:\noutput truncated: 0.1 MB more\n"]);
  });

  it("lifts the cap after clear_output", () => {
    const run = fold([stdout("q".repeat(5000)), clear(false), stdout("fresh\n")], opts);
    expect(texts(run)).toEqual(["stdout:fresh\n"]);
    expect(run.truncatedBytes).toBe(0);
  });

  it("caps the number of outputs too, so a flood of small displays stays cheap (SECURITY.md case 24)", () => {
    let run = createCellRun();
    for (let i = 0; i < 100_000; i++) run = applyKernelMessage(run, display({ "text/plain": `row ${i}` }));
    expect(run.outputs).toHaveLength(5001);
    expect(texts(run).at(-1)).toMatch(/^stderr:output truncated: .* MB more\n$/);
    expect(run.truncatedBytes).toBeGreaterThan(95_000 * 10);
  });

  it("does not copy the outputs for a dropped message while the notice text stays the same", () => {
    const full = fold([stdout("x".repeat(2000))], opts);
    const next = applyKernelMessage(full, stdout("y"), opts);
    expect(next.outputs).toBe(full.outputs);
    expect(next.truncatedBytes).toBe(full.truncatedBytes + 1);
    const limited = fold([display({ "text/plain": "1" }), display({ "text/plain": "2" }), stdout("3")], {
      maxOutputs: 2,
    });
    expect(texts(limited)).toEqual([
      "display_data",
      "display_data",
      "stderr:output truncated: 0.1 MB more\n",
    ]);
  });

  it("costs time per message, not per output collected (a flood of prints stays fast)", () => {
    let run = createCellRun();
    const line = `${"p".repeat(99)}\n`;
    for (let i = 0; i < 100_000; i++) run = applyKernelMessage(run, stdout(line));
    expect(run.outputBytes).toBe(5 * 1024 * 1024);
    expect(run.outputs).toHaveLength(2);
    // Past the cap a message costs no copy: the outputs array stays the same object.
    expect(applyKernelMessage(run, stdout(line)).outputs).toBe(run.outputs);
  });
});

describe("createCellRun", () => {
  it("continues from stored outputs: counts their bytes and extends a trailing stream", () => {
    const start = createCellRun([{ output_type: "stream", name: "stdout", text: "a\nb" }], 4);
    expect(start.outputBytes).toBe(3);
    const run = applyKernelMessage(start, stdout("\rc\n"));
    expect(texts(run)).toEqual(["stdout:a\nc\n"]);
    expect(run.executionCount).toBe(4);
  });
});

describe("resolveStreamText", () => {
  it("resolves text that still contains \\r and \\b", () => {
    expect(resolveStreamText("a\n10%\r20%\r\ndone\b\b\b\bok\n")).toBe("a\n20%\nok\n");
    expect(resolveStreamText("plain")).toBe("plain");
  });
});

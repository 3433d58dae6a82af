/**
 * Output folding for the execution broker: IOPub messages of one cell run become the cell's
 * outputs, the way JupyterLab's output area builds them, plus a size cap. Pure and immutable;
 * each message costs time in proportion to its own size (plus the last line of a stream when it
 * carries `\r` or `\b`), never to the outputs already collected.
 */

import { z } from "zod";
import { isBase64ImageMime, isJsonMime, MAX_VALUE_DEPTH, measureJsonBytes } from "./mime";
import type { TErrorOutput, TMimeBundle, TOutput, TStreamOutput } from "./model";
import type { TOutputMetadata } from "./nbformat";
import { applyStreamChunk, hasControlCharacters } from "./stream-text";
import { formatMegabytes, isBase64, measureUtf8Bytes, megabytes, slicePrefixByUtf8Bytes } from "./text";

/** Default cap on the outputs of one cell run: 5 MB. */
export const DEFAULT_MAX_OUTPUT_BYTES = megabytes(5);

/**
 * Default cap on the number of outputs of one cell run. Bounds the work per message (outputs are
 * immutable arrays, copied on change) and what a browser must lay out: a loop that displays a
 * million small items gets the notice instead.
 */
export const DEFAULT_MAX_OUTPUTS = 5000;

/**
 * An error output is kept even past the cap when it is at most this large, so a cell stopped by
 * an interrupt still shows its `KeyboardInterrupt` after a flood of prints.
 */
export const ERROR_ALLOWANCE_BYTES = 64 * 1024;

/**
 * Where the trailing stream's last line starts and where a `\r` left the cursor in it (`null`:
 * at the end), so a new chunk touches only that line.
 */
type TStreamTail = { lineStart: number; cursor: number | null };

/**
 * The state of one cell run. Read `outputs` and `executionCount`; pass the whole object back to
 * the next call and let the other fields be (they are bookkeeping kept to avoid rescanning).
 */
export type TCellRun = {
  /** The cell's outputs so far. A new array whenever they change. */
  outputs: TOutput[];
  /** From `execute_input` or `execute_result`; `null` before either arrives. */
  executionCount: number | null;
  /** A `clear_output` with `wait: true` arrived: the next output clears the old ones first. */
  clearPending: boolean;
  /** Size of the kept outputs, counted as they arrive (UTF-8 bytes of text, JSON size of values). */
  outputBytes: number;
  /** Bytes dropped by the cap; when above 0, the last output is the "output truncated" notice. */
  truncatedBytes: number;
  /** Set while the last output is a stream that the next chunk of the same name extends. */
  streamTail: TStreamTail | null;
};

/** A message from the kernel's IOPub channel, as `@jupyterlab/services` delivers it. */
export type TKernelMessage = { msg_type: string; content: unknown; metadata?: unknown };

/** Options of the folding functions. */
export type TFoldOptions = {
  /** Cap on a run's outputs, in bytes. Default {@link DEFAULT_MAX_OUTPUT_BYTES}. */
  maxOutputBytes?: number;
  /** Cap on the number of a run's outputs. Default {@link DEFAULT_MAX_OUTPUTS}. */
  maxOutputs?: number;
};

type TLimits = { maxBytes: number; maxOutputs: number };

function resolveLimits(opts: TFoldOptions): TLimits {
  return {
    maxBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    maxOutputs: opts.maxOutputs ?? DEFAULT_MAX_OUTPUTS,
  };
}

/** A validated `update_display_data`: which display to replace, and with what. */
export type TDisplayUpdate = {
  displayId: string;
  data: TMimeBundle;
  metadata: TOutputMetadata;
  /** Size of `data` plus `metadata`, for the cap. */
  bytes: number;
};

const ZStreamContent = z.object({ name: z.string(), text: z.string() });
const ZTransient = z.looseObject({ display_id: z.string().optional() });
const ZDisplayContent = z.object({
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()).optional(),
  transient: ZTransient.optional(),
});
const ZExecuteResultContent = ZDisplayContent.extend({ execution_count: z.int().min(0).nullable() });
const ZErrorContent = z.object({ ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) });
const ZClearOutputContent = z.object({ wait: z.boolean().optional() });
const ZExecuteInputContent = z.object({ execution_count: z.int().min(0) });
const ZUpdateDisplayContent = ZDisplayContent.extend({
  transient: z.looseObject({ display_id: z.string() }),
});

/**
 * Starts a run, empty (what the broker does when a cell starts, as Jupyter clears outputs on
 * execute) or continuing from stored outputs.
 */
export function createCellRun(outputs: TOutput[] = [], executionCount: number | null = null): TCellRun {
  let outputBytes = 0;
  for (const output of outputs) outputBytes += measureOutput(output);
  const last = outputs[outputs.length - 1];
  return {
    outputs,
    executionCount,
    clearPending: false,
    outputBytes,
    truncatedBytes: 0,
    streamTail: last?.output_type === "stream" ? locateStreamTail(last.text) : null,
  };
}

/**
 * Folds one IOPub message into a run: `stream` (coalesced with a preceding stream of the same
 * name, `\r` and `\b` applied), `display_data`, `execute_result` and `execute_input` (which set
 * the execution count), `error`, `clear_output` (with `wait: true` the clear happens at the next
 * output). Past `maxOutputBytes` (or `maxOutputs` outputs) further content is dropped and one
 * notice at the end says how much ("output truncated: 3.4 MB more"); an error of at most
 * {@link ERROR_ALLOWANCE_BYTES} is still shown, before the notice. `update_display_data` may
 * target any cell, so it is handled by {@link updateDisplayInOutputs} and
 * {@link updateDisplayInCellRun} instead.
 *
 * Unknown message types and malformed content are ignored: the same `run` object is returned.
 */
export function applyKernelMessage(run: TCellRun, msg: TKernelMessage, opts: TFoldOptions = {}): TCellRun {
  const limits = resolveLimits(opts);
  switch (msg.msg_type) {
    case "stream": {
      const content = ZStreamContent.safeParse(msg.content);
      if (!content.success) return run;
      return appendStream(applyPendingClear(run), content.data.name, content.data.text, limits);
    }
    case "display_data": {
      const content = ZDisplayContent.safeParse(msg.content);
      if (!content.success) return run;
      const { data, metadata, bytes } = normalizeDisplay(content.data.data, content.data.metadata);
      const displayId = content.data.transient?.display_id;
      const output: TOutput = {
        output_type: "display_data",
        data,
        metadata,
        ...(displayId !== undefined ? { transient: { display_id: displayId } } : {}),
      };
      return appendOutput(applyPendingClear(run), output, bytes, limits);
    }
    case "execute_result": {
      const content = ZExecuteResultContent.safeParse(msg.content);
      if (!content.success) return run;
      const { data, metadata, bytes } = normalizeDisplay(content.data.data, content.data.metadata);
      const displayId = content.data.transient?.display_id;
      const output: TOutput = {
        output_type: "execute_result",
        execution_count: content.data.execution_count,
        data,
        metadata,
        ...(displayId !== undefined ? { transient: { display_id: displayId } } : {}),
      };
      const next = appendOutput(applyPendingClear(run), output, bytes, limits);
      return { ...next, executionCount: content.data.execution_count };
    }
    case "error": {
      const content = ZErrorContent.safeParse(msg.content);
      if (!content.success) return run;
      const output: TErrorOutput = { output_type: "error", ...content.data };
      return appendError(applyPendingClear(run), output, limits);
    }
    case "clear_output": {
      const content = ZClearOutputContent.safeParse(msg.content ?? {});
      if (!content.success) return run;
      if (content.data.wait) return run.clearPending ? run : { ...run, clearPending: true };
      return clearRun(run);
    }
    case "execute_input": {
      const content = ZExecuteInputContent.safeParse(msg.content);
      if (!content.success) return run;
      return { ...run, executionCount: content.data.execution_count };
    }
    default:
      return run;
  }
}

/**
 * Validates the content of an `update_display_data` message and normalizes its bundle the way
 * new outputs are normalized. Returns `null` for malformed content (ignore the message then).
 */
export function readDisplayUpdate(content: unknown): TDisplayUpdate | null {
  const parsed = ZUpdateDisplayContent.safeParse(content);
  if (!parsed.success) return null;
  const { data, metadata, bytes } = normalizeDisplay(parsed.data.data, parsed.data.metadata);
  return { displayId: parsed.data.transient.display_id, data, metadata, bytes };
}

/**
 * Replaces data and metadata of every `display_data` or `execute_result` whose
 * `transient.display_id` is `displayId` (a display may be updated from any later cell, so the
 * broker calls this on every cell of the notebook). Returns `outputs` itself when nothing
 * matched, so callers can skip saving. An update whose data alone is over `maxOutputBytes` is
 * ignored.
 */
export function updateDisplayInOutputs(
  outputs: TOutput[],
  displayId: string,
  data: TMimeBundle,
  metadata: TOutputMetadata,
  opts: TFoldOptions = {},
): TOutput[] {
  const { maxBytes } = resolveLimits(opts);
  if (!outputs.some((output) => isDisplayOf(output, displayId))) return outputs;
  if (measureBundle(data) > maxBytes) return outputs;
  return outputs.map((output) => (isDisplayOf(output, displayId) ? { ...output, data, metadata } : output));
}

/**
 * {@link updateDisplayInOutputs} for the cell that is running, keeping the byte count right: an
 * update that would take the run past its cap is dropped and counted in the truncation notice.
 */
export function updateDisplayInCellRun(
  run: TCellRun,
  update: TDisplayUpdate,
  opts: TFoldOptions = {},
): TCellRun {
  const { maxBytes } = resolveLimits(opts);
  let delta = 0;
  let matches = 0;
  for (const output of run.outputs) {
    if (!isDisplayOf(output, update.displayId)) continue;
    matches++;
    delta += update.bytes - measureOutput(output);
  }
  if (matches === 0) return run;
  if (delta > 0 && run.outputBytes + delta > maxBytes) return addTruncated(run, update.bytes);
  const outputs = run.outputs.map((output) =>
    isDisplayOf(output, update.displayId)
      ? { ...output, data: update.data, metadata: update.metadata }
      : output,
  );
  return { ...run, outputs, outputBytes: run.outputBytes + delta };
}

function isDisplayOf(output: TOutput, displayId: string): boolean {
  return (
    (output.output_type === "display_data" || output.output_type === "execute_result") &&
    output.transient?.display_id === displayId
  );
}

function clearRun(run: TCellRun): TCellRun {
  return { ...run, outputs: [], clearPending: false, outputBytes: 0, truncatedBytes: 0, streamTail: null };
}

function applyPendingClear(run: TCellRun): TCellRun {
  return run.clearPending ? clearRun(run) : run;
}

function locateStreamTail(text: string): TStreamTail {
  return { lineStart: text.lastIndexOf("\n") + 1, cursor: null };
}

function appendStream(run: TCellRun, name: string, text: string, limits: TLimits): TCellRun {
  if (run.truncatedBytes > 0) return addTruncated(run, measureUtf8Bytes(text));
  const last = run.outputs[run.outputs.length - 1];
  const previous = run.streamTail && last?.output_type === "stream" && last.name === name ? last : null;
  if (!previous && run.outputs.length >= limits.maxOutputs) return addTruncated(run, measureUtf8Bytes(text));
  const { maxBytes } = limits;
  const attempt = extendStream(previous, run.streamTail, text);
  if (run.outputBytes + attempt.delta <= maxBytes) return commitStream(run, name, previous, attempt);

  // Over the cap: keep the part of the chunk that fits even if nothing in it collapses.
  const kept = slicePrefixByUtf8Bytes(text, Math.max(0, maxBytes - run.outputBytes));
  const dropped = measureUtf8Bytes(text) - measureUtf8Bytes(kept);
  const partial =
    kept === "" ? run : commitStream(run, name, previous, extendStream(previous, run.streamTail, kept));
  return addTruncated(partial, dropped);
}

type TStreamAttempt = { text: string; tail: TStreamTail; delta: number };

/** Computes the stream text after `chunk`, touching only the last line of `previous`. */
function extendStream(
  previous: TStreamOutput | null,
  tail: TStreamTail | null,
  chunk: string,
): TStreamAttempt {
  const oldText = previous?.text ?? "";
  const lineStart = previous && tail ? tail.lineStart : 0;
  const cursor = previous && tail ? tail.cursor : null;
  if (cursor === null && !hasControlCharacters(chunk)) {
    const newline = chunk.lastIndexOf("\n");
    return {
      text: oldText + chunk,
      tail: { lineStart: newline === -1 ? lineStart : oldText.length + newline + 1, cursor: null },
      delta: measureUtf8Bytes(chunk),
    };
  }
  const head = oldText.slice(0, lineStart);
  const lastLine = oldText.slice(lineStart);
  const played = applyStreamChunk(lastLine, cursor, chunk);
  return {
    text: head + played.text,
    tail: { lineStart: head.length + played.lastLineStart, cursor: played.cursor },
    delta: measureUtf8Bytes(played.text) - measureUtf8Bytes(lastLine),
  };
}

function commitStream(
  run: TCellRun,
  name: string,
  previous: TStreamOutput | null,
  attempt: TStreamAttempt,
): TCellRun {
  const output: TStreamOutput = { output_type: "stream", name, text: attempt.text };
  return {
    ...run,
    outputs: previous ? replaceLast(run.outputs, output) : [...run.outputs, output],
    outputBytes: run.outputBytes + attempt.delta,
    streamTail: attempt.tail,
  };
}

function appendOutput(run: TCellRun, output: TOutput, bytes: number, limits: TLimits): TCellRun {
  const isFull = run.outputBytes + bytes > limits.maxBytes || run.outputs.length >= limits.maxOutputs;
  if (run.truncatedBytes > 0 || isFull) return addTruncated(run, bytes);
  return {
    ...run,
    outputs: [...run.outputs, output],
    outputBytes: run.outputBytes + bytes,
    streamTail: null,
  };
}

function appendError(run: TCellRun, output: TErrorOutput, limits: TLimits): TCellRun {
  const bytes = measureOutput(output);
  const isFull = run.outputBytes + bytes > limits.maxBytes || run.outputs.length >= limits.maxOutputs;
  if (run.truncatedBytes === 0 && !isFull) return appendOutput(run, output, bytes, limits);
  if (bytes > ERROR_ALLOWANCE_BYTES) return addTruncated(run, bytes);
  // Kept past the cap; placed before the notice so the notice stays last.
  const outputs =
    run.truncatedBytes > 0
      ? [...run.outputs.slice(0, -1), output, run.outputs[run.outputs.length - 1]!]
      : [...run.outputs, output];
  return { ...run, outputs, outputBytes: run.outputBytes + bytes, streamTail: null };
}

function replaceLast(outputs: TOutput[], output: TOutput): TOutput[] {
  const copy = outputs.slice();
  copy[copy.length - 1] = output;
  return copy;
}

/**
 * Counts dropped bytes and puts (or updates) the notice at the end of the outputs. While the
 * notice text stays the same the outputs array is not copied, so a flood of dropped messages
 * costs nothing per message beyond reading it.
 */
function addTruncated(run: TCellRun, droppedBytes: number): TCellRun {
  const truncatedBytes = run.truncatedBytes + droppedBytes;
  const hasNotice = run.truncatedBytes > 0;
  const before = run.outputs[run.outputs.length - (hasNotice ? 2 : 1)];
  // JupyterLab merges adjacent stderr outputs on load; start the notice on its own line.
  const needsBreak =
    before?.output_type === "stream" && before.name === "stderr" && !before.text.endsWith("\n");
  const text = `${needsBreak ? "\n" : ""}output truncated: ${formatMegabytes(truncatedBytes)} MB more\n`;
  const current = hasNotice ? run.outputs[run.outputs.length - 1] : undefined;
  if (current?.output_type === "stream" && current.text === text) return { ...run, truncatedBytes };
  const notice: TStreamOutput = { output_type: "stream", name: "stderr", text };
  const outputs = hasNotice ? replaceLast(run.outputs, notice) : [...run.outputs, notice];
  return { ...run, outputs, truncatedBytes, streamTail: null };
}

/**
 * Makes a kernel's bundle safe to keep: line lists joined, binary images that are not base64
 * and JSON nested too deep dropped (they would make the exported file unreadable), with a
 * text/plain note when nothing is left.
 */
function normalizeDisplay(
  rawData: Record<string, unknown>,
  rawMetadata: Record<string, unknown> | undefined,
): { data: TMimeBundle; metadata: TOutputMetadata; bytes: number } {
  const entries: Array<[string, unknown]> = [];
  const removed: string[] = [];
  let bytes = 0;
  for (const [mime, raw] of Object.entries(rawData)) {
    const value = !isJsonMime(mime) && isStringList(raw) ? raw.join("") : raw;
    if (isBase64ImageMime(mime) && (typeof value !== "string" || !isBase64(value))) {
      removed.push(mime);
      continue;
    }
    const size =
      typeof value === "string" ? measureUtf8Bytes(value) : measureJsonBytes(value, MAX_VALUE_DEPTH);
    if (size === null) {
      removed.push(mime);
      continue;
    }
    bytes += size;
    entries.push([mime, value]);
  }
  if (entries.length === 0 && removed.length > 0) {
    const note = `[Flint removed ${removed.join(", ")}: not valid base64 image data or JSON nested too deeply]`;
    entries.push(["text/plain", note]);
    bytes += note.length;
  }
  let metadata: TOutputMetadata = rawMetadata ?? {};
  const metadataBytes = measureJsonBytes(metadata, MAX_VALUE_DEPTH);
  if (metadataBytes === null) metadata = {};
  else bytes += metadataBytes;
  return { data: Object.fromEntries(entries), metadata, bytes };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function measureBundle(data: TMimeBundle): number {
  let bytes = 0;
  for (const value of Object.values(data)) {
    bytes += typeof value === "string" ? measureUtf8Bytes(value) : (measureJsonBytes(value, Infinity) ?? 0);
  }
  return bytes;
}

/** Size of one output as counted against the cap. */
function measureOutput(output: TOutput): number {
  switch (output.output_type) {
    case "stream":
      return measureUtf8Bytes(output.text);
    case "error":
      return (
        measureUtf8Bytes(output.ename) +
        measureUtf8Bytes(output.evalue) +
        output.traceback.reduce((sum, line) => sum + measureUtf8Bytes(line), 0)
      );
    default:
      return measureBundle(output.data) + (measureJsonBytes(output.metadata, Infinity) ?? 0);
  }
}

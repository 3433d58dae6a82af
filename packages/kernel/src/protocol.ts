/**
 * The execution broker's protocol: the commands a browser (or REST) sends about one notebook and
 * the events every subscriber of that notebook receives, as zod schemas with their types, plus
 * the pure helpers both ends need (output patches, cursor offsets).
 *
 * This module imports no Node API, so a browser bundle can import it through the
 * `@flint/kernel/protocol` subpath without pulling in the kernel machinery.
 */

import { type TOutput, ZOutput } from "@flint/notebook";
import { z } from "zod";

/** Cell ids as nbformat 4.5 allows them (also what the broker accepts in commands). */
const ZBrokerCellId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9_-]+$/, "not a valid cell id");

/** Most cells one `run` command may name (a run-all of a very large notebook still fits). */
export const MAX_CELLS_PER_RUN = 10_000;

/** Most characters of code a `complete` or `inspect` command may carry. */
export const MAX_INTROSPECTION_CODE_LENGTH = 1_000_000;

/**
 * Where a cell stands, as stored in `cell_output.status` and sent in events:
 * - `idle`: not run since its outputs were cleared (or an empty cell was run);
 * - `queued`, `running`;
 * - `ok`, `error` (the cell raised), `interrupted` (stopped by interrupt or restart),
 *   `died` (the kernel died under it), `cancelled` (queued when an earlier cell failed, or when
 *   the user interrupted or restarted; it did not run).
 */
export const ZCellStatus = z.enum([
  "idle",
  "queued",
  "running",
  "ok",
  "error",
  "interrupted",
  "died",
  "cancelled",
]);
/** Where a cell stands. */
export type TCellStatus = z.infer<typeof ZCellStatus>;

/** Statuses after which a cell's run is over. */
export const FINISHED_CELL_STATUSES: readonly TCellStatus[] = [
  "idle",
  "ok",
  "error",
  "interrupted",
  "died",
  "cancelled",
];

/** True when `status` means the cell is not queued or running. */
export function isFinishedCellStatus(status: TCellStatus): boolean {
  return FINISHED_CELL_STATUSES.includes(status);
}

/**
 * When a cell's latest run started and ended, and who ran it (what Databricks shows as "Command
 * took 2.1 s -- by ada at 14:02"). Kept in `cell_output` with the outputs, so it survives a reload;
 * `.ipynb` files carry the times as JupyterLab does (`metadata.execution`).
 */
export const ZCellExecution = z.object({
  /** When the broker sent the cell to the kernel (ISO 8601). */
  startedAt: z.string(),
  /** When its run ended, whatever the outcome (ISO 8601); `null` while it runs. */
  endedAt: z.string().nullable(),
  /** Who ran it; `null` for a run without a user (or a user deleted since). */
  ranBy: z.object({ id: z.string(), name: z.string() }).nullable(),
});
/** When a cell's latest run started and ended, and who ran it. */
export type TCellExecution = z.infer<typeof ZCellExecution>;

/**
 * Why a run of several cells ended before its last cell: the cell whose run ended it and how,
 * and the queued cells that did not run because of it (status `cancelled`, outputs of an earlier
 * run). Made only when some queued cell was cancelled: a single cell that fails says so itself.
 */
export const ZRunStop = z.object({
  /** The cell that ended the run; `null` when none was running (e.g. interrupted while queued). */
  cellId: z.string().nullable(),
  /** How that cell ended: it raised, it was interrupted (interrupt, restart), the kernel died. */
  status: z.enum(["error", "interrupted", "died"]),
  /** The cells that were queued behind it and did not run, in run order. */
  cancelledCellIds: z.array(z.string()),
  /** When the run stopped (ISO 8601). */
  stoppedAt: z.string(),
});
/** Why a run of several cells ended before its last cell. */
export type TRunStop = z.infer<typeof ZRunStop>;

/**
 * The notebook's kernel as the browser shows it: `not started` (no kernel yet, or shut down
 * when idle), `starting`, `idle`, `busy`, `restarting`, `dead` (it died; the next run or a
 * restart starts a fresh one).
 */
export const ZKernelStatus = z.enum(["not started", "starting", "idle", "busy", "restarting", "dead"]);
/** The notebook's kernel status. */
export type TKernelStatus = z.infer<typeof ZKernelStatus>;

/**
 * The kernelspecs Flint offers a notebook (installed by `packages/python`'s `flint.install`), the
 * allow-list for `metadata.kernelspec.name`: what the kernel picker lists, what the broker starts,
 * what a job may name. A notebook naming anything else runs on the default (the first) with a
 * notice (docs/spark.md).
 */
export const FLINT_KERNELSPECS = [
  {
    name: "flint-spark",
    displayName: "Python 3 (Spark)",
    description:
      "Spark on the project's shared Spark server (Spark Connect): starts fast, uses little memory; no sc or RDDs.",
  },
  {
    name: "flint-spark-dedicated",
    displayName: "Python 3 (Spark, dedicated)",
    description:
      "The notebook's own Spark (a JVM of its own): sc, RDDs and Spark ML model logging; slower to start, more memory.",
  },
] as const;

/** A kernelspec name Flint offers. */
export const ZKernelName = z.enum(
  FLINT_KERNELSPECS.map((spec) => spec.name) as [TKernelName, ...TKernelName[]],
  {
    error: (issue) =>
      `unknown kernel ${JSON.stringify(issue.input)}: Flint offers ${FLINT_KERNELSPECS.map((spec) => spec.name).join(", ")}`,
  },
);
/** A kernelspec name Flint offers. */
export type TKernelName = (typeof FLINT_KERNELSPECS)[number]["name"];

/** The display name of a kernelspec Flint offers, or the name itself for any other. */
export function kernelDisplayName(name: string): string {
  return FLINT_KERNELSPECS.find((spec) => spec.name === name)?.displayName ?? name;
}

/**
 * Which kernel serves (or will serve) a notebook: the kernelspec `name`, and `notice` when that is
 * not what the notebook's `metadata.kernelspec` asks for (a kernel Flint does not offer).
 */
export const ZKernelChoice = z.object({ name: z.string(), notice: z.string().optional() });
/** Which kernel serves a notebook, and why when it is not the one asked for. */
export type TKernelChoice = z.infer<typeof ZKernelChoice>;

/**
 * The kernel for a notebook that asks for `requested` (its `metadata.kernelspec.name`, or null
 * when it names none) where the default kernelspec is `defaultName`: the one asked for when Flint
 * offers it, else the default with a notice that says so. Never throws: a notebook naming a kernel
 * Flint does not have still runs.
 */
export function chooseKernel(
  requested: string | null | undefined,
  defaultName: string = FLINT_KERNELSPECS[0].name,
): TKernelChoice {
  const name = requested?.trim();
  if (!name || name === defaultName) return { name: defaultName };
  if (FLINT_KERNELSPECS.some((spec) => spec.name === name)) return { name };
  return {
    name: defaultName,
    notice:
      `This notebook asks for the kernel "${name.slice(0, 100)}", which Flint does not offer; it runs on ` +
      `${kernelDisplayName(defaultName)}. Choose a kernel in the toolbar to keep it.`,
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

const ZRequestId = z.string().min(1).max(100).optional();

/** Run saved cells, in the given order, after any already queued. */
export const ZRunCommand = z.object({
  type: z.literal("run"),
  /** Echoed in the `reply` event; without it no reply is sent. */
  requestId: ZRequestId,
  cellIds: z.array(ZBrokerCellId).min(1).max(MAX_CELLS_PER_RUN),
});

/** Interrupt the running cell and cancel the queued ones. */
export const ZInterruptCommand = z.object({ type: z.literal("interrupt"), requestId: ZRequestId });

/** Replace the kernel with a fresh one (state lost, Spark jobs stopped, queue cancelled). */
export const ZRestartCommand = z.object({ type: z.literal("restart"), requestId: ZRequestId });

/**
 * The notebook's kernel choice (`metadata.kernelspec`, saved by `PUT /notebooks/{id}/kernel`)
 * changed: restart the kernel as that kind when one runs (its state is lost, as with `restart`),
 * and tell every subscriber which kernel the notebook now has. Carries no name: the broker reads
 * the saved choice, so a command alone changes nothing but a restart.
 */
export const ZSwitchKernelCommand = z.object({ type: z.literal("switchKernel"), requestId: ZRequestId });

/** Shut the notebook's kernel down (outputs stay). */
export const ZShutdownCommand = z.object({ type: z.literal("shutdown"), requestId: ZRequestId });

/** Clear outputs and execution counts of the given cells, or of every cell. */
export const ZClearOutputsCommand = z.object({
  type: z.literal("clearOutputs"),
  requestId: ZRequestId,
  cellIds: z.array(ZBrokerCellId).max(MAX_CELLS_PER_RUN).optional(),
});

/**
 * Ask the kernel for completions. `code` comes from the browser (it may be unsaved) and is only
 * read by the kernel's completer, never executed. `cursorPos` counts Unicode code points, as the
 * Jupyter protocol does; the browser converts Monaco's UTF-16 offset with
 * {@link utf16OffsetToCodePoints}.
 */
export const ZCompleteCommand = z.object({
  type: z.literal("complete"),
  requestId: z.string().min(1).max(100),
  cellId: ZBrokerCellId.optional(),
  code: z.string().max(MAX_INTROSPECTION_CODE_LENGTH),
  cursorPos: z.int().min(0),
});

/**
 * Ask the kernel for documentation of the name at the cursor (hover, signature help).
 * Same rules as {@link ZCompleteCommand}: client code, read only, code points.
 */
export const ZInspectCommand = z.object({
  type: z.literal("inspect"),
  requestId: z.string().min(1).max(100),
  code: z.string().max(MAX_INTROSPECTION_CODE_LENGTH),
  cursorPos: z.int().min(0),
  detailLevel: z.union([z.literal(0), z.literal(1)]).default(0),
});

/** Most rows one `tablePage` command may ask for (the kernel caps it too). */
export const MAX_TABLE_PAGE_ROWS = 500;

/**
 * Ask the kernel for one page of a live table output (`application/vnd.flint.table+json` with a
 * `tableId`), sorted by one column and filtered by texts, computed in the kernel (pandas, or
 * Spark's filter/orderBy/offset/limit) so only the page travels. Columns are positions, since
 * DataFrame column names may repeat. A filter with `column: null` matches any column; `>5`,
 * `<=2.5`, `=3`, `!=0` compare numbers on numeric columns, other text matches values containing
 * it (case ignored). `countRows` asks Spark for the total (a job over all the data); pandas
 * totals always come. Runs as a silent execute: no execution count, history or output.
 */
export const ZTablePageCommand = z.object({
  type: z.literal("tablePage"),
  requestId: z.string().min(1).max(100),
  tableId: z.string().regex(/^[a-f0-9]{32}$/, "not a table id"),
  offset: z.int().min(0).max(1_000_000_000),
  limit: z.int().min(1).max(MAX_TABLE_PAGE_ROWS),
  sort: z
    .object({ column: z.int().min(0).max(100_000), descending: z.boolean() })
    .nullable()
    .optional(),
  filters: z
    .array(z.object({ column: z.int().min(0).max(100_000).nullable(), text: z.string().max(500) }))
    .max(100)
    .optional(),
  countRows: z.boolean().optional(),
});
/** A `tablePage` command. */
export type TTablePageCommand = z.infer<typeof ZTablePageCommand>;

/**
 * Ask the kernel for the Vega-Lite spec of a `%chart` line without running a cell (the chart
 * builder's live preview). The line is read by the chart grammar, which names a DataFrame and
 * its columns and never evaluates Python, so a runner cannot use it to run code of their own.
 */
export const ZChartPreviewCommand = z.object({
  type: z.literal("chartPreview"),
  requestId: z.string().min(1).max(100),
  command: z
    .string()
    .max(10_000)
    .regex(/^%chart\s/, "a %chart line"),
});
/** A `chartPreview` command. */
export type TChartPreviewCommand = z.infer<typeof ZChartPreviewCommand>;

/** Any command a subscriber may send about its notebook. */
export const ZBrokerCommand = z.discriminatedUnion("type", [
  ZRunCommand,
  ZInterruptCommand,
  ZRestartCommand,
  ZSwitchKernelCommand,
  ZShutdownCommand,
  ZClearOutputsCommand,
  ZCompleteCommand,
  ZInspectCommand,
  ZTablePageCommand,
  ZChartPreviewCommand,
]);
/** Any command a subscriber may send about its notebook. */
export type TBrokerCommand = z.infer<typeof ZBrokerCommand>;
/** A `run` command. */
export type TRunCommand = z.infer<typeof ZRunCommand>;
/** A `complete` command. */
export type TCompleteCommand = z.infer<typeof ZCompleteCommand>;
/** An `inspect` command. */
export type TInspectCommand = z.infer<typeof ZInspectCommand>;

// The permission each command needs is `COMMAND_PERMISSIONS` in @flint/api's permission table.

// ---------------------------------------------------------------------------------------------
// Results of introspection

/** The kernel's completions for a cursor position (positions in code points). */
export const ZCompleteResult = z.object({
  /** `false` when no kernel is running or it is busy with a cell: nothing was asked. */
  isAvailable: z.boolean(),
  matches: z.array(z.string()),
  cursorStart: z.int(),
  cursorEnd: z.int(),
  /** The kernel's `metadata` (IPython puts `_jupyter_types_experimental` here). */
  metadata: z.record(z.string(), z.unknown()),
});
/** The kernel's completions for a cursor position. */
export type TCompleteResult = z.infer<typeof ZCompleteResult>;

/** The kernel's documentation for the name at the cursor. */
export const ZInspectResult = z.object({
  /** `false` when no kernel is running or it is busy with a cell: nothing was asked. */
  isAvailable: z.boolean(),
  found: z.boolean(),
  /** A MIME bundle; `text/plain` holds ANSI colour codes. */
  data: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
});
/** The kernel's documentation for the name at the cursor. */
export type TInspectResult = z.infer<typeof ZInspectResult>;

/** Why a live-output request got no answer: the table or kernel is gone, the kernel is busy, or it failed. */
const ZLiveFailure = z.object({
  status: z.enum(["gone", "busy", "error"]),
  /** What happened and what to do, for the person ("run the cell again"). */
  message: z.string(),
});

/** One page of a live table, or why there is none. */
export const ZTablePageResult = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("ok"),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    /** Rows before this page, after filtering and sorting. */
    offset: z.int().min(0),
    /** Rows after filtering; `null` when not counted (Spark, until asked or the end is reached). */
    totalRows: z.int().min(0).nullable(),
    hasMore: z.boolean(),
  }),
  ZLiveFailure,
]);
/** One page of a live table, or why there is none. */
export type TTablePageResult = z.infer<typeof ZTablePageResult>;

/** The Vega-Lite spec of a `%chart` line, or why there is none (an error points at the line). */
export const ZChartPreviewResult = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), spec: z.record(z.string(), z.unknown()), rowsOut: z.int().min(0) }),
  ZLiveFailure,
]);
/** The Vega-Lite spec of a `%chart` line, or why there is none. */
export type TChartPreviewResult = z.infer<typeof ZChartPreviewResult>;

/** The result of one cell in `runAndWait` (REST `POST /notebooks/{id}/run` with `wait`). */
export const ZCellRunResult = z.object({
  cellId: z.string(),
  /** A finished status, or `queued`/`running` when the wait timed out first. */
  status: ZCellStatus,
  executionCount: z.int().nullable(),
  /** The outputs of this run; `[]` for cells that did not start (their stored outputs stay). */
  outputs: z.array(ZOutput),
  /** When this run started and ended; `null` for cells that did not start. */
  execution: ZCellExecution.nullable(),
});
/** The result of one cell in `runAndWait`. */
export type TCellRunResult = z.infer<typeof ZCellRunResult>;

// ---------------------------------------------------------------------------------------------
// Events

/**
 * One change to a cell's outputs, applied in order after the array is cut or padded to the
 * event's `length`:
 * - `set`: the output at `index` is `output`;
 * - `stream`: the stream output already at `index` keeps the first `keep` UTF-16 code units
 *   (JavaScript string length) of its text and gets `text` appended. Streams grow by appending
 *   (and a `\r` progress bar rewrites only its last line), so this keeps a flood of small prints
 *   from resending megabytes.
 */
export const ZOutputChange = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("set"), index: z.int().min(0), output: ZOutput }),
  z.object({
    kind: z.literal("stream"),
    index: z.int().min(0),
    keep: z.int().min(0),
    text: z.string(),
  }),
]);
/** One change to a cell's outputs. */
export type TOutputChange = z.infer<typeof ZOutputChange>;

/** Kernel status of the notebook changed. `detail` says why when it is not obvious. */
export const ZKernelEvent = z.object({
  type: z.literal("kernel"),
  notebookId: z.string(),
  status: ZKernelStatus,
  detail: z.string().optional(),
  /** The kernel the notebook has or will start, when the broker knows it (omitted: unchanged). */
  choice: ZKernelChoice.optional(),
});

/** A cell's status (and execution count, when given) changed. */
export const ZCellEvent = z.object({
  type: z.literal("cell"),
  notebookId: z.string(),
  cellId: z.string(),
  status: ZCellStatus,
  /** Omitted: unchanged (queued cells keep showing their previous count until they start). */
  executionCount: z.int().nullable().optional(),
  /** The latest run's times; `null`: cleared (outputs cleared); omitted: unchanged or unknown. */
  execution: ZCellExecution.nullable().optional(),
});

/**
 * A run of several cells stopped early ({@link ZRunStop}), or `stop: null` when a new run began
 * (or the outputs were cleared), so a notice about the previous one no longer applies.
 */
export const ZRunStopEvent = z.object({
  type: z.literal("runStop"),
  notebookId: z.string(),
  stop: ZRunStop.nullable(),
});

/**
 * A cell's outputs changed. Outputs of one cell are sent at most every ~50 ms, as the changes
 * since the previous event, so a flood costs the browser at most the cap per cell.
 */
export const ZOutputsEvent = z.object({
  type: z.literal("outputs"),
  notebookId: z.string(),
  cellId: z.string(),
  /** The number of outputs after this event. */
  length: z.int().min(0),
  changes: z.array(ZOutputChange),
});

/** One cell in a snapshot. */
export const ZSnapshotCell = z.object({
  cellId: z.string(),
  status: ZCellStatus,
  executionCount: z.int().nullable(),
  /** Present for cells whose outputs the broker holds (running and recently run cells). */
  outputs: z.array(ZOutput).optional(),
  /** The latest run's times, when the broker knows them (cells it ran or cleared). */
  execution: ZCellExecution.nullable().optional(),
});
/** One cell in a snapshot. */
export type TSnapshotCell = z.infer<typeof ZSnapshotCell>;

/**
 * Sent to a subscriber right after it subscribes: the kernel status and every cell the current
 * kernel session has touched (running, queued and recently finished), so a browser that loaded
 * the notebook from the database a moment ago catches up.
 */
export const ZSnapshotEvent = z.object({
  type: z.literal("snapshot"),
  notebookId: z.string(),
  kernel: z.object({
    status: ZKernelStatus,
    detail: z.string().optional(),
    /** The kernel the notebook has or will start; omitted before the broker has read the choice. */
    choice: ZKernelChoice.optional(),
  }),
  /** Ids of queued cells in run order (the running cell is not included). */
  queue: z.array(z.string()),
  cells: z.array(ZSnapshotCell),
  /** How the latest run of several cells stopped early, until a new run begins. */
  runStop: ZRunStop.nullable().optional(),
});

/** The answer to a command that carried a `requestId`, sent only to the subscriber that asked. */
export const ZReplyEvent = z.discriminatedUnion("ok", [
  z.object({
    type: z.literal("reply"),
    requestId: z.string(),
    ok: z.literal(true),
    /** `complete`, `inspect`, `tablePage`, `chartPreview` results; `null` for the other commands. */
    result: z.union([ZCompleteResult, ZInspectResult, ZTablePageResult, ZChartPreviewResult, z.null()]),
  }),
  z.object({
    type: z.literal("reply"),
    requestId: z.string(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
/** The answer to a command. */
export type TReplyEvent = z.infer<typeof ZReplyEvent>;

/** Any event the broker sends to every subscriber of a notebook. */
export const ZBrokerEvent = z.discriminatedUnion("type", [
  ZKernelEvent,
  ZCellEvent,
  ZOutputsEvent,
  ZSnapshotEvent,
  ZRunStopEvent,
]);
/** Any event the broker broadcasts. */
export type TBrokerEvent = z.infer<typeof ZBrokerEvent>;
/** A kernel status event. */
export type TKernelEvent = z.infer<typeof ZKernelEvent>;
/** A cell status event. */
export type TCellEvent = z.infer<typeof ZCellEvent>;
/** An outputs event. */
export type TOutputsEvent = z.infer<typeof ZOutputsEvent>;
/** A snapshot event. */
export type TSnapshotEvent = z.infer<typeof ZSnapshotEvent>;
/** A run-stop event. */
export type TRunStopEvent = z.infer<typeof ZRunStopEvent>;

// ---------------------------------------------------------------------------------------------
// Output patches

/**
 * Computes the changes that turn `previous` into `next`. Outputs are immutable values in the
 * folding model, so an unchanged output is the same object and costs one comparison; a changed
 * stream is sent as its new tail.
 */
export function diffOutputs(previous: readonly TOutput[], next: readonly TOutput[]): TOutputChange[] {
  const changes: TOutputChange[] = [];
  for (let index = 0; index < next.length; index++) {
    const after = next[index]!;
    const before = previous[index];
    if (before === after) continue;
    if (before?.output_type === "stream" && after.output_type === "stream" && before.name === after.name) {
      if (before.text === after.text) continue;
      const keep = measureCommonPrefix(before.text, after.text);
      changes.push({ kind: "stream", index, keep, text: after.text.slice(keep) });
      continue;
    }
    changes.push({ kind: "set", index, output: after });
  }
  return changes;
}

/**
 * Applies an outputs event to a cell's outputs (what a browser does with it). Returns a new
 * array; throws when a `stream` change targets something that is not a stream, which means the
 * subscriber missed an event and should reload the notebook.
 */
export function applyOutputChanges(
  outputs: readonly TOutput[],
  event: Pick<TOutputsEvent, "length" | "changes">,
): TOutput[] {
  const result = outputs.slice(0, event.length);
  for (const change of event.changes) {
    if (change.kind === "set") {
      result[change.index] = change.output;
      continue;
    }
    const current = result[change.index];
    if (current?.output_type !== "stream") {
      throw new Error(`output ${change.index} is not a stream: the outputs are out of date`);
    }
    result[change.index] = { ...current, text: current.text.slice(0, change.keep) + change.text };
  }
  if (result.length !== event.length) {
    throw new Error(`expected ${event.length} outputs, have ${result.length}: the outputs are out of date`);
  }
  return result;
}

function measureCommonPrefix(a: string, b: string): number {
  // Appends are by far the most common change: check the whole prefix at native speed first.
  if (b.startsWith(a)) return a.length;
  // Next most common: a `\r` rewrote the last line; everything before it is unchanged.
  const lineStart = a.lastIndexOf("\n") + 1;
  let start = lineStart > 0 && b.startsWith(a.slice(0, lineStart)) ? lineStart : 0;
  const limit = Math.min(a.length, b.length);
  while (start < limit && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  // Never split a surrogate pair between the kept part and the appended text.
  const code = start > 0 ? a.charCodeAt(start - 1) : 0;
  return code >= 0xd800 && code <= 0xdbff ? start - 1 : start;
}

// ---------------------------------------------------------------------------------------------
// Cursor offsets

/**
 * Converts an offset in UTF-16 code units (JavaScript strings, Monaco) into Unicode code points
 * (the Jupyter protocol's `cursor_pos`). An offset inside a surrogate pair counts the pair whole.
 */
export function utf16OffsetToCodePoints(text: string, utf16Offset: number): number {
  let points = 0;
  const end = Math.min(utf16Offset, text.length);
  for (let i = 0; i < end; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    points++;
  }
  return points;
}

/**
 * Converts a Jupyter code-point offset (`cursor_start`, `cursor_end` of a completion) back into
 * UTF-16 code units for Monaco.
 */
export function codePointsToUtf16Offset(text: string, codePoints: number): number {
  let i = 0;
  for (let points = 0; points < codePoints && i < text.length; points++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    i += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return i;
}

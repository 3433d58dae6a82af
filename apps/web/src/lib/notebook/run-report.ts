// What the page says about runs: the notice when a run of several cells stopped early, and the
// line under a run cell ("Took 2.1 s, by Ada at 14:02"). Pure, so they are unit-tested.
import { formatDuration, type TOutput } from "@flint/notebook";
import type { TCellExecution, TRunStop } from "./protocol";

const MAX_SUMMARY_LENGTH = 160;

/** The notice about a stopped run, in words. */
export type TRunStopNotice = {
  /** The cell to jump to, when it still exists. */
  cellId: string | null;
  /** "cell 2": its place, counted from 1 in notebook order, markdown cells included. */
  cellLabel: string | null;
  /** "Run stopped at cell 2". */
  title: string;
  /** Why: the error's first line, "it was interrupted", ... */
  reason: string;
  /** "1 cell after it was not run." (only cells still in the notebook are counted). */
  notRun: string;
};

/** The last error of a cell's outputs as one line, `ValueError: bad value`, or `null`. */
export function summarizeError(outputs: readonly TOutput[]): string | null {
  for (let index = outputs.length - 1; index >= 0; index--) {
    const output = outputs[index]!;
    if (output.output_type !== "error") continue;
    const value = output.evalue.trim().split("\n")[0]?.trim() ?? "";
    const line = value ? `${output.ename}: ${value}` : output.ename;
    return line.length > MAX_SUMMARY_LENGTH ? `${line.slice(0, MAX_SUMMARY_LENGTH - 1)}…` : line;
  }
  return null;
}

/**
 * Describes `stop` for the notice above the cells. `cellIds` is the notebook's order; `outputsOf`
 * gives a cell's outputs (for the error's message).
 */
export function describeRunStop(
  stop: TRunStop,
  cellIds: readonly string[],
  outputsOf: (cellId: string) => readonly TOutput[],
): TRunStopNotice {
  const index = stop.cellId ? cellIds.indexOf(stop.cellId) : -1;
  const present = new Set(cellIds);
  const notRunCount = stop.cancelledCellIds.filter((id) => present.has(id)).length;
  const cells = notRunCount === 1 ? "1 cell" : `${notRunCount} cells`;
  const was = notRunCount === 1 ? "was" : "were";
  if (stop.cellId === null) {
    return {
      cellId: null,
      cellLabel: null,
      title: "Run stopped",
      reason: "it was interrupted before its next cell started",
      notRun: `${cells} ${was} not run.`,
    };
  }
  const reason =
    stop.status === "error"
      ? (summarizeError(outputsOf(stop.cellId)) ?? "it failed")
      : stop.status === "interrupted"
        ? "it was interrupted"
        : "the kernel died while it ran";
  const cellLabel = index >= 0 ? `cell ${index + 1}` : null;
  return {
    cellId: cellLabel ? stop.cellId : null,
    cellLabel,
    title: cellLabel ? `Run stopped at ${cellLabel}` : "Run stopped at a cell deleted since",
    reason,
    notRun: `${cells} after it ${was} not run.`,
  };
}

type TFormatKind = "time" | "day" | "year" | "date" | "dateWithYear" | "full";

const FORMAT_OPTIONS: Record<TFormatKind, Intl.DateTimeFormatOptions> = {
  time: { hour: "numeric", minute: "2-digit" },
  day: { year: "numeric", month: "2-digit", day: "2-digit" },
  year: { year: "numeric" },
  date: { day: "numeric", month: "short" },
  dateWithYear: { day: "numeric", month: "short", year: "numeric" },
  full: { dateStyle: "medium", timeStyle: "medium" },
};

// Building an Intl.DateTimeFormat costs far more than formatting with one, and every render of a
// run cell formats its times: while a cell streamed, these constructors were the page's largest
// self time and held back keystrokes in other cells (bench/notebook, issue 23). So they are kept.
const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(kind: TFormatKind, locale: string | undefined, timeZone: string | undefined) {
  const key = `${kind}|${locale ?? ""}|${timeZone ?? ""}`;
  let found = formats.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(locale, { ...FORMAT_OPTIONS[kind], ...(timeZone ? { timeZone } : {}) });
    formats.set(key, found);
  }
  return found;
}

/** Options of {@link describeExecution}; the defaults are the browser's own. */
export type TDescribeOptions = { now?: Date; locale?: string; timeZone?: string };

/**
 * The line under a run cell: `Took 2.1 s, by Ada at 14:02` (a date too when not today), or
 * `Started at 14:02, by Ada` for a run that has not ended; `title` has the exact times.
 */
export function describeExecution(
  execution: TCellExecution,
  options: TDescribeOptions = {},
): { text: string; title: string } {
  const now = options.now ?? new Date();
  const started = new Date(execution.startedAt);
  // `format` of an Intl.DateTimeFormat is a getter that returns a bound function.
  const format = (kind: TFormatKind, locale = options.locale) =>
    dateFormat(kind, locale, options.timeZone).format;
  const time = format("time");
  const day = format("day");
  const year = format("year", "en");
  const isToday = day(started) === day(now);
  const isThisYear = year(started) === year(now);
  const date = format(isThisYear ? "date" : "dateWithYear");
  const when = isToday ? `at ${time(started)}` : `on ${date(started)} at ${time(started)}`;
  const by = execution.ranBy ? `, by ${execution.ranBy.name}` : "";
  const full = format("full");
  if (!execution.endedAt) {
    return { text: `Started ${when}${by}`, title: `Started ${full(started)}` };
  }
  const ended = new Date(execution.endedAt);
  const took = formatDuration(ended.getTime() - started.getTime());
  return {
    text: `Took ${took}${by} ${when}`,
    title: `Started ${full(started)}, ended ${full(ended)}`,
  };
}

/**
 * A code cell's run times as nbformat carries them, and how long a run took as a person reads it.
 *
 * Flint keeps run times with the outputs (`cell_output`), not in the cells' document; in `.ipynb`
 * files they travel as JupyterLab's "record timing" setting writes them, in the cell's
 * `metadata.execution`, so a notebook keeps them through a download and an import.
 */

/** JupyterLab's key for when the kernel started the cell (the kernel's `execute_input`). */
export const EXECUTION_STARTED_KEY = "iopub.execute_input";
/** JupyterLab's key for when the cell's run ended (the kernel's `execute_reply`). */
export const EXECUTION_ENDED_KEY = "shell.execute_reply";
/** Other keys JupyterLab writes, read when the two above are missing. */
const STARTED_FALLBACK_KEYS = ["shell.execute_reply.started", "iopub.status.busy"];
const ENDED_FALLBACK_KEYS = ["iopub.status.idle"];

/** When a cell's run started and ended (ISO 8601; `endedAt` is `null` for a run not ended). */
export type TExecutionTimes = { startedAt: string; endedAt: string | null };

function readTime(record: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  }
  return null;
}

/**
 * The run times in a cell's metadata (`metadata.execution`, as JupyterLab writes them), or
 * `null` when it has none or they cannot be read.
 */
export function readExecutionTimes(metadata: Record<string, unknown>): TExecutionTimes | null {
  const execution = metadata.execution;
  if (typeof execution !== "object" || execution === null || Array.isArray(execution)) return null;
  const record = execution as Record<string, unknown>;
  const startedAt = readTime(record, [EXECUTION_STARTED_KEY, ...STARTED_FALLBACK_KEYS]);
  if (!startedAt) return null;
  return { startedAt, endedAt: readTime(record, [EXECUTION_ENDED_KEY, ...ENDED_FALLBACK_KEYS]) };
}

/**
 * A copy of a cell's metadata with `times` as its `metadata.execution` (JupyterLab's keys), or
 * without `metadata.execution` when `times` is `null`.
 */
export function withExecutionTimes(
  metadata: Record<string, unknown>,
  times: TExecutionTimes | null,
): Record<string, unknown> {
  const { execution: _previous, ...rest } = metadata;
  if (!times) return rest;
  return {
    ...rest,
    execution: {
      [EXECUTION_STARTED_KEY]: times.startedAt,
      ...(times.endedAt ? { [EXECUTION_ENDED_KEY]: times.endedAt } : {}),
    },
  };
}

/**
 * How long a run took, for people: `0.35 s` under ten seconds (two significant digits, at least
 * `0.01 s`), then `12 s`, `3 min 05 s`, `1 h 02 min`.
 */
export function formatDuration(milliseconds: number): string {
  const ms = Math.max(0, milliseconds);
  if (ms < 9_950) {
    const seconds = ms / 1000;
    // Two decimals below a second (0.35 s), one above (2.1 s), never "0.00 s".
    const text = seconds < 0.995 ? Math.max(seconds, 0.01).toFixed(2) : seconds.toFixed(1);
    return `${text} s`;
  }
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, "0")} min`;
}

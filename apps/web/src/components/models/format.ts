// Small formatters the Models tab shares (runs table, compare view, registered models).
import type { TResponse } from "@/lib/api";

/** One run as the Models tab lists it. */
export type TRun = TResponse<"listModelRuns">["experiments"][number]["runs"][number];
/** One registered model with its versions and aliases. */
export type TRegisteredModel = TResponse<"listRegisteredModels">["models"][number];

/** `1.5 s`, `3 min 4 s`, `2 h 5 min`; a dash for a run that has not started. */
export function formatDuration(startMs: number | null, endMs: number | null, nowMs = Date.now()): string {
  if (startMs === null) return "–";
  const seconds = Math.max(0, ((endMs ?? nowMs) - startMs) / 1000);
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A timestamp in the reader's locale; a dash for none. */
export function formatTime(ms: number | null): string {
  return ms === null ? "–" : new Date(ms).toLocaleString();
}

/** Metric values: four significant digits, integers as they are. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return "–";
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

/**
 * The keys worth a column: those most runs have, at most `limit`, in a stable order. A table of
 * fifty parameter columns helps nobody; the compare view shows all of them.
 */
export function keyColumns(records: Record<string, unknown>[], limit: number): string[] {
  const counts = new Map<string, number>();
  for (const record of records)
    for (const key of Object.keys(record)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([key]) => key)
    .sort();
}

/** Status words as a person reads them. */
export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    RUNNING: "running",
    FINISHED: "finished",
    FAILED: "failed",
    KILLED: "stopped",
    SCHEDULED: "scheduled",
  };
  return labels[status] ?? status.toLowerCase();
}

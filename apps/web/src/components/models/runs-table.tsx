"use client";
import Link from "next/link";
import { formatDuration, formatMetric, formatTime, keyColumns, statusLabel, type TRun } from "./format";

/** How many metric and parameter columns the table shows (compare shows them all). */
const KEY_METRICS = 3;
const KEY_PARAMS = 3;

const STATUS_STYLE: Record<string, string> = {
  FINISHED: "bg-emerald-50 text-emerald-800",
  RUNNING: "bg-sky-50 text-sky-800",
  FAILED: "bg-red-50 text-red-800",
  KILLED: "bg-amber-50 text-amber-800",
};

/** The notebook (and its saved version) that made a run, as a link; runs made outside a notebook say so. */
export function NotebookLink({ projectId, run }: { projectId: string; run: TRun }) {
  if (!run.notebookId) return <span className="text-slate-500">outside a notebook</span>;
  const name = run.tags["mlflow.source.name"] ?? "notebook";
  return (
    <Link
      href={`/projects/${projectId}/notebooks/${run.notebookId}`}
      className="text-brand-700 hover:underline"
    >
      {name}
      {run.notebookVersion !== null && <span className="text-slate-500"> · v{run.notebookVersion}</span>}
    </Link>
  );
}

/** The catalog assets a run was trained on (lineage), as links to their pages. */
export function TrainedOn({ run }: { run: TRun }) {
  if (run.trainedOn.length === 0) return <span className="text-slate-400">–</span>;
  return (
    <span>
      {run.trainedOn.map((asset, index) => (
        <span key={asset.assetId}>
          {index > 0 && ", "}
          <Link href={`/catalog/assets/${asset.assetId}`} className="text-brand-700 hover:underline">
            {asset.name}
          </Link>
        </span>
      ))}
    </span>
  );
}

/**
 * The runs of a project (one experiment or all), newest first: name, notebook, status, start,
 * duration, the data it was trained on, and the most common parameters and metrics. Rows can be
 * selected for the compare view.
 */
export function RunsTable({
  projectId,
  runs,
  experimentNames,
  selected,
  onToggle,
}: {
  projectId: string;
  runs: TRun[];
  experimentNames: Map<string, string>;
  selected: Set<string>;
  onToggle: (runId: string) => void;
}) {
  const metricKeys = keyColumns(
    runs.map((run) => run.metrics),
    KEY_METRICS,
  );
  const paramKeys = keyColumns(
    runs.map((run) => run.params),
    KEY_PARAMS,
  );
  return (
    <div className="card overflow-x-auto">
      <table className="w-full text-sm" aria-label="Runs">
        <thead className="border-b border-slate-200 text-left text-xs text-slate-500">
          <tr>
            <th className="px-3 py-2">
              <span className="sr-only">Compare</span>
            </th>
            <th className="px-3 py-2 font-medium">Run</th>
            <th className="px-3 py-2 font-medium">Experiment</th>
            <th className="px-3 py-2 font-medium">Notebook</th>
            <th className="px-3 py-2 font-medium">Status</th>
            <th className="px-3 py-2 font-medium">Started</th>
            <th className="px-3 py-2 font-medium">Duration</th>
            <th className="px-3 py-2 font-medium">Trained on</th>
            {paramKeys.map((key) => (
              <th key={`p-${key}`} className="px-3 py-2 font-medium" title="parameter">
                {key}
              </th>
            ))}
            {metricKeys.map((key) => (
              <th key={`m-${key}`} className="px-3 py-2 text-right font-medium" title="metric (last value)">
                {key}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {runs.map((run) => (
            <tr key={run.runId} aria-selected={selected.has(run.runId)}>
              <td className="px-3 py-2">
                <input
                  type="checkbox"
                  aria-label={`Compare ${run.runName}`}
                  checked={selected.has(run.runId)}
                  onChange={() => onToggle(run.runId)}
                />
              </td>
              <td className="px-3 py-2 font-medium" title={run.runId}>
                {run.runName}
              </td>
              <td className="px-3 py-2 text-slate-600">{experimentNames.get(run.experimentId) ?? "–"}</td>
              <td className="px-3 py-2">
                <NotebookLink projectId={projectId} run={run} />
              </td>
              <td className="px-3 py-2">
                <span className={`rounded px-2 py-0.5 text-xs ${STATUS_STYLE[run.status] ?? "bg-slate-100"}`}>
                  {statusLabel(run.status)}
                </span>
              </td>
              <td className="px-3 py-2 whitespace-nowrap text-slate-600">{formatTime(run.startTime)}</td>
              <td className="px-3 py-2 whitespace-nowrap text-slate-600">
                {formatDuration(run.startTime, run.endTime)}
              </td>
              <td className="px-3 py-2">
                <TrainedOn run={run} />
              </td>
              {paramKeys.map((key) => (
                <td key={`p-${key}`} className="px-3 py-2 text-slate-600">
                  {run.params[key] ?? "–"}
                </td>
              ))}
              {metricKeys.map((key) => (
                <td key={`m-${key}`} className="px-3 py-2 text-right tabular-nums">
                  {formatMetric(run.metrics[key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

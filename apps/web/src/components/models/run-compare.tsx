"use client";
import { useState } from "react";
import { formatMetric, type TRun } from "./format";
import { MetricChart } from "./metric-chart";
import { NotebookLink, TrainedOn } from "./runs-table";

/**
 * Selected runs side by side: every parameter and metric (a row each, differing values marked),
 * and a chart of one metric across the runs by step.
 */
export function RunCompare({
  projectId,
  runs,
  onClose,
}: {
  projectId: string;
  runs: TRun[];
  onClose: () => void;
}) {
  const metricKeys = [...new Set(runs.flatMap((run) => Object.keys(run.metrics)))].sort();
  const paramKeys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort();
  const [chosen, setChosen] = useState<string | null>(null);
  const metric = chosen && metricKeys.includes(chosen) ? chosen : (metricKeys[0] ?? null);
  const differs = (values: (string | number | undefined)[]) => new Set(values.map(String)).size > 1;
  return (
    <section aria-labelledby="compare-title" className="card space-y-4 p-4">
      <div className="flex items-center justify-between">
        <h3 id="compare-title" className="font-medium">
          Comparing {runs.length} {runs.length === 1 ? "run" : "runs"}
        </h3>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close comparison
        </button>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full text-sm" aria-label="Compared runs">
          <thead className="border-b border-slate-200 text-left text-xs text-slate-500">
            <tr>
              <th className="px-3 py-2 font-medium">
                <span className="sr-only">Field</span>
              </th>
              {runs.map((run) => (
                <th key={run.runId} className="px-3 py-2 font-medium text-slate-900">
                  {run.runName}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            <tr>
              <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                notebook
              </th>
              {runs.map((run) => (
                <td key={run.runId} className="px-3 py-1.5">
                  <NotebookLink projectId={projectId} run={run} />
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                trained on
              </th>
              {runs.map((run) => (
                <td key={run.runId} className="px-3 py-1.5">
                  <TrainedOn run={run} />
                </td>
              ))}
            </tr>
            {paramKeys.map((key) => {
              const values = runs.map((run) => run.params[key]);
              return (
                <tr key={`p-${key}`} className={differs(values) ? "bg-amber-50" : undefined}>
                  <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                    {key} <span className="text-xs text-slate-400">param</span>
                  </th>
                  {values.map((value, index) => (
                    <td key={runs[index]?.runId} className="px-3 py-1.5">
                      {value ?? "–"}
                    </td>
                  ))}
                </tr>
              );
            })}
            {metricKeys.map((key) => {
              const values = runs.map((run) => run.metrics[key]);
              return (
                <tr key={`m-${key}`} className={differs(values) ? "bg-amber-50" : undefined}>
                  <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                    {key} <span className="text-xs text-slate-400">metric</span>
                  </th>
                  {values.map((value, index) => (
                    <td key={runs[index]?.runId} className="px-3 py-1.5 tabular-nums">
                      {formatMetric(value)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {metric ? (
        <div className="space-y-2">
          <label className="flex items-center gap-2 text-sm">
            <span className="text-slate-600">Metric</span>
            <select className="input w-56" value={metric} onChange={(event) => setChosen(event.target.value)}>
              {metricKeys.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </label>
          <MetricChart projectId={projectId} runs={runs} metric={metric} />
        </div>
      ) : (
        <p className="text-sm text-slate-500">These runs logged no metrics.</p>
      )}
    </section>
  );
}

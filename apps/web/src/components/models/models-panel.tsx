"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import type { TRun } from "./format";
import { RegisteredModels } from "./registered-models";
import { RunCompare } from "./run-compare";
import { RunsTable } from "./runs-table";

/**
 * The project's Models tab (docs/models.md): experiments and their runs (table, compare, metric
 * charts) and registered models with versions and aliases. Every member reads it; `canLog` (the
 * project's `writeModels` ability) only changes the hint on how to log a run.
 */
export function ModelsPanel({ projectId, canLog }: { projectId: string; canLog: boolean }) {
  const runsQuery = useQuery({
    queryKey: queryKeys.projectModelRuns(projectId),
    queryFn: () => apiClient("listModelRuns", { params: { id: projectId } }),
  });
  const modelsQuery = useQuery({
    queryKey: queryKeys.projectRegisteredModels(projectId),
    queryFn: () => apiClient("listRegisteredModels", { params: { id: projectId } }),
  });
  const [experimentId, setExperimentId] = useState("all");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [isComparing, setIsComparing] = useState(false);

  const experiments = runsQuery.data?.experiments ?? [];
  const experimentNames = useMemo(
    () => new Map(experiments.map((experiment) => [experiment.experimentId, experiment.name])),
    [experiments],
  );
  const allRuns = useMemo(
    () =>
      experiments
        .flatMap((experiment) => experiment.runs)
        .sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0)),
    [experiments],
  );
  const runsById = useMemo(() => new Map(allRuns.map((run) => [run.runId, run])), [allRuns]);
  const shown = experimentId === "all" ? allRuns : allRuns.filter((run) => run.experimentId === experimentId);
  const compared = allRuns.filter((run) => selected.has(run.runId));
  const toggle = (runId: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(runId)) next.delete(runId);
      else next.add(runId);
      return next;
    });

  const error = runsQuery.error ?? modelsQuery.error;
  return (
    <div className="space-y-6">
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error.message}
        </p>
      )}
      <section aria-labelledby="runs-title" className="space-y-3">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="runs-title" className="text-lg font-medium">
            Runs
          </h2>
          {experiments.length > 0 && (
            <label className="flex items-center gap-2 text-sm">
              <span className="text-slate-600">Experiment</span>
              <select
                className="input w-56"
                value={experimentId}
                onChange={(event) => setExperimentId(event.target.value)}
              >
                <option value="all">All experiments</option>
                {experiments.map((experiment) => (
                  <option key={experiment.experimentId} value={experiment.experimentId}>
                    {experiment.name} ({experiment.runs.length})
                  </option>
                ))}
              </select>
            </label>
          )}
          <button
            type="button"
            className="btn-primary ml-auto"
            disabled={compared.length === 0}
            onClick={() => setIsComparing(true)}
          >
            Compare{compared.length > 0 ? ` ${compared.length}` : ""}
          </button>
        </div>
        {runsQuery.isPending && <p className="text-sm text-slate-500">Loading runs…</p>}
        {runsQuery.data && allRuns.length === 0 && (
          <div className="card p-4 text-sm text-slate-600">
            <p>No runs yet.</p>
            {canLog && (
              <p className="mt-1">
                In any notebook of this project, <code>import mlflow</code> works with no set-up: a cell with{" "}
                <code>with mlflow.start_run(): mlflow.log_metric("accuracy", 0.9)</code> logs a run here.
              </p>
            )}
          </div>
        )}
        {shown.length > 0 && (
          <RunsTable
            projectId={projectId}
            runs={shown}
            experimentNames={experimentNames}
            selected={selected}
            onToggle={toggle}
          />
        )}
        {isComparing && compared.length > 0 && (
          <RunCompare projectId={projectId} runs={compared as TRun[]} onClose={() => setIsComparing(false)} />
        )}
      </section>
      <section aria-labelledby="registered-title" className="space-y-3">
        <h2 id="registered-title" className="text-lg font-medium">
          Registered models
        </h2>
        {modelsQuery.isPending && <p className="text-sm text-slate-500">Loading models…</p>}
        {modelsQuery.data && (
          <RegisteredModels
            projectId={projectId}
            models={modelsQuery.data.models}
            runsById={runsById}
            mayScore={canLog}
          />
        )}
      </section>
    </div>
  );
}

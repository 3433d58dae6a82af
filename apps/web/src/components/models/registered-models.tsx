"use client";
import { BatchScorePanel } from "./batch-score";
import { formatTime, type TRegisteredModel, type TRun } from "./format";
import { NotebookLink, TrainedOn } from "./runs-table";

/** An alias badge: `champion` stands out, the others are plain. */
function AliasBadge({ alias }: { alias: string }) {
  const style = alias === "champion" ? "bg-amber-100 text-amber-900" : "bg-slate-100 text-slate-700";
  return <span className={`rounded px-2 py-0.5 text-xs font-medium ${style}`}>@{alias}</span>;
}

/**
 * The project's registered models: each with its aliases and versions, and for each version the
 * run that logged it, the notebook (and version) of that run and the data it was trained on.
 */
export function RegisteredModels({
  projectId,
  models,
  runsById,
  mayScore = false,
}: {
  projectId: string;
  models: TRegisteredModel[];
  runsById: Map<string, TRun>;
  /** Whether the person may score a catalog asset with the models (`writeModels`). */
  mayScore?: boolean;
}) {
  if (models.length === 0)
    return (
      <p className="card p-4 text-sm text-slate-500">
        No registered models yet: register one from a notebook with{" "}
        <code>mlflow.sklearn.log_model(model, name="model", registered_model_name="churn")</code> (or{" "}
        <code>mlflow.spark.log_model</code>).
      </p>
    );
  return (
    <ul className="space-y-3" aria-label="Registered models">
      {models.map((model) => (
        <li key={model.name} className="card p-4" aria-label={`Model ${model.name}`}>
          <div className="flex flex-wrap items-baseline gap-2">
            <h4 className="font-medium">{model.name}</h4>
            {Object.keys(model.aliases)
              .sort()
              .map((alias) => (
                <AliasBadge key={alias} alias={alias} />
              ))}
            <span className="text-xs text-slate-500">updated {formatTime(model.updatedAt)}</span>
          </div>
          {model.description && <p className="mt-1 text-sm text-slate-600">{model.description}</p>}
          <table className="mt-2 w-full text-sm" aria-label={`Versions of ${model.name}`}>
            <thead className="text-left text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-medium">Version</th>
                <th className="py-1 pr-3 font-medium">Aliases</th>
                <th className="py-1 pr-3 font-medium">Run</th>
                <th className="py-1 pr-3 font-medium">Notebook</th>
                <th className="py-1 pr-3 font-medium">Trained on</th>
                <th className="py-1 pr-3 font-medium">Registered</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {model.versions.map((version) => {
                const run = version.runId ? runsById.get(version.runId) : undefined;
                return (
                  <tr key={version.version}>
                    <td className="py-1 pr-3 font-medium">v{version.version}</td>
                    <td className="space-x-1 py-1 pr-3">
                      {version.aliases.map((alias) => (
                        <AliasBadge key={alias} alias={alias} />
                      ))}
                    </td>
                    <td className="py-1 pr-3">{run?.runName ?? version.runId?.slice(0, 8) ?? "–"}</td>
                    <td className="py-1 pr-3">
                      {run ? <NotebookLink projectId={projectId} run={run} /> : "–"}
                    </td>
                    <td className="py-1 pr-3">{run ? <TrainedOn run={run} /> : "–"}</td>
                    <td className="py-1 pr-3 whitespace-nowrap text-slate-600">
                      {formatTime(version.createdAt)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <BatchScorePanel projectId={projectId} model={model} mayScore={mayScore} />
        </li>
      ))}
    </ul>
  );
}

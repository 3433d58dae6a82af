"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/**
 * The asset page's "Models trained on this" (lineage, docs/models.md): the runs of the asset's
 * project whose kernel had read the asset, and the registered model versions they logged. Shown
 * only to those who may read the project's models (others get a 404 and see nothing here).
 */
export function TrainedOnAsset({ projectId, assetId }: { projectId: string; assetId: string }) {
  const runsQuery = useQuery({
    queryKey: queryKeys.projectModelRuns(projectId, assetId),
    queryFn: () => apiClient("listModelRuns", { params: { id: projectId }, query: { assetId } }),
    retry: false,
  });
  const runs = (runsQuery.data?.experiments ?? []).flatMap((experiment) => experiment.runs);
  const modelsQuery = useQuery({
    queryKey: queryKeys.projectRegisteredModels(projectId),
    queryFn: () => apiClient("listRegisteredModels", { params: { id: projectId } }),
    enabled: runs.length > 0,
    retry: false,
  });
  if (runsQuery.error) return null;
  const runIds = new Set(runs.map((run) => run.runId));
  const versions = (modelsQuery.data?.models ?? []).flatMap((model) =>
    model.versions
      .filter((version) => version.runId && runIds.has(version.runId))
      .map((version) => ({ model: model.name, ...version })),
  );
  return (
    <div>
      <h3 className="text-sm font-semibold text-slate-700">Models trained on this</h3>
      {runs.length === 0 ? (
        <p className="text-sm text-slate-500">No model run yet.</p>
      ) : (
        <ul className="mt-1 space-y-1 text-sm">
          {versions.map((version) => (
            <li key={`${version.model}-${version.version}`}>
              <Link href={`/projects/${projectId}?tab=models`} className="text-brand-700 hover:underline">
                {version.model} v{version.version}
              </Link>
              {version.aliases.map((alias) => (
                <span key={alias} className="ml-1 text-xs text-amber-800">
                  @{alias}
                </span>
              ))}
            </li>
          ))}
          {runs
            .filter((run) => !versions.some((version) => version.runId === run.runId))
            .map((run) => (
              <li key={run.runId}>
                <Link href={`/projects/${projectId}?tab=models`} className="text-brand-700 hover:underline">
                  run {run.runName}
                </Link>{" "}
                <span className="text-xs text-slate-500">
                  {run.startTime ? new Date(run.startTime).toLocaleString() : ""}
                </span>
              </li>
            ))}
        </ul>
      )}
    </div>
  );
}

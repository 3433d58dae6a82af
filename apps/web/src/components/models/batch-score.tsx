"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { formatTime, type TRegisteredModel } from "./format";

type TBatchScore = TResponse<"getBatchScore">;

const STATE_STYLE: Record<TBatchScore["state"], string> = {
  queued: "bg-slate-100 text-slate-700",
  running: "bg-sky-100 text-sky-900",
  succeeded: "bg-emerald-100 text-emerald-900",
  failed: "bg-red-100 text-red-800",
};

const isUnderWay = (run: TBatchScore) => run.state === "queued" || run.state === "running";

/** A run's state, progress, error and output asset. */
function BatchScoreRow({ run }: { run: TBatchScore }) {
  return (
    <li className="py-1 text-sm" aria-label={`Batch score ${run.output.name}`}>
      <span className={`mr-2 rounded px-2 py-0.5 text-xs font-medium ${STATE_STYLE[run.state]}`}>
        {run.state}
      </span>
      {run.input.name ?? "a deleted asset"} →{" "}
      {run.state === "succeeded" && run.output.assetId ? (
        <Link href={`/catalog/assets/${run.output.assetId}`} className="text-brand-700 hover:underline">
          {run.output.name}
        </Link>
      ) : (
        <strong>{run.output.name}</strong>
      )}{" "}
      <span className="text-xs text-slate-500">
        with v{run.scoredVersion}
        {run.modelAlias ? ` (@${run.modelAlias})` : ""}, {formatTime(Date.parse(run.createdAt))}
        {run.rows !== null ? `, ${run.rows.toLocaleString()} rows` : ""}
      </span>
      {run.progress && <span className="ml-2 text-xs text-slate-600">{run.progress}…</span>}
      {run.error && (
        <p role="alert" className="mt-1 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {run.error}
        </p>
      )}
    </li>
  );
}

/**
 * "Score a catalog asset" on a registered model (docs/models.md): pick the version or alias, one of
 * the project's file assets and the new asset's name; the runs of this model follow below with
 * their state until they end, and link to the asset they registered.
 */
export function BatchScorePanel({
  projectId,
  model,
  mayScore,
}: {
  projectId: string;
  model: TRegisteredModel;
  mayScore: boolean;
}) {
  const queryClient = useQueryClient();
  const [isOpen, setIsOpen] = useState(false);
  const key = queryKeys.projectBatchScores(projectId, { modelName: model.name });
  const runsQuery = useQuery({
    queryKey: key,
    queryFn: () =>
      apiClient("listBatchScores", { params: { id: projectId }, query: { modelName: model.name } }),
    // While a run is under way the list follows it.
    refetchInterval: (query) => (query.state.data?.batchScores.some(isUnderWay) ? 2000 : false),
  });
  const assetsQuery = useQuery({
    queryKey: queryKeys.projectAssets(projectId),
    queryFn: () => apiClient("listAssets", { query: { projectId } }),
    enabled: isOpen,
  });
  const scoring = useMutation({
    mutationFn: (body: { target: string; assetId: string; outputName: string }) =>
      apiClient("createBatchScore", {
        params: { id: projectId },
        body: {
          modelName: model.name,
          ...(body.target.startsWith("@") ? { alias: body.target.slice(1) } : { version: body.target }),
          assetId: body.assetId,
          outputName: body.outputName,
        },
      }),
    onSuccess: () => {
      setIsOpen(false);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    scoring.mutate({
      target: String(form.get("target")),
      assetId: String(form.get("assetId")),
      outputName: String(form.get("outputName")).trim(),
    });
  };
  const files = (assetsQuery.data?.assets ?? []).filter((asset) => asset.kind === "file");
  const runs = runsQuery.data?.batchScores ?? [];
  const targets = [
    ...Object.keys(model.aliases)
      .sort()
      .map((alias) => ({ value: `@${alias}`, label: `@${alias} (v${model.aliases[alias]})` })),
    ...model.versions.map((version) => ({ value: version.version, label: `v${version.version}` })),
  ];
  return (
    <div className="mt-3 border-t border-slate-100 pt-2">
      <div className="flex items-center gap-2">
        <h5 className="text-sm font-medium text-slate-700">Batch scoring</h5>
        {mayScore && !isOpen && (
          <button type="button" className="btn-secondary text-xs" onClick={() => setIsOpen(true)}>
            Score a catalog asset
          </button>
        )}
      </div>
      {isOpen && (
        <form
          onSubmit={submit}
          className="mt-2 flex flex-wrap items-end gap-3 text-sm"
          aria-label={`Score a catalog asset with ${model.name}`}
        >
          <label className="flex flex-col gap-1">
            <span className="text-xs text-slate-600">Model</span>
            <select name="target" className="input" required>
              {targets.map((target) => (
                <option key={target.value} value={target.value}>
                  {target.label}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-xs text-slate-600">Asset to score</span>
            <select name="assetId" className="input" required>
              {files.map((asset) => (
                <option key={asset.id} value={asset.id}>
                  {asset.name}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-xs text-slate-600">Output asset name</span>
            <input name="outputName" className="input" required placeholder={`${model.name}_scores`} />
          </label>
          <button type="submit" className="btn-primary" disabled={scoring.isPending || files.length === 0}>
            Score
          </button>
          <button type="button" className="btn-secondary" onClick={() => setIsOpen(false)}>
            Cancel
          </button>
          {assetsQuery.data && files.length === 0 && (
            <p className="w-full text-xs text-slate-500">
              The project has no file asset to score: upload one or register a DataFrame with
              flint.catalog.register.
            </p>
          )}
        </form>
      )}
      <FormMessages error={scoring.error?.message} />
      {runs.length > 0 && (
        <ul className="mt-1 divide-y divide-slate-100" aria-label={`Batch scores of ${model.name}`}>
          {runs.slice(0, 10).map((run) => (
            <BatchScoreRow key={run.id} run={run} />
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The asset page's lineage from batch scoring: which model version (and input asset) produced this
 * asset, and which assets were scored from it. Hidden for those who may not read the project's
 * models (the route answers 404).
 */
export function BatchScoreLineage({ projectId, assetId }: { projectId: string; assetId: string }) {
  const { data, error } = useQuery({
    queryKey: queryKeys.projectBatchScores(projectId, { assetId }),
    queryFn: () => apiClient("listBatchScores", { params: { id: projectId }, query: { assetId } }),
    retry: false,
  });
  if (error || !data) return null;
  const producedBy = data.batchScores.filter((run) => run.output.assetId === assetId);
  const scoredInto = data.batchScores.filter(
    (run) => run.input.assetId === assetId && run.state === "succeeded" && run.output.assetId,
  );
  if (producedBy.length === 0 && scoredInto.length === 0) return null;
  return (
    <div>
      <h3 className="text-sm font-semibold text-slate-700">Batch scoring</h3>
      <ul className="mt-1 space-y-1 text-sm">
        {producedBy.map((run) => (
          <li key={run.id}>
            Scored by{" "}
            <Link href={`/projects/${projectId}?tab=models`} className="text-brand-700 hover:underline">
              {run.modelName} v{run.scoredVersion}
            </Link>{" "}
            from{" "}
            {run.input.name ? (
              <Link href={`/catalog/assets/${run.input.assetId}`} className="text-brand-700 hover:underline">
                {run.input.name}
              </Link>
            ) : (
              "a deleted asset"
            )}
          </li>
        ))}
        {scoredInto.map((run) => (
          <li key={run.id}>
            Scored into{" "}
            <Link href={`/catalog/assets/${run.output.assetId}`} className="text-brand-700 hover:underline">
              {run.output.name}
            </Link>{" "}
            by {run.modelName} v{run.scoredVersion}
          </li>
        ))}
      </ul>
    </div>
  );
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient, type TResponse } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TModel = TResponse<"listRegisteredModels">["models"][number];

/** A deployment's state as a small badge. */
export function StateBadge({ state }: { state: string }) {
  const tone =
    state === "running"
      ? "bg-green-100 text-green-800"
      : state === "failed"
        ? "bg-red-100 text-red-800"
        : "bg-amber-100 text-amber-800";
  return <span className={`rounded px-2 py-0.5 text-xs ${tone}`}>{state}</span>;
}

/** The Deploy form of one registered model: a name and what to serve (an alias or a version). */
function DeployForm({
  projectId,
  model,
  onCancel,
}: {
  projectId: string;
  model: TModel;
  onCancel: () => void;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const targets = [
    ...Object.keys(model.aliases).map((alias) => ({
      value: `alias:${alias}`,
      label: `@${alias} (v${model.aliases[alias]})`,
    })),
    ...model.versions.map((version) => ({
      value: `version:${version.version}`,
      label: `version ${version.version}`,
    })),
  ];
  const deploying = useMutation({
    mutationFn: (input: { name: string; target: string }) => {
      const [kind, value] = input.target.split(":") as ["alias" | "version", string];
      return apiClient("createDeployment", {
        params: { id: projectId },
        body: {
          name: input.name,
          modelName: model.name,
          ...(kind === "alias" ? { alias: value } : { version: value }),
        },
      });
    },
    onSuccess: (deployment) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.projectDeployments(projectId) });
      router.push(`/projects/${projectId}/deployments/${deployment.name}`);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    deploying.mutate({ name: String(form.get("name")), target: String(form.get("target")) });
  };
  const suggested = `${model.name
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, "-")
    .replaceAll(/^-|-$/g, "")}-api`;
  return (
    <form
      onSubmit={submit}
      aria-label={`Deploy ${model.name}`}
      className="mt-3 space-y-3 border-t border-slate-200 pt-3"
    >
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Deployment name</span>
        <input
          name="name"
          defaultValue={suggested}
          required
          pattern="[a-z0-9][a-z0-9-]*[a-z0-9]"
          maxLength={63}
          className="input"
        />
        <span className="mt-1 block text-xs text-slate-500">
          Part of the URL applications call: lowercase letters, digits and dashes.
        </span>
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Serve</span>
        <select name="target" className="input" defaultValue={targets[0]?.value}>
          {targets.map((target) => (
            <option key={target.value} value={target.value}>
              {target.label}
            </option>
          ))}
        </select>
        <span className="mt-1 block text-xs text-slate-500">
          An alias is followed: moving it to another version swaps the deployment without dropping a request.
        </span>
      </label>
      <FormMessages error={deploying.error?.message} status={deploying.isPending ? "Deploying…" : null} />
      <div className="flex gap-2">
        <button type="submit" className="btn-primary" disabled={deploying.isPending}>
          Deploy
        </button>
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A project's deployments, and its registered models with a Deploy button each. */
export function DeploymentsOverview({ projectId, mayManage }: { projectId: string; mayManage: boolean }) {
  const [deployingModel, setDeployingModel] = useState<string | null>(null);
  const deployments = useQuery({
    queryKey: queryKeys.projectDeployments(projectId),
    queryFn: () => apiClient("listDeployments", { params: { id: projectId } }),
  });
  const models = useQuery({
    queryKey: queryKeys.projectRegisteredModels(projectId),
    queryFn: () => apiClient("listRegisteredModels", { params: { id: projectId } }),
  });
  return (
    <div className="space-y-8">
      <section aria-label="Deployments">
        <h2 className="mb-2 text-lg font-semibold">Deployments</h2>
        <FormMessages error={deployments.error?.message} />
        {deployments.data?.deployments.length === 0 && (
          <p className="text-sm text-slate-600">Nothing is deployed yet: deploy a registered model below.</p>
        )}
        <ul className="space-y-2">
          {deployments.data?.deployments.map((deployment) => (
            <li key={deployment.id} className="card flex items-center justify-between p-3">
              <div>
                <Link
                  href={`/projects/${projectId}/deployments/${deployment.name}`}
                  className="font-medium hover:underline"
                >
                  {deployment.name}
                </Link>
                <p className="text-sm text-slate-600">
                  {deployment.modelName}{" "}
                  {deployment.modelAlias ? `@${deployment.modelAlias}` : `version ${deployment.modelVersion}`}
                  {deployment.servedVersion ? ` · serving v${deployment.servedVersion}` : ""}
                </p>
              </div>
              <StateBadge state={deployment.state} />
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Registered models">
        <h2 className="mb-2 text-lg font-semibold">Registered models</h2>
        <FormMessages error={models.error?.message} />
        {models.data?.models.length === 0 && (
          <p className="text-sm text-slate-600">
            No registered models yet. In a notebook, log one with <code>registered_model_name=</code> (e.g.{" "}
            <code>
              mlflow.sklearn.log_model(model, name=&quot;model&quot;,
              registered_model_name=&quot;segments&quot;)
            </code>
            ).
          </p>
        )}
        <ul className="space-y-2">
          {models.data?.models.map((model) => (
            <li key={model.name} className="card p-3" aria-label={`Model ${model.name}`}>
              <div className="flex items-center justify-between">
                <div>
                  <p className="font-medium">{model.name}</p>
                  <p className="text-sm text-slate-600">
                    {model.versions.length} version{model.versions.length === 1 ? "" : "s"}
                    {Object.entries(model.aliases).map(([alias, version]) => ` · @${alias} → v${version}`)}
                  </p>
                </div>
                {mayManage && deployingModel !== model.name && (
                  <button type="button" className="btn-primary" onClick={() => setDeployingModel(model.name)}>
                    Deploy
                  </button>
                )}
              </div>
              {deployingModel === model.name && (
                <DeployForm projectId={projectId} model={model} onCancel={() => setDeployingModel(null)} />
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

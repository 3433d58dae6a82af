"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { FormMessages } from "@/components/ui/form-messages";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { StateBadge } from "./deployments-overview";
import { curlSnippet, examplePayload, pythonSnippet } from "./snippets";

/** One deployment: what it serves, its keys (created and revoked here) and how to call it. */
export function DeploymentDetail({
  projectId,
  name,
  mayManage,
}: {
  projectId: string;
  name: string;
  mayManage: boolean;
}) {
  const queryClient = useQueryClient();
  const key = queryKeys.deployment(projectId, name);
  const { data: deployment, error } = useQuery({
    queryKey: key,
    queryFn: () => apiClient("getDeployment", { params: { id: projectId, name } }),
    // While the model loads, the page follows its state.
    refetchInterval: (query) => (query.state.data?.state === "starting" ? 1000 : false),
  });
  const [secret, setSecret] = useState<string | null>(null);
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  const creating = useMutation({
    mutationFn: (keyName: string) =>
      apiClient("createDeploymentKey", { params: { id: projectId, name }, body: { name: keyName } }),
    onSuccess: (created) => {
      setSecret(created.secret);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const revoking = useMutation({
    mutationFn: (keyId: string) =>
      apiClient("revokeDeploymentKey", { params: { id: projectId, name, keyId } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
  const submitKey = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    creating.mutate(String(form.get("keyName")));
    event.currentTarget.reset();
  };
  if (error)
    return (
      <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
        {error.message}
      </p>
    );
  if (!deployment) return <p className="text-slate-500">Loading…</p>;
  const url = `${origin}${deployment.predictPath}`;
  const payload = examplePayload(deployment.inputColumns);
  const shownKey = secret ?? "YOUR_DEPLOYMENT_KEY";
  return (
    <div className="space-y-6">
      <section aria-label="Status" className="card space-y-1 p-4">
        <div className="flex items-center gap-2">
          <span className="font-medium">State</span>
          <StateBadge state={deployment.state} />
        </div>
        <p className="text-sm text-slate-600">
          Model <strong>{deployment.modelName}</strong>,{" "}
          {deployment.modelAlias
            ? `following the alias @${deployment.modelAlias}`
            : `version ${deployment.modelVersion}`}
          {deployment.servedVersion ? `; serving version ${deployment.servedVersion}` : ""}.
        </p>
        {deployment.state === "starting" && <p className="text-sm text-slate-600">Loading the model…</p>}
        {deployment.error && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {deployment.error}
          </p>
        )}
        {deployment.inputColumns && (
          <p className="text-sm text-slate-600">
            Input columns:{" "}
            {deployment.inputColumns.map((column) => `${column.name} (${column.type})`).join(", ")}
          </p>
        )}
      </section>

      <section aria-label="Keys" className="card space-y-3 p-4">
        <h2 className="text-lg font-semibold">Keys</h2>
        <p className="text-sm text-slate-600">
          Applications send a key as <code>Authorization: Bearer …</code>. A key is shown once, when it is
          created; revoking it refuses its calls at once.
        </p>
        {secret && (
          <div role="status" className="rounded-md bg-green-50 p-3 text-sm">
            <p className="font-medium">Copy this key now: it will not be shown again.</p>
            <code data-testid="new-key" className="mt-1 block break-all">
              {secret}
            </code>
          </div>
        )}
        <ul className="divide-y divide-slate-200">
          {deployment.keys.map((entry) => (
            <li key={entry.id} className="flex items-center justify-between py-2 text-sm">
              <span>
                <strong>{entry.name}</strong> <code className="text-slate-500">{entry.prefix}…</code>
                <span className="ml-2 text-slate-500">
                  {entry.lastUsedAt
                    ? `last used ${new Date(entry.lastUsedAt).toLocaleString()}`
                    : "never used"}
                </span>
              </span>
              {mayManage && (
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Revoke ${entry.name}`}
                  onClick={() => revoking.mutate(entry.id)}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
        {mayManage && (
          <form onSubmit={submitKey} aria-label="Create a key" className="flex items-end gap-2">
            <label className="block flex-1 text-sm">
              <span className="mb-1 block font-medium">Key name</span>
              <input
                name="keyName"
                required
                maxLength={100}
                placeholder="e.g. coupon app"
                className="input"
              />
            </label>
            <button type="submit" className="btn-primary" disabled={creating.isPending}>
              Create key
            </button>
          </form>
        )}
        <FormMessages error={creating.error?.message ?? revoking.error?.message} />
      </section>

      <section aria-label="Call it" className="card space-y-3 p-4">
        <h2 className="text-lg font-semibold">Call it</h2>
        <p className="text-sm text-slate-600">
          Send rows (<code>{'{"rows": [{...}]}'}</code>) or columns (
          <code>{'{"columns": {"name": [...]}}'}</code>); the answer is{" "}
          <code>{'{"predictions": [...]}'}</code>, one per row. A row that does not fit the model&apos;s input
          gets a 400 naming the column.
        </p>
        <h3 className="text-sm font-medium">curl</h3>
        <pre
          data-testid="curl-snippet"
          className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100"
        >
          {curlSnippet(url, shownKey, payload)}
        </pre>
        <h3 className="text-sm font-medium">Python</h3>
        <pre
          data-testid="python-snippet"
          className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100"
        >
          {pythonSnippet(url, shownKey, payload)}
        </pre>
      </section>
    </div>
  );
}

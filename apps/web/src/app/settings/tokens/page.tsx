"use client";
import { TOKEN_SCOPES, type TTokenScope } from "@flint/api/contract";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { AppShell } from "@/components/app-shell";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

type TScope = TTokenScope;

/** What each scope allows (docs/security-model.md); each includes the ones above it. */
const SCOPES: { value: TScope; label: string }[] = [
  { value: "read", label: "read: read notebooks, charts and the catalog" },
  { value: "run", label: "run: also run cells" },
  { value: "write", label: "write: also edit and create notebooks, charts, catalog entries, projects" },
  { value: "admin", label: "admin: also manage projects (members, publishing), the site and tokens" },
];

const EXPIRIES: { value: string; label: string }[] = [
  { value: "7", label: "in 7 days" },
  { value: "30", label: "in 30 days" },
  { value: "90", label: "in 90 days" },
  { value: "365", label: "in a year" },
  { value: "never", label: "never" },
];

function describeExpiry(expiresAt: string | null): string {
  if (!expiresAt) return "does not expire";
  const at = new Date(expiresAt);
  return at.getTime() <= Date.now()
    ? `expired ${at.toLocaleDateString()}`
    : `expires ${at.toLocaleDateString()}`;
}

export default function TokensPage() {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.tokens(),
    queryFn: () => apiClient("listTokens"),
  });
  const tokens = data?.tokens ?? [];
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => queryClient.invalidateQueries({ queryKey: queryKeys.tokens() });
  // A form action, not onSubmit: React queues a submit made before the page hydrated and runs it
  // once hydrated (the form is server-rendered, so a person can type and send it at once). React
  // clears the form when the action is done.
  const create = async (form: FormData) => {
    setError(null);
    try {
      const body = await apiClient("createToken", {
        body: {
          name: String(form.get("name") ?? ""),
          scope: TOKEN_SCOPES.find((scope) => scope === form.get("scope")) ?? "read",
          expiresInDays: form.get("expires") === "never" ? null : Number(form.get("expires") ?? "90"),
        },
      });
      setSecret(body.secret);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (id: string) => {
    await apiClient("revokeToken", { params: { id } });
    await load();
  };
  return (
    <AppShell>
      <h1 className="mb-2 text-2xl font-semibold">Personal access tokens</h1>
      <p className="mb-6 text-slate-600">
        Use a token as <code className="rounded bg-slate-100 px-1">Authorization: Bearer &lt;token&gt;</code>{" "}
        on any /api/v1 route. It can do what its scope allows, within your role in each project.
      </p>
      <form action={create} className="card mb-6 flex flex-wrap items-end gap-2 p-4" aria-label="New token">
        <label className="block min-w-48 flex-1 text-sm">
          <span className="mb-1 block font-medium">Token name</span>
          <input name="name" required maxLength={100} className="input" placeholder="e.g. CI pipeline" />
        </label>
        {/* Least privilege by default: a new token reads only unless its maker picks more. */}
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Scope</span>
          <select name="scope" defaultValue="read" className="input">
            {SCOPES.map((scope) => (
              <option key={scope.value} value={scope.value}>
                {scope.label}
              </option>
            ))}
          </select>
        </label>
        <label className="block text-sm">
          <span className="mb-1 block font-medium">Expires</span>
          <select name="expires" defaultValue="90" className="input">
            {EXPIRIES.map((expiry) => (
              <option key={expiry.value} value={expiry.value}>
                {expiry.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn-primary">
          Create token
        </button>
      </form>
      {error && (
        <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {secret && (
        <div className="card mb-6 border-green-300 bg-green-50 p-4" role="status">
          <p className="text-sm font-medium">Copy this token now: it will not be shown again.</p>
          <code data-testid="new-token" className="mt-2 block break-all rounded bg-white p-2 text-sm">
            {secret}
          </code>
        </div>
      )}
      <ul className="card divide-y divide-slate-200">
        {tokens.length === 0 && <li className="p-4 text-sm text-slate-500">No tokens.</li>}
        {tokens.map((token) => (
          <li key={token.id} className="flex items-center justify-between p-4">
            <div>
              <p className="font-medium">{token.name}</p>
              <p className="text-xs text-slate-500">
                {token.prefix}… · scope {token.scope} · {describeExpiry(token.expiresAt)} · created{" "}
                {new Date(token.createdAt).toLocaleDateString()} ·{" "}
                {token.lastUsedAt ? `last used ${new Date(token.lastUsedAt).toLocaleString()}` : "never used"}
              </p>
            </div>
            <button
              type="button"
              className="btn-secondary"
              onClick={() => revoke(token.id)}
              aria-label={`Revoke ${token.name}`}
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </AppShell>
  );
}

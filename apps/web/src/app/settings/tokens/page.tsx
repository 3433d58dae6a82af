"use client";
import { useEffect, useState } from "react";
import { AppShell } from "@/components/app-shell";
import { type ApiError, apiFetch } from "@/lib/api";

interface TToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export default function TokensPage() {
  const [tokens, setTokens] = useState<TToken[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => apiFetch<{ tokens: TToken[] }>("/api/v1/tokens").then((body) => setTokens(body.tokens));
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on mount; load only sets state.
  useEffect(() => {
    void load();
  }, []);
  // A form action, not onSubmit: React queues a submit made before the page hydrated and runs it
  // once hydrated (the form is server-rendered, so a person can type and send it at once). React
  // clears the form when the action is done.
  const create = async (form: FormData) => {
    setError(null);
    try {
      const body = await apiFetch<{ secret: string }>("/api/v1/tokens", {
        method: "POST",
        json: { name: String(form.get("name") ?? "") },
      });
      setSecret(body.secret);
      await load();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const revoke = async (id: string) => {
    await apiFetch(`/api/v1/tokens/${id}`, { method: "DELETE" });
    await load();
  };
  return (
    <AppShell>
      <h1 className="mb-2 text-2xl font-semibold">Personal access tokens</h1>
      <p className="mb-6 text-slate-600">
        Use a token as <code className="rounded bg-slate-100 px-1">Authorization: Bearer &lt;token&gt;</code>{" "}
        on any /api/v1 route.
      </p>
      <form action={create} className="card mb-6 flex items-end gap-2 p-4" aria-label="New token">
        <label className="block flex-1 text-sm">
          <span className="mb-1 block font-medium">Token name</span>
          <input name="name" required maxLength={100} className="input" placeholder="e.g. CI pipeline" />
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
                {token.prefix}… · created {new Date(token.createdAt).toLocaleDateString()} ·{" "}
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

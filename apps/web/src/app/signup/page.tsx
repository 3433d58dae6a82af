"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useEffect, useState } from "react";
import { type ApiError, apiFetch } from "@/lib/api";
import { authClient, safeNextPath } from "@/lib/auth-client";

/** What `GET /api/v1/signup` says: the mode in force (FLINT_SIGNUP) and the link's invitation. */
interface TSignUpStatus {
  mode: "open" | "invite" | "closed";
  invitation: { email: string; expiresAt: string } | null;
  problem: { reason: string; message: string } | null;
}

function SignupForm() {
  const params = useSearchParams();
  const inviteToken = params.get("invite") ?? "";
  const [status, setStatus] = useState<TSignUpStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  useEffect(() => {
    apiFetch<TSignUpStatus>(
      `/api/v1/signup${inviteToken ? `?invite=${encodeURIComponent(inviteToken)}` : ""}`,
    ).then(setStatus, (err: ApiError) => setError(err.message));
  }, [inviteToken]);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    // The server decides (better-auth hooks, FLINT_SIGNUP); this page only explains the mode.
    const result = await authClient.signUp.email({
      name: String(form.get("name")),
      email: String(form.get("email")),
      password: String(form.get("password")),
      ...(status?.invitation ? { inviteToken } : {}),
    });
    setBusy(false);
    if (result.error) {
      setError(result.error.message ?? "Could not create the account.");
      return;
    }
    window.location.assign(safeNextPath(params.get("next")));
  };
  const canSignUp =
    status !== null && status.mode !== "closed" && (status.mode === "open" || status.invitation);
  return (
    <div className="card space-y-4 p-6">
      <h1 className="text-xl font-semibold">Create your Flint account</h1>
      {status === null && !error && <p className="text-sm text-slate-500">Loading…</p>}
      {status && !canSignUp && status.problem && (
        <p
          role="status"
          data-testid="signup-mode"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {status.problem.message}
        </p>
      )}
      {status?.invitation && (
        <p
          role="status"
          data-testid="signup-mode"
          className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700"
        >
          {status.mode === "invite" ? "Sign-up on this Flint is by invitation. " : ""}
          You were invited as <strong>{status.invitation.email}</strong>; the invitation is valid until{" "}
          {new Date(status.invitation.expiresAt).toLocaleString()}.
        </p>
      )}
      {status?.mode === "open" && !status.invitation && (
        <p data-testid="signup-mode" className="text-sm text-slate-600">
          {status.problem
            ? `${status.problem.message} Sign-up is open here, so you can create an account without it.`
            : "Anyone can create an account on this Flint."}
        </p>
      )}
      {canSignUp && (
        <form onSubmit={submit} className="space-y-4" aria-label="Create account">
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Name</span>
            <input name="name" autoComplete="name" required maxLength={100} className="input" />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Email</span>
            {/* An invitation is for one address: the server refuses any other. */}
            <input
              name="email"
              type="email"
              autoComplete="email"
              required
              className="input read-only:bg-slate-100"
              defaultValue={status?.invitation?.email}
              readOnly={Boolean(status?.invitation)}
            />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Password</span>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              className="input"
            />
            <span className="mt-1 block text-xs text-slate-500">At least 8 characters.</span>
          </label>
          {error && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
              {error}
            </p>
          )}
          <button type="submit" className="btn-primary w-full justify-center" disabled={isBusy}>
            {isBusy ? "Creating…" : "Create account"}
          </button>
        </form>
      )}
      {!canSignUp && error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      <p className="text-sm text-slate-600">
        Have an account?{" "}
        <Link className="text-brand-700 underline" href="/login">
          Sign in
        </Link>
      </p>
    </div>
  );
}

export default function SignupPage() {
  return (
    <main className="mx-auto mt-24 max-w-sm px-4">
      <Suspense>
        <SignupForm />
      </Suspense>
    </main>
  );
}

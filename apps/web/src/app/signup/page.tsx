"use client";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@flint/api/password-rules";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { apiClient } from "@/lib/api";
import { sendAuthForm, useAuthFormError } from "@/lib/auth-form";
import { queryKeys } from "@/lib/query-keys";

function SignupForm() {
  const params = useSearchParams();
  const next = params.get("next") ?? "";
  const inviteToken = params.get("invite") ?? "";
  const [error, setError] = useAuthFormError();
  const [isBusy, setBusy] = useState(false);
  // The mode only explains; the server decides (better-auth hooks, FLINT_SIGNUP). The form is
  // there from the first paint either way, so a form sent before hydration still works.
  const { data } = useQuery({
    queryKey: queryKeys.signUpStatus(inviteToken || null),
    queryFn: () => apiClient("getSignUpStatus", { query: inviteToken ? { invite: inviteToken } : {} }),
  });
  const status = data ?? null;
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const refusal = await sendAuthForm(event.currentTarget);
    if (refusal) {
      setError(refusal);
      setBusy(false);
    }
  };
  const invitation = status?.invitation ?? null;
  // Until the mode is known (before hydration too) the form is there; once the server says
  // sign-up is closed or needs an invitation this link does not carry, only the why is left.
  const canSignUp = status === null || status.mode === "open" || invitation !== null;
  return (
    // A real POST form, like the sign-in page's: it works before hydration and never puts the
    // password in a URL.
    <form
      method="post"
      action="/api/forms/sign-up"
      onSubmit={submit}
      className="card space-y-4 p-6"
      aria-label="Create account"
    >
      <h1 className="text-xl font-semibold">Create your Flint account</h1>
      {status && !invitation && status.problem && (
        <p
          role="status"
          data-testid="signup-mode"
          className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          {status.problem.message}
          {status.mode === "open" ? " Sign-up is open here, so you can create an account without it." : ""}
        </p>
      )}
      {invitation && (
        <p
          role="status"
          data-testid="signup-mode"
          className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700"
        >
          {status?.mode === "invite" ? "Sign-up on this Flint is by invitation. " : ""}
          You were invited as <strong>{invitation.email}</strong>; the invitation is valid until{" "}
          {new Date(invitation.expiresAt).toLocaleString()}.
        </p>
      )}
      {status?.mode === "open" && !invitation && !status.problem && (
        <p data-testid="signup-mode" className="text-sm text-slate-600">
          Anyone can create an account on this Flint.
        </p>
      )}
      <input type="hidden" name="next" value={next} />
      <input type="hidden" name="inviteToken" value={inviteToken} />
      {canSignUp && (
        <>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Name</span>
            <input name="name" autoComplete="name" required maxLength={100} className="input" />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Email</span>
            {/* An invitation is for one address: the server refuses any other. */}
            <input
              key={invitation ? "invited" : "open"}
              name="email"
              type="email"
              autoComplete="email"
              required
              maxLength={320}
              className="input read-only:bg-slate-100"
              defaultValue={invitation?.email}
              readOnly={Boolean(invitation)}
            />
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Password</span>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={MIN_PASSWORD_LENGTH}
              maxLength={MAX_PASSWORD_LENGTH}
              className="input"
            />
            <span className="mt-1 block text-xs text-slate-500">
              At least {MIN_PASSWORD_LENGTH} characters, and not a common or leaked password.
            </span>
          </label>
          {error && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
              {error}
            </p>
          )}
          <button type="submit" className="btn-primary w-full justify-center" disabled={isBusy}>
            {isBusy ? "Creating…" : "Create account"}
          </button>
        </>
      )}
      <p className="text-sm text-slate-600">
        Have an account?{" "}
        <Link
          className="text-brand-700 underline"
          href={`/login${next ? `?next=${encodeURIComponent(next)}` : ""}`}
        >
          Sign in
        </Link>
      </p>
    </form>
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

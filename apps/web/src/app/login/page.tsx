"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { sendAuthForm, useAuthFormError } from "@/lib/auth-form";

function LoginForm() {
  const params = useSearchParams();
  const next = params.get("next") ?? "";
  const [error, setError] = useAuthFormError();
  const [isBusy, setBusy] = useState(false);
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
  return (
    // A real POST form: sent before the page hydrates, it still signs in (never a GET that would
    // put the password in the URL); hydrated, `submit` sends the same fields and stays on error.
    <form
      method="post"
      action="/api/forms/sign-in"
      onSubmit={submit}
      className="card space-y-4 p-6"
      aria-label="Sign in"
    >
      <h1 className="text-xl font-semibold">Sign in to Flint</h1>
      <input type="hidden" name="next" value={next} />
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Email</span>
        <input name="email" type="email" autoComplete="email" required maxLength={320} className="input" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Password</span>
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={256}
          className="input"
        />
      </label>
      {error && (
        <p
          role="alert"
          data-testid="form-error"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700"
        >
          {error}
        </p>
      )}
      <button type="submit" className="btn-primary w-full justify-center" disabled={isBusy}>
        {isBusy ? "Signing in…" : "Sign in"}
      </button>
      <p className="text-sm text-slate-600">
        New here?{" "}
        <Link
          className="text-brand-700 underline"
          href={`/signup${next ? `?next=${encodeURIComponent(next)}` : ""}`}
        >
          Create an account
        </Link>
      </p>
    </form>
  );
}

export default function LoginPage() {
  return (
    <main className="mx-auto mt-24 max-w-sm px-4">
      <Suspense>
        <LoginForm />
      </Suspense>
    </main>
  );
}

"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { authClient, safeNextPath } from "@/lib/auth-client";

function LoginForm() {
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await authClient.signIn.email({
      email: String(form.get("email")),
      password: String(form.get("password")),
    });
    setBusy(false);
    if (result.error) {
      // One message for an unknown email and a wrong password: nobody learns which accounts exist.
      setError(
        result.error.status === 429
          ? "Too many attempts; wait a minute and try again."
          : "Wrong email or password.",
      );
      return;
    }
    window.location.assign(safeNextPath(params.get("next")));
  };
  return (
    <form onSubmit={submit} className="card space-y-4 p-6" aria-label="Sign in">
      <h1 className="text-xl font-semibold">Sign in to Flint</h1>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Email</span>
        <input name="email" type="email" autoComplete="email" required className="input" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className="input" />
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
          href={`/signup${params.get("next") ? `?next=${encodeURIComponent(params.get("next") ?? "")}` : ""}`}
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

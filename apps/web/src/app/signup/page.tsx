"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { authClient, safeNextPath } from "@/lib/auth-client";

function SignupForm() {
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const result = await authClient.signUp.email({
      name: String(form.get("name")),
      email: String(form.get("email")),
      password: String(form.get("password")),
    });
    setBusy(false);
    if (result.error) {
      setError(result.error.message ?? "Could not create the account.");
      return;
    }
    window.location.assign(safeNextPath(params.get("next")));
  };
  return (
    <form onSubmit={submit} className="card space-y-4 p-6" aria-label="Create account">
      <h1 className="text-xl font-semibold">Create your Flint account</h1>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Name</span>
        <input name="name" autoComplete="name" required maxLength={100} className="input" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Email</span>
        <input name="email" type="email" autoComplete="email" required className="input" />
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
      <p className="text-sm text-slate-600">
        Have an account?{" "}
        <Link className="text-brand-700 underline" href="/login">
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

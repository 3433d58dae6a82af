"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useState } from "react";
import { sendAuthForm, useAuthFormError } from "@/lib/auth-form";

function SignupForm() {
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
      <input type="hidden" name="next" value={next} />
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Name</span>
        <input name="name" autoComplete="name" required maxLength={100} className="input" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Email</span>
        <input name="email" type="email" autoComplete="email" required maxLength={320} className="input" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Password</span>
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={256}
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

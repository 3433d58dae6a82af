import Link from "next/link";
import { AppShell } from "@/components/app-shell";

/** Any address Flint has no page for: say so inside the app, with the ways back. */
export default function NotFound() {
  return (
    <AppShell>
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-slate-600">
        Flint has no page at this address. It may have been mistyped, or the link is out of date.
      </p>
      <p className="mt-4 flex gap-4 text-sm">
        <Link href="/" className="text-brand-600 hover:underline">
          Your projects
        </Link>
        <Link href="/catalog" className="text-brand-600 hover:underline">
          Data catalog
        </Link>
        <Link href="/community" className="text-brand-600 hover:underline">
          Community
        </Link>
      </p>
    </AppShell>
  );
}

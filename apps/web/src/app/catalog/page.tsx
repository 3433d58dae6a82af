import { AppShell } from "@/components/app-shell";

export default function Page() {
  return (
    <AppShell>
      <h1 className="text-2xl font-semibold">Data catalog</h1>
      <div className="card mt-6 p-10 text-center text-slate-600">
        Search and register datasets that Spark can read. The catalog is not part of this build yet.
      </div>
    </AppShell>
  );
}

// A job run's status as a small badge, and its duration as text.
"use client";

const LOOK: Record<string, { label: string; className: string }> = {
  queued: { label: "queued", className: "bg-slate-100 text-slate-700" },
  running: { label: "running", className: "bg-blue-100 text-blue-800" },
  succeeded: { label: "succeeded", className: "bg-green-100 text-green-800" },
  failed: { label: "failed", className: "bg-red-100 text-red-800" },
  timed_out: { label: "timed out", className: "bg-amber-100 text-amber-800" },
};

export function RunStatus({ status }: { status: string }) {
  const look = LOOK[status] ?? { label: status, className: "bg-slate-100 text-slate-700" };
  return <span className={`rounded px-2 py-0.5 text-xs ${look.className}`}>{look.label}</span>;
}

/** "4.2 s", "3 min 5 s", or "—" while unknown. */
export function formatRunDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

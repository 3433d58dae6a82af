"use client";
import { useEffect, useState } from "react";
import { apiFetch } from "@/lib/api";

/**
 * A chart's live thumbnail. Until the Vega renderer (packages/charts) is wired in, it shows the
 * chart's mark and field names, never an empty box.
 */
export function ChartThumbnail({ chartId }: { chartId: string }) {
  const [spec, setSpec] = useState<Record<string, unknown> | null>(null);
  useEffect(() => {
    apiFetch<{ spec: Record<string, unknown> }>(`/api/v1/charts/${chartId}`).then(
      (chart) => setSpec(chart.spec),
      () => setSpec(null),
    );
  }, [chartId]);
  if (!spec) return <div className="h-full animate-pulse rounded bg-slate-100" />;
  const mark =
    typeof spec.mark === "string"
      ? spec.mark
      : ((spec.mark as { type?: string } | undefined)?.type ?? "chart");
  const fields = Object.values((spec.encoding ?? {}) as Record<string, { field?: string }>)
    .map((channel) => channel.field)
    .filter(Boolean);
  return (
    <div className="flex h-full flex-col items-center justify-center rounded bg-slate-50 text-sm text-slate-500">
      <span className="font-medium">{mark}</span>
      <span>{fields.join(" · ")}</span>
    </div>
  );
}

"use client";
import { useEffect, useState } from "react";
import { ChartView } from "@/components/charts/chart-view";
import { apiFetch } from "@/lib/api";

/** A chart's live thumbnail: the real chart, whole, scaled down to the card, without its action menu. */
export function ChartThumbnail({ chartId }: { chartId: string }) {
  const [spec, setSpec] = useState<Record<string, unknown> | null>(null);
  useEffect(() => {
    apiFetch<{ spec: Record<string, unknown> }>(`/api/v1/charts/${chartId}`).then(
      (chart) => setSpec(chart.spec),
      () => setSpec(null),
    );
  }, [chartId]);
  if (!spec) return <div className="h-full animate-pulse rounded bg-slate-100" />;
  return (
    <div className="pointer-events-none h-full overflow-hidden">
      <ChartView spec={spec} actions={false} fit />
    </div>
  );
}

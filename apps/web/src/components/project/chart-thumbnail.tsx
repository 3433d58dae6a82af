"use client";
import { useQuery } from "@tanstack/react-query";
import { ChartView } from "@/components/charts/chart-view";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/** A chart's live thumbnail: the real chart, whole, scaled down to the card, without its action menu. */
export function ChartThumbnail({ chartId }: { chartId: string }) {
  const { data } = useQuery({
    queryKey: queryKeys.chart(chartId),
    queryFn: () => apiClient("getChart", { params: { id: chartId } }),
  });
  const spec = data?.spec;
  if (!spec) return <div className="h-full animate-pulse rounded bg-slate-100" />;
  return (
    <div className="pointer-events-none h-full overflow-hidden">
      <ChartView spec={spec} actions={false} fit />
    </div>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ChartView } from "@/components/charts/chart-view";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

/** A published chart alone on a page, for embedding read-only elsewhere. */
export default function EmbeddedChartPage() {
  const { chartId } = useParams<{ chartId: string }>();
  const { data, error } = useQuery({
    queryKey: queryKeys.chart(chartId),
    queryFn: () => apiClient("getChart", { params: { id: chartId } }),
  });
  return (
    <main className="p-2">
      {error ? (
        <p role="alert">{error.status === 401 ? "This chart is not published." : error.message}</p>
      ) : data ? (
        <ChartView spec={data.spec} />
      ) : null}
    </main>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { AppShell } from "@/components/app-shell";
import { ChartView } from "@/components/charts/chart-view";
import { StarButton } from "@/components/community/star-button";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";

export default function PublishedChartPage() {
  const { chartId } = useParams<{ chartId: string }>();
  const { data: chart, error: failure } = useQuery({
    queryKey: queryKeys.chart(chartId),
    queryFn: () => apiClient("getChart", { params: { id: chartId } }),
  });
  const error = failure && (failure.status === 401 ? "This chart is not published." : failure.message);
  return (
    <AppShell>
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {chart && (
        <>
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold">{chart.title}</h1>
            <StarButton type="chart" id={chartId} />
          </div>
          <p className="mt-1 text-sm text-slate-600">by {chart.author}</p>
          <div className="card mt-4 p-4">
            <ChartView spec={chart.spec} />
          </div>
        </>
      )}
    </AppShell>
  );
}

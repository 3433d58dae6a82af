"use client";
import { useQueries } from "@tanstack/react-query";
import { ChartView } from "@/components/charts/chart-view";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import type { TRun } from "./format";
import { buildMetricSpec } from "./metric-spec";

/** The chart of `metric` for `runs`, reading each run's metric history. */
export function MetricChart({
  projectId,
  runs,
  metric,
}: {
  projectId: string;
  runs: TRun[];
  metric: string;
}) {
  const histories = useQueries({
    queries: runs.map((run) => ({
      queryKey: queryKeys.runMetricHistory(projectId, run.runId),
      queryFn: () => apiClient("getRunMetricHistory", { params: { id: projectId, runId: run.runId } }),
    })),
  });
  const failed = histories.find((history) => history.error);
  if (failed?.error)
    return (
      <p role="alert" className="text-sm text-red-700">
        {failed.error.message}
      </p>
    );
  if (histories.some((history) => !history.data))
    return <p className="text-sm text-slate-500">Loading the metric history…</p>;
  const series = runs.map((run, index) => ({
    runName: run.runName,
    points: (histories[index]?.data?.metrics ?? [])
      .filter((point) => point.key === metric)
      .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp),
  }));
  return (
    <figure aria-label={`Chart of ${metric}`}>
      <ChartView spec={buildMetricSpec(metric, series)} />
    </figure>
  );
}

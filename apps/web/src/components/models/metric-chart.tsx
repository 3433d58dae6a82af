"use client";
import { useQueries } from "@tanstack/react-query";
import { ChartView } from "@/components/charts/chart-view";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import type { TRun } from "./format";

/**
 * One metric of one or more runs by step, drawn with Flint's Vega-Lite renderer (the same
 * CSP-safe renderer as notebook outputs and saved charts). The values are inline: the spec loads
 * nothing, so it reads none of the viewer's data beyond what it was given.
 */
export function buildMetricSpec(
  metric: string,
  series: { runName: string; points: { step: number; value: number }[] }[],
): Record<string, unknown> {
  const values = series.flatMap((entry) =>
    entry.points.map((point) => ({ run: entry.runName, step: point.step, value: point.value })),
  );
  const isSinglePoint = series.every((entry) => entry.points.length <= 1);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `${metric} by step`,
    width: "container",
    height: 220,
    data: { values },
    // A metric logged once per run is a bar per run; a history is a line per run.
    mark: isSinglePoint ? { type: "bar", tooltip: true } : { type: "line", point: true, tooltip: true },
    encoding: isSinglePoint
      ? {
          x: { field: "run", type: "nominal", title: "run" },
          y: { field: "value", type: "quantitative", title: metric },
          color: { field: "run", type: "nominal", legend: null },
        }
      : {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "value", type: "quantitative", title: metric, scale: { zero: false } },
          color: { field: "run", type: "nominal", title: "run" },
        },
  };
}

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

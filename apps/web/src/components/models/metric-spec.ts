// The Vega-Lite spec of the Models tab's metric chart (pure, tested in metric-spec.test.ts).

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

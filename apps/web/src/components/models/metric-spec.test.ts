import { describe, expect, it } from "vitest";
import { formatDuration, formatMetric, keyColumns } from "./format";
import { buildMetricSpec } from "./metric-spec";

describe("the metric chart's spec", () => {
  it("draws a line per run by step for histories, with the values inline and no URL to load", () => {
    const spec = buildMetricSpec("accuracy", [
      {
        runName: "a",
        points: [
          { step: 0, value: 0.5 },
          { step: 1, value: 0.7 },
        ],
      },
      { runName: "b", points: [{ step: 0, value: 0.6 }] },
    ]);
    expect(spec.mark).toMatchObject({ type: "line" });
    expect(spec.data).toEqual({
      values: [
        { run: "a", step: 0, value: 0.5 },
        { run: "a", step: 1, value: 0.7 },
        { run: "b", step: 0, value: 0.6 },
      ],
    });
    expect(JSON.stringify(spec)).not.toContain('"url"');
  });

  it("draws a bar per run when each run logged the metric once", () => {
    const spec = buildMetricSpec("silhouette", [
      { runName: "k3", points: [{ step: 0, value: 0.41 }] },
      { runName: "k4", points: [{ step: 0, value: 0.38 }] },
    ]);
    expect(spec.mark).toMatchObject({ type: "bar" });
    expect(spec.encoding).toMatchObject({ x: { field: "run" }, y: { field: "value", title: "silhouette" } });
  });
});

describe("the runs table's formatting", () => {
  it("formats durations, metrics and picks the most common keys as columns", () => {
    expect(formatDuration(null, null)).toBe("–");
    expect(formatDuration(0, 1_500)).toBe("1.5 s");
    expect(formatDuration(0, 184_000)).toBe("3 min 4 s");
    expect(formatDuration(0, 2 * 3_600_000 + 5 * 60_000)).toBe("2 h 5 min");
    expect(formatMetric(0.8500000000000001)).toBe("0.85");
    expect(formatMetric(3)).toBe("3");
    expect(formatMetric(undefined)).toBe("–");
    expect(
      keyColumns(
        [
          { a: 1, b: 2 },
          { a: 1, c: 3 },
          { a: 2, b: 1 },
        ],
        2,
      ),
    ).toEqual(["a", "b"]);
  });
});

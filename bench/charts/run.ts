// Chart benchmarks (issue 5), measured in one run on this machine:
//  (a) `%chart data(sales) bar x(region) y(sum(amount))` over a 10^7-row Spark DataFrame with 50
//      groups vs the same aggregation in plain pyspark (`groupBy().agg().collect()`), both as
//      cells of one notebook in one kernel through Flint's broker, alternating, after warm-ups:
//      the ratio is the cost of the magic (parsing, planning, spec building) over Spark's work;
//  (b) the bytes of the chart cell's outputs, i.e. what the broker sends the browser;
//  (c) a 5,000-point scatter rendered by Flint's renderer in Chromium: time from handing the
//      spec to the renderer until the chart is drawn (the harness's "rendered" state).
// Run: `npm run bench -- charts`. Prints figures and ratios.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createKernelRuntime } from "@flint/kernel";
import { MemoryCellRunStore } from "@flint/kernel/testing";
import { chromium } from "@playwright/test";
// The renderer's own browser harness (the page the renderer tests use): Flint's CSP, the real
// renderer, a `render(items)` that reports when each chart is drawn.
import { startHarness } from "../../packages/charts/test/harness/server";
import type { THarness } from "../../packages/charts/test/harness/types";
import { quantile, report, time } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pythonEnv = process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const SETUP = [
  "from pyspark.sql import functions as F",
  "sales = spark.range(10**7).select(",
  '    F.concat(F.lit("region_"), (F.col("id") % 50).cast("string")).alias("region"),',
  '    (F.rand(7) * 100).alias("amount"),',
  ").cache()",
  "sales.count()",
].join("\n");
const CHART = "%chart data(sales) bar x(region) y(sum(amount))";
const PLAIN = 'rows = sales.groupBy("region").agg(F.sum("amount").alias("amount")).collect()\nlen(rows)';

async function benchChartVsPlain(): Promise<void> {
  const store = new MemoryCellRunStore();
  const runtime = createKernelRuntime({
    pythonEnv,
    dataDir: mkdtempSync(path.join(os.tmpdir(), "flint-bench-charts-")),
    store,
    warmPoolSize: 0,
    log: () => undefined,
  });
  await runtime.start();
  try {
    const [setup, chart, plain] = store.setNotebook("charts", [SETUP, CHART, PLAIN]);
    const runOnce = async (cellId: string) => {
      const [result] = await runtime.broker.runAndWait("charts", [cellId], 600_000);
      if (result?.status !== "ok")
        throw new Error(`cell ended ${result?.status}: ${JSON.stringify(result?.outputs).slice(0, 400)}`);
      return result;
    };
    await runOnce(setup!);
    // Warm-ups: the first runs compile Spark's code paths and import the chart package.
    for (let i = 0; i < 2; i++) {
      await runOnce(chart!);
      await runOnce(plain!);
    }
    const chartTimes: number[] = [];
    const plainTimes: number[] = [];
    let bytes = 0;
    let vegaBytes = 0;
    for (let i = 0; i < RUNS; i++) {
      // Alternating, so load that changes during the run falls on both sides alike.
      plainTimes.push(await time(() => runOnce(plain!)));
      let outputs: unknown[] = [];
      chartTimes.push(
        await time(async () => {
          outputs = (await runOnce(chart!)).outputs;
        }),
      );
      bytes = Buffer.byteLength(JSON.stringify(outputs));
      const vega = outputs.find((output) =>
        Object.keys((output as { data?: object }).data ?? {}).some((type) => type.includes("vegalite")),
      );
      vegaBytes = vega ? Buffer.byteLength(JSON.stringify(vega)) : 0;
    }
    const chartP50 = quantile(chartTimes, 0.5);
    const plainP50 = quantile(plainTimes, 0.5);
    report("(a) sum(amount) by 50 groups, 10^7 rows, plain pyspark", `${plainP50.toFixed(0)} ms`, "baseline");
    report("(a) the same as %chart bar, through Flint", `${chartP50.toFixed(0)} ms`, "");
    report("(a) ratio %chart / plain pyspark", `${(chartP50 / plainP50).toFixed(2)}×`, "≤ 1.2×");
    report(
      "(b) bytes of the chart cell's outputs to the browser",
      `${(bytes / 1024).toFixed(1)} KB`,
      "< 100 KB",
    );
    report("(b)   of which the Vega-Lite output", `${(vegaBytes / 1024).toFixed(1)} KB`, "");
  } finally {
    await runtime.stop();
  }
}

/** A scatter of `points` deterministic points (an LCG: the same chart every run). */
function scatterSpec(points: number): unknown {
  let state = 5000;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const values = Array.from({ length: points }, (_, index) => ({
    x: next() * 100,
    y: next() * 50,
    group: `g${index % 5}`,
  }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values },
    mark: "point",
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      color: { field: "group", type: "nominal" },
    },
    width: 500,
    height: 300,
  };
}

async function benchScatterRender(): Promise<void> {
  const harness = await startHarness();
  const browser = await chromium.launch({
    executablePath: process.env.FLINT_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(harness.url);
    await page.waitForFunction(() => "flintHarness" in window);
    const spec = scatterSpec(5000);
    const times: number[] = [];
    for (let i = 0; i < 2 + RUNS; i++) {
      const [result] = await page.evaluate(
        ([item]) => (window as unknown as { flintHarness: THarness }).flintHarness.render([item], 30_000),
        [{ id: `scatter-${i}`, mimeType: "application/vnd.vegalite.v6+json", spec }] as const,
      );
      if (result?.state !== "rendered")
        throw new Error(`the scatter did not render: ${JSON.stringify(result)}`);
      if (i >= 2) times.push(result.ms);
      await page.evaluate(() => (window as unknown as { flintHarness: THarness }).flintHarness.clear());
    }
    report(
      "(c) 5,000-point scatter rendered in Chromium, median",
      `${quantile(times, 0.5).toFixed(0)} ms`,
      "< 500 ms",
    );
  } finally {
    await browser.close();
    await harness.close();
  }
}

process.stdout.write(`Chart benchmarks (${os.cpus().length} cores), Python env ${pythonEnv}\n\n`);
await benchScatterRender();
await benchChartVsPlain();

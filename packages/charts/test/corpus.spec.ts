/**
 * Every example spec of Vega-Lite 6.4 (../shared/corpus/vega-lite/specs, 816 files) renders in
 * Chromium through the real renderer (guard, interpreter, guarded loader) under Flint's CSP, with
 * data from the bundled vega-datasets. Failures are reported by file name.
 */

import { readdirSync } from "node:fs";
import { expect, test } from "./harness/fixtures";
import { CORPUS_DIR } from "./harness/server";
import type { THarnessResult } from "./harness/types";

const BATCH = 24;
const PER_CHART_TIMEOUT_MS = 30_000;

test("renders every Vega-Lite example spec without an error", async ({ chartPage, problems, harness }) => {
  test.setTimeout(15 * 60_000);
  const files = readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort();
  expect(files.length, `spec corpus at ${CORPUS_DIR}`).toBeGreaterThanOrEqual(800);

  const failures: THarnessResult[] = [];
  let rendered = 0;
  for (let i = 0; i < files.length; i += BATCH) {
    const names = files.slice(i, i + BATCH);
    const results = await chartPage.evaluate(
      ([batch, timeout]) => window.flintHarness.renderCorpus(batch, timeout),
      [names, PER_CHART_TIMEOUT_MS] as const,
    );
    rendered += results.filter((r) => r.state === "rendered").length;
    failures.push(...results.filter((r) => r.state !== "rendered"));
    await chartPage.evaluate(() => window.flintHarness.clear());
  }

  const report = failures.map((f) => `${f.id}: ${f.state}${f.message ? ` (${f.message})` : ""}`);
  expect(report, `${failures.length} of ${files.length} specs failed`).toEqual([]);
  expect(rendered).toBe(files.length);
  expect(await chartPage.evaluate(() => window.flintHarness.violations())).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
  expect(problems.external).toEqual([]);
  // Data came from the local copy of vega-datasets, never from elsewhere.
  expect(harness.requests.some((path) => path.startsWith("/vega-datasets/data/cars.json"))).toBe(true);
});

/**
 * The renderer as a notebook user meets it: `%chart` outputs (specs emitted by the kernel package,
 * kept in test/fixtures by packages/python/tests/test_chart_fixtures.py) draw, follow the width of
 * their output area, and export PNG, SVG and the spec.
 */

import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "./harness/fixtures";
import type { THarnessItem } from "./harness/types";

interface TFixture {
  command: string;
  mimeType: string;
  spec: Record<string, unknown>;
}

const fixtures = JSON.parse(
  readFileSync(new URL("./fixtures/flint-chart-specs.json", import.meta.url), "utf8"),
) as TFixture[];

async function render(page: Page, items: THarnessItem[]) {
  return page.evaluate(([list]) => window.flintHarness.render(list, 20_000), [items] as const);
}

async function canvasWidth(page: Page, id: string): Promise<number> {
  return page.evaluate((chartId) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`[data-chart-id="${chartId}"] canvas`);
    return canvas ? canvas.getBoundingClientRect().width : -1;
  }, id);
}

test("every %chart output draws", async ({ chartPage, problems }) => {
  expect(fixtures.length).toBeGreaterThanOrEqual(10);
  const results = await render(
    chartPage,
    fixtures.map((f, i) => ({ id: `fixture-${i}`, mimeType: f.mimeType, spec: f.spec })),
  );
  const failed = results
    .map((r, i) => ({ ...r, command: fixtures[i]!.command }))
    .filter((r) => r.state !== "rendered" || (r.warnings?.length ?? 0) > 0);
  expect(failed).toEqual([]);
  expect(await chartPage.evaluate(() => window.flintHarness.violations())).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
});

test("a chart follows the width of its output area", async ({ chartPage }) => {
  const bar = fixtures.find((f) => f.command.includes("bar x(region) y(sum(amount))"))!;
  expect(bar.spec.width).toBe("container");
  const [result] = await render(chartPage, [
    { id: "wide", mimeType: bar.mimeType, spec: bar.spec, width: "400px" },
  ]);
  expect(result?.state).toBe("rendered");
  expect(Math.abs((await canvasWidth(chartPage, "wide")) - 400)).toBeLessThanOrEqual(2);
  await chartPage.evaluate(() => {
    const host = document.querySelector<HTMLElement>('[data-chart-id="wide"]');
    if (host) host.style.width = "760px";
  });
  await expect.poll(() => canvasWidth(chartPage, "wide")).toBeGreaterThan(755);
  expect(await canvasWidth(chartPage, "wide")).toBeLessThanOrEqual(762);
});

test("exports PNG and SVG and shows the spec", async ({ chartPage }) => {
  const sampled = fixtures.find((f) => f.command.includes("data(big)"))!;
  const [result] = await render(chartPage, [
    { id: "export", mimeType: sampled.mimeType, spec: sampled.spec },
  ]);
  expect(result?.state).toBe("rendered");
  const chart = chartPage.locator('[data-chart-id="export"]');

  const [png] = await Promise.all([
    chartPage.waitForEvent("download"),
    chart.getByRole("button", { name: "PNG" }).click(),
  ]);
  expect(png.suggestedFilename()).toBe("chart.png");
  const pngBytes = readFileSync((await png.path())!);
  expect(pngBytes.subarray(1, 4).toString()).toBe("PNG");

  const [svg] = await Promise.all([
    chartPage.waitForEvent("download"),
    chart.getByRole("button", { name: "SVG" }).click(),
  ]);
  expect(svg.suggestedFilename()).toBe("chart.svg");
  const svgText = readFileSync((await svg.path())!, "utf8");
  expect(svgText).toContain("<svg");
  expect(svgText).toContain("showing a sample of 300 of 1,000 rows"); // the subtitle is part of the chart

  await chart.getByRole("button", { name: "Spec" }).click();
  await expect(chart.locator("pre")).toContainText('"kind": "pandas"');
  await chart.getByRole("button", { name: "Hide spec" }).click();
  await expect(chart.locator("pre")).toHaveCount(0);
});

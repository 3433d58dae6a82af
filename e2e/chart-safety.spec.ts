// Charts in the real app, with the real server's CSP (SECURITY.md cases 11, 32 and 34):
// - a published chart whose spec loads `/api/v1/me` draws no data and sends no such request, and a
//   link on a mark to another site does nothing until the person confirms a box showing it;
// - a public chart page tells nothing of the private notebook the chart came from;
// - the notebook and chart pages refuse eval, and a chart's eval gadget is a parse error.
import { randomBytes } from "node:crypto";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, createNotebook, demoProjectId } from "./notebook-fixtures";

const VL_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const EVAL_GADGET = "(0//1/)-'\\\\\\n,eval(1))//'";

/** Saves a chart to the demo project and publishes it; returns its id. */
async function publishChart(
  request: APIRequestContext,
  chart: { title: string; spec: Record<string, unknown>; sourceNotebookId?: string; sourceCellId?: string },
): Promise<string> {
  const projectId = await demoProjectId(request);
  const saved = await request.post(`/api/v1/projects/${projectId}/charts`, { headers: AUTH, data: chart });
  expect(saved.status(), await saved.text()).toBe(201);
  const { id } = (await saved.json()) as { id: string };
  const published = await request.post(`/api/v1/charts/${id}/publish`, { headers: AUTH });
  expect(published.status(), await published.text()).toBe(200);
  return id;
}

/** A big dot in the middle of a 300×300 chart that links to `href`. */
function linkedDotSpec(href: string): Record<string, unknown> {
  return {
    $schema: VL_SCHEMA,
    width: 300,
    height: 300,
    autosize: "none",
    padding: 0,
    data: { values: [{ x: 1, y: 1, link: href }] },
    mark: { type: "point", size: 40000, filled: true },
    encoding: {
      x: { field: "x", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
      y: { field: "y", type: "quantitative", scale: { domain: [0, 2] }, axis: null },
      href: { field: "link" },
    },
  };
}

/** Every request the page makes, and those to the outside (aborted, never sent). */
async function watchRequests(page: Page): Promise<{ all: string[]; outside: string[] }> {
  const seen = { all: [] as string[], outside: [] as string[] };
  page.on("request", (request) => seen.all.push(request.url()));
  await page.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
    seen.outside.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  return seen;
}

test("a published chart cannot read the viewer's data or send it off (case 32)", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const meChart = await publishChart(request, {
    title: "Who is looking",
    spec: {
      $schema: VL_SCHEMA,
      data: { url: "/api/v1/me" },
      mark: "text",
      encoding: { text: { field: "email" } },
    },
  });
  const seen = await watchRequests(page);

  // The embed page draws the chart alone (no app shell asking /api/v1/me for its own reasons).
  await page.goto(`/embed/charts/${meChart}`);
  const card = page.getByTestId("chart-view").getByRole("alert");
  await expect(card).toContainText("This chart could not be drawn.");
  await expect(card).toContainText('Blocked data source "/api/v1/me"');
  await expect(page.locator("[data-flint-chart] canvas")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText("demo@flint.local");
  expect(seen.all.filter((url) => new URL(url).pathname === "/api/v1/me")).toEqual([]);
  // The community page says the same.
  await page.goto(`/community/charts/${meChart}`);
  await expect(page.getByTestId("chart-view").getByRole("alert")).toContainText(
    'Blocked data source "/api/v1/me"',
  );

  // A link on a mark to another site: nothing happens without a second, informed click.
  const target = `https://evil.example/collect?from=${meChart}`;
  const linkChart = await publishChart(request, { title: "Click me", spec: linkedDotSpec(target) });
  await page.goto(`/community/charts/${linkChart}`);
  const canvas = page.getByTestId("chart-view").locator("canvas");
  await expect(canvas).toBeVisible();
  const before = page.url();
  const popups: string[] = [];
  page.context().on("page", (popup) => popups.push(popup.url()));
  await canvas.click({ position: { x: 150, y: 150 } });
  const box = page.getByRole("dialog", { name: "Open link to another site" });
  await expect(box).toContainText(target);
  await page.waitForTimeout(500);
  expect(page.url()).toBe(before);
  expect(popups).toEqual([]);
  expect(seen.outside).toEqual([]);
  await box.getByRole("button", { name: "Cancel" }).click();
  await expect(box).toHaveCount(0);
  expect(popups).toEqual([]);
});

test("a public chart shows nothing of its private source notebook (case 34)", async ({
  browser,
  request,
}) => {
  const secret = randomBytes(4).toString("hex");
  const notebookName = `Payroll model ${secret}`;
  const notebook = await createNotebook(request, notebookName, [
    { cell_type: "code", source: "df = spark.table('salaries')", id: `cell-${secret}` },
  ]);
  const chartId = await publishChart(request, {
    title: "Headcount by team",
    spec: {
      ...linkedDotSpec("/community"),
      usermeta: { flint: { command: `%chart data(salaries_${secret}) x(team) y(count)` } },
    },
    sourceNotebookId: notebook.id,
    sourceCellId: `cell-${secret}`,
  });

  // Someone who is not signed in opens the public page.
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies: string[] = [];
  const scripts = new Set<string>();
  page.on("response", async (response) => {
    const url = response.url();
    if (url.endsWith(".js")) scripts.add(url);
    else if (url.includes("/api/") || response.request().resourceType() === "document") {
      bodies.push(await response.text().catch(() => ""));
    }
  });
  await page.goto(`/community/charts/${chartId}`);
  await expect(page.getByRole("heading", { name: "Headcount by team" })).toBeVisible();
  await expect(page.getByTestId("chart-view").locator("canvas")).toBeVisible();
  bodies.push(await page.content());
  for (const script of scripts) bodies.push(await (await context.request.get(script)).text());
  expect(bodies.some((body) => body.includes('"title":"Headcount by team"'))).toBe(true);
  const everything = bodies.join("\n");
  for (const hidden of [notebook.id, notebookName, secret]) expect(everything).not.toContain(hidden);
  await context.close();
});

test("notebook and chart pages of the app refuse eval; an eval gadget is a parse error (case 11)", async ({
  page,
  request,
}) => {
  const gadgetSpec = {
    $schema: VL_SCHEMA,
    data: { values: [{ a: 1 }, { a: 2 }] },
    transform: [{ filter: EVAL_GADGET }],
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative" } },
  };
  const notebook = await createNotebook(request, "Eval gadget", [
    {
      cell_type: "code",
      source: "chart",
      execution_count: 1,
      outputs: [
        {
          output_type: "display_data",
          metadata: {},
          data: { "application/vnd.vegalite.v6+json": gadgetSpec, "text/plain": "<chart>" },
        },
      ],
    },
  ]);
  const projectId = await demoProjectId(request);
  const chartId = await publishChart(request, { title: "Gadget", spec: gadgetSpec });
  await signInAsDemo(page);
  const pages = [
    { path: notebook.path, slot: page.getByTestId("vega-output") },
    { path: `/projects/${projectId}/charts/${chartId}`, slot: page.getByTestId("chart-view") },
    { path: `/community/charts/${chartId}`, slot: page.getByTestId("chart-view") },
  ];
  for (const { path, slot } of pages) {
    const response = await page.goto(path);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp, path).not.toContain("unsafe-eval");
    await expect(slot.getByRole("alert"), path).toContainText("This chart could not be drawn.");
    await expect(slot.getByRole("alert"), path).toContainText(
      /Expression parse error|Unexpected token|Unrecognized/i,
    );
    // A string compiled in the page's own task (not in Playwright's evaluate, which Chromium
    // exempts from the CSP) is refused, and the page reports the violation.
    const probe = await page.evaluate(
      () =>
        new Promise<{ ran: boolean; violations: string[] }>((resolve) => {
          const w = window as unknown as { __evalRan?: boolean };
          const violations: string[] = [];
          document.addEventListener("securitypolicyviolation", (event) => violations.push(event.blockedURI));
          // The string form is the probe: an eval sink.
          setTimeout("window.__evalRan = true", 0);
          setTimeout(() => resolve({ ran: w.__evalRan === true, violations }), 200);
        }),
    );
    expect(probe, path).toEqual({ ran: false, violations: ["eval"] });
  }
});

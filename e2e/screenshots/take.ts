// `npm run screenshots`: starts the built Flint on a fresh data directory, signs the demo user in,
// makes sample content (a project, a notebook run on a real kernel with markdown, code, a table
// and a chart, a saved chart, a published notebook), and saves every page in the light and the
// dark theme to docs/screenshots/, with an index (README.md). Not part of `npm test`.
//
// Pages change; this script should not break when they do: a page that fails to load or settle
// is reported and left out, and the rest are still taken.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_LAUNCH_OPTIONS, startBuiltFlint, type TFlintServer } from "@flint/testing";
import { type Browser, chromium, type Page } from "@playwright/test";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = path.join(root, "docs/screenshots");
const PASSWORD = "screenshots-demo-password";
const TOKEN = "flint_pat_screenshots_0123456789abcdef";
const VIEWPORT = { width: 1280, height: 800 };
const THEMES = ["light", "dark"] as const;

type TShot = {
  name: string;
  title: string;
  path: string;
  /** Signed out (the theme then comes from the browser's colour scheme). */
  isAnonymous?: boolean;
  /** Taller than the window (up to this many pixels), for pages whose point is further down. */
  height?: number;
  /** Waits until the page shows what makes it worth a picture. */
  ready?: (page: Page) => Promise<void>;
};

function log(message: string): void {
  process.stdout.write(`[screenshots] ${message}\n`);
}

async function api<T>(server: TFlintServer, method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

const SALES_CODE = `import pandas as pd
sales = pd.DataFrame({
    "region": ["North", "South", "East", "West", "Central"],
    "orders": [1240, 980, 1515, 870, 1102],
    "revenue": [58200.5, 41230.0, 70410.25, 36900.75, 49880.0],
})
sales`;

const CHART_CODE = `import altair as alt
alt.Chart(sales, title="Revenue by region").mark_bar().encode(
    x=alt.X("region", sort="-y"), y="revenue", color="region"
).properties(width="container", height=220)`;

const CHART_SPEC = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: "Orders by region",
  width: "container",
  height: 260,
  data: {
    values: [
      { region: "North", orders: 1240 },
      { region: "South", orders: 980 },
      { region: "East", orders: 1515 },
      { region: "West", orders: 870 },
      { region: "Central", orders: 1102 },
    ],
  },
  mark: { type: "bar", tooltip: true },
  encoding: {
    x: { field: "region", type: "nominal", sort: "-y" },
    y: { field: "orders", type: "quantitative" },
    color: { field: "region", type: "nominal", legend: null },
  },
};

/** The sample content; answers the ids the page paths need. */
async function makeContent(server: TFlintServer) {
  const project = await api<{ id: string }>(server, "POST", "/api/v1/projects", {
    name: "Regional sales",
    description: "Orders and revenue by region, 2026",
  });
  const cell = (id: string, cell_type: "markdown" | "code", source: string) => ({
    id,
    cell_type,
    metadata: {},
    source,
    ...(cell_type === "code" ? { outputs: [], execution_count: null } : {}),
  });
  const notebook = await api<{ id: string }>(server, "POST", `/api/v1/projects/${project.id}/notebooks`, {
    name: "Sales overview",
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" },
        language_info: { name: "python" },
      },
      cells: [
        cell(
          "intro",
          "markdown",
          "# Sales overview\nOrders and revenue per region. The table comes from **pandas**, the chart from *Altair*; both run on Flint's kernel.",
        ),
        cell("table", "code", SALES_CODE),
        cell("chart", "code", CHART_CODE),
        cell("summary", "code", 'print(f"Total revenue: {sales.revenue.sum():,.2f}")'),
      ],
    },
  });
  log("running the sample notebook on a kernel (the first start takes a while)");
  try {
    await api(server, "POST", `/api/v1/notebooks/${notebook.id}/run`, { wait: true, timeoutMs: 300_000 });
  } catch (error) {
    log(`the sample notebook did not run, so its pictures show no outputs: ${(error as Error).message}`);
  }
  const chart = await api<{ id: string }>(server, "POST", `/api/v1/projects/${project.id}/charts`, {
    title: "Orders by region",
    description: "Saved from the sales overview",
    spec: CHART_SPEC,
  });
  await api(server, "POST", `/api/v1/notebooks/${notebook.id}/publish`).catch((error: Error) =>
    log(`could not publish the notebook: ${error.message}`),
  );
  await api(server, "POST", `/api/v1/charts/${chart.id}/publish`).catch((error: Error) =>
    log(`could not publish the chart: ${error.message}`),
  );
  // The seed registers a sample dataset in "Getting started".
  const projects = await api<{ projects: { id: string; name: string }[] }>(server, "GET", "/api/v1/projects");
  const tour = projects.projects.find((entry) => entry.name === "Getting started");
  const assets = tour
    ? await api<{ assets?: { id: string }[] }>(
        server,
        "GET",
        `/api/v1/catalog/assets?projectId=${tour.id}`,
      ).catch(() => ({ assets: [] }))
    : { assets: [] };
  return {
    projectId: project.id,
    notebookId: notebook.id,
    chartId: chart.id,
    assetId: assets.assets?.[0]?.id,
  };
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle", { timeout: 15_000 }).catch(() => undefined);
  // Pages show "Loading…" until their first API call answers.
  await page
    .getByText(/^Loading…?$/)
    .first()
    .waitFor({ state: "hidden", timeout: 20_000 })
    .catch(() => undefined);
  // Fonts, the last paint of charts, fading focus rings.
  await page.waitForTimeout(600);
}

async function chartsDrawn(page: Page): Promise<void> {
  await page
    .locator("[data-flint-chart=loading]")
    .first()
    .waitFor({ state: "detached", timeout: 30_000 })
    .catch(() => undefined);
}

function shotsFor(ids: Awaited<ReturnType<typeof makeContent>>): TShot[] {
  const shots: TShot[] = [
    { name: "login", title: "Sign in", path: "/login", isAnonymous: true },
    { name: "home", title: "Projects", path: "/" },
    { name: "project", title: "A project", path: `/projects/${ids.projectId}`, ready: chartsDrawn },
    {
      name: "notebook",
      title: "A notebook with markdown, a table and a chart",
      path: `/projects/${ids.projectId}/notebooks/${ids.notebookId}`,
      height: 1500,
      ready: async (page) => {
        await page.getByRole("list", { name: "Cells" }).waitFor({ timeout: 30_000 });
        await chartsDrawn(page);
      },
    },
    { name: "catalog", title: "Data catalog", path: "/catalog" },
    ...(ids.assetId
      ? [{ name: "asset", title: "A catalog asset", path: `/catalog/assets/${ids.assetId}` }]
      : []),
    {
      name: "chart",
      title: "A saved chart",
      path: `/projects/${ids.projectId}/charts/${ids.chartId}`,
      ready: chartsDrawn,
    },
    { name: "community", title: "Community", path: "/community", ready: chartsDrawn },
    {
      name: "published-notebook",
      title: "A published notebook",
      path: `/community/notebooks/${ids.notebookId}`,
      height: 1500,
      ready: chartsDrawn,
    },
    { name: "settings", title: "Settings", path: "/settings" },
    { name: "admin", title: "Administration", path: "/admin" },
  ];
  return shots;
}

async function signedInPage(browser: Browser, server: TFlintServer): Promise<Page> {
  const page = await (await browser.newContext({ viewport: VIEWPORT, baseURL: server.url })).newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("demo@flint.local");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  return page;
}

async function main(): Promise<void> {
  const port = Number(process.env.FLINT_SCREENSHOTS_PORT ?? 3390);
  log(`starting the built Flint on port ${port}`);
  const server = await startBuiltFlint({ root, port, demo: { password: PASSWORD, token: TOKEN } });
  const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  const taken: { shot: TShot; files: string[] }[] = [];
  const failed: string[] = [];
  try {
    const ids = await makeContent(server);
    const shots = shotsFor(ids);
    const page = await signedInPage(browser, server);
    for (const theme of THEMES) {
      // The theme is the demo user's preference, as a person would set it in Settings.
      await api(server, "PATCH", "/api/v1/me/preferences", { theme });
      for (const shot of shots) {
        const file = `${shot.name}-${theme}.png`;
        let target = page;
        try {
          if (shot.isAnonymous) {
            const context = await browser.newContext({
              viewport: VIEWPORT,
              baseURL: server.url,
              colorScheme: theme,
            });
            target = await context.newPage();
          }
          const response = await target.goto(shot.path);
          if (!response?.ok()) throw new Error(`answered ${response?.status()}`);
          await shot.ready?.(target);
          await settle(target);
          const height = shot.height
            ? Math.min(shot.height, await target.evaluate(() => document.documentElement.scrollHeight))
            : undefined;
          await target.screenshot({
            path: path.join(outDir, file),
            ...(height ? { fullPage: true, clip: { x: 0, y: 0, width: VIEWPORT.width, height } } : {}),
          });
          const entry = taken.find((item) => item.shot.name === shot.name);
          if (entry) entry.files.push(file);
          else taken.push({ shot, files: [file] });
          log(`saved ${file}`);
        } catch (error) {
          failed.push(`${file}: ${(error as Error).message.split("\n")[0]}`);
          log(`left out ${file}: ${(error as Error).message.split("\n")[0]}`);
        } finally {
          if (target !== page) await target.context().close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const rows = taken.map(
    ({ shot, files }) =>
      `| ${shot.title} | \`${shot.path.replace(/[a-z0-9]{20,}/gi, "…")}\` | ${files
        .map((file) => `![${shot.title}, ${file.includes("dark") ? "dark" : "light"}](${file})`)
        .join(" ")} |`,
  );
  writeFileSync(
    path.join(outDir, "README.md"),
    [
      "# Screenshots",
      "",
      "Every page of Flint in the light and the dark theme, taken by `npm run screenshots`",
      "(`e2e/screenshots/take.ts`) from a built Flint with sample content: a project, a notebook run on",
      "a real kernel (markdown, a pandas table, an Altair chart), a saved chart and a published notebook.",
      "Run it again after changing how pages look (`pnpm --filter @flint/web build` first).",
      "",
      "| page | path | light, dark |",
      "|---|---|---|",
      ...rows,
      "",
    ].join("\n"),
  );
  if (failed.length > 0) log(`left out ${failed.length}:\n  ${failed.join("\n  ")}`);
  log(`${taken.length} pages saved to docs/screenshots/`);
}

await main();

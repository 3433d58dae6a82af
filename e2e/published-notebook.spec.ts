// Issue 14 (item 2) and SECURITY.md case 34 end to end: the owner publishes a notebook through
// the confirmation dialog; an anonymous visitor opens the public link and sees it drawn like the
// notebook page draws it (markdown heading, KaTeX math, an HTML table, a PNG, a Vega-Lite chart,
// highlighted code), read-only; the owner's later edit stays private until they publish again.
import { type Browser, expect, type Locator, type Page, test } from "@playwright/test";
import { DEMO_EMAIL } from "./account-fixtures";
import { E2E_DEMO_PASSWORD } from "./global-setup";
import { AUTH, collectCspErrors, createNotebook } from "./notebook-fixtures";

// A 24×16 checkerboard of orange and blue 4-pixel squares.
const PNG_24X16 =
  "iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAJ0lEQVR42mO4YyMHR3JRJ+CIVHGGYWwQJZqRxYezQaPpaDQdUcEgADa62JC+PXEyAAAAAElFTkSuQmCC";

const TABLE_HTML = [
  '<table border="1" class="dataframe"><thead><tr style="text-align: right;">',
  "<th></th><th>quarter</th><th>revenue</th></tr></thead><tbody>",
  "<tr><th>0</th><td>Q1</td><td>10</td></tr><tr><th>1</th><td>Q2</td><td>32</td></tr>",
  "</tbody></table>",
].join("");

// What `%chart` saves (packages/python/flint/chart: VEGALITE_MIME), with its text summary.
const VEGALITE_MIME = "application/vnd.vegalite.v6+json";
const CHART_SPEC = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  data: {
    values: [
      { quarter: "Q1", revenue: 10 },
      { quarter: "Q2", revenue: 32 },
      { quarter: "Q3", revenue: 21 },
    ],
  },
  mark: "bar",
  encoding: {
    x: { field: "quarter", type: "nominal" },
    y: { field: "revenue", type: "quantitative" },
  },
  width: 240,
  height: 160,
};
// Vega-Lite's default mark colour, #4c78a8.
const BAR_RGB = [76, 120, 168];

/** Signs the demo user in on `page` through the auth API (the sign-in form is not under test). */
async function signInDemo(page: Page): Promise<void> {
  const response = await page.request.post("/api/auth/sign-in/email", {
    headers: { origin: new URL(test.info().project.use.baseURL!).origin },
    data: { email: DEMO_EMAIL, password: E2E_DEMO_PASSWORD },
  });
  expect(response.ok(), await response.text()).toBe(true);
}

/** Pixels of a canvas close to `rgb`: the bars Vega drew. */
async function countPixelsNear(canvas: Locator, rgb: number[]): Promise<number> {
  return await canvas.evaluate((element, [r, g, b]) => {
    const canvasElement = element as HTMLCanvasElement;
    const context = canvasElement.getContext("2d");
    if (!context) return 0;
    const { data } = context.getImageData(0, 0, canvasElement.width, canvasElement.height);
    let count = 0;
    for (let index = 0; index < data.length; index += 4) {
      const isNear =
        Math.abs(data[index]! - r!) < 12 &&
        Math.abs(data[index + 1]! - g!) < 12 &&
        Math.abs(data[index + 2]! - b!) < 12 &&
        data[index + 3]! > 200;
      if (isNear) count += 1;
    }
    return count;
  }, rgb);
}

async function openAsVisitor(browser: Browser, link: string): Promise<{ page: Page; cspErrors: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const cspErrors = collectCspErrors(page);
  await page.goto(link);
  return { page, cspErrors };
}

test("a published notebook is drawn read-only, and later edits wait for republishing", async ({
  browser,
  request,
}) => {
  test.setTimeout(240_000);
  const name = `Quarterly report ${Date.now()}`;
  const { id, projectId } = await createNotebook(request, name, [
    {
      id: "intro",
      cell_type: "markdown",
      source: "# Quarterly report\n\nRevenue grows like $e^{i\\pi} + x^2$ every quarter.",
    },
    {
      id: "table",
      cell_type: "code",
      source:
        'import pandas as pd\nrevenue = pd.DataFrame({"quarter": ["Q1", "Q2"], "revenue": [10, 32]})\nrevenue',
      execution_count: 1,
      outputs: [
        {
          output_type: "execute_result",
          execution_count: 1,
          data: {
            "text/html": TABLE_HTML,
            "text/plain": "  quarter  revenue\n0      Q1       10\n1      Q2       32",
          },
          metadata: {},
        },
      ],
    },
    {
      id: "image",
      cell_type: "code",
      source: "plt.imshow(checkerboard)",
      execution_count: 2,
      outputs: [
        {
          output_type: "display_data",
          data: { "image/png": PNG_24X16, "text/plain": "<Figure size 24x16 with 1 Axes>" },
          metadata: {},
        },
      ],
    },
    {
      id: "chart",
      cell_type: "code",
      source: "%chart data(revenue) bar x(quarter) y(revenue)",
      execution_count: 3,
      outputs: [
        {
          output_type: "display_data",
          data: { [VEGALITE_MIME]: CHART_SPEC, "text/plain": "<bar chart of revenue: 3 rows>" },
          metadata: {},
        },
      ],
    },
  ]);

  // The owner publishes from the project's notebook list, through the confirmation dialog.
  const owner = await (await browser.newContext()).newPage();
  await signInDemo(owner);
  await owner.goto(`/projects/${projectId}?tab=notebooks`);
  await owner.getByRole("button", { name: `Publish ${name}`, exact: true }).click();
  const dialog = owner.getByRole("dialog", { name: `Publish “${name}”?` });
  await expect(dialog).toContainText("public to anyone with the link");
  await expect(dialog).toContainText("read-only");
  const link = (await dialog.getByText("/community/notebooks/").textContent())!.trim();
  expect(link).toMatch(new RegExp(`/community/notebooks/${id}$`));
  await dialog.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(owner.getByRole("button", { name: `Unpublish ${name}` })).toBeVisible();

  // An anonymous visitor opens the link.
  const { page: visitor, cspErrors } = await openAsVisitor(browser, link);
  const cells = visitor.getByRole("list", { name: "Cells" });
  await expect(visitor.getByRole("heading", { level: 1, name })).toBeVisible();

  // Markdown: a real heading, and the math typeset by KaTeX (MathML plus its drawn HTML).
  const intro = cells.locator('[data-cell-id="intro"]');
  const heading = intro.getByRole("heading", { level: 1, name: "Quarterly report" });
  await expect(heading).toBeVisible();
  expect(await heading.evaluate((element) => element.tagName)).toBe("H1");
  await expect(intro).not.toContainText("# Quarterly");
  await expect(intro).not.toContainText("$e^");
  const math = intro.locator(".katex");
  await expect(math).toBeVisible();
  await expect(math.locator(".katex-mathml math")).toHaveCount(1);
  expect(await math.locator(".katex-mathml annotation").textContent()).toBe("e^{i\\pi} + x^2");
  await expect(math.locator(".katex-html .msupsub").first()).toBeVisible();

  // The HTML table: a <table> with its cells, laid out.
  const tableCell = cells.locator('[data-cell-id="table"]');
  await tableCell.scrollIntoViewIfNeeded();
  const table = tableCell.locator(".nb-output table");
  await expect(table).toBeVisible();
  await expect(table.getByRole("columnheader", { name: "revenue" })).toBeVisible();
  await expect(table.getByRole("cell", { name: "Q2", exact: true })).toBeVisible();
  await expect(table.locator("tbody tr")).toHaveCount(2);

  // Code is highlighted with the notebook's tokenizer: `import` is a keyword token.
  await expect(tableCell.locator(".nb-static-code .tok-keyword", { hasText: "import" })).toBeVisible({
    timeout: 60_000,
  });
  await expect(tableCell.locator(".nb-static-code .tok-string").first()).toBeVisible();

  // The PNG is decoded at its size.
  const imageCell = cells.locator('[data-cell-id="image"]');
  await imageCell.scrollIntoViewIfNeeded();
  const image = imageCell.getByRole("img", { name: "Output" });
  await expect(image).toBeVisible();
  await expect
    .poll(() =>
      image.evaluate((element) => [
        (element as HTMLImageElement).naturalWidth,
        (element as HTMLImageElement).naturalHeight,
      ]),
    )
    .toEqual([24, 16]);

  // The Vega-Lite chart is drawn on its canvas: bars in Vega-Lite's colour, not a text summary.
  const chartCell = cells.locator('[data-cell-id="chart"]');
  await chartCell.scrollIntoViewIfNeeded();
  const canvas = chartCell.locator('[data-testid="vega-output"] canvas');
  await expect(canvas).toBeVisible();
  const box = await canvas.boundingBox();
  expect(box!.width).toBeGreaterThan(200);
  expect(box!.height).toBeGreaterThan(150);
  await expect.poll(() => countPixelsNear(canvas, BAR_RGB)).toBeGreaterThan(1000);
  await expect(chartCell).not.toContainText("<bar chart of revenue");

  // Read-only: nothing to run, edit or save.
  await expect(visitor.getByRole("button", { name: /Run|Save chart|Edit in builder/ })).toHaveCount(0);
  await expect(visitor.locator(".monaco-editor")).toHaveCount(0);

  // The owner edits the notebook (through the API, as the notebook page saves).
  const current = await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH });
  const live = (await current.json()) as {
    version: number;
    notebook: { cells: { id: string; source: string | string[] }[] };
  };
  for (const cell of live.notebook.cells) {
    if (cell.id === "intro") cell.source = "# Draft: unreleased numbers\n\nDo not share $y$ yet.";
    if (cell.id === "image") cell.source = "plt.imshow(secret_forecast)";
  }
  const saved = await request.put(`/api/v1/notebooks/${id}`, {
    headers: AUTH,
    data: { version: live.version, notebook: live.notebook },
  });
  expect(saved.status(), await saved.text()).toBe(200);

  // The public page still shows what was published.
  await visitor.reload();
  await expect(
    cells.locator('[data-cell-id="intro"]').getByRole("heading", { name: "Quarterly report" }),
  ).toBeVisible();
  await expect(cells).not.toContainText("Draft: unreleased numbers");
  await expect(cells).not.toContainText("secret_forecast");
  await expect(cells.locator('[data-cell-id="image"]')).toContainText("plt.imshow(checkerboard)");

  // The owner sees the public copy is behind, and publishes again through the dialog.
  await owner.reload();
  const row = owner.getByRole("list", { name: "Notebooks" }).getByRole("listitem").filter({ hasText: name });
  await expect(row).toContainText("edited since");
  await owner.getByRole("button", { name: `Publish again ${name}` }).click();
  const again = owner.getByRole("dialog", { name: `Publish “${name}” again?` });
  await expect(again).toContainText("public to anyone with the link");
  await again.getByRole("button", { name: "Publish again" }).click();
  await expect(again).toBeHidden();
  await expect(row).not.toContainText("edited since");

  // Now the visitor gets the edit.
  await visitor.reload();
  await expect(
    cells
      .locator('[data-cell-id="intro"]')
      .getByRole("heading", { level: 1, name: "Draft: unreleased numbers" }),
  ).toBeVisible();
  await expect(cells).not.toContainText("Quarterly report");
  await expect(cells.locator('[data-cell-id="image"]')).toContainText("plt.imshow(secret_forecast)");

  expect(cspErrors).toEqual([]);
});

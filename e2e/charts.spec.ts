// Issue 5 in the browser: `%chart` on a DataFrame like DSX's example draws a scatter with a
// legend of AUTH values, and Altair charts render under both Vega-Lite MIME types (Altair 6's
// `v6.json` and Altair 5's `v5+json`), all through the CSP-safe renderer.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, createNotebook, DSX_FRAME_LINES } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 360_000 });

async function runCell(page: Page, index: number) {
  await cells(page).nth(index).locator(".nb-gutter").click();
  await expect(cells(page).nth(index)).toBeFocused();
  await page.keyboard.press("Control+Enter");
}

test("%chart draws the DSX scatter with an AUTH legend; Altair 5 and 6 outputs render", async ({
  page,
  request,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|unsafe-eval/i.test(message.text())) violations.push(message.text());
  });
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Charts", [
    {
      cell_type: "code",
      source: [...DSX_FRAME_LINES, "%chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)"].join("\n"),
    },
    {
      cell_type: "code",
      source: [
        "import altair as alt",
        "from IPython.display import display",
        'chart = alt.Chart(df).mark_bar().encode(x="AUTH", y="sum(VOLUME)")',
        "display(chart)  # Altair 6: application/vnd.vegalite.v6.json",
        "# Altair 5 emits application/vnd.vegalite.v5+json: the same spec under that MIME type.",
        'display({"application/vnd.vegalite.v5+json": chart.to_dict(), "text/plain": "<Altair 5 chart>"}, raw=True)',
      ].join("\n"),
    },
  ]);
  await page.goto(path);
  await runCell(page, 0);
  const scatter = cells(page).nth(0).getByTestId("vega-output");
  await expect(scatter.locator("svg, canvas").first()).toBeVisible({ timeout: 300_000 });
  // The chart is drawn on a canvas; what it draws is the saved spec: points, colour by AUTH
  // (the legend), and the rows inline.
  const saved = await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH });
  const outputs =
    ((await saved.json()) as { notebook: { cells: { outputs: { data?: Record<string, unknown> }[] }[] } })
      .notebook.cells[0]?.outputs ?? [];
  const spec = outputs.map((output) => output.data?.["application/vnd.vegalite.v6+json"]).find(Boolean) as {
    mark: unknown;
    encoding: { color: { field: string } };
    data: { values: { AUTH: string }[] };
  };
  expect(JSON.stringify(spec.mark)).toContain("point");
  expect(spec.encoding.color.field).toBe("AUTH");
  expect(new Set(spec.data.values.map((row) => row.AUTH))).toEqual(
    new Set(["Austen", "Dickens", "Eliot", "Tolstoy"]),
  );

  await runCell(page, 1);
  const altair = cells(page).nth(1).getByTestId("vega-output");
  await expect(altair).toHaveCount(2, { timeout: 120_000 });
  for (const index of [0, 1]) await expect(altair.nth(index).locator("svg, canvas").first()).toBeVisible();
  expect(violations).toEqual([]);
});

// Issue 5's chart builder in the browser: a DataFrame's table output has a "Chart" button; the
// builder, driven by its controls only, writes DSX's `%chart data(df) x(VOLUME) y(WEIGHT)
// color(AUTH)` into a new cell below and runs it, and the scatter with its AUTH legend appears.
// "Edit in builder" on that chart reopens the same choices and rewrites the line in place.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, createNotebook, DSX_FRAME_LINES } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');
const DSX_LINE = "%chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)";

test.describe.configure({ timeout: 360_000 });

type TSavedCell = { source: string | string[]; outputs: { data?: Record<string, unknown> }[] };
const sourceOf = (cell: TSavedCell | undefined) =>
  Array.isArray(cell?.source) ? cell.source.join("") : (cell?.source ?? "");

async function savedCells(page: Page, id: string): Promise<TSavedCell[]> {
  const answer = await page.request.get(`/api/v1/notebooks/${id}`, { headers: AUTH });
  return ((await answer.json()) as { notebook: { cells: TSavedCell[] } }).notebook.cells;
}

test("the Chart button on a table builds the DSX chart as a %chart cell; Edit in builder rewrites it", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Chart builder", [
    {
      cell_type: "code",
      source: [...DSX_FRAME_LINES, "df"].join("\n"),
    },
  ]);
  await page.goto(path);
  await cells(page).nth(0).locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  const table = cells(page).nth(0).locator(".nb-table");
  await expect(table).toBeVisible({ timeout: 300_000 });

  await cells(page).nth(0).getByRole("button", { name: "Chart", exact: true }).click();
  const builder = page.getByRole("dialog", { name: "Build a chart" });
  await expect(builder).toBeVisible();
  // The kernel told the table its variable; the columns come with their pandas types.
  await expect(builder.getByLabel("DataFrame variable")).toHaveValue("df");
  await expect(builder.getByLabel("x column").locator("option", { hasText: "VOLUME · int64" })).toHaveCount(
    1,
  );

  await builder.getByLabel("Mark").selectOption("");
  await builder.getByLabel("x column").selectOption("VOLUME");
  await builder.getByLabel("y column").selectOption("WEIGHT");
  await builder.getByLabel("y aggregate").selectOption("");
  await builder.getByLabel("color column").selectOption("AUTH");
  await expect(builder.getByTestId("chart-code")).toHaveText(DSX_LINE);
  await builder.getByRole("button", { name: "Insert and run" }).click();
  await expect(builder).toBeHidden();

  // A new cell below the table holds the line, runs, and draws the chart with an AUTH legend.
  await expect(cells(page)).toHaveCount(2);
  const chart = cells(page).nth(1).getByTestId("vega-output");
  await expect(chart.locator("svg, canvas").first()).toBeVisible({ timeout: 120_000 });
  await expect
    .poll(async () => (await savedCells(page, id))[1]?.outputs.length ?? 0, { timeout: 60_000 })
    .toBeGreaterThan(0);
  const saved = await savedCells(page, id);
  expect(sourceOf(saved[1])).toBe(DSX_LINE);
  const spec = saved[1]?.outputs
    .map((output) => output.data?.["application/vnd.vegalite.v6+json"])
    .find(Boolean) as {
    mark: unknown;
    encoding: { color: { field: string } };
    data: { values: { AUTH: string }[] };
  };
  expect(JSON.stringify(spec.mark)).toContain("point");
  expect(spec.encoding.color.field).toBe("AUTH");
  expect(new Set(spec.data.values.map((row) => row.AUTH))).toEqual(
    new Set(["Austen", "Dickens", "Eliot", "Tolstoy"]),
  );

  // The chart reopens in the builder with its own choices; a change rewrites its cell and reruns it.
  await cells(page).nth(1).getByRole("button", { name: "Edit in builder" }).click();
  const editor = page.getByRole("dialog", { name: "Edit chart" });
  await expect(editor.getByLabel("x column")).toHaveValue("VOLUME");
  await expect(editor.getByLabel("color column")).toHaveValue("AUTH");
  await editor.getByLabel("Title").fill("Volume and weight");
  await expect(editor.getByTestId("chart-code")).toHaveText(`${DSX_LINE} title("Volume and weight")`);
  await editor.getByRole("button", { name: "Update and run" }).click();
  await expect(cells(page)).toHaveCount(2);
  await expect
    .poll(
      async () => {
        const cell = (await savedCells(page, id))[1];
        const titled = cell?.outputs.some((output) =>
          JSON.stringify(output.data?.["application/vnd.vegalite.v6+json"] ?? "").includes(
            "Volume and weight",
          ),
        );
        return `${sourceOf(cell)} ${titled}`;
      },
      { timeout: 120_000 },
    )
    .toBe(`${DSX_LINE} title("Volume and weight") true`);
});

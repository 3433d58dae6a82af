// Issue 14 item 9: live table outputs and the chart builder's preview, as a person uses them.
// A 1,000-row pandas DataFrame pages to its last page, sorts and filters, each page computed in
// the kernel; a `%%sql -o` result opens the chart builder, whose preview draws a numeric x as
// real bars (read from the canvas's pixels, not only the DOM) and redraws as the fields change.
import { expect, type Locator, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 420_000 });

const CITIES = ["Oslo", "Lima", "Pune", "Kyiv"];
const PEOPLE = Array.from({ length: 1000 }, (_, n) => ({ n, city: CITIES[n % 4]!, score: (n * 37) % 101 }));

/** The first column (n) of the rows the table shows. */
async function shownIds(table: Locator): Promise<number[]> {
  const texts = await table.locator("tbody tr td:first-child").allTextContents();
  return texts.map(Number);
}

test("a 1,000-row DataFrame pages to its last page, sorts and filters in the kernel", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Live table", [
    {
      cell_type: "code",
      source: [
        "import pandas as pd",
        "people = pd.DataFrame({'n': range(1000), 'city': [['Oslo', 'Lima', 'Pune', 'Kyiv'][i % 4] for i in range(1000)],",
        "                       'score': [(i * 37) % 101 for i in range(1000)]})",
        "people",
      ].join("\n"),
    },
  ]);
  await page.goto(path);
  await cells(page).nth(0).locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  const output = cells(page).nth(0).getByTestId("table-output");
  const table = output.locator("table.nb-table");
  const caption = output.getByTestId("table-caption");
  await expect(caption).toHaveText("Rows 1–50 of 1,000", { timeout: 300_000 });
  await expect(table.locator("tbody tr")).toHaveCount(50);

  await output.getByRole("button", { name: "Last" }).click();
  await expect(caption).toHaveText("Rows 951–1,000 of 1,000");
  expect(await shownIds(table)).toEqual(Array.from({ length: 50 }, (_, i) => 950 + i));
  await expect(output.getByRole("button", { name: "Next" })).toBeDisabled();

  // Sorting starts again at the first page: ascending, then descending on a second click.
  const score = table.getByRole("button", { name: "score" });
  await score.click();
  await expect(table.locator("th[aria-sort=ascending]")).toContainText("score");
  await expect(caption).toHaveText("Rows 1–50 of 1,000");
  const ascending = [...PEOPLE].sort((a, b) => a.score - b.score || a.n - b.n);
  await expect.poll(() => shownIds(table)).toEqual(ascending.slice(0, 50).map((row) => row.n));
  await score.click();
  await expect(table.locator("th[aria-sort=descending]")).toContainText("score");
  const descending = [...PEOPLE].sort((a, b) => b.score - a.score || a.n - b.n);
  await expect.poll(() => shownIds(table)).toEqual(descending.slice(0, 50).map((row) => row.n));

  // A text filter on city and a number filter on score, typed as a person types.
  await table.getByLabel("Filter city").pressSequentially("kyi", { delay: 40 });
  await expect(caption).toHaveText("Matching rows 1–50 of 250");
  const kyiv = descending.filter((row) => row.city === "Kyiv");
  await expect.poll(() => shownIds(table)).toEqual(kyiv.slice(0, 50).map((row) => row.n));
  await table.getByLabel("Filter score").pressSequentially(">=95", { delay: 40 });
  const top = kyiv.filter((row) => row.score >= 95);
  await expect(caption).toHaveText(`Matching rows 1–${top.length} of ${top.length}`);
  expect(await shownIds(table)).toEqual(top.map((row) => row.n));
  await expect(table.locator("tbody td:nth-child(2)")).toHaveText(top.map(() => "Kyiv"));
});

/** Widths (px) of the runs of bar-coloured pixels across the preview canvas, at 85% of its height. */
async function barRuns(preview: Locator): Promise<number[]> {
  return preview.locator("canvas").evaluate((canvas: HTMLCanvasElement) => {
    const context = canvas.getContext("2d");
    if (!context) return [];
    const y = Math.floor(canvas.height * 0.85);
    const { data } = context.getImageData(0, y, canvas.width, 1);
    const runs: number[] = [];
    let run = 0;
    for (let x = 0; x < canvas.width; x++) {
      const [r, g, b] = [data[x * 4]!, data[x * 4 + 1]!, data[x * 4 + 2]!];
      // Vega's default bar colour, #4c78a8.
      const isBar = Math.abs(r - 76) < 24 && Math.abs(g - 120) < 24 && Math.abs(b - 168) < 24;
      if (isBar) run++;
      else if (run > 0) {
        runs.push(run / (window.devicePixelRatio || 1));
        run = 0;
      }
    }
    if (run > 0) runs.push(run / (window.devicePixelRatio || 1));
    return runs;
  });
}

test("the chart builder on a %%sql -o result previews bars over a numeric x, binned or banded, live", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "SQL chart", [
    {
      cell_type: "code",
      source: "%%sql -o evens\nSELECT id, id % 10 AS digit, id * 0.5 AS half FROM range(0, 2000, 2)",
    },
  ]);
  await page.goto(path);
  await cells(page).nth(0).locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  const output = cells(page).nth(0).getByTestId("table-output");
  // Spark is not counted for the first page.
  await expect(output.getByTestId("table-caption")).toHaveText("Rows 1–50 of more than 50", {
    timeout: 300_000,
  });

  await output.getByRole("button", { name: "Chart", exact: true }).click();
  const builder = page.getByRole("dialog", { name: "Build a chart" });
  // The DataFrame named by -o is the chart's source.
  await expect(builder.getByLabel("DataFrame variable")).toHaveValue("evens");
  await builder.getByLabel("Mark").selectOption("bar");
  await builder.getByLabel("x column").selectOption("half");
  await builder.getByLabel("y column").selectOption({ label: "count of rows" });
  await expect(builder.getByTestId("chart-code")).toHaveText("%chart data(evens) bar x(half) y(count())");

  // 1,000 distinct values of x: the kernel bins them; every bar is several pixels wide.
  const preview = builder.getByTestId("chart-preview");
  await expect(preview.locator("[data-preview-state=ready] canvas")).toBeVisible({ timeout: 120_000 });
  await expect
    .poll(async () => {
      const runs = await barRuns(preview);
      return runs.length >= 20 && Math.min(...runs) >= 5;
    })
    .toBe(true);

  // Five distinct values of x: five wide bands. The preview redraws without running anything.
  await builder.getByLabel("x column").selectOption("digit");
  await expect(builder.getByTestId("chart-code")).toHaveText("%chart data(evens) bar x(digit) y(count())");
  await expect
    .poll(
      async () => {
        const runs = await barRuns(preview);
        return runs.length === 5 && Math.min(...runs) >= 40;
      },
      { timeout: 60_000 },
    )
    .toBe(true);
  await expect(cells(page)).toHaveCount(1);
  await expect(cells(page).nth(0)).toContainText("[1]");
});

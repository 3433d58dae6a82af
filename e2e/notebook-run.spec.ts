// Running cells end to end: the page saves, sends `run` over /ws/notebooks/:id, and applies the
// broker's events (status, execution count, outputs). Needs the Jupyter kernel with Spark, so
// these tests are slow: Spark's first start takes a while on a 2-core machine.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

// Direct children only: outputs may hold lists of their own (Spark jobs, markdown).
const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 360_000 });

async function runCellFromCommandMode(page: Page, index: number) {
  await cells(page).nth(index).locator(".nb-gutter").click();
  await expect(cells(page).nth(index)).toBeFocused();
  await page.keyboard.press("Control+Enter");
}

test("spark.range(5).count() runs and shows 5 with [1]", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Run Spark", [
    { cell_type: "code", source: "spark.range(5).count()" },
  ]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  await runCellFromCommandMode(page, 0);
  const cell = cells(page).nth(0);
  await expect(cell.locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  await expect(cell.locator(".nb-outputs")).toContainText(/^(.*\D)?5(\D.*)?$/s);
  await expect(page.getByTestId("kernel-status")).toContainText("Idle");
});

test("Tab completes spark.ra to range from the kernel", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Complete", [
    { cell_type: "code", source: "spark.range(1).count()" },
    { cell_type: "code", source: "" },
  ]);
  await page.goto(path);
  // Completion asks the running kernel, so start it first.
  await runCellFromCommandMode(page, 0);
  await expect(cells(page).nth(0).locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  // "[1]" shows when the cell starts; completion needs the kernel idle again (no subshells).
  await expect(page.getByTestId("kernel-status")).toContainText("Idle", { timeout: 120_000 });
  await editCell(page, cells(page).nth(1));
  await page.keyboard.type("spark.ra");
  const source = cells(page).nth(1).locator(".view-lines");
  const range = page.locator(".suggest-widget.visible").getByText("range", { exact: true });
  // Monaco asks the kernel as you type too (word-based suggestions are off, so "range" can only
  // come from the kernel). A person who sees "range" offered takes it with Enter; otherwise they
  // ask with Tab, once (a fresh kernel's first answer takes seconds; the broker queues the Tab's
  // request behind the one typing "." sent), and take it from the list, or Tab has already
  // accepted the list's choice that opened as the key went down.
  if (!(await range.isVisible())) {
    await page.keyboard.press("Tab");
    await expect(range.or(source.filter({ hasText: "spark.range" }))).toBeVisible({ timeout: 60_000 });
  }
  if (!((await source.textContent()) ?? "").includes("spark.range")) await page.keyboard.press("Enter");
  await expect(cells(page).nth(1).locator(".view-lines")).toContainText("spark.range");
});

test("Interrupt stops time.sleep(60)", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Interrupt", [
    { cell_type: "code", source: "import time\ntime.sleep(60)" },
  ]);
  await page.goto(path);
  await runCellFromCommandMode(page, 0);
  const cell = cells(page).nth(0);
  await expect(cell.getByRole("status")).toHaveText("Running…", { timeout: 300_000 });
  await page.getByRole("button", { name: "Interrupt the kernel" }).click();
  await expect(cell.getByRole("status")).toHaveText(/Interrupted|Error/, { timeout: 30_000 });
  await expect(cell.locator(".nb-outputs")).toContainText("KeyboardInterrupt");
});

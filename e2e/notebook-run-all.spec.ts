// Run all as a person meets it when a cell fails: the run stops there and the page says where and
// why, with a way to get to that cell; the cells after it are marked as not run; every run cell
// says how long it took, by whom and when, also after a reload. Needs a real kernel.
import { expect, type Locator, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

// Direct children only: outputs may hold lists of their own (Spark jobs, markdown).
const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 360_000 });

/** Types into the cell's editor (which has focus) key by key, as a person does. */
async function typeCode(cell: Locator, text: string): Promise<void> {
  await expect(cell.locator(".monaco-editor.focused")).toBeVisible();
  await cell.getByRole("textbox", { name: "Code cell editor" }).pressSequentially(text, { delay: 50 });
  await expect(cell.locator(".view-lines")).toContainText(text);
}

/** In command mode on `cell`: B adds a cell below, Enter starts editing it. */
async function addCellBelow(page: Page, cell: Locator): Promise<Locator> {
  await page.keyboard.press("Escape");
  await expect(cell).toBeFocused();
  await page.keyboard.press("b");
  const next = cells(page).nth((await cells(page).count()) - 1);
  await expect(next).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Enter");
  return next;
}

test("Run all stops at the failing cell, says where and why, marks the rest not run; run times survive a reload", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Run all stops", [{ cell_type: "code", source: "" }]);
  await page.goto(path);
  await expect(cells(page)).toHaveCount(1);

  // Three cells, typed like a person; the second one raises.
  const first = cells(page).nth(0);
  await editCell(page, first);
  await typeCode(first, "print(6 * 7)");
  const second = await addCellBelow(page, first);
  await typeCode(second, 'raise ValueError("the second cell fails")');
  const third = await addCellBelow(page, second);
  await typeCode(third, 'print("third", "ran")');
  await page.keyboard.press("Escape");
  await expect(cells(page)).toHaveCount(3);

  await page.getByRole("button", { name: "Run all", exact: true }).click();

  // The notice names the cell that stopped the run and why, and how many cells did not run.
  const notice = page.getByRole("alert", { name: "Run stopped" });
  await expect(notice).toContainText("Run stopped at cell 2", { timeout: 300_000 });
  await expect(notice).toContainText("ValueError: the second cell fails");
  await expect(notice).toContainText("1 cell after it was not run.");

  await expect(first.locator(".nb-outputs")).toContainText("42");
  await expect(second.getByRole("status")).toHaveText("Error");
  await expect(second.locator(".nb-outputs")).toContainText("ValueError");
  // The third cell is marked as not run in this run, and did not run.
  await expect(third).toHaveAttribute("data-status", "cancelled");
  await expect(third.getByRole("status")).toHaveText("Not run: the run stopped before this cell.");
  await expect(third).not.toContainText("third ran");
  await expect(third.locator(".nb-prompt")).toHaveText("[ ]");

  // Each cell that ran says how long it took, who ran it and when.
  const firstTime = first.locator(".nb-run-time");
  await expect(firstTime).toHaveText(/^Took \d+(\.\d+)? s, by Demo User at \S/);
  await expect(second.locator(".nb-run-time")).toHaveText(/^Took \d+(\.\d+)? s, by Demo User at \S/);
  await expect(third.locator(".nb-run-time")).toHaveCount(0);
  const firstTimeText = await firstTime.textContent();

  await page.screenshot({ path: "test-results/notebook-run-all.png", fullPage: true });

  // The notice leads to the failed cell.
  await notice.getByRole("button", { name: "Go to cell 2" }).click();
  await expect(second).toHaveAttribute("aria-current", "true");

  // After a reload: the same run times, the third cell still marked, the notice still there.
  await page.reload();
  await expect(cells(page)).toHaveCount(3);
  await expect(cells(page).nth(0).locator(".nb-run-time")).toHaveText(firstTimeText!);
  await expect(cells(page).nth(0).locator(".nb-outputs")).toContainText("42");
  await expect(cells(page).nth(2)).toHaveAttribute("data-status", "cancelled");
  await expect(page.getByRole("alert", { name: "Run stopped" })).toContainText("Run stopped at cell 2");

  // Dismissed, it goes; the marks on the cells stay.
  await page.getByRole("alert", { name: "Run stopped" }).getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByRole("alert", { name: "Run stopped" })).toHaveCount(0);
  await expect(cells(page).nth(2).getByRole("status")).toHaveText(
    "Not run: the run stopped before this cell.",
  );
});

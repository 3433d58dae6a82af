// Running with the keyboard as a person does: type in the last cell, pause, press Shift+Enter (or
// Alt+Enter) once. The cell must run with exactly what was typed, whatever saves are in flight,
// and a new cell must take the caret. This failed for every person while the older tests passed:
// the save of the inserted cell made the save before the run report "not saved", so nothing ran.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 300_000 });

const ROUNDS = 10;

for (const key of ["Shift+Enter", "Alt+Enter"]) {
  test(`${key} on the last cell runs it, ${ROUNDS} times in a row, from a kernel not yet started`, async ({
    page,
    request,
  }) => {
    await signInAsDemo(page);
    const { path } = await createNotebook(request, `Keys ${key}`, [{ cell_type: "code", source: "" }]);
    await page.goto(path);
    await expect(page.getByTestId("kernel-status")).toContainText("Not started", { timeout: 30_000 });
    await editCell(page, cells(page).nth(0));
    for (let round = 0; round < ROUNDS; round++) {
      // Each cell's answer is different, so a cell that ran stale or empty code shows it.
      await page.keyboard.type(`${round + 1} * 7`, { delay: 60 });
      // The pauses people take: the bug showed for any pause up to 1.5 s.
      await page.waitForTimeout(200 + (round % 5) * 300);
      await page.keyboard.press(key);
      // The new last cell has the caret: the next round types into it.
      await expect(cells(page)).toHaveCount(round + 2);
      await expect(
        cells(page)
          .nth(round + 1)
          .locator(".monaco-editor.focused"),
      ).toBeVisible();
    }
    for (let round = 0; round < ROUNDS; round++) {
      const cell = cells(page).nth(round);
      const answer = new RegExp(`(^|\\D)${(round + 1) * 7}(\\D|$)`);
      await expect(cell.locator(".nb-outputs")).toContainText(answer, { timeout: 120_000 });
      await expect(cell.locator(".nb-prompt")).toHaveText(`[${round + 1}]`);
    }
    await expect(page.getByText("could not be saved")).toHaveCount(0);
  });
}

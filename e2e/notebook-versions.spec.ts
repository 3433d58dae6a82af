// Issue 4, named versions: save a version, edit, restore it; the replaced state stays a version.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, createNotebook, editCell } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test("save a named version, change the notebook, restore the version", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Restore test", [
    { cell_type: "code", source: "x = 'original'" },
  ]);
  await page.goto(path);
  await expect(cells(page).first()).toContainText("x = 'original'");

  await page.getByRole("button", { name: "Versions", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Versions" });
  await dialog.getByLabel("Version name").fill("first draft");
  await dialog.getByRole("button", { name: "Save version" }).click();
  await expect(dialog.getByRole("list", { name: "Named versions" })).toContainText("first draft");
  await dialog.getByRole("button", { name: "Close" }).click();

  await editCell(page, cells(page).first());
  await page.keyboard.press("Control+End");
  await page.keyboard.type("  # changed");
  await page.keyboard.press("Control+s");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");

  await page.getByRole("button", { name: "Versions", exact: true }).click();
  await dialog.getByRole("button", { name: "Restore first draft" }).click();
  await dialog.getByRole("button", { name: "Confirm restore" }).click();
  await expect(dialog.getByRole("status")).toContainText("Restored “first draft”");
  await expect(dialog.getByRole("list", { name: "Named versions" })).toContainText(
    "Before restoring “first draft”",
  );
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(cells(page).first()).toContainText("x = 'original'");
  await expect(cells(page).first()).not.toContainText("# changed");

  // The server has the restored source, and a reload shows it.
  const saved = await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH });
  const text = JSON.stringify(await saved.json());
  expect(text).toContain("x = 'original'");
  expect(text).not.toContain("# changed");
  await page.reload();
  await expect(cells(page).first()).toContainText("x = 'original'");
  await expect(page.getByTestId("save-state")).toHaveText("Saved");
});

// Notebook management and the project's files, as a person does them: a notebook made without a
// name is "Untitled"; it is renamed from its header, duplicated, renamed from the list, deleted,
// found in the trash and restored, and a copy is deleted forever after a confirmation. A cell
// writes a file into the project's folder (the kernel's working directory) and it shows in the
// Files tab; a file is uploaded there and downloaded back. Runs a real (sandboxed) kernel.
import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, editCell } from "./notebook-fixtures";

test.describe.configure({ timeout: 420_000 });

const TYPING = { delay: 40 };
const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');
const notebookList = (page: Page) => page.getByRole("list", { name: "Notebooks" });

async function openTab(page: Page, name: string): Promise<void> {
  await page.getByRole("tab", { name }).click();
  await expect(page.getByRole("tab", { name })).toHaveAttribute("aria-selected", "true");
}

test("rename, duplicate, trash and restore notebooks; files a cell writes and uploads show in Files", async ({
  page,
  request,
}) => {
  const created = await request.post("/api/v1/projects", {
    headers: AUTH,
    data: { name: `Files and trash ${Date.now()}` },
  });
  expect(created.status()).toBe(201);
  const { id: projectId } = (await created.json()) as { id: string };

  await signInAsDemo(page);
  await page.goto(`/projects/${projectId}`);

  // A notebook made without a name is "Untitled", as in JupyterLab.
  await page.getByRole("button", { name: "New notebook" }).click();
  await expect(page).toHaveURL(/\/notebooks\//);
  const title = page.getByRole("heading", { level: 1 });
  await expect(title).toHaveText("Untitled");

  // Rename from the header: click the title, type, Enter. Escape first cancels an edit.
  await title.getByRole("button").click();
  const nameField = page.getByLabel("Notebook name");
  await nameField.pressSequentially("Nope", TYPING);
  await page.keyboard.press("Escape");
  await expect(title).toHaveText("Untitled");
  await title.getByRole("button").click();
  await page.getByLabel("Notebook name").pressSequentially("Sales forecast", TYPING);
  await page.keyboard.press("Enter");
  await expect(title).toHaveText("Sales forecast");

  // A cell writes a file into its working directory: the project's folder.
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  await editCell(page, cells(page).nth(0));
  await page.keyboard.type("import pathlib; pathlib.Path('out.csv').write_text('region,sales')", TYPING);
  await page.keyboard.press("Shift+Enter");
  await expect(cells(page).nth(0).locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  await expect(cells(page).nth(0).locator(".nb-outputs")).toContainText("12", { timeout: 300_000 });

  await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: /Files and trash/ })
    .click();
  await openTab(page, "Files");
  const files = page.getByRole("table", { name: "Files in this folder" });
  await expect(files.getByRole("row", { name: /out\.csv/ })).toContainText("12 B");

  // Upload a file through the file chooser, then download it back.
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Upload files" }).click();
  await (await chooser).setFiles({
    name: "notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Quarterly notes\nregion east grew\n"),
  });
  await expect(page.getByRole("tabpanel").getByRole("status")).toHaveText("Uploaded notes.txt.");
  await expect(files.getByRole("row", { name: /notes\.txt/ })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download notes.txt" }).click();
  const saved = await (await download).path();
  expect(readFileSync(saved, "utf8")).toBe("Quarterly notes\nregion east grew\n");

  // Duplicate from the list, then rename the copy there.
  await openTab(page, "Notebooks");
  await page.getByRole("button", { name: "Duplicate Sales forecast" }).click();
  await expect(page.getByRole("tabpanel").getByRole("status")).toHaveText(
    "Duplicated as “Sales forecast (copy)”.",
  );
  await expect(notebookList(page).getByRole("link", { name: /Sales forecast \(copy\)/ })).toBeVisible();
  await page.getByRole("button", { name: "Rename Sales forecast (copy)" }).click();
  const newName = page.getByLabel("New name");
  await newName.press("Control+A");
  await newName.pressSequentially("Forecast draft", TYPING);
  await newName.press("Enter");
  await expect(notebookList(page).getByRole("link", { name: /Forecast draft/ })).toBeVisible();

  // Delete the original: it leaves the list and waits in the trash, from where it comes back.
  await page.getByRole("button", { name: "Delete Sales forecast", exact: true }).click();
  await expect(page.getByRole("tabpanel").getByRole("status")).toContainText(
    "Moved “Sales forecast” to the trash",
  );
  await expect(notebookList(page).getByRole("link", { name: /^Sales forecast/ })).toHaveCount(0);
  await openTab(page, "Trash");
  const trash = page.getByRole("list", { name: "Deleted notebooks" });
  await expect(trash.getByRole("listitem")).toHaveCount(1);
  await expect(trash).toContainText("Sales forecast");
  await page.getByRole("button", { name: "Restore Sales forecast" }).click();
  await expect(page.getByRole("tabpanel").getByRole("status")).toHaveText(
    "Restored “Sales forecast” to the notebooks.",
  );
  await expect(page.getByText("The trash is empty.")).toBeVisible();
  await openTab(page, "Notebooks");
  await notebookList(page)
    .getByRole("link", { name: /^Sales forecast/ })
    .click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sales forecast");
  await expect(cells(page).nth(0)).toContainText("pathlib");

  // Delete the copy for good: it asks first.
  await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: /Files and trash/ })
    .click();
  await page.getByRole("button", { name: "Delete Forecast draft" }).click();
  await openTab(page, "Trash");
  await page.getByRole("button", { name: "Delete Forecast draft forever" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete “Forecast draft” forever?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Delete forever" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("The trash is empty.")).toBeVisible();
});

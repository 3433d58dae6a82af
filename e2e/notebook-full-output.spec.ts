// Issue 4: an output over the cap shows the broker's notice and a "Download full output" link
// whose file has every line the cell printed.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test("a capped output links to the full output", async ({ page, request }) => {
  test.setTimeout(360_000);
  await signInAsDemo(page);
  // 7 MB, over the 5 MB cap, paced under jupyter_server's IOPub rate limit.
  const source = [
    "import time",
    "for i in range(7000):",
    "    print(f'{i:05d}' + 'y' * 995)",
    "    if i % 200 == 0: time.sleep(0.06)",
  ].join("\n");
  const { path } = await createNotebook(request, "Big output", [{ cell_type: "code", source }]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  await cells(page).first().locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  const cell = cells(page).first();
  await expect(cell.locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  // The notice is the last output (matched there: the whole output is megabytes of text).
  await expect(cell.locator(".nb-output").last()).toContainText(/output truncated: [\d.]+ MB more/i);
  const link = cell.getByRole("link", { name: "Download full output" });
  await expect(link).toBeVisible();
  const download = await page.request.get((await link.getAttribute("href"))!);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-disposition"]).toContain("attachment");
  const lines = (await download.text()).trimEnd().split("\n");
  expect(lines).toHaveLength(7000);
  expect(lines[6999]).toBe(`06999${"y".repeat(995)}`);
});

// Picking a notebook's kernel (issue 17, docs/spark.md), as a person does it in JupyterLab's
// "Change kernel": the toolbar names the kernel, the person picks "Python 3 (Spark, dedicated)",
// is told the running state is lost, confirms, and then has `sc`. A reload keeps the choice.
import { type Browser, expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

// A dedicated kernel starts its own JVM at the first Spark use: minutes on a loaded 2-core machine.
test.describe.configure({ timeout: 480_000 });

test("a person switches a notebook to the dedicated Spark kernel and uses sc", async ({ page, request }) => {
  await signInAsDemo(page);
  const { path } = await createNotebook(request, "Pick a kernel", [
    { cell_type: "code", source: "x = 41" },
    { cell_type: "code", source: "" },
  ]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  const picker = page.getByTestId("kernel-picker");
  await expect(picker).toHaveText("Python 3 (Spark)");

  // A kernel with state: the change must say that state goes.
  await cells(page).nth(0).locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  await expect(cells(page).nth(0).locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  await expect(page.getByTestId("kernel-status")).toContainText("Idle", { timeout: 120_000 });

  await picker.click();
  const dialog = page.getByRole("dialog", { name: "Select a kernel" });
  await dialog.getByLabel(/Python 3 \(Spark, dedicated\)/).check();
  await expect(dialog.getByTestId("kernel-change-warning")).toContainText("variables and imports are lost");
  await dialog.getByRole("button", { name: "Change kernel and restart" }).click();
  await expect(dialog).toBeHidden();
  await expect(picker).toHaveText("Python 3 (Spark, dedicated)");
  await expect(page.getByTestId("kernel-status")).toContainText("Idle", { timeout: 120_000 });

  const cell = cells(page).nth(1);
  await editCell(page, cell);
  await page.keyboard.type("sc.parallelize(range(10)).sum()", { delay: 60 });
  await page.keyboard.press("Control+Enter");
  await expect(cell.locator(".nb-outputs")).toContainText(/(^|\D)45(\D|$)/, { timeout: 420_000 });
  // The fresh kernel counts from 1: the shared kernel's run (and its `x`) is gone.
  await expect(cell.locator(".nb-prompt")).toHaveText("[1]");

  await page.reload();
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  await expect(page.getByTestId("kernel-picker")).toHaveText("Python 3 (Spark, dedicated)");
});

/** A signed-up person in a browser context of their own. */
async function newPerson(browser: Browser, origin: string, name: string) {
  const context = await browser.newContext({ baseURL: origin });
  const email = `${name.toLowerCase()}-kernel-${Date.now()}@example.test`;
  const signedUp = await context.request.post("/api/auth/sign-up/email", {
    headers: { origin },
    data: { name, email, password: "a long enough password" },
  });
  expect(signedUp.status(), await signedUp.text()).toBe(200);
  return { context, page: await context.newPage(), email };
}

test("the change reaches every open page at once; a viewer sees the kernel and cannot change it", async ({
  browser,
  baseURL,
}) => {
  const origin = baseURL ?? "";
  const ada = await newPerson(browser, origin, "Ada");
  const vic = await newPerson(browser, origin, "Vic");
  const post = async (url: string, data: unknown) => {
    const response = await ada.page.request.post(url, { headers: { origin }, data });
    expect(response.ok(), await response.text()).toBe(true);
    return (await response.json()) as { id: string };
  };
  // The scene, through the API: Ada's project with Vic as a viewer, and a notebook.
  const project = await post("/api/v1/projects", { name: `Kernels ${Date.now()}` });
  await post(`/api/v1/projects/${project.id}/members`, { email: vic.email, role: "viewer" });
  const notebook = await post(`/api/v1/projects/${project.id}/notebooks`, { name: "Which kernel" });
  const path = `/projects/${project.id}/notebooks/${notebook.id}`;

  await ada.page.goto(path);
  await vic.page.goto(path);
  await expect(vic.page.getByTestId("kernel-picker")).toHaveText("Python 3 (Spark)");
  // A viewer's picker is text: there is nothing to click.
  await expect(vic.page.getByRole("button", { name: /Choose another kernel/ })).toHaveCount(0);

  await ada.page.getByTestId("kernel-picker").click();
  const dialog = ada.page.getByRole("dialog", { name: "Select a kernel" });
  await dialog.getByLabel(/Python 3 \(Spark, dedicated\)/).check();
  // No kernel runs yet: nothing is lost, the next run starts the new kind.
  await expect(dialog.getByTestId("kernel-change-warning")).toContainText("next run starts the new kind");
  await dialog.getByRole("button", { name: "Change kernel" }).click();
  await expect(ada.page.getByTestId("kernel-picker")).toHaveText("Python 3 (Spark, dedicated)");
  // Vic's open page hears it without a reload.
  await expect(vic.page.getByTestId("kernel-picker")).toHaveText("Python 3 (Spark, dedicated)");
  await ada.context.close();
  await vic.context.close();
});

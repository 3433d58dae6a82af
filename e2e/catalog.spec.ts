// Issue 6 end to end: upload a CSV with a progress bar, see Spark's profile on the asset page,
// copy the insert-to-notebook snippet, find the asset from the top bar's autocomplete and by a
// column on the catalog page; hostile text in a description shows as text, never runs.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo, signUp } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

const CSV = ["order_id,customer_email,amount", "1,a@x.test,10", "2,b@x.test,20", "3,,30"].join("\n");

test("upload, profile, snippet, autocomplete and column search", async ({ browser }) => {
  test.setTimeout(400_000);
  const { page } = await signUp(browser, "Cara", { permissions: ["clipboard-read", "clipboard-write"] });
  let dialogs = 0;
  page.on("dialog", (dialog) => {
    dialogs += 1;
    void dialog.dismiss();
  });
  const origin = new URL(page.url()).origin;
  const project = await page.request.post("/api/v1/projects", {
    headers: { origin },
    data: { name: "Shop" },
  });
  expect(project.status()).toBe(201);

  await page.goto("/catalog");
  await page.getByRole("button", { name: "Upload data" }).click();
  const dialog = page.getByRole("dialog", { name: "Upload a dataset" });
  await dialog.getByLabel("File (CSV, JSON or Parquet)").setInputFiles({
    name: "orders.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(CSV),
  });
  await dialog.getByLabel("Name").fill("e2e_orders");
  await dialog.getByLabel("Description").fill('Quarterly revenue of the shop "><img src=x onerror=alert(1)>');
  await dialog.getByLabel("Tags (comma-separated)").fill("finance");
  await dialog.getByRole("button", { name: "Upload" }).click();

  await expect(page.getByRole("heading", { name: "e2e_orders" })).toBeVisible();
  await expect(page.getByText('"><img src=x onerror=alert(1)>', { exact: false })).toBeVisible();
  // Spark profiles it in the background; the page follows the job until it is done.
  await expect(page.getByTestId("profile-status")).toContainText("Statistics used all 3 rows", {
    timeout: 300_000,
  });
  await expect(page.getByTestId("profile-amount")).toContainText("0.0% null");
  await expect(page.getByTestId("profile-customer_email")).toContainText("33.3% null");
  await expect(page.getByRole("table", { name: "Preview rows" })).toContainText("b@x.test");

  await expect(page.getByTestId("snippet")).toContainText('catalog.load("e2e_orders")');
  await page.getByRole("tab", { name: "SQL" }).click();
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain("createOrReplaceTempView");

  // The owner edits description and tags; a tag search finds the asset by its new tag.
  await page.getByRole("button", { name: "Edit description and tags" }).click();
  await page.getByLabel("Description").fill("Orders of the shop, one row per order");
  await page.getByLabel("Tags (comma-separated)").fill("finance, gold");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Orders of the shop, one row per order")).toBeVisible();
  await page.goto(`/catalog?q=${encodeURIComponent("tag:gold")}`);
  await expect(
    page.getByRole("list", { name: "Search results" }).getByRole("link", { name: "e2e_orders" }),
  ).toBeVisible();

  await page.goto("/");
  const box = page.getByRole("combobox", { name: "Search the data catalog" });
  await box.fill("e2e_or");
  await page.getByRole("option", { name: /e2e_orders/ }).click();
  await expect(page.getByRole("heading", { name: "e2e_orders" })).toBeVisible();

  await page.goto(`/catalog?q=${encodeURIComponent("customer_email")}`);
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("link", { name: "e2e_orders" })).toBeVisible();
  await expect(results.getByTestId("matched-columns").locator("mark")).toHaveText("customer_email");

  await page.goto(`/catalog?q=${encodeURIComponent("ordrs")}`);
  await expect(page.getByTestId("corrected-query")).toContainText("orders");
  await expect(results.getByRole("link", { name: "e2e_orders" })).toBeVisible();
  expect(dialogs).toBe(0);
});

// Direct children only: outputs may hold lists of their own.
const cellItems = (page: Page) =>
  page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test("top bar search → asset → Insert into notebook → run: the kernel loads it as the user", async ({
  page,
}) => {
  test.setTimeout(480_000);
  await signInAsDemo(page);
  // The seed registered the Getting started sample; find it from the top bar.
  const box = page.getByRole("combobox", { name: "Search the data catalog" });
  await box.fill("sales_20");
  await page.getByRole("option", { name: /sales_2026/ }).click();
  await expect(page.getByRole("heading", { name: "sales_2026" })).toBeVisible();
  const assetUrl = page.url();

  await page.getByRole("button", { name: "Insert into notebook" }).click();
  const dialog = page.getByRole("dialog", { name: "Insert into notebook" });
  await dialog.getByLabel("Notebook").selectOption({ label: "New notebook “Explore sales_2026”" });
  await dialog.getByRole("button", { name: "Insert" }).click();
  await expect(page).toHaveURL(/\/notebooks\/[^?]+$/);

  const cell = cellItems(page).last();
  await expect(cell).toContainText('catalog.load("sales_2026")');
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  await cell.locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  // df.show(5): the CSV's header row, read by Spark in the kernel through flint.catalog.
  await expect(cell.locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  await expect(cell.locator(".nb-outputs")).toContainText("order_id");
  await expect(cell.locator(".nb-outputs")).toContainText("revenue");

  // The same asset from the notebook's Data panel, as pandas, below the active cell.
  await page.getByRole("button", { name: "Data" }).click();
  const panel = page.getByRole("complementary", { name: "Data" });
  await panel
    .getByRole("group", { name: "Insert sales_2026" })
    .getByRole("button", { name: "pandas" })
    .click();
  await expect(cellItems(page).last()).toContainText('catalog.load_pandas("sales_2026"');
  // By index: Shift+Enter on the last cell adds a new one below, which `.last()` would follow.
  const pandasCell = cellItems(page).nth((await cellItems(page).count()) - 1);
  await editCell(page, pandasCell);
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\nlen(pdf)");
  // Escape closes the kernel's as-you-type suggestions (which would take Enter keys), then edit
  // mode; the cell runs from command mode.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await pandasCell.locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  // Every row of the sample (500), the same count the catalog's profile reports.
  await expect(pandasCell.locator(".nb-prompt")).toHaveText("[2]", { timeout: 300_000 });
  // The result comes after the Spark progress summary, even for a job shorter than the progress
  // poll's tick (the kernel shows progress before the result): the cell's last output is `500`.
  await expect(pandasCell.locator(".nb-outputs")).toHaveText(/\D500\s*$/);

  // The read is recorded as lineage: the asset page lists the notebook under "Used by".
  await page.goto(assetUrl);
  await expect(page.getByText("Explore sales_2026").first()).toBeVisible();
  await expect(page.getByTestId("profile-status")).toContainText("Statistics used all 500 rows", {
    timeout: 240_000,
  });
});

test("a notebook saves a Spark table and registers it: the catalog finds it with the kernel's profile", async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
  const table = `web_visits_${Date.now().toString(36)}`;
  const notebook = await createNotebook(request, "Register a Spark table", [
    {
      cell_type: "code",
      source: [
        "import flint.catalog",
        `spark.range(7).withColumnRenamed("id", "visit_id").write.mode("overwrite").saveAsTable("${table}")`,
        `flint.catalog.register_table("${table}", description="Visits of the web shop")["name"]`,
      ].join("\n"),
    },
  ]);
  await signInAsDemo(page);
  await page.goto(notebook.path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  const cell = cellItems(page).first();
  await cell.locator(".nb-gutter").click();
  await page.keyboard.press("Control+Enter");
  // The real kernel wrote the table, profiled it with Spark and called the API as the user.
  await expect(cell.locator(".nb-prompt")).toHaveText("[1]", { timeout: 300_000 });
  await expect(cell.locator(".nb-outputs")).toContainText(`'${table}'`);

  await page.goto(`/catalog?q=${encodeURIComponent("visits web shop")}`);
  await page.getByRole("list", { name: "Search results" }).getByRole("link", { name: table }).click();
  await expect(page.getByRole("heading", { name: table })).toBeVisible();
  await expect(page.getByText(`spark_catalog.default.${table}`).first()).toBeVisible();
  await expect(page.getByTestId("profile-status")).toContainText("Statistics used all 7 rows");
  await expect(page.getByTestId("profile-visit_id")).toContainText("0.0% null");
  // Its writer is the notebook (lineage recorded from the kernel's call).
  await expect(page.getByText("Register a Spark table").first()).toBeVisible();
});

test("the catalog's dialogs wait for the project list and say when it cannot load", async ({ page }) => {
  await signInAsDemo(page);
  // Hold the page's project list: the dialog opens before it arrives.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route("**/api/v1/projects", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/catalog");
  await page.getByRole("button", { name: "Upload data" }).click();
  const upload = page.getByRole("dialog", { name: "Upload a dataset" });
  await expect(upload.getByRole("status")).toHaveText("Loading your projects…");
  await expect(upload.getByText("You need the editor or admin role")).toHaveCount(0);
  release();
  await expect(upload.getByLabel("Project")).toHaveValue(/.+/);
  await upload.getByRole("button", { name: "Cancel" }).click();

  // A failed list is said as such, not as a missing role.
  await page.unroute("**/api/v1/projects");
  await page.route("**/api/v1/projects", (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({ error: { code: "unavailable", message: "The database is not answering" } }),
    }),
  );
  await page.reload();
  await page.getByRole("button", { name: "Connect a database" }).click();
  const connect = page.getByRole("dialog", { name: "Connect a database" });
  await expect(connect.getByRole("alert")).toContainText("Your projects could not be loaded");
  await expect(connect.getByRole("alert")).toContainText("The database is not answering");
});

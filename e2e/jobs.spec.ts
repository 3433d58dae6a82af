// Issue 22, jobs: schedule a notebook from its page, run it now with a parameter from the project's
// Jobs tab, and open the run, which shows the injected parameter and the output it made.
import { expect, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { AUTH, createNotebook } from "./notebook-fixtures";

test("schedule a notebook, run it now with a parameter, open the run", async ({ page, request }) => {
  test.setTimeout(240_000);
  await signInAsDemo(page);
  const { path, id } = await createNotebook(request, "Weather report", [
    { cell_type: "code", source: 'city = "Oslo"', metadata: { tags: ["parameters"] } },
    { cell_type: "code", source: 'print(f"Weather in {city}")' },
  ]);
  await page.goto(path);
  await expect(page.getByRole("list", { name: "Cells" })).toContainText('city = "Oslo"');

  await page.getByRole("button", { name: "Schedule", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Schedule this notebook" });
  const name = dialog.getByLabel("Job name");
  await expect(name).toHaveValue("Weather report");
  await name.click();
  await name.press("Control+a");
  await name.pressSequentially("Daily weather", { delay: 40 });
  await dialog.getByLabel("Schedule (cron)").pressSequentially("0 6 * * *", { delay: 40 });
  // The notebook's parameters cell is offered, its default left as it is.
  await expect(dialog.getByLabel("Value of city")).toBeVisible();
  await dialog.getByRole("button", { name: "Create job" }).click();
  await expect(dialog.getByRole("status")).toContainText("Job “Daily weather” is ready. Next run:");
  await dialog.getByRole("link", { name: "Open in Jobs" }).click();

  const jobs = page.getByRole("tabpanel", { name: "Jobs" });
  await expect(jobs.getByRole("button", { name: /Daily weather/ })).toContainText("0 6 * * *");
  const runNow = jobs.getByRole("form", { name: "Run now" });
  await runNow.getByLabel("Value of city").pressSequentially("Bergen", { delay: 40 });
  await runNow.getByRole("button", { name: "Run now" }).click();

  const history = jobs.getByRole("table", { name: "Run history" });
  await expect(history.getByRole("row")).toHaveCount(2);
  await expect(history).toContainText('city="Bergen"');
  // A fresh kernel starts for the run; the tab follows the run until it ends.
  await expect(history).toContainText("succeeded", { timeout: 180_000 });
  await expect(jobs.getByTestId("chart-view")).toBeVisible();

  await history.getByRole("link").first().click();
  await expect(page.getByRole("heading", { name: /Run of Daily weather/ })).toBeVisible();
  await expect(page.getByText('Parameters: city = "Bergen"')).toBeVisible();
  const cells = page.getByRole("list", { name: "Cells" }).locator(":scope > li");
  await expect(cells).toHaveCount(3);
  await expect(cells.nth(1)).toContainText('city = "Bergen"');
  await expect(cells.nth(2)).toContainText("Weather in Bergen");

  // The run left the notebook itself alone: its interactive kernel never ran, its source is unchanged.
  const notebook = await (await request.get(`/api/v1/notebooks/${id}`, { headers: AUTH })).json();
  expect(JSON.stringify(notebook)).not.toContain("Bergen");
});

// From a notebook to a scoring endpoint (issue 20, docs/models.md), as one person does it: type a
// scikit-learn training cell that logs a metric and registers the model with the alias champion,
// run it with Shift+Enter, find the run and its metric in the Models tab (and its chart in
// Compare), deploy the model from the Deployments page, create a key, then paste the page's curl
// snippet into a shell: the predictions are the model's. Revoked on the page, the same command is
// refused. `import mlflow` needs no set-up: the kernel points at the project's tracking API.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

const run = promisify(execFile);
const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 600_000 });

// One statement per line and no indented block: what a person types, Enter by Enter, without
// fighting the editor's auto-indent. Closing brackets and quotes are typed over the editor's own.
// Tiny data and no Spark: the cell runs in seconds once the kernel is up.
const TRAINING_CELL = [
  "import mlflow, pandas as pd",
  "from sklearn.linear_model import LinearRegression",
  'X = pd.DataFrame({"orders": [1.0, 2.0, 3.0, 4.0, 5.0], "revenue": [10.0, 25.0, 28.0, 41.0, 52.0]})',
  "y = [0.5, 1.1, 1.4, 2.1, 2.6]",
  'run = mlflow.start_run(run_name="spend-linreg")',
  "model = LinearRegression().fit(X, y)",
  'mlflow.log_metric("r2", round(model.score(X, y), 3))',
  'info = mlflow.sklearn.log_model(model, name="model", registered_model_name="spend", input_example=X.head(2))',
  "mlflow.end_run()",
  'mlflow.MlflowClient().set_registered_model_alias("spend", "champion", info.registered_model_version)',
  'print("registered spend version", info.registered_model_version)',
  'print("check", model.predict(pd.DataFrame({"orders": [1.5], "revenue": [1.5]})).tolist())',
].join("\n");

/** Runs a snippet as it is, the way a person pasting it into a terminal does: what curl prints. */
async function inShell(command: string): Promise<Record<string, unknown>> {
  const { stdout } = await run("bash", ["-c", command], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

test("train in a notebook, see the run, deploy the model and call it with the page's curl snippet", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, projectId } = await createNotebook(request, "Spend model", [
    { cell_type: "code", source: "" },
  ]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  const cell = cells(page).nth(0);
  await editCell(page, cell);
  await page.keyboard.type(TRAINING_CELL, { delay: 40 });
  await page.keyboard.press("Shift+Enter");
  const outputs = cell.locator(".nb-outputs");
  await expect(outputs).toContainText("registered spend version 1", { timeout: 300_000 });
  const printed = (await outputs.textContent()) ?? "";
  const expected = JSON.parse(/check (\[[^\]]+\])/.exec(printed)?.[1] ?? "null") as number[] | null;
  expect(expected, printed).not.toBeNull();

  // To the project, as a person does: the breadcrumb, then the Models tab.
  await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: "Getting started" })
    .click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}`));
  await page.getByRole("tab", { name: "Models" }).click();
  const runs = page.getByRole("table", { name: "Runs" });
  const row = runs.getByRole("row").filter({ hasText: "spend-linreg" });
  await expect(row).toBeVisible();
  await expect(row).toContainText("Spend model");
  await expect(row).toContainText("finished");
  await expect(runs.getByRole("columnheader", { name: "r2" })).toBeVisible();
  await expect(row).toContainText("0.998");
  await row.getByRole("checkbox", { name: "Compare spend-linreg" }).check();
  await page.getByRole("button", { name: "Compare 1" }).click();
  const compare = page.getByRole("region", { name: /Comparing 1 run/ });
  await expect(compare.getByRole("figure", { name: "Chart of r2" }).locator("canvas")).toBeVisible();
  const registered = page.getByRole("listitem", { name: "Model spend" });
  await expect(registered).toContainText("@champion");

  // The project's Deployments, then Deploy next to the model.
  await page.getByRole("link", { name: "Deployments" }).click();
  await expect(page.getByRole("heading", { name: "Deployments", level: 1 })).toBeVisible();
  const model = page.getByRole("listitem", { name: "Model spend" });
  await expect(model).toContainText("@champion → v1");
  await model.getByRole("button", { name: "Deploy" }).click();
  const form = page.getByRole("form", { name: "Deploy spend" });
  await expect(form.getByLabel("Deployment name")).toHaveValue("spend-api");
  await expect(form.getByLabel("Serve")).toHaveValue("alias:champion");
  await form.getByRole("button", { name: "Deploy" }).click();

  // The deployment's page follows the model while it loads.
  await expect(page.getByRole("heading", { name: "spend-api" })).toBeVisible();
  const status = page.getByRole("region", { name: "Status" });
  await expect(status).toContainText("running", { timeout: 300_000 });
  await expect(status).toContainText("serving version 1");
  await expect(status).toContainText("orders (double), revenue (double)");

  // A key, shown once; the curl snippet now carries it, as a person would paste it.
  await page.getByLabel("Key name").pressSequentially("billing app", { delay: 40 });
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^flint_dk_/);
  const curl = (await page.getByTestId("curl-snippet").textContent()) ?? "";
  expect(curl).toContain(`Bearer ${secret}`);
  expect(curl).toContain(`${new URL(page.url()).origin}/api/v1/deployments/spend-api/predict`);

  expect(await inShell(curl)).toEqual({ predictions: expected });

  // Revoked on the page: the same command is refused at once.
  await page.getByRole("button", { name: "Revoke billing app" }).click();
  await expect(page.getByRole("button", { name: "Revoke billing app" })).toHaveCount(0);
  const refused = await inShell(curl);
  expect((refused.error as { code?: string } | undefined)?.code).toBe("unauthorized");
});

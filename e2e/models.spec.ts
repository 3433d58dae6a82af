// Models (issue 20, docs/models.md): a person types a training cell, runs it once with
// Shift+Enter, opens the project's Models tab, and finds the run with its metric, compares it with
// a metric chart, and sees the model they registered with its `champion` alias. `import mlflow`
// needs no set-up: the kernel already points at the project's tracking API through Flint.
import { expect, type Page, test } from "@playwright/test";
import { signInAsDemo } from "./account-fixtures";
import { createNotebook, editCell } from "./notebook-fixtures";

const cells = (page: Page) => page.getByRole("list", { name: "Cells" }).locator(':scope > [role="listitem"]');

test.describe.configure({ timeout: 420_000 });

// One statement per line and no indented block: what a person types, Enter by Enter, without
// fighting the editor's auto-indent. Closing brackets and quotes are typed over the editor's own.
const TRAINING_CELL = [
  "import mlflow, numpy as np",
  "from sklearn.linear_model import LogisticRegression",
  "X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])",
  'run = mlflow.start_run(run_name="churn-logreg")',
  "model = LogisticRegression(C=0.5).fit(X, y)",
  'mlflow.log_param("C", 0.5)',
  'for step in range(4): mlflow.log_metric("accuracy", 0.55 + 0.1 * step, step=step)',
  'info = mlflow.sklearn.log_model(model, name="model", registered_model_name="churn")',
  "mlflow.end_run()",
  'mlflow.MlflowClient().set_registered_model_alias("churn", "champion", info.registered_model_version)',
  'print("registered churn version", info.registered_model_version)',
].join("\n");

test("train in a cell, then see the run, its metric chart and the champion model in the Models tab", async ({
  page,
  request,
}) => {
  await signInAsDemo(page);
  const { path, projectId } = await createNotebook(request, "Churn training", [
    { cell_type: "code", source: "" },
  ]);
  await page.goto(path);
  await expect(page.getByTestId("kernel-status")).not.toContainText("Connecting", { timeout: 30_000 });
  const cell = cells(page).nth(0);
  await editCell(page, cell);
  await page.keyboard.type(TRAINING_CELL, { delay: 40 });
  await page.keyboard.press("Shift+Enter");
  await expect(cell.locator(".nb-outputs")).toContainText("registered churn version 1", { timeout: 300_000 });

  // To the project, as a person does: the breadcrumb, then the Models tab.
  await page
    .getByRole("navigation", { name: "Breadcrumb" })
    .getByRole("link", { name: "Getting started" })
    .click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}`));
  await page.getByRole("tab", { name: "Models" }).click();

  const runs = page.getByRole("table", { name: "Runs" });
  const row = runs.getByRole("row").filter({ hasText: "churn-logreg" });
  await expect(row).toBeVisible();
  await expect(row).toContainText("Churn training");
  await expect(row).toContainText("finished");
  await expect(runs.getByRole("columnheader", { name: "accuracy" })).toBeVisible();
  await expect(row).toContainText("0.85");
  await expect(row).toContainText("0.5");

  await row.getByRole("checkbox", { name: "Compare churn-logreg" }).check();
  await page.getByRole("button", { name: "Compare 1" }).click();
  const compare = page.getByRole("region", { name: /Comparing 1 run/ });
  await expect(compare.getByRole("table", { name: "Compared runs" })).toContainText("accuracy");
  // The metric chart, drawn by Flint's Vega-Lite renderer (on a canvas).
  const chart = compare.getByRole("figure", { name: "Chart of accuracy" });
  await expect(chart.locator("canvas")).toBeVisible();
  await expect(chart.getByRole("alert")).toHaveCount(0);

  const model = page.getByRole("listitem", { name: "Model churn" });
  await expect(model).toBeVisible();
  await expect(model).toContainText("@champion");
  const version = model
    .getByRole("table", { name: "Versions of churn" })
    .getByRole("row")
    .filter({ hasText: "v1" });
  await expect(version).toContainText("@champion");
  await expect(version).toContainText("churn-logreg");
  await expect(version.getByRole("link", { name: /Churn training/ })).toHaveAttribute(
    "href",
    new RegExp(`/projects/${projectId}/notebooks/`),
  );
});

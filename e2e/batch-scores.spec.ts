// Batch scoring end to end (issue 20, docs/models.md): a model trained and registered in a real
// kernel, which also writes the CSV asset (set up through the API); in the Models tab a person scores the asset
// with the model, follows the run to "succeeded", opens the new asset and finds where it came from.
import { expect, test } from "@playwright/test";
import { signUp } from "./account-fixtures";

const TRAIN = `import mlflow, mlflow.sklearn, pandas as pd
from sklearn.linear_model import LinearRegression
X = pd.DataFrame({"orders": [1.0, 2.0, 3.0, 4.0, 5.0], "revenue": [10.0, 25.0, 28.0, 41.0, 52.0]})
model = LinearRegression().fit(X, [0.5, 1.1, 1.4, 2.1, 2.6])
with mlflow.start_run():
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="spend", input_example=X.head(2))
mlflow.MlflowClient().set_registered_model_alias("spend", "champion", info.registered_model_version)
# The data to score, written to the project's folder by the kernel (as the project's user).
pd.DataFrame({"customer": ["A", "B", "C"], "orders": [1.0, 2.0, 6.0], "revenue": [12.0, 20.0, 70.0]}).to_csv("customers.csv", index=False)
print("TRAINED")`;

test("score a catalog asset with a registered model from the Models tab", async ({ browser }) => {
  test.setTimeout(900_000);
  const { page } = await signUp(browser, "Mira");
  const headers = { origin: new URL(page.url()).origin };
  const project = await page.request.post("/api/v1/projects", { headers, data: { name: "Spend" } });
  expect(project.status()).toBe(201);
  const projectId = ((await project.json()) as { id: string }).id;
  const notebook = await page.request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers,
    data: {
      name: "Train",
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { id: "t", cell_type: "code", source: TRAIN, metadata: {}, outputs: [], execution_count: null },
        ],
      },
    },
  });
  expect(notebook.status()).toBe(201);
  const notebookId = ((await notebook.json()) as { id: string }).id;
  const ran = await page.request.post(`/api/v1/notebooks/${notebookId}/run`, {
    headers,
    data: { wait: true, timeoutMs: 400_000 },
    timeout: 420_000,
  });
  expect(ran.status()).toBe(200);
  expect(await ran.text()).toContain("TRAINED");
  // Registered from the project's folder. (Not an upload: uploaded files are stored 0640 as Flint's
  // user, which a sandboxed kernel cannot read; docs/models.md.)
  const asset = await page.request.post("/api/v1/catalog/assets", {
    headers,
    data: { source: "path", projectId, path: "customers.csv", name: "customers" },
  });
  expect(asset.status(), await asset.text()).toBe(201);

  // The Models tab: Score a catalog asset on the model, as a person fills the form.
  await page.goto(`/projects/${projectId}`);
  await page.getByRole("tab", { name: "Models" }).click();
  const model = page.getByRole("listitem", { name: "Model spend" });
  await model.getByRole("button", { name: "Score a catalog asset" }).click();
  const form = page.getByRole("form", { name: "Score a catalog asset with spend" });
  await expect(form.getByLabel("Model")).toHaveValue("@champion");
  await expect(form.getByLabel("Asset to score")).toContainText("customers");
  await form.getByLabel("Output asset name").pressSequentially("customers_scored", { delay: 40 });
  await form.getByRole("button", { name: "Score" }).click();

  // The run is followed on the page until it ends, then links to the new asset.
  const run = page.getByRole("listitem", { name: "Batch score customers_scored" });
  await expect(run).toContainText("succeeded", { timeout: 600_000 });
  await expect(run).toContainText("3 rows");
  await run.getByRole("link", { name: "customers_scored" }).click();

  // The asset page: its lineage names the model version and the input asset, and its schema the
  // prediction column.
  await expect(page.getByRole("heading", { name: "customers_scored" })).toBeVisible();
  await expect(page.getByText("Scored by spend v1 from customers")).toBeVisible();
  await expect(page.getByText("prediction").first()).toBeVisible();
});

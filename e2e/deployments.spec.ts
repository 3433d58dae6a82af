// Deployments end to end (issue 20, docs/models.md): a model trained and registered in a real
// kernel (set up through the API), deployed from the project's Deployments page with a click,
// a key created on the page, and the endpoint called with what the page's curl snippet says.
import { expect, test } from "@playwright/test";
import { signUp } from "./account-fixtures";

const TRAIN = `import mlflow, mlflow.sklearn, pandas as pd
from sklearn.linear_model import LinearRegression
X = pd.DataFrame({"orders": [1.0, 2.0, 3.0, 4.0, 5.0], "revenue": [10.0, 25.0, 28.0, 41.0, 52.0]})
model = LinearRegression().fit(X, [0.5, 1.1, 1.4, 2.1, 2.6])
with mlflow.start_run():
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="segments", input_example=X.head(2))
mlflow.MlflowClient().set_registered_model_alias("segments", "champion", info.registered_model_version)
print("EXPECTED", model.predict(pd.DataFrame({"orders": [1.5], "revenue": [1.5]})).tolist())`;

/** Reads the URL, key and JSON payload out of the page's curl snippet. */
function parseCurl(snippet: string) {
  const url = /curl -X POST '([^']+)'/.exec(snippet)?.[1];
  const key = /Authorization: Bearer (\S+)'/.exec(snippet)?.[1];
  const payload = /-d '(.+)'\s*$/s.exec(snippet)?.[1];
  if (!url || !key || !payload) throw new Error(`not a curl snippet:\n${snippet}`);
  return { url, key, payload: payload.replaceAll("'\\''", "'") };
}

test("deploy a registered model, create a key, call it with the page's snippet", async ({ browser }) => {
  test.setTimeout(600_000);
  const { page } = await signUp(browser, "Dana");
  const origin = new URL(page.url()).origin;
  const headers = { origin };
  const project = await page.request.post("/api/v1/projects", { headers, data: { name: "Segments" } });
  expect(project.status()).toBe(201);
  const projectId = ((await project.json()) as { id: string }).id;
  const notebook = await page.request.post(`/api/v1/projects/${projectId}/notebooks`, {
    headers,
    data: {
      name: "Train",
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" } },
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
  const outputs = (
    (await ran.json()) as { results: { outputs: { text?: string; evalue?: string }[] }[] }
  ).results[0]!.outputs.map((output) => output.text ?? output.evalue ?? "").join("");
  const expected = JSON.parse(/EXPECTED (.+)/.exec(outputs)?.[1] ?? "null") as number[] | null;
  expect(expected, outputs).not.toBeNull();

  // From the project page to its Deployments, then Deploy next to the model.
  await page.goto(`/projects/${projectId}`);
  await page.getByRole("link", { name: "Deployments" }).click();
  await expect(page.getByRole("heading", { name: "Deployments", level: 1 })).toBeVisible();
  const model = page.getByRole("listitem", { name: "Model segments" });
  await expect(model).toContainText("@champion → v1");
  await model.getByRole("button", { name: "Deploy" }).click();
  const form = page.getByRole("form", { name: "Deploy segments" });
  await expect(form.getByLabel("Deployment name")).toHaveValue("segments-api");
  await expect(form.getByLabel("Serve")).toHaveValue("alias:champion");
  await form.getByRole("button", { name: "Deploy" }).click();

  // The deployment's page follows the model while it loads.
  await expect(page.getByRole("heading", { name: "segments-api" })).toBeVisible();
  const status = page.getByRole("region", { name: "Status" });
  await expect(status).toContainText("running", { timeout: 300_000 });
  await expect(status).toContainText("serving version 1");
  await expect(status).toContainText("orders (double), revenue (double)");

  // A key, shown once, and the snippet that uses it.
  await page.getByLabel("Key name").pressSequentially("coupon app", { delay: 40 });
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^flint_dk_/);
  const curl = (await page.getByTestId("curl-snippet").textContent()) ?? "";
  const call = parseCurl(curl);
  expect(call.key).toBe(secret);
  expect(call.url).toBe(`${origin}/api/v1/deployments/segments-api/predict`);
  await expect(page.getByTestId("python-snippet")).toContainText(`"Authorization": "Bearer ${secret}"`);

  // What an application does with the snippet.
  const answer = await fetch(call.url, {
    method: "POST",
    headers: { authorization: `Bearer ${call.key}`, "content-type": "application/json" },
    body: call.payload,
  });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { predictions: number[] }).predictions).toEqual(expected);

  // Revoked on the page: the same call is refused.
  await page.getByRole("button", { name: "Revoke coupon app" }).click();
  await expect(page.getByRole("button", { name: "Revoke coupon app" })).toHaveCount(0);
  const refused = await fetch(call.url, {
    method: "POST",
    headers: { authorization: `Bearer ${call.key}`, "content-type": "application/json" },
    body: call.payload,
  });
  expect(refused.status).toBe(401);
});

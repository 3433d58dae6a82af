// Batch scoring end to end (issue 20, docs/models.md): a real MLflow tracking server, real kernels
// (sandboxed when bubblewrap works, as in production) with a real Spark, a real PostgreSQL. A cell
// trains and registers models on the catalog sample; the API scores the sample with them as a Spark
// job in a kernel of the project and registers the output; a second cell reads that asset back and
// compares it with the model applied in the notebook. Nothing is mocked.

import { rmSync } from "node:fs";
import { createRunPreparer, createToken, SAMPLE_ASSET_NAME, seedCatalogSample } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createEmptyDatabase, createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectSandbox, startTestFlint, type TTestFlint } from "./test-server.js";

const SLOW_MS = 1_500_000;

let stopFlint: (() => Promise<void>) | undefined;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let dataDir: string;
let flintConfig: TTestFlint["config"];
const tokens = { owner: "", viewer: "", outsider: "" };
const ids = { owner: "", viewer: "", outsider: "" };

async function call(as: keyof typeof tokens, method: string, url: string, json?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[as]}` };
  if (json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body, text };
}

function outputText(ran: { body: Record<string, unknown> }): string {
  return (ran.body.results as { outputs: Record<string, unknown>[] }[])
    .flatMap((result) => result.outputs)
    .map((output) =>
      String(
        output.text ??
          `${output.ename}: ${output.evalue}\n${(output.traceback as string[] | undefined)?.join("\n")}`,
      ),
    )
    .join("");
}

async function waitFor<T>(what: string, read: () => Promise<T>, isDone: (value: T) => boolean, ms = 900_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// A Spark ML pipeline (logged with mlflow.spark: its batch scoring uses model.transform) and a
// scikit-learn regression (mlflow.sklearn: its batch scoring uses mlflow.pyfunc.spark_udf), both
// on the catalog sample. pip_requirements skips MLflow's slow requirement inference (docs/models.md).
const TRAIN = `import flint, mlflow, mlflow.spark, mlflow.sklearn
from pyspark.ml import Pipeline
from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import StandardScaler, VectorAssembler
from sklearn.linear_model import LinearRegression
sales = flint.catalog.load("${SAMPLE_ASSET_NAME}")
segments = Pipeline(stages=[
    VectorAssembler(inputCols=["quantity", "unit_price", "revenue"], outputCol="raw"),
    StandardScaler(inputCol="raw", outputCol="features"),
    KMeans(k=3, seed=7, featuresCol="features"),
]).fit(sales)
with mlflow.start_run(run_name="segments"):
    mlflow.spark.log_model(segments, "model", registered_model_name="segments", pip_requirements=["pyspark"])
mlflow.MlflowClient().set_registered_model_alias("segments", "champion", 1)
frame = sales.toPandas()
revenue = LinearRegression().fit(frame[["quantity", "unit_price"]], frame["revenue"])
with mlflow.start_run(run_name="revenue"):
    mlflow.sklearn.log_model(revenue, name="model", registered_model_name="revenue", input_example=frame[["quantity", "unit_price"]].head(3))
print("TRAINED")`;

// The registered outputs, read back through the catalog and compared with the models applied here.
const CHECK = `import numpy as np
cols = sales.columns
scored = flint.catalog.load("segments_scored")
expected = segments.transform(sales).select(*cols, "prediction")
got = scored.select(*cols, "prediction")
print("SEGMENTS", got.count(), got.exceptAll(expected).count(), expected.exceptAll(got).count())
by_udf = flint.catalog.load_pandas("revenue_scored").sort_values("order_id")
same = np.allclose(by_udf["prediction"].to_numpy(), revenue.predict(by_udf[["quantity", "unit_price"]]))
print("REVENUE", len(by_udf), same)`;

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-batch-scores-test-",
    apiSocket: true,
    mlflowDatabaseUrl: await createEmptyDatabase(),
    runtime: ({ config, port }) => ({
      // The training notebook names the dedicated kernel itself (mlflow.spark needs a classic session).
      prepareRun: createRunPreparer(db.prisma, config),
      sandbox: projectSandbox(db.prisma, config, port),
    }),
  });
  stopFlint = flint.stop;
  baseUrl = flint.baseUrl;
  dataDir = flint.dataDir;
  flintConfig = flint.config;
  for (const who of ["owner", "viewer", "outsider"] as const) {
    const id = `user-batch-${who}-${Date.now()}`;
    await prisma.user.create({ data: { id, email: `${id}@example.test`, name: who } });
    ids[who] = id;
    tokens[who] = (await createToken(prisma, id, "test")).secret;
  }
}, SLOW_MS);

afterAll(async () => {
  await stopFlint?.();
  await closeDb?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("batch scoring", () => {
  it(
    "scores a catalog asset with a Spark ML model and a scikit-learn model as Spark jobs; the outputs equal the models applied in the notebook, with lineage; others get 404, a viewer 403, bad input 400, a taken name 409",
    async () => {
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Segments" })).body
        .id as string;
      await prisma.projectMember.create({ data: { projectId, userId: ids.viewer, role: "viewer" } });
      const otherProjectId = (await call("outsider", "POST", "/api/v1/projects", { name: "Other" })).body
        .id as string;
      const assetId = (await seedCatalogSample(prisma, {
        storageRoot: flintConfig.storageRoot,
        projectId,
        ownerId: ids.owner,
      })) as string;
      const cell = (id: string, source: string) => ({
        id,
        cell_type: "code",
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      });
      const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
        name: "Segments",
        notebook: {
          nbformat: 4,
          nbformat_minor: 5,
          // mlflow.spark needs a classic session: the notebook picks the dedicated kernel.
          metadata: {
            kernelspec: { name: "flint-spark-dedicated", display_name: "Python 3 (Spark, dedicated)" },
          },
          cells: [cell("train", TRAIN), cell("check", CHECK)],
        },
      });
      expect(created.status, created.text).toBe(201);
      const notebookId = created.body.id as string;
      const trained = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: ["train"],
        wait: true,
        timeoutMs: 900_000,
      });
      expect(trained.status, trained.text).toBe(200);
      expect(outputText(trained), outputText(trained)).toContain("TRAINED");

      const base = `/api/v1/projects/${projectId}/models/batch-scores`;
      const request = { modelName: "segments", alias: "champion", assetId, outputName: "segments_scored" };
      // Refusals first: nothing of these may start a job.
      expect((await call("viewer", "POST", base, request)).status).toBe(403);
      const outsiderHere = await call("outsider", "POST", base, request);
      expect(outsiderHere.status).toBe(404);
      const outsiderThere = await call(
        "outsider",
        "POST",
        `/api/v1/projects/${otherProjectId}/models/batch-scores`,
        {
          ...request,
        },
      );
      expect(outsiderThere.status, outsiderThere.text).toBe(404);
      const both = await call("owner", "POST", base, { ...request, version: "1" });
      expect(both.status, both.text).toBe(400);
      const badName = await call("owner", "POST", base, { ...request, outputName: "no spaces allowed" });
      expect(badName.status, badName.text).toBe(400);
      expect((await call("owner", "POST", base, { ...request, assetId: "missing" })).status).toBe(404);
      expect((await call("owner", "POST", base, { ...request, modelName: "nope" })).status).toBe(404);
      expect((await call("owner", "POST", base, { ...request, alias: "nope" })).status).toBe(404);
      expect((await call("owner", "POST", base, { ...request, outputName: SAMPLE_ASSET_NAME })).status).toBe(
        409,
      );
      expect(await prisma.batchScore.count()).toBe(0);

      const accepted = await call("owner", "POST", base, request);
      expect(accepted.status, accepted.text).toBe(202);
      expect(accepted.body).toMatchObject({
        state: "queued",
        flavor: "spark",
        scoredVersion: "1",
        modelAlias: "champion",
        input: { assetId, name: SAMPLE_ASSET_NAME },
        output: { name: "segments_scored", assetId: null },
      });
      const runId = accepted.body.id as string;
      // The same output name while the first run is under way.
      expect((await call("owner", "POST", base, request)).status).toBe(409);
      const pyfunc = await call("owner", "POST", base, {
        modelName: "revenue",
        version: "1",
        assetId,
        outputName: "revenue_scored",
      });
      expect(pyfunc.status, pyfunc.text).toBe(202);
      expect(pyfunc.body.flavor).toBe("pyfunc");

      // Runs are readable by every member and by nobody else.
      expect((await call("outsider", "GET", `${base}/${runId}`)).status).toBe(404);
      expect((await call("outsider", "GET", base)).status).toBe(404);
      const seen = new Set<string>();
      const done = await waitFor(
        "the Spark ML batch score",
        async () => {
          const body = (await call("viewer", "GET", `${base}/${runId}`)).body;
          seen.add(String(body.state));
          return body;
        },
        (body) => body.state === "succeeded" || body.state === "failed",
      );
      expect(done, JSON.stringify(done)).toMatchObject({ state: "succeeded", rows: 500, error: null });
      expect(seen.has("running") || seen.has("queued")).toBe(true);
      const outputAssetId = (done.output as { assetId: string }).assetId;
      const udfDone = await waitFor(
        "the pyfunc batch score",
        async () => (await call("viewer", "GET", `${base}/${pyfunc.body.id as string}`)).body,
        (body) => body.state === "succeeded" || body.state === "failed",
      );
      expect(udfDone, JSON.stringify(udfDone)).toMatchObject({ state: "succeeded", rows: 500 });

      // The output is a catalog asset of the project with the model's columns.
      const asset = await call("viewer", "GET", `/api/v1/catalog/assets/${outputAssetId}`);
      expect(asset.status, asset.text).toBe(200);
      expect(asset.body).toMatchObject({
        name: "segments_scored",
        projectId,
        kind: "file",
        format: "parquet",
      });
      expect(JSON.stringify(asset.body)).toContain('"prediction"');
      expect((await call("outsider", "GET", `/api/v1/catalog/assets/${outputAssetId}`)).status).toBe(404);

      // Predictions equal the models applied in the notebook, row for row.
      const checked = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: ["check"],
        wait: true,
        timeoutMs: 600_000,
      });
      const text = outputText(checked);
      expect(text, text).toContain("SEGMENTS 500 0 0");
      expect(text, text).toContain("REVENUE 500 True");

      // Lineage: the output came from the sample and the model version; the sample was scored into it.
      const ofOutput = await call("viewer", "GET", `${base}?assetId=${outputAssetId}`);
      expect(ofOutput.status).toBe(200);
      expect(ofOutput.body.batchScores).toEqual([
        expect.objectContaining({
          modelName: "segments",
          scoredVersion: "1",
          input: { assetId, name: SAMPLE_ASSET_NAME },
          output: { name: "segments_scored", assetId: outputAssetId },
        }),
      ]);
      const ofInput = await call("viewer", "GET", `${base}?assetId=${assetId}`);
      expect((ofInput.body.batchScores as unknown[]).length).toBe(2);
      expect(
        (
          await call(
            "outsider",
            "GET",
            `/api/v1/projects/${otherProjectId}/models/batch-scores?assetId=${outputAssetId}`,
          )
        ).body.batchScores,
      ).toEqual([]);

      // The output's name is taken now.
      const again = await call("owner", "POST", base, request);
      expect(again.status, again.text).toBe(409);
    },
    SLOW_MS,
  );
});

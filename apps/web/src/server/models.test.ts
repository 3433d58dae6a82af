// Models end to end (issue 20, docs/models.md): a real MLflow tracking server (backend store in
// PostgreSQL), a real kernel (sandboxed when bubblewrap works, as in production) that trains a
// scikit-learn model in a cell with `import mlflow` and no set-up, logs and registers it through
// Flint's proxy with its notebook token; the run and the model then show in the project's Models
// views, and nobody outside the project can reach them.

import { rmSync } from "node:fs";
import {
  createRunPreparer,
  createToken,
  SAMPLE_ASSET_NAME,
  seedCatalogSample,
  type TConfig,
} from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createEmptyDatabase, createTestDatabase } from "@flint/db/testing";
import type { MlflowServer } from "@flint/kernel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFlint } from "./test-server.js";

const SLOW_MS = 600_000;

let stopFlint: (() => Promise<void>) | undefined;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let dataDir: string;
let flintConfig: TConfig;
let mlflowServer: MlflowServer;
const tokens = { owner: "", viewer: "", outsider: "", admin: "" };
const ids = { owner: "", viewer: "", outsider: "", admin: "" };

async function call(as: keyof typeof tokens, method: string, url: string, json?: unknown) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[as]}`,
      ...(json ? { "content-type": "application/json" } : {}),
    },
    body: json ? JSON.stringify(json) : undefined,
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

const TRAIN = `import mlflow, mlflow.sklearn, numpy as np
from sklearn.linear_model import LogisticRegression
X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
with mlflow.start_run(run_name="logreg") as run:
    model = LogisticRegression().fit(X, y)
    mlflow.log_param("C", 1.0)
    for step in range(3):
        mlflow.log_metric("accuracy", 0.5 + 0.2 * step, step=step)
    mlflow.sklearn.log_model(model, name="model", registered_model_name="churn", input_example=X[:2])
mlflow.MlflowClient().set_registered_model_alias("churn", "champion", 1)
print("RUN", run.info.run_id)
print("PREDICT", mlflow.pyfunc.load_model("models:/churn@champion").predict(np.array([[3.0]])).tolist())`;

// Customer segments with Spark ML, as the Getting started notebook does: the catalog sample
// loaded with flint.catalog, assembler + scaler + KMeans, logged with mlflow.spark and loaded back.
// In a dedicated kernel: on Spark Connect (the shared default) mlflow.spark.log_model fails
// (pyspark's RemoteMLWriter finds no active session; MLflow's copy needs the driver's JVM), see
// docs/models.md.
const SEGMENTS = `import flint, mlflow, mlflow.spark
from pyspark.ml import Pipeline
from pyspark.ml.clustering import KMeans
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
sales = flint.catalog.load("${SAMPLE_ASSET_NAME}")
with mlflow.start_run(run_name="segments") as run:
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=["quantity", "unit_price", "revenue"], outputCol="raw"),
        StandardScaler(inputCol="raw", outputCol="features"),
        KMeans(k=3, seed=7, featuresCol="features"),
    ])
    model = pipeline.fit(sales)
    scored = model.transform(sales)
    mlflow.log_param("k", 3)
    mlflow.log_metric("silhouette", ClusteringEvaluator(featuresCol="features").evaluate(scored))
    mlflow.spark.log_model(model, "model", registered_model_name="segments")
mlflow.MlflowClient().set_registered_model_alias("segments", "champion", 1)
print("RUN", run.info.run_id)
loaded = mlflow.spark.load_model("models:/segments@champion")
same = loaded.transform(sales).select("prediction").collect() == scored.select("prediction").collect()
print("SAME", same, type(loaded).__name__)`;

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-models-test-",
    apiSocket: true,
    mlflowDatabaseUrl: await createEmptyDatabase(),
    runtime: ({ config, port }) => ({
      // The Spark ML notebook names the dedicated kernel (mlflow.spark needs a classic session);
      // the others run on the default one, as a notebook picks its kernel (docs/spark.md).
      prepareRun: createRunPreparer(db.prisma, config),
      sandbox: {
        mode: config.kernels.sandbox,
        apiPort: port,
        projectOf: async (notebookId) =>
          (await db.prisma.notebook.findUnique({ where: { id: notebookId }, select: { projectId: true } }))
            ?.projectId ?? null,
      },
    }),
  });
  stopFlint = flint.stop;
  baseUrl = flint.baseUrl;
  dataDir = flint.dataDir;
  flintConfig = flint.config;
  mlflowServer = flint.mlflow!;
  for (const who of ["owner", "viewer", "outsider", "admin"] as const) {
    const id = `user-models-${who}-${Date.now()}`;
    await prisma.user.create({
      data: { id, email: `${id}@example.test`, name: who, isAdmin: who === "admin" },
    });
    ids[who] = id;
    tokens[who] = (await createToken(prisma, id, "test")).secret;
  }
}, SLOW_MS);

afterAll(async () => {
  await stopFlint?.();
  await closeDb?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("models through Flint", () => {
  it(
    "a model trained and registered in a cell shows in its project; other projects get 404, viewers cannot write",
    async () => {
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Churn" })).body
        .id as string;
      await prisma.projectMember.create({ data: { projectId, userId: ids.viewer, role: "viewer" } });
      const otherProjectId = (await call("outsider", "POST", "/api/v1/projects", { name: "Other" })).body
        .id as string;
      const notebook = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" } },
        cells: [
          { id: "c0", cell_type: "code", source: TRAIN, metadata: {}, outputs: [], execution_count: null },
        ],
      };
      const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
        name: "Churn model",
        notebook,
      });
      expect(created.status).toBe(201);
      const notebookId = created.body.id as string;
      const ran = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        wait: true,
        timeoutMs: 540_000,
      });
      expect(ran.status, ran.text).toBe(200);
      const outputs = (ran.body.results as { outputs: Record<string, unknown>[] }[])[0]!.outputs;
      const text = outputs
        .map((output) => String(output.text ?? `${output.ename}: ${output.evalue}`))
        .join("");
      expect(text, text).toContain("PREDICT [1]");
      const runId = /RUN ([0-9a-f]{32})/.exec(text)?.[1];
      expect(runId).toBeDefined();

      // The Models views: the notebook's experiment, the run with its metrics and lineage tags.
      const runs = await call("owner", "GET", `/api/v1/projects/${projectId}/models/runs`);
      expect(runs.status, runs.text).toBe(200);
      const experiments = runs.body.experiments as {
        experimentId: string;
        name: string;
        runs: Record<string, unknown>[];
      }[];
      expect(experiments.map((experiment) => experiment.name)).toEqual(["Churn model"]);
      const run = experiments[0]!.runs.find((entry) => entry.runId === runId)!;
      expect(run).toMatchObject({ runName: "logreg", notebookId, params: { C: "1.0" } });
      expect((run.metrics as Record<string, number>).accuracy).toBeCloseTo(0.9);
      expect(typeof run.notebookVersion).toBe("number");
      const history = await call(
        "viewer",
        "GET",
        `/api/v1/projects/${projectId}/models/runs/${runId}/metrics`,
      );
      expect((history.body.metrics as { step: number }[]).map((point) => point.step).sort()).toEqual([
        0, 1, 2,
      ]);
      const models = await call("viewer", "GET", `/api/v1/projects/${projectId}/models/registered`);
      expect(models.status, models.text).toBe(200);
      expect(models.body.models).toMatchObject([
        {
          name: "churn",
          aliases: { champion: "1" },
          versions: [{ version: "1", runId, aliases: ["champion"] }],
        },
      ]);

      // The proxy as MLflow clients call it: names without Flint's prefix.
      const mlflow = `/api/v1/projects/${projectId}/mlflow/api/2.0/mlflow`;
      const got = await call("viewer", "GET", `${mlflow}/runs/get?run_id=${runId}`);
      expect(got.status, got.text).toBe(200);
      const experimentId = experiments[0]!.experimentId;
      const artifactPath = `${experimentId}/${runId}`;
      const listed = await call(
        "viewer",
        "GET",
        `/api/v1/projects/${projectId}/mlflow/api/2.0/mlflow/registered-models/get?name=churn`,
      );
      expect(listed.status, listed.text).toBe(200);
      expect((listed.body.registered_model as { name: string }).name).toBe("churn");

      // A viewer reads but does not write.
      const write = await call("viewer", "POST", `${mlflow}/runs/create`, { experiment_id: experimentId });
      expect(write.status, write.text).toBe(403);
      const alias = await call("viewer", "POST", `${mlflow}/registered-models/alias`, {
        name: "churn",
        alias: "champion",
        version: "1",
      });
      expect(alias.status).toBe(403);

      // Another project's member: 404 for the project's views, and for its run, model, artifacts
      // and experiment even through their own project's proxy.
      for (const url of [
        `/api/v1/projects/${projectId}/models/runs`,
        `/api/v1/projects/${projectId}/models/registered`,
        `/api/v1/projects/${projectId}/models/runs/${runId}/metrics`,
        `${mlflow}/runs/get?run_id=${runId}`,
        `/api/v1/projects/${otherProjectId}/models/runs/${runId}/metrics`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow/runs/get?run_id=${runId}`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow/artifacts/list?run_id=${runId}`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow-artifacts/artifacts?path=${artifactPath}`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow-artifacts/artifacts/${artifactPath}/artifacts/model/MLmodel`,
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow-artifacts/artifacts/${otherProjectId}/../${artifactPath}/artifacts/model/MLmodel`,
      ]) {
        const answer = await call("outsider", "GET", url);
        expect([400, 404], `${url}: ${answer.status} ${answer.text}`).toContain(answer.status);
      }
      const theirs = await call(
        "outsider",
        "GET",
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow/registered-models/get?name=churn`,
      );
      expect(theirs.status).toBe(404);
      const search = await call(
        "outsider",
        "GET",
        `/api/v1/projects/${otherProjectId}/mlflow/api/2.0/mlflow/registered-models/search`,
      );
      expect(search.status).toBe(200);
      expect(search.body.registered_models ?? []).toEqual([]);
      // The owner lists the experiment's artifacts through the proxy (the logged model is there).
      const artifacts = await call(
        "owner",
        "GET",
        `/api/v1/projects/${projectId}/mlflow/api/2.0/mlflow-artifacts/artifacts?path=${experimentId}/models`,
      );
      expect(artifacts.status, artifacts.text).toBe(200);
      expect(JSON.stringify(artifacts.body)).toContain("m-");
    },
    SLOW_MS,
  );

  it(
    "a Spark ML pipeline (assembler, scaler, KMeans) logged with mlflow.spark from a dedicated kernel is registered, loads back equal, and names the catalog asset it was trained on",
    async () => {
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Segments" })).body
        .id as string;
      await prisma.projectMember.create({ data: { projectId, userId: ids.viewer, role: "viewer" } });
      const assetId = await seedCatalogSample(prisma, {
        storageRoot: flintConfig.storageRoot,
        projectId,
        ownerId: ids.owner,
      });
      expect(assetId).toBeTruthy();
      const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
        name: "Customer segments",
        notebook: {
          nbformat: 4,
          nbformat_minor: 5,
          metadata: {
            kernelspec: { name: "flint-spark-dedicated", display_name: "Python 3 (Spark, dedicated)" },
          },
          cells: [
            {
              id: "c0",
              cell_type: "code",
              source: SEGMENTS,
              metadata: {},
              outputs: [],
              execution_count: null,
            },
          ],
        },
      });
      expect(created.status, created.text).toBe(201);
      const notebookId = created.body.id as string;
      const ran = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        wait: true,
        timeoutMs: 540_000,
      });
      expect(ran.status, ran.text).toBe(200);
      const outputs = (ran.body.results as { outputs: Record<string, unknown>[] }[])[0]!.outputs;
      const text = outputs
        .map((output) =>
          String(
            output.text ??
              `${output.ename}: ${output.evalue}\n${(output.traceback as string[] | undefined)?.join("\n")}`,
          ),
        )
        .join("");
      expect(text, text).toContain("SAME True PipelineModel");
      const runId = /RUN ([0-9a-f]{32})/.exec(text)?.[1];

      // Lineage: the run names the asset its kernel read, by id in the tag and by name in the view.
      const runs = await call("viewer", "GET", `/api/v1/projects/${projectId}/models/runs`);
      expect(runs.status, runs.text).toBe(200);
      const run = (runs.body.experiments as { runs: Record<string, unknown>[] }[])[0]!.runs.find(
        (entry) => entry.runId === runId,
      )!;
      expect(run).toMatchObject({
        runName: "segments",
        notebookId,
        params: { k: "3" },
        trainedOn: [{ assetId, name: SAMPLE_ASSET_NAME }],
      });
      expect((run.tags as Record<string, string>)["flint.assets"]).toBe(assetId);
      const silhouette = (run.metrics as Record<string, number>).silhouette!;
      expect(silhouette).toBeGreaterThan(0);
      expect(silhouette).toBeLessThanOrEqual(1);
      // The asset page's "models trained on this".
      const trained = await call(
        "viewer",
        "GET",
        `/api/v1/projects/${projectId}/models/runs?assetId=${assetId}`,
      );
      expect(
        (trained.body.experiments as { runs: { runId: string }[] }[]).flatMap((e) =>
          e.runs.map((r) => r.runId),
        ),
      ).toEqual([runId]);
      const untrained = await call(
        "viewer",
        "GET",
        `/api/v1/projects/${projectId}/models/runs?assetId=not-an-asset`,
      );
      expect(untrained.body.experiments).toEqual([]);
      const models = await call("viewer", "GET", `/api/v1/projects/${projectId}/models/registered`);
      expect(models.body.models).toMatchObject([
        { name: "segments", aliases: { champion: "1" }, versions: [{ version: "1", runId }] },
      ]);
      // A kernel cannot claim lineage itself: flint.* tags are Flint's.
      const forged = await call(
        "owner",
        "POST",
        `/api/v1/projects/${projectId}/mlflow/api/2.0/mlflow/runs/set-tag`,
        { run_id: runId, key: "flint.assets", value: "someone-elses-asset" },
      );
      expect(forged.status).toBe(403);
      // Another project's member sees none of it.
      const outside = await call(
        "outsider",
        "GET",
        `/api/v1/projects/${projectId}/models/runs?assetId=${assetId}`,
      );
      expect(outside.status).toBe(404);
    },
    SLOW_MS,
  );

  it(
    "/api/health reports the tracking server; a crashed server is started again with a growing delay, and requests meanwhile get a clear 503",
    async () => {
      const health = async () => (await call("admin", "GET", "/api/health")).body;
      expect(await health()).toMatchObject({ status: "ok", models: { status: "running", restarts: 0 } });
      // Anyone else gets the status only.
      expect(Object.keys((await call("outsider", "GET", "/api/health")).body)).toEqual(["status"]);
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Crash" })).body
        .id as string;

      for (const round of [1, 2]) {
        const pid = mlflowServer.pid!;
        process.kill(-pid, "SIGKILL");
        await expect
          .poll(async () => (await health()).models, { timeout: 10_000 })
          .toMatchObject({
            status: "down",
          });
        const down = await health();
        expect(down.status).toBe("degraded");
        const models = down.models as { error: string; restartAt?: string };
        expect(models.error).toContain("killed by SIGKILL");
        expect(models.restartAt).toBeDefined();
        // The delay grows: 1 s after the first crash, 2 s after the second.
        const wait = Date.parse(models.restartAt!) - Date.now();
        if (round === 2) expect(wait).toBeGreaterThan(1000);
        if (wait > 300) {
          // Until the restart, a request is refused at once, without the reason's details.
          const refused = await call("owner", "GET", `/api/v1/projects/${projectId}/models/runs`);
          expect(refused.status, refused.text).toBe(503);
          expect(refused.text).toContain("restarting");
          expect(refused.text).not.toContain(dataDir);
        }
        await expect
          .poll(async () => (await health()).models, { timeout: 120_000, interval: 500 })
          .toMatchObject({ status: "running", restarts: round });
        expect(mlflowServer.pid).not.toBe(pid);
        const listed = await call("owner", "GET", `/api/v1/projects/${projectId}/models/runs`);
        expect(listed.status, listed.text).toBe(200);
      }
    },
    SLOW_MS,
  );
});

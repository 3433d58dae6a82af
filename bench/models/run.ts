// Models bench (issue 20): single-row predictions through a deployment, the whole path an
// application takes (HTTP to Flint, the deployment-key check, the scoring process on its Unix
// socket, the model), against the same model files loaded with mlflow.pyfunc in a bare Python
// process and called in-process. The model is the Getting started one ("Customer segments":
// scaler + k-means on its three features, here on generated rows so no Spark starts), trained and
// registered in a real kernel, deployed through the API. Sides alternate in rounds of BENCH_MODELS_CALLS calls (default 200), BENCH_MODELS_ROUNDS
// rounds (default 5), after a warm-up; every round is reported, then the whole run.
// Goals: Flint's p50 < 50 ms, and ≤ 1.5x the bare process. For scale, the run also times
// `GET /api/v1/me` (Flint's API path with one token lookup, no model) between rounds.
//
// The batch half (batch scoring of 10^6 rows vs model.transform in bare pyspark) is ./batch.ts.
// Run: `npm run bench -- models` (builds nothing: run `pnpm --filter @flint/web build` first).
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startBuiltFlint } from "@flint/testing";
import { call, createNotebook, expectStatus, signUp, sleep } from "../flint-client";
import { quantile, report } from "../stats";
import { runBatchBench } from "./batch";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PORT = Number(process.env.BENCH_MODELS_PORT ?? 3393);
const CALLS = Number(process.env.BENCH_MODELS_CALLS ?? 200);
const ROUNDS = Number(process.env.BENCH_MODELS_ROUNDS ?? 5);
const python = path.join(process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python"), "bin/python");

const TRAIN = `import mlflow, numpy as np, pandas as pd
from sklearn.cluster import KMeans
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
rng = np.random.default_rng(7)
features = pd.DataFrame({"orders": rng.integers(1, 12, 120).astype(float), "revenue": rng.uniform(20, 4000, 120).round(2), "avg_quantity": rng.uniform(1, 5, 120).round(2)})
model = make_pipeline(StandardScaler(), KMeans(n_clusters=4, n_init=10, random_state=7)).fit(features)
with mlflow.start_run():
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="customer_segments", input_example=features.head(3))
mlflow.MlflowClient().set_registered_model_alias("customer_segments", "champion", info.registered_model_version)
print("MODEL", info.model_id)`;

const ROW = { orders: 4.0, revenue: 812.5, avg_quantity: 2.4 };
const ms = (value: number) => `${value.toFixed(2)} ms`;

/** The folder of a logged model's files in the tracking server's artifact store. */
function findModelDir(dataDir: string, modelId: string): string {
  const artifacts = path.join(dataDir, "mlflow", "artifacts");
  for (const experiment of readdirSync(artifacts)) {
    const candidate = path.join(artifacts, experiment, "models", modelId, "artifacts");
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
  }
  throw new Error(`no files of model ${modelId} under ${artifacts}`);
}

async function main() {
  const server = await startBuiltFlint({
    root,
    port: PORT,
    demo: { password: "bench-models-password-1", token: "flint_pat_models_bench_0123456789abcdef" },
  });
  try {
    const { token } = await signUp(server, "models", 0);
    const project = await call(server, "POST", "/api/v1/projects", { token, json: { name: "Segments" } });
    expectStatus(project, 201, "project");
    const projectId = project.body.id as string;
    const notebookId = await createNotebook(server, token, projectId, "Train", [["train", TRAIN]]);
    const ran = await call(server, "POST", `/api/v1/notebooks/${notebookId}/run`, {
      token,
      json: { wait: true, timeoutMs: 600_000 },
    });
    expectStatus(ran, 200, "training cell");
    const text = JSON.stringify(ran.body);
    const modelId = /MODEL (m-[0-9a-f]+)/.exec(text)?.[1];
    if (!modelId) throw new Error(`the training cell did not log a model: ${text.slice(0, 1000)}`);

    const deployed = await call(server, "POST", `/api/v1/projects/${projectId}/deployments`, {
      token,
      json: { name: "customer-segments", modelName: "customer_segments", alias: "champion" },
    });
    expectStatus(deployed, 201, "deploy");
    const started = Date.now();
    for (;;) {
      const state = await call(server, "GET", `/api/v1/projects/${projectId}/deployments/customer-segments`, {
        token,
      });
      if (state.body.state === "running") break;
      if (state.body.state === "failed") throw new Error(`the deployment failed: ${state.body.error}`);
      await sleep(250);
    }
    report("deployment: deploy to running (model load)", ms(Date.now() - started), "-");
    const key = await call(
      server,
      "POST",
      `/api/v1/projects/${projectId}/deployments/customer-segments/keys`,
      {
        token,
        json: { name: "bench" },
      },
    );
    expectStatus(key, 201, "key");
    const secret = key.body.secret as string;
    const body = JSON.stringify({ rows: [ROW] });
    const predict = async () => {
      const started = performance.now();
      const answer = await fetch(`${server.url}/api/v1/deployments/customer-segments/predict`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body,
      });
      await answer.arrayBuffer();
      if (answer.status !== 200) throw new Error(`predict answered ${answer.status}`);
      return performance.now() - started;
    };

    // A baseline of Flint's own API path: one authenticated read (token lookup, one query).
    const me = async () => {
      const started = performance.now();
      const answer = await fetch(`${server.url}/api/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await answer.arrayBuffer();
      return performance.now() - started;
    };

    const bare = spawn(
      python,
      [
        path.join(root, "bench/models/bare-predict.py"),
        findModelDir(server.dataDir, modelId),
        JSON.stringify(ROW),
      ],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const lines = createInterface({ input: bare.stdout! })[Symbol.asyncIterator]();
    if ((await lines.next()).value !== "ready") throw new Error("the bare process did not load the model");
    const bareRound = async (count: number): Promise<number[]> => {
      bare.stdin!.write(`${count}\n`);
      return JSON.parse((await lines.next()).value as string) as number[];
    };

    // Warm-up on both sides (first calls pay for lazy imports and new connections).
    for (let index = 0; index < 30; index++) await predict();
    await bareRound(30);
    const flint: number[] = [];
    const direct: number[] = [];
    const baseline: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const flintRound: number[] = [];
      for (let index = 0; index < CALLS; index++) flintRound.push(await predict());
      const bareTimes = await bareRound(CALLS);
      for (let index = 0; index < CALLS / 4; index++) baseline.push(await me());
      flint.push(...flintRound);
      direct.push(...bareTimes);
      report(
        `round ${round}: Flint p50/p95 | bare p50/p95`,
        `${ms(quantile(flintRound, 0.5))}/${ms(quantile(flintRound, 0.95))} | ${ms(quantile(bareTimes, 0.5))}/${ms(quantile(bareTimes, 0.95))}`,
        "-",
      );
    }
    bare.stdin!.end();
    report(`predict through Flint, 1 row, p50 (${flint.length} calls)`, ms(quantile(flint, 0.5)), "< 50 ms");
    report("predict through Flint, 1 row, p95", ms(quantile(flint, 0.95)), "-");
    report(`predict in a bare Python process, p50 (${direct.length} calls)`, ms(quantile(direct, 0.5)), "-");
    report("predict in a bare Python process, p95", ms(quantile(direct, 0.95)), "-");
    report(`GET /api/v1/me through Flint, p50 (${baseline.length} calls)`, ms(quantile(baseline, 0.5)), "-");
    report("Flint / bare, p50", `${(quantile(flint, 0.5) / quantile(direct, 0.5)).toFixed(2)}x`, "≤ 1.5x");
  } finally {
    await server.stop();
  }
}

// BENCH_MODELS_PART: predict (deployments), batch (batch scoring, ./batch.ts) or both (default).
const part = process.env.BENCH_MODELS_PART ?? "all";
if (part !== "batch") await main();
if (part !== "predict") await runBatchBench();

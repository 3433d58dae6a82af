// Models bench, batch half (issue 20): scoring a catalog asset of 10^6 rows with a Spark ML model
// through Flint's batch scoring (the user's whole path: POST /models/batch-scores with a personal
// token, the model's files copied out of MLflow, a fresh kernel with its own Spark in the project,
// model.transform, the Parquet output registered as an asset; timed from the POST to the run's
// `succeeded` as a person polling its status would see it) against the same model files and the
// same Parquet input scored with model.transform in a bare pyspark process (a fresh process: its
// Python and JVM start are counted too, as Flint's kernel start is). Sides alternate in rounds
// (BENCH_BATCH_ROUNDS, default 3); every round is reported, then the medians and their ratio.
// Goal: Flint ≤ 1.2x the bare process.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBuiltFlint } from "@flint/testing";
import { call, createNotebook, expectStatus, signUp, sleep } from "../flint-client";
import { quantile, report } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PORT = Number(process.env.BENCH_BATCH_PORT ?? 3394);
const ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 3);
const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 1_000_000);
const python = path.join(process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python"), "bin/python");

// 10^6 generated orders registered as a Parquet asset, and a scaler + k-means pipeline fitted on a
// sample of them, logged with mlflow.spark (from a dedicated kernel: docs/models.md).
const PREPARE = `import flint, mlflow, mlflow.spark
from pyspark.ml import Pipeline
from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.sql import functions as F
orders = spark.range(${ROWS}).select(
    F.col("id").alias("order_id"),
    (F.floor(F.rand(7) * 5) + 1).alias("quantity"),
    F.round(F.rand(8) * 995 + 5, 2).alias("unit_price"),
).withColumn("revenue", F.col("quantity") * F.col("unit_price"))
asset = flint.catalog.register(orders, "orders_1m")
pipeline = Pipeline(stages=[
    VectorAssembler(inputCols=["quantity", "unit_price", "revenue"], outputCol="raw"),
    StandardScaler(inputCol="raw", outputCol="features"),
    KMeans(k=4, seed=7, featuresCol="features"),
])
model = pipeline.fit(orders.sample(0.02, seed=7))
with mlflow.start_run():
    info = mlflow.spark.log_model(model, "model", registered_model_name="segments", pip_requirements=["pyspark"])
mlflow.MlflowClient().set_registered_model_alias("segments", "champion", info.registered_model_version)
print("ASSET", asset["id"])
print("MODEL", mlflow.MlflowClient().get_model_version_download_uri("segments", info.registered_model_version))`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs the bare side once; resolves with its wall time (ms) and what it reported. */
function runBare(modelDir: string, input: string, output: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(root, "bench/models/bare-batch.py"), modelDir, input, output], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
    });
    child.on("exit", (code) => {
      const ms = performance.now() - started;
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return reject(new Error(`bare-batch.py exited ${code}: ${err.slice(-2000)}`));
      resolve({ ms, rows: (JSON.parse(line) as { rows: number }).rows });
    });
  });
}

/** Runs the batch half of the models bench. */
export async function runBatchBench(): Promise<void> {
  const server = await startBuiltFlint({
    root,
    port: PORT,
    demo: { password: "bench-batch-password-1", token: "flint_pat_batch_bench_0123456789abcdef" },
    // mlflow.spark.log_model needs a classic session in the preparing notebook (docs/models.md).
    env: { FLINT_SPARK_MODE: "dedicated" },
  });
  const scratch = mkdtempSync(path.join(os.tmpdir(), "flint-bench-batch-"));
  try {
    const { token } = await signUp(server, "batch", 0);
    const project = await call(server, "POST", "/api/v1/projects", { token, json: { name: "Batch" } });
    expectStatus(project, 201, "project");
    const projectId = project.body.id as string;
    const notebookId = await createNotebook(server, token, projectId, "Prepare", [["prepare", PREPARE]]);
    const prepared = await call(server, "POST", `/api/v1/notebooks/${notebookId}/run`, {
      token,
      json: { wait: true, timeoutMs: 1_200_000 },
    });
    expectStatus(prepared, 200, "preparing cell");
    const outputs = (prepared.body.results as { outputs: Record<string, unknown>[] }[])[0]?.outputs ?? [];
    const text = outputs
      .filter((output) => output.output_type === "stream" || output.output_type === "error")
      .map((output) => String(output.text ?? `${output.ename}: ${output.evalue}`))
      .join("");
    const assetId = /ASSET ([A-Za-z0-9_-]+)/.exec(text)?.[1];
    const modelUri = /MODEL mlflow-artifacts:(?:\/\/[^/]*)?\/(\S+)/.exec(text)?.[1];
    if (!assetId || !modelUri) throw new Error(`the preparing cell did not finish: ${text.slice(-3000)}`);
    // The version's files in the tracking server's artifact store (what Flint copies for its side).
    const modelDir = path.join(server.dataDir, "mlflow", "artifacts", modelUri);
    const input = path.join(
      server.dataDir,
      "storage",
      "projects",
      projectId,
      "datasets",
      "orders_1m.parquet",
    );

    // Registering an asset queues its profile, a Spark job of its own: each round waits for the
    // last one to end (not timed), so no round competes with the previous round's profile.
    const waitForProfile = async (id: string) => {
      for (;;) {
        const answer = await call(server, "GET", `/api/v1/catalog/assets/${id}/profile`, { token });
        const status = (answer.body.profile as { status?: string } | null)?.status;
        if (!status || status === "done" || status === "failed") return;
        await sleep(1000);
      }
    };
    await waitForProfile(assetId);
    let lastOutput: string | null = null;

    const scoreThroughFlint = async (round: number): Promise<number> => {
      const started = performance.now();
      const answer = await call(server, "POST", `/api/v1/projects/${projectId}/models/batch-scores`, {
        token,
        json: { modelName: "segments", alias: "champion", assetId, outputName: `orders_scored_${round}` },
      });
      expectStatus(answer, 202, "batch score");
      for (;;) {
        const state = await call(
          server,
          "GET",
          `/api/v1/projects/${projectId}/models/batch-scores/${answer.body.id as string}`,
          { token },
        );
        if (state.body.state === "succeeded") {
          const elapsed = performance.now() - started;
          if (state.body.rows !== ROWS) throw new Error(`Flint wrote ${state.body.rows} rows`);
          lastOutput = (state.body.output as { assetId: string }).assetId;
          return elapsed;
        }
        if (state.body.state === "failed") throw new Error(`the batch score failed: ${state.body.error}`);
        await sleep(500);
      }
    };

    const flint: number[] = [];
    const bare: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which side goes first, so neither always meets a warmer page cache.
      const flintFirst = round % 2 === 1;
      const runFlint = async () => {
        flint.push(await scoreThroughFlint(round));
        if (lastOutput) await waitForProfile(lastOutput);
      };
      const runBareSide = async () => {
        const result = await runBare(modelDir, input, path.join(scratch, `out-${round}`));
        if (result.rows !== ROWS) throw new Error(`the bare process wrote ${result.rows} rows`);
        bare.push(result.ms);
      };
      if (flintFirst) {
        await runFlint();
        await runBareSide();
      } else {
        await runBareSide();
        await runFlint();
      }
      report(
        `round ${round}: Flint | bare pyspark (${ROWS.toLocaleString("en")} rows)`,
        `${seconds(flint.at(-1) ?? 0)} | ${seconds(bare.at(-1) ?? 0)}`,
        "-",
      );
    }
    report(`batch score through Flint, median of ${flint.length}`, seconds(quantile(flint, 0.5)), "-");
    report(
      `model.transform in a bare pyspark process, median of ${bare.length}`,
      seconds(quantile(bare, 0.5)),
      "-",
    );
    report("Flint / bare, median", `${(quantile(flint, 0.5) / quantile(bare, 0.5)).toFixed(2)}x`, "≤ 1.2x");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await server.stop();
  }
}

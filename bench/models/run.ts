// Models bench (issue 20): single-row predictions through a deployment, the whole path an
// application takes (HTTP to Flint, the deployment-key check and rate count, the scoring process on
// its Unix socket, the model), against the same model files served by a bare Python process. The
// model is the Getting started one ("Customer segments": scaler + k-means on its three features,
// here on generated rows so no Spark starts), trained and registered in a real kernel, deployed
// through the API.
//
// Sides, each called the same way (one request at a time, keep-alive connections, JSON in/out):
// - Flint: `POST /api/v1/deployments/{name}/predict` with a deployment key;
// - mlflow serve (THE BASELINE): `mlflow models serve --env-manager local` on the same files, the
//   standard way to put an MLflow model behind HTTP in a bare process (FastAPI + uvicorn, MLflow's
//   own schema enforcement), `POST /invocations` with `dataframe_records`;
// - bare http.server: `bare-server.py`, a minimal Python server (no checks at all): the floor of
//   "a model behind HTTP in Python";
// - and for the breakdown: the scoring process called on its Unix socket from Node (Flint's path
//   minus Flint's web server), the model called in-process (`bare-predict.py`), and
//   `GET /api/v1/me` (Flint's API path with one token lookup, no model).
// Sides alternate in rounds of BENCH_MODELS_CALLS calls (default 200), BENCH_MODELS_ROUNDS rounds
// (default 5), the order rotating each round, after a warm-up; every round is reported, then the
// whole run. Goals: Flint's p50 < 50 ms, and ≤ 1.5x the baseline.
//
// The batch half (batch scoring of 10^6 rows vs model.transform in bare pyspark) is ./batch.ts.
// Run: `npm run bench -- models` (builds nothing: run `pnpm --filter @flint/web build` first).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
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

/** The first file named `name` under `dir` (the deployment's socket, wherever its sandbox put it). */
function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.name === name) return full;
    if (entry.isDirectory() && !entry.isSymbolicLink()) {
      try {
        return findFile(full, name);
      } catch {
        // not under this folder
      }
    }
  }
  throw new Error(`no ${name} under ${dir}`);
}

const children: ChildProcess[] = [];

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
    /** One timed JSON POST with fetch (undici keeps the connection alive), checked for 200. */
    const post = async (url: string, payload: string, headers: Record<string, string> = {}) => {
      const started = performance.now();
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: payload,
      });
      const text = await answer.text();
      if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}: ${text.slice(0, 300)}`);
      return performance.now() - started;
    };
    const predictUrl = `${server.url}/api/v1/deployments/customer-segments/predict`;
    const flint = () => post(predictUrl, body, { authorization: `Bearer ${secret}` });
    // Flint's own API path: one authenticated read (token lookup, one query), no model.
    const me = async () => {
      const started = performance.now();
      const answer = await fetch(`${server.url}/api/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await answer.arrayBuffer();
      return performance.now() - started;
    };

    // The scoring process on its socket, as Flint's server calls it (keep-alive, node:http).
    const socketPath = findFile(server.dataDir, "score.sock");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const scoringSocket = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const req = httpRequest(
          {
            socketPath,
            agent,
            method: "POST",
            path: "/invocations",
            headers: {
              host: "localhost",
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on("end", () =>
              res.statusCode === 200
                ? resolve(performance.now() - started)
                : reject(new Error(`socket ${res.statusCode}`)),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });

    const modelDir = findModelDir(server.dataDir, modelId);
    const bareServer = spawn(python, [path.join(root, "bench/models/bare-server.py"), modelDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(bareServer);
    const bareLines = createInterface({ input: bareServer.stdout! })[Symbol.asyncIterator]();
    const bareReady = /^ready (\d+)$/.exec(String((await bareLines.next()).value));
    if (!bareReady) throw new Error("the bare server did not start");
    const bareUrl = `http://127.0.0.1:${bareReady[1]}/invocations`;
    const bareHttp = () => post(bareUrl, body);

    const servePort = PORT + 1;
    const serveStarted = Date.now();
    const serve = spawn(
      python,
      [
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        modelDir,
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "-p",
        String(servePort),
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
        // It runs `uvicorn` by name: the environment's bin/ first, as an activated environment has it.
        env: { ...process.env, PATH: `${path.dirname(python)}:${process.env.PATH ?? ""}` },
      },
    );
    children.push(serve);
    let serveLog = "";
    serve.stderr!.on("data", (chunk: Buffer) => {
      serveLog = (serveLog + chunk.toString("utf8")).slice(-3000);
    });
    for (;;) {
      const ping = await fetch(`http://127.0.0.1:${servePort}/ping`).catch(() => null);
      if (ping?.status === 200) break;
      if (serve.exitCode !== null) throw new Error(`mlflow models serve exited: ${serveLog}`);
      if (Date.now() - serveStarted > 180_000)
        throw new Error(`mlflow models serve did not start: ${serveLog}`);
      await sleep(250);
    }
    report("mlflow models serve: start to ready", ms(Date.now() - serveStarted), "-");
    const serveBody = JSON.stringify({ dataframe_records: [ROW] });
    const mlflowServe = () => post(`http://127.0.0.1:${servePort}/invocations`, serveBody);

    const bare = spawn(
      python,
      [path.join(root, "bench/models/bare-predict.py"), modelDir, JSON.stringify(ROW)],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    children.push(bare);
    const lines = createInterface({ input: bare.stdout! })[Symbol.asyncIterator]();
    if ((await lines.next()).value !== "ready") throw new Error("the bare process did not load the model");
    const inProcessRound = async (count: number): Promise<number[]> => {
      bare.stdin!.write(`${count}\n`);
      return JSON.parse((await lines.next()).value as string) as number[];
    };

    type TSide = { name: string; round: (count: number) => Promise<number[]> };
    const sequential = (call: () => Promise<number>) => async (count: number) => {
      const times: number[] = [];
      for (let index = 0; index < count; index++) times.push(await call());
      return times;
    };
    const sides: TSide[] = [
      { name: "Flint", round: sequential(flint) },
      { name: "mlflow serve", round: sequential(mlflowServe) },
      { name: "bare http.server", round: sequential(bareHttp) },
      { name: "scoring socket", round: sequential(scoringSocket) },
      { name: "in-process", round: inProcessRound },
      { name: "GET /me", round: sequential(me) },
    ];
    const all = new Map<string, number[]>(sides.map((side) => [side.name, []]));
    // Warm-up on every side (first calls pay for lazy imports and new connections).
    for (const side of sides) await side.round(30);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = sides.map((_, index) => sides[(index + round) % sides.length] as TSide);
      const figures: string[] = [];
      const roundTimes = new Map<string, number[]>();
      for (const side of order) {
        const times = await side.round(side.name === "GET /me" ? CALLS / 4 : CALLS);
        roundTimes.set(side.name, times);
        all.get(side.name)!.push(...times);
      }
      for (const side of sides) {
        const times = roundTimes.get(side.name)!;
        figures.push(`${side.name} ${quantile(times, 0.5).toFixed(2)}`);
      }
      report(`round ${round}: p50 ms`, "", figures.join(" | "));
    }
    bare.stdin!.end();
    const p = (name: string, q: number) => quantile(all.get(name)!, q);
    for (const side of sides) {
      report(
        `${side.name}, 1 row, p50 / p95 (${all.get(side.name)!.length} calls)`,
        `${ms(p(side.name, 0.5))} / ${ms(p(side.name, 0.95))}`,
        side.name === "Flint" ? "p50 < 50 ms" : "-",
      );
    }
    report(
      "Flint / mlflow serve (the baseline), p50",
      `${(p("Flint", 0.5) / p("mlflow serve", 0.5)).toFixed(2)}x`,
      "≤ 1.5x",
    );
    report("Flint / mlflow serve, p95", `${(p("Flint", 0.95) / p("mlflow serve", 0.95)).toFixed(2)}x`, "-");
    report(
      "Flint / bare http.server, p50",
      `${(p("Flint", 0.5) / p("bare http.server", 0.5)).toFixed(2)}x`,
      "-",
    );
    report(
      "Flint / bare http.server, p95",
      `${(p("Flint", 0.95) / p("bare http.server", 0.95)).toFixed(2)}x`,
      "-",
    );
    report(
      "Flint's web server (Flint − scoring socket), p50",
      ms(p("Flint", 0.5) - p("scoring socket", 0.5)),
      "-",
    );
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.pid) {
        try {
          // mlflow models serve starts uvicorn in a child: its whole group.
          process.kill(-child.pid, "SIGTERM");
        } catch {
          child.kill("SIGTERM");
        }
      }
    }
    await server.stop();
  }
}

// BENCH_MODELS_PART: predict (deployments), batch (batch scoring, ./batch.ts) or both (default).
const part = process.env.BENCH_MODELS_PART ?? "all";
if (part !== "batch") await main();
if (part !== "predict") await runBatchBench();

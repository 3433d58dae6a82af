// Deployments end to end (issue 20, docs/models.md): a real MLflow tracking server, a real kernel
// (sandboxed when bubblewrap works, as in production) that trains and registers a model in a cell,
// and the real scoring process (`flint.serving`, sandboxed like the kernel) behind
// POST /api/v1/deployments/{name}/predict. Nothing is mocked.

import { readdirSync, readFileSync, rmSync } from "node:fs";
import { buildCustomerSegmentsNotebook, createRunPreparer, createToken, seedCatalogSample } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createEmptyDatabase, createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFlint, type TTestFlint } from "./test-server.js";

const SLOW_MS = 900_000;

let stopFlint: (() => Promise<void>) | undefined;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let dataDir: string;
let flintConfig: TTestFlint["config"];
let runtime: TTestFlint["runtime"];
const tokens = { owner: "", viewer: "", outsider: "" };
const ids = { owner: "", viewer: "", outsider: "" };

async function call(
  as: keyof typeof tokens | null,
  method: string,
  url: string,
  json?: unknown,
  key?: string,
) {
  const headers: Record<string, string> = {};
  if (as) headers.authorization = `Bearer ${tokens[as]}`;
  if (key) headers.authorization = `Bearer ${key}`;
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

/** Trains version `n` of the model `spend` (coefficients differ by version) and moves `champion` to it. */
function trainCell(version: number): string {
  return `import json, mlflow, mlflow.sklearn, numpy as np, pandas as pd
from sklearn.linear_model import LinearRegression
rng = np.random.default_rng(7)
X = pd.DataFrame({"tenure": rng.uniform(0, 60, 200), "spend": rng.uniform(10, 500, 200), "visits": rng.integers(0, 30, 200)})
y = ${version} * 3.0 * X.tenure + 0.5 * X.spend - 2 * X.visits + rng.normal(0, 1, 200)
with mlflow.start_run(run_name="v${version}"):
    model = LinearRegression().fit(X, y)
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="spend", input_example=X.head(3))
mlflow.MlflowClient().set_registered_model_alias("spend", "champion", info.registered_model_version)
rows = X.head(5).to_dict(orient="records")
print("VERSION", info.registered_model_version)
print("ROWS", json.dumps(rows))
print("PRED", json.dumps(model.predict(X.head(5)).tolist()))`;
}

/** The user ids of the running `flint.serving serve` processes whose socket path names `instance`. */
function scoringProcessUids(instance: string): number[] {
  const uids: number[] = [];
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      // The server itself, not bwrap, setpriv or the sandbox launcher that lead to it.
      if (command[1] !== "-m" || command[2] !== "flint.serving" || command[3] !== "serve") continue;
      if (!command.some((part) => part.includes(instance))) continue;
      uids.push(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return uids;
}

function outputText(ran: { body: Record<string, unknown> }): string {
  const outputs = (ran.body.results as { outputs: Record<string, unknown>[] }[])[0]!.outputs;
  return outputs.map((output) => String(output.text ?? `${output.ename}: ${output.evalue}`)).join("");
}

function line(text: string, label: string): unknown {
  const match = new RegExp(`^${label} (.+)$`, "m").exec(text);
  if (!match) throw new Error(`no ${label} line in:\n${text}`);
  return JSON.parse(match[1]!);
}

async function waitFor<T>(what: string, read: () => Promise<T>, isDone: (value: T) => boolean, ms = 300_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-deployments-test-",
    apiSocket: true,
    mlflowDatabaseUrl: await createEmptyDatabase(),
    runtime: ({ config, port }) => ({
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
  runtime = flint.runtime;
  for (const who of ["owner", "viewer", "outsider"] as const) {
    const id = `user-deploy-${who}-${Date.now()}`;
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

describe("deployments", () => {
  it(
    "a model registered in a cell is deployed and answers what the notebook's model answers; keys, payloads, other projects, and an alias swap under load",
    async () => {
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Spend" })).body
        .id as string;
      await prisma.projectMember.create({ data: { projectId, userId: ids.viewer, role: "viewer" } });
      const otherProjectId = (await call("outsider", "POST", "/api/v1/projects", { name: "Other" })).body
        .id as string;
      const cell = (id: string, source: string) => ({
        id,
        cell_type: "code",
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      });
      const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
        name: "Spend model",
        notebook: {
          nbformat: 4,
          nbformat_minor: 5,
          metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" } },
          cells: [cell("v1", trainCell(1)), cell("v2", trainCell(2))],
        },
      });
      expect(created.status, created.text).toBe(201);
      const notebookId = created.body.id as string;
      const ran = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: ["v1"],
        wait: true,
        timeoutMs: 540_000,
      });
      expect(ran.status, ran.text).toBe(200);
      const first = outputText(ran);
      expect(line(first, "VERSION"), first).toBe(1);
      const rows = line(first, "ROWS") as Record<string, number>[];
      const expected1 = line(first, "PRED") as number[];

      // Deploy the alias; a viewer may not, an unknown alias is a 404 at once.
      const base = `/api/v1/projects/${projectId}/deployments`;
      const viewerDeploy = await call("viewer", "POST", base, {
        name: "spend-api",
        modelName: "spend",
        alias: "champion",
      });
      expect(viewerDeploy.status).toBe(403);
      const unknownAlias = await call("owner", "POST", base, {
        name: "spend-api",
        modelName: "spend",
        alias: "nope",
      });
      expect(unknownAlias.status, unknownAlias.text).toBe(404);
      const both = await call("owner", "POST", base, {
        name: "spend-api",
        modelName: "spend",
        alias: "a",
        version: "1",
      });
      expect(both.status).toBe(400);
      const deployed = await call("owner", "POST", base, {
        name: "spend-api",
        modelName: "spend",
        alias: "champion",
      });
      expect(deployed.status, deployed.text).toBe(201);
      expect(deployed.body).toMatchObject({ name: "spend-api", modelAlias: "champion", state: "starting" });
      const running = await waitFor(
        "the deployment to run",
        async () => (await call("viewer", "GET", `${base}/spend-api`)).body,
        (body) => body.state !== "starting",
      );
      expect(running, JSON.stringify(running)).toMatchObject({ state: "running", servedVersion: "1" });
      // Sandboxed like the kernels: the scoring process runs as the project's user, not Flint's.
      if (runtime.sandbox?.configFile) {
        const uids = scoringProcessUids(`deploy-${running.id as string}`);
        expect(uids.length).toBe(1);
        expect(uids[0]).toBeGreaterThan(0);
        expect(uids[0]).not.toBe(process.getuid?.());
      }
      expect(running.inputColumns).toEqual([
        { name: "tenure", type: "double" },
        { name: "spend", type: "double" },
        { name: "visits", type: "long" },
      ]);
      const taken = await call("outsider", "POST", `/api/v1/projects/${otherProjectId}/deployments`, {
        name: "spend-api",
        modelName: "spend",
        version: "1",
      });
      // The outsider's project has no model `spend`: 404 before the name is even looked at.
      expect(taken.status).toBe(404);

      // Keys: shown once, the viewer cannot make one.
      expect((await call("viewer", "POST", `${base}/spend-api/keys`, { name: "app" })).status).toBe(403);
      const keyAnswer = await call("owner", "POST", `${base}/spend-api/keys`, { name: "coupon app" });
      expect(keyAnswer.status, keyAnswer.text).toBe(201);
      const key = keyAnswer.body.secret as string;
      expect(key).toMatch(/^flint_dk_/);
      const listed = await call("owner", "GET", `${base}/spend-api`);
      expect(JSON.stringify(listed.body)).not.toContain(key);

      // Predictions equal the notebook's, as rows and as columns.
      const predict = "/api/v1/deployments/spend-api/predict";
      const byRows = await call(null, "POST", predict, { rows }, key);
      expect(byRows.status, byRows.text).toBe(200);
      expect(byRows.body.predictions).toEqual(expected1);
      const columns = Object.fromEntries(
        Object.keys(rows[0]!).map((name) => [name, rows.map((row) => row[name])]),
      );
      const byColumns = await call(null, "POST", predict, { columns }, key);
      expect(byColumns.body.predictions).toEqual(expected1);

      // Bad payloads: 400 naming the column.
      const missing = await call(null, "POST", predict, { rows: [{ tenure: 3, spend: 20 }] }, key);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ column: "visits" });
      expect(String((missing.body.error as { message: string }).message)).toContain("'visits'");
      const mistyped = await call(null, "POST", predict, { rows: [{ ...rows[0], spend: "lots" }] }, key);
      expect(mistyped.status).toBe(400);
      expect(String((mistyped.body.error as { message: string }).message)).toMatch(
        /'spend' must be a double/,
      );
      const notRows = await call(null, "POST", predict, { rows: "x" }, key);
      expect(notRows.status).toBe(400);

      // No key, a personal token, a key of nothing: 401. An unknown deployment: 404.
      expect((await call(null, "POST", predict, { rows })).status).toBe(401);
      expect((await call("owner", "POST", predict, { rows })).status).toBe(401);
      expect((await call(null, "POST", predict, { rows }, "flint_dk_nothing")).status).toBe(401);
      expect((await call(null, "POST", "/api/v1/deployments/no-such/predict", { rows }, key)).status).toBe(
        404,
      );

      // Another project's member: 404 on every management route, through either project.
      for (const [method, url, json] of [
        ["GET", base, undefined],
        ["GET", `${base}/spend-api`, undefined],
        ["PATCH", `${base}/spend-api`, { modelName: "spend", version: "1" }],
        ["DELETE", `${base}/spend-api`, undefined],
        ["POST", `${base}/spend-api/keys`, { name: "mine" }],
        ["DELETE", `${base}/spend-api/keys/${(keyAnswer.body.key as { id: string }).id}`, undefined],
        ["GET", `/api/v1/projects/${otherProjectId}/deployments/spend-api`, undefined],
        ["POST", `/api/v1/projects/${otherProjectId}/deployments/spend-api/keys`, { name: "mine" }],
      ] as const) {
        const answer = await call("outsider", method, url, json);
        expect(answer.status, `${method} ${url}: ${answer.text}`).toBe(404);
      }
      expect((await call(null, "POST", predict, { rows }, key)).status).toBe(200);

      // The alias moves to version 2 while requests keep coming: every one is answered.
      const statuses: number[] = [];
      let isLoading = true;
      const seen = new Set<string>();
      const loop = async () => {
        while (isLoading) {
          const answer = await call(null, "POST", predict, { rows }, key);
          statuses.push(answer.status);
          seen.add(JSON.stringify(answer.body.predictions));
        }
      };
      const loops = [loop(), loop(), loop()];
      const ran2 = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: ["v2"],
        wait: true,
        timeoutMs: 540_000,
      });
      expect(ran2.status, ran2.text).toBe(200);
      const second = outputText(ran2);
      expect(line(second, "VERSION"), second).toBe(2);
      const expected2 = line(second, "PRED") as number[];
      await waitFor(
        "the swap to version 2",
        async () => (await call("owner", "GET", `${base}/spend-api`)).body.servedVersion,
        (version) => version === "2",
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      isLoading = false;
      await Promise.all(loops);
      expect(statuses.length).toBeGreaterThan(20);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(seen).toEqual(new Set([JSON.stringify(expected1), JSON.stringify(expected2)]));
      const after = await call(null, "POST", predict, { rows }, key);
      expect(after.body.predictions).toEqual(expected2);

      // A revoked key is refused at once.
      const revoked = await call(
        "owner",
        "DELETE",
        `${base}/spend-api/keys/${(keyAnswer.body.key as { id: string }).id}`,
      );
      expect(revoked.status, revoked.text).toBe(200);
      const refused = await call(null, "POST", predict, { rows }, key);
      expect(refused.status).toBe(401);

      // Deleting stops it.
      expect((await call("owner", "DELETE", `${base}/spend-api`)).status).toBe(200);
      expect((await call("owner", "GET", `${base}/spend-api`)).status).toBe(404);
    },
    SLOW_MS,
  );

  it(
    "the Getting started 'Customer segments' notebook trains on the sample, and its last cell calls the deployment",
    async () => {
      const projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Getting started" })).body
        .id as string;
      await seedCatalogSample(prisma, {
        storageRoot: flintConfig.storageRoot,
        projectId,
        ownerId: ids.owner,
      });
      const tour = buildCustomerSegmentsNotebook();
      const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
        name: "Customer segments",
        notebook: tour,
      });
      expect(created.status, created.text).toBe(201);
      const notebookId = created.body.id as string;
      const cells = tour.cells as { id: string; cell_type: string; source: string }[];
      const code = cells.filter((cell) => cell.cell_type === "code");
      const trained = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: code.slice(0, 2).map((cell) => cell.id),
        wait: true,
        timeoutMs: 600_000,
      });
      expect(trained.status, trained.text).toBe(200);
      for (const result of trained.body.results as { outputs: Record<string, unknown>[] }[])
        expect(JSON.stringify(result.outputs)).not.toContain('"output_type":"error"');

      // What the markdown cell asks a person to do on the Deployments page, through its API.
      const base = `/api/v1/projects/${projectId}/deployments`;
      const deployed = await call("owner", "POST", base, {
        name: "customer-segments",
        modelName: "customer_segments",
        alias: "champion",
      });
      expect(deployed.status, deployed.text).toBe(201);
      const running = await waitFor(
        "the deployment to run",
        async () => (await call("owner", "GET", `${base}/customer-segments`)).body,
        (body) => body.state !== "starting",
      );
      expect(running.state, JSON.stringify(running)).toBe("running");
      const key = (await call("owner", "POST", `${base}/customer-segments/keys`, { name: "notebook" })).body
        .secret as string;

      // The person pastes the key into the last cell and runs it.
      const last = code[code.length - 1]!;
      const saved = await call("owner", "GET", `/api/v1/notebooks/${notebookId}`);
      const document = saved.body.notebook as { cells: { id: string; source: string | string[] }[] };
      for (const cell of document.cells)
        if (cell.id === last.id)
          cell.source = (Array.isArray(cell.source) ? cell.source.join("") : cell.source).replace(
            "paste the deployment key here",
            key,
          );
      const put = await call("owner", "PUT", `/api/v1/notebooks/${notebookId}`, {
        version: saved.body.version,
        notebook: document,
      });
      expect(put.status, put.text).toBe(200);
      const called = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
        cellIds: [last.id],
        wait: true,
        timeoutMs: 300_000,
      });
      expect(called.status, called.text).toBe(200);
      const text = outputText(called);
      const endpoint = line(text, "endpoint:");
      expect(endpoint).toEqual(line(text, "notebook:"));
      expect((endpoint as number[]).length).toBe(3);
    },
    SLOW_MS,
  );
});

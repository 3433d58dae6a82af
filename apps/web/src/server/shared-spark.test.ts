// Shared Spark end to end (issue 17, docs/spark.md): notebooks run through Flint's REST API, their
// kernels in shared mode (sandboxed when bubblewrap works, as in production) ask the API for their
// project's Spark Connect server at their first Spark use, with the notebook token the run gave
// them, and open a session of their own on it. Two notebooks of a project share one server (one
// JVM) with their own temp views; `sc` says to pick the dedicated kernel.

import { rmSync } from "node:fs";
import { createRunPreparer, createToken } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import type { TKernelRuntime } from "@flint/kernel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFlint } from "./test-server.js";

const SLOW_MS = 600_000;

let stopFlint: (() => Promise<void>) | undefined;
let runtime: TKernelRuntime;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let token: string;
let dataDir: string;
const logs: string[] = [];

async function call(method: string, url: string, json?: unknown) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function createNotebook(projectId: string, name: string, sources: string[]): Promise<string> {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)" } },
    cells: sources.map((source, index) => ({
      id: `c${index}`,
      cell_type: "code",
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
  const created = await call("POST", `/api/v1/projects/${projectId}/notebooks`, { name, notebook });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

type TRunResult = { cellId: string; status: string; outputs: Array<Record<string, unknown>> };

/** Runs every cell of a notebook over REST and answers each cell's text output. */
async function runAll(notebookId: string): Promise<string[]> {
  const answer = await call("POST", `/api/v1/notebooks/${notebookId}/run`, {
    wait: true,
    timeoutMs: 540_000,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const results = answer.body.results as TRunResult[];
  return results.map((result) =>
    result.outputs
      .map((output) => {
        if (typeof output.text === "string") return output.text;
        const data = output.data as Record<string, unknown> | undefined;
        if (data?.["text/plain"]) return String(data["text/plain"]);
        if (output.output_type === "error") return `${output.ename}: ${output.evalue}`;
        return "";
      })
      .join(""),
  );
}

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-shared-spark-test-",
    // As apps/web's start does: sandboxed kernels reach the API through a socket bound into them.
    apiSocket: true,
    runtime: ({ config, port }) => ({
      log: (message) => logs.push(message),
      env: { FLINT_SPARK_MODE: "shared" },
      prepareRun: createRunPreparer(db.prisma, config),
      sparkConnect: { memoryMb: 768 },
      // As in production: the next notebook's kernel comes from the warm pool.
      warmPoolSize: 1,
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
  runtime = flint.runtime;
  baseUrl = flint.baseUrl;
  dataDir = flint.dataDir;
  const userId = `user-shared-${Date.now()}`;
  await prisma.user.create({ data: { id: userId, email: `${userId}@example.test`, name: "Shared" } });
  token = (await createToken(prisma, userId, "test")).secret;
}, SLOW_MS);

afterAll(async () => {
  await stopFlint?.();
  await closeDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("shared Spark through Flint's API", () => {
  it(
    "a shared-mode kernel gets its project's server from the API at first Spark use; notebooks share it with their own sessions",
    async () => {
      const projectId = (await call("POST", "/api/v1/projects", { name: "Shared Spark" })).body.id as string;
      expect(runtime.sparkConnect.running()).toEqual([]);
      const first = await createNotebook(projectId, "First", [
        // The cells name Spark, so the project's server starts beside the kernel (next test).
        "print(1 + 1)",
        "print(spark.range(10**6).count())",
        "print(type(spark).__module__)",
        "spark.range(3).createOrReplaceTempView('only_first')\nprint(spark.catalog.tableExists('only_first'))",
        "try:\n    sc.parallelize([1])\nexcept Exception as error:\n    print(type(error).__name__, error)",
      ]);
      const [plain, counted, kind, view, noContext] = await runAll(first);
      expect(plain).toContain("2");
      expect(counted).toMatch(/Spark started in [\d.]+ s \(sc:\/\/127\.0\.0\.1:\d+\)/);
      expect(counted).toContain("Spark: job 0");
      expect(counted).toContain("1000000");
      expect(kind).toContain("pyspark.sql.connect.session");
      expect(view).toContain("True");
      expect(noContext).toContain("SparkStartError");
      expect(noContext).toContain('"Python 3 (Spark, dedicated)" kernel');
      expect(runtime.sparkConnect.running()).toEqual([projectId]);
      const pid = runtime.sparkConnect.pidOf(projectId);

      // A second notebook of the project: the same server, a session of its own.
      // Its kernel comes from the warm pool, which imported the Spark client once the project's
      // Spark ran, and its session starts as soon as the kernel has its token (before any use).
      const second = await createNotebook(projectId, "Second", [
        "import sys, flint.kernel as fk\nprint('pyspark.sql.connect.session' in sys.modules, [e.starter.has_started for e in fk._extensions.values()])",
        "print(spark.range(10**6).count(), spark.catalog.tableExists('only_first'))",
      ]);
      const started = Date.now();
      const [preloaded, secondCount] = await runAll(second);
      expect(preloaded).toContain("True [True]");
      logs.push(`second notebook's first Spark result (warm project Spark) in ${Date.now() - started} ms`);
      expect(secondCount).toContain("1000000 False");
      expect(runtime.sparkConnect.pidOf(projectId)).toBe(pid);
      expect(runtime.sparkConnect.running()).toEqual([projectId]);
    },
    SLOW_MS,
  );

  it(
    "the cells' text starts the project's server beside their kernel, before any Spark use; cells without Spark start none",
    async () => {
      const projectId = (await call("POST", "/api/v1/projects", { name: "Early Spark" })).body.id as string;
      // No project Spark runs and no cell names it: the kernel is a bare Python process, the Spark
      // client not loaded, no session started.
      const plain = await createNotebook(projectId, "Plain", [
        "import sys, flint.kernel as fk\nprint(6 * 7, 'pyspark.sql.connect.session' in sys.modules, [e.starter.has_started for e in fk._extensions.values()])",
      ]);
      expect((await runAll(plain))[0]).toContain("42 False [False]");
      expect(runtime.sparkConnect.running()).not.toContain(projectId);
      // A notebook that never touches Spark but names it: the start comes from the text alone
      // (docs/spark.md, "Started with the kernel"), as it does for `spark.range(...)` in a cell.
      const mentions = await createNotebook(projectId, "Mentions", [
        "print(6 * 7)",
        "# spark.range(3).count() comes later",
      ]);
      expect((await runAll(mentions))[0]).toContain("42");
      expect(runtime.sparkConnect.running()).toContain(projectId);
    },
    SLOW_MS,
  );
});

// A notebook picks its kernel (issue 17, docs/spark.md): real sandboxed kernels behind Flint's API
// start from the notebook's `metadata.kernelspec` when Flint offers it. A dedicated notebook has
// `sc` and a classic session; the default one a Spark Connect session; a kernelspec Flint does not
// offer runs on the default with a notice; `PUT /notebooks/{id}/kernel` switches a running
// notebook (runners and up; a viewer gets 403, an unknown kernel 400).

import { rmSync } from "node:fs";
import { createRunPreparer, createToken } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import type { TKernelRuntime } from "@flint/kernel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputText, projectSandbox, startTestFlint } from "./test-server.js";

const SLOW_MS = 600_000;

let stopFlint: (() => Promise<void>) | undefined;
let runtime: TKernelRuntime;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
let baseUrl: string;
let dataDir: string;
let projectId: string;
const tokens = { owner: "", viewer: "" };

async function call(who: keyof typeof tokens, method: string, url: string, json?: unknown) {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[who]}`,
      ...(json ? { "content-type": "application/json" } : {}),
    },
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function notebookJson(kernelName: string | null, sources: string[]) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: kernelName ? { kernelspec: { name: kernelName, display_name: kernelName } } : {},
    cells: sources.map((source, index) => ({
      id: `c${index}`,
      cell_type: "code",
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
}

async function createNotebook(name: string, kernelName: string | null, sources: string[]): Promise<string> {
  const created = await call("owner", "POST", `/api/v1/projects/${projectId}/notebooks`, {
    name,
    notebook: notebookJson(kernelName, sources),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function storedKernelName(notebookId: string): Promise<unknown> {
  const row = await prisma.notebook.findUniqueOrThrow({
    where: { id: notebookId },
    select: { metadata: true },
  });
  return (row.metadata as { kernelspec?: { name?: unknown } }).kernelspec?.name;
}

type TRunResult = { cellId: string; status: string; outputs: Array<Record<string, unknown>> };

/** Runs cells of a notebook over REST (every code cell by default) and answers each one's text. */
async function runAll(notebookId: string, cellIds?: string[]): Promise<string[]> {
  const answer = await call("owner", "POST", `/api/v1/notebooks/${notebookId}/run`, {
    ...(cellIds ? { cellIds } : {}),
    wait: true,
    timeoutMs: 540_000,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body.results as TRunResult[]).map((result) => outputText(result.outputs));
}

/** Which Spark mode the kernel's kernelspec gave it (`dedicated` only from flint-spark-dedicated here). */
const PRINT_MODE = "import os\nprint('mode', os.environ.get('FLINT_SPARK_MODE'))";

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  const flint = await startTestFlint({
    prisma: db.prisma,
    dataDirPrefix: "flint-kernel-choice-test-",
    apiSocket: true,
    runtime: ({ config, port }) => ({
      // The server's default is shared Spark: only the notebook's kernelspec makes a kernel dedicated.
      env: { FLINT_SPARK_MODE: "shared" },
      prepareRun: createRunPreparer(db.prisma, config),
      sparkConnect: { memoryMb: 768 },
      sandbox: projectSandbox(db.prisma, config, port),
    }),
  });
  stopFlint = flint.stop;
  runtime = flint.runtime;
  baseUrl = flint.baseUrl;
  dataDir = flint.dataDir;
  const stamp = Date.now();
  for (const who of ["owner", "viewer"] as const) {
    const id = `user-kernel-${who}-${stamp}`;
    await prisma.user.create({ data: { id, email: `${id}@example.test`, name: who } });
    tokens[who] = (await createToken(prisma, id, "test")).secret;
  }
  projectId = (await call("owner", "POST", "/api/v1/projects", { name: "Kernels" })).body.id as string;
  await prisma.projectMember.create({
    data: { projectId, userId: `user-kernel-viewer-${stamp}`, role: "viewer" },
  });
}, SLOW_MS);

afterAll(async () => {
  await stopFlint?.();
  await closeDb?.();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a notebook's kernelspec picks its kernel", () => {
  it(
    "a notebook with the dedicated kernelspec has sc and a classic session",
    async () => {
      const id = await createNotebook("Dedicated", "flint-spark-dedicated", [
        PRINT_MODE,
        "print(sc.parallelize(range(10)).sum(), spark.sparkContext.parallelize(range(4)).count())",
        "print(type(spark).__module__)",
      ]);
      expect(await storedKernelName(id)).toBe("flint-spark-dedicated");
      const [mode, sums, kind] = await runAll(id);
      expect(mode).toContain("mode dedicated");
      expect(sums).toContain("45 4");
      expect(kind).toContain("pyspark.sql.session");
      expect(runtime.broker.session(id).snapshot().kernel.choice).toEqual({ name: "flint-spark-dedicated" });
      // Its Spark is its own: the project has no shared server.
      expect(runtime.sparkConnect.running()).toEqual([]);
      await runtime.broker.handleCommand(id, { type: "shutdown" });
    },
    SLOW_MS,
  );

  it(
    "the default kernelspec gets a Spark Connect session on the project's shared server",
    async () => {
      const id = await createNotebook("Shared", "flint-spark", [
        PRINT_MODE,
        "print(spark.range(5).count())",
        // After the first use `spark` is the session itself, no longer Flint's lazy proxy.
        "print(type(spark).__module__)",
      ]);
      const [mode, count, kind] = await runAll(id);
      expect(mode).toContain("mode shared");
      expect(count).toContain("5");
      expect(kind).toContain("pyspark.sql.connect.session");
      expect(runtime.sparkConnect.running()).toEqual([projectId]);
      await runtime.broker.handleCommand(id, { type: "shutdown" });
    },
    SLOW_MS,
  );

  it(
    "a kernelspec Flint does not offer falls back to the default with a notice; imports keep only offered ones",
    async () => {
      // An import from JupyterLab names "python3": it comes in as Flint's default.
      const imported = await createNotebook("From JupyterLab", "python3", [PRINT_MODE]);
      expect(await storedKernelName(imported)).toBe("flint-spark");
      const none = await createNotebook("No kernelspec", null, [PRINT_MODE]);
      expect(await storedKernelName(none)).toBe("flint-spark");

      // A save may still name anything: the kernel is then the default, with a notice, not a crash.
      const id = await createNotebook("Odd kernel", "flint-spark", [PRINT_MODE]);
      const saved = await call("owner", "PUT", `/api/v1/notebooks/${id}`, {
        version: 1,
        notebook: notebookJson("no-such-kernel", [PRINT_MODE]),
      });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      expect(await storedKernelName(id)).toBe("no-such-kernel");
      const [mode] = await runAll(id);
      expect(mode).toContain("mode shared");
      const choice = runtime.broker.session(id).snapshot().kernel.choice;
      expect(choice?.name).toBe("flint-spark");
      expect(choice?.notice).toContain('"no-such-kernel", which Flint does not offer');
      await runtime.broker.handleCommand(id, { type: "shutdown" });
    },
    SLOW_MS,
  );

  it(
    "PUT /kernel switches a running notebook to the dedicated kernel; a viewer gets 403, an unknown kernel 400",
    async () => {
      const id = await createNotebook("Switch", "flint-spark", [
        `${PRINT_MODE}\nx = 1`,
        "print('sum', sc.parallelize(range(10)).sum(), 'x' in globals())",
      ]);
      const [before] = await runAll(id, ["c0"]);
      expect(before).toContain("mode shared");
      const firstKernel = runtime.broker.kernelIdOf(id);
      expect(firstKernel).not.toBeNull();

      const byViewer = await call("viewer", "PUT", `/api/v1/notebooks/${id}/kernel`, {
        name: "flint-spark-dedicated",
      });
      expect(byViewer.status).toBe(403);
      const unknown = await call("owner", "PUT", `/api/v1/notebooks/${id}/kernel`, { name: "python3" });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body)).toContain("flint-spark-dedicated");
      expect(await storedKernelName(id)).toBe("flint-spark");
      expect(runtime.broker.kernelIdOf(id)).toBe(firstKernel);

      const switched = await call("owner", "PUT", `/api/v1/notebooks/${id}/kernel`, {
        name: "flint-spark-dedicated",
      });
      expect(switched.status, JSON.stringify(switched.body)).toBe(200);
      expect(switched.body).toMatchObject({
        name: "flint-spark-dedicated",
        displayName: "Python 3 (Spark, dedicated)",
        version: 2,
        restarted: true,
      });
      expect(await storedKernelName(id)).toBe("flint-spark-dedicated");
      // The old kernel is gone (and with it `x`); the new one is dedicated and has `sc`.
      expect(runtime.broker.kernelIdOf(id)).not.toBe(firstKernel);
      expect(runtime.broker.session(id).snapshot().kernel.choice).toEqual({ name: "flint-spark-dedicated" });
      // `x` of the shared kernel is gone: the state was lost, as the picker's dialog says.
      const [withContext] = await runAll(id, ["c1"]);
      expect(withContext).toContain("sum 45 False");
      const [after] = await runAll(id);
      expect(after).toContain("mode dedicated");

      // Choosing the kernel it already has changes nothing and restarts nothing.
      const kernel = runtime.broker.kernelIdOf(id);
      const again = await call("owner", "PUT", `/api/v1/notebooks/${id}/kernel`, {
        name: "flint-spark-dedicated",
      });
      expect(again.body).toMatchObject({ version: 2, restarted: false });
      expect(runtime.broker.kernelIdOf(id)).toBe(kernel);
      await runtime.broker.handleCommand(id, { type: "shutdown" });
    },
    SLOW_MS,
  );
});

describe("the catalog in sandboxed notebooks", () => {
  it(
    "a file uploaded to a new project (before any of its kernels ran) loads in its notebook",
    async () => {
      const uploads = (await call("owner", "POST", "/api/v1/projects", { name: "Uploads" })).body
        .id as string;
      const form = new FormData();
      form.set("name", "uploaded_orders");
      form.set("format", "csv");
      form.set(
        "file",
        new Blob(["region,units\nnorth,3\nsouth,4\neast,5\n"], { type: "text/csv" }),
        "orders.csv",
      );
      const uploaded = await fetch(`${baseUrl}/api/v1/catalog/assets?projectId=${uploads}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.owner}` },
        body: form,
      });
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
      const created = await fetch(`${baseUrl}/api/v1/projects/${uploads}/notebooks`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.owner}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "Reads the upload",
          notebook: notebookJson(null, [
            "import flint\nframe = flint.catalog.load_pandas('uploaded_orders')\nprint('units', int(frame['units'].sum()))",
          ]),
        }),
      });
      expect(created.status).toBe(201);
      const notebookId = ((await created.json()) as { id: string }).id;
      const [text] = await runAll(notebookId);
      expect(text).toContain("units 12");
      await runtime.broker.handleCommand(notebookId, { type: "shutdown" });
      await runtime.sparkConnect.stopProject(uploads);
    },
    SLOW_MS,
  );
});

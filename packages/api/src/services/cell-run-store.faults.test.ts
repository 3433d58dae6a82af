/**
 * Faults with real processes (issue 16): the embedded PostgreSQL is stopped and started again
 * while a real kernel's cell streams its output. Nothing it printed may be lost: the broker keeps
 * trying its writes and the run answers only once the final outputs are stored.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPrismaClient, type PrismaClient } from "@flint/db";
import { startEmbeddedPostgres, type TEmbeddedPostgres } from "@flint/db/embedded";
import { applyMigrations } from "@flint/db/migrate";
import { MIGRATIONS_DIR } from "@flint/db/testing";
import { createKernelRuntime, type TKernelRuntime } from "@flint/kernel";
import { createLogCollector, findTestPythonEnv, TEST_KERNEL_ENV } from "@flint/kernel/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCellRunStore } from "./cell-run-store.js";

// The cell ends while the database is away (~2 s of printing, 4 s without a database), so its
// final write, with every line, must wait for the database to come back.
const LINES = 20;

let pgDir: string;
let dataDir: string;
let pg: TEmbeddedPostgres;
let port: number;
let prisma: PrismaClient;
let runtime: TKernelRuntime;
const logs = createLogCollector();

beforeAll(async () => {
  pgDir = mkdtempSync(path.join(os.tmpdir(), "flint-fault-pg-"));
  dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-fault-data-"));
  pg = await startEmbeddedPostgres({ dir: pgDir });
  port = pg.port;
  await applyMigrations(pg.url, MIGRATIONS_DIR);
  prisma = createPrismaClient(pg.url);
  runtime = createKernelRuntime({
    pythonEnv: findTestPythonEnv(),
    dataDir,
    store: createCellRunStore(prisma),
    warmPoolSize: 0,
    env: TEST_KERNEL_ENV,
    log: logs.log,
  });
  await runtime.start();
  await runtime.ready();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await prisma?.$disconnect();
  await pg?.stop();
  rmSync(pgDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the database restarts while a cell streams", () => {
  it("keeps every line the cell printed, and the run answers only when they are stored", async () => {
    const user = await prisma.user.create({ data: { id: "u-fault", name: "Ada", email: "ada@fault.test" } });
    const project = await prisma.project.create({ data: { name: "Faults", createdById: user.id } });
    const source = `import time\nfor i in range(${LINES}):\n    print(f"line {i}", flush=True)\n    time.sleep(0.1)\n"done"`;
    const notebook = await prisma.notebook.create({
      data: {
        projectId: project.id,
        name: "Streams",
        createdById: user.id,
        metadata: {},
        cells: [
          { id: "stream", cell_type: "code", metadata: {}, source, outputs: [], execution_count: null },
        ],
      },
    });

    const run = runtime.broker.runAndWait(notebook.id, ["stream"], 240_000);
    // Once the first lines are stored, the database goes away for a few seconds mid-stream.
    await waitUntil(async () => {
      const row = await prisma.cellOutput.findUnique({
        where: { notebookId_cellId: { notebookId: notebook.id, cellId: "stream" } },
      });
      return JSON.stringify(row?.outputs ?? []).includes("line 3");
    });
    await pg.stop();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    pg = await startEmbeddedPostgres({ dir: pgDir, port });

    const [result] = await run;
    expect(result?.status).toBe("ok");
    const row = await prisma.cellOutput.findUniqueOrThrow({
      where: { notebookId_cellId: { notebookId: notebook.id, cellId: "stream" } },
    });
    expect(row.status).toBe("ok");
    const stored = JSON.stringify(row.outputs);
    for (let i = 0; i < LINES; i++) expect(stored).toContain(`line ${i}\\n`);
    expect(stored).toContain("'done'");
    expect(logs.lines.join("\n")).toMatch(/could not save a cell's outputs, trying again/);
  }, 300_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("timed out");
}

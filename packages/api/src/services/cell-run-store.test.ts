// The database cell-run store on a real PostgreSQL: fields left out of an update keep their stored
// values, a deleted notebook's late write is dropped, and a server writes only while no other server
// holds the notebook's lease (the fence that keeps a stalled owner from overwriting the new owner's
// account of a cell; docs/deployment.md, "Several web servers").
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCellRunStore } from "./cell-run-store.js";

let prisma: PrismaClient;
let closeDb: () => Promise<void>;
let userId: string;
let projectId: string;

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = db.prisma;
  closeDb = db.close;
  userId = (await prisma.user.create({ data: { id: "u-store", name: "Ada", email: "ada@store.test" } })).id;
  projectId = (await prisma.project.create({ data: { name: "Store", createdById: userId } })).id;
}, 60_000);

afterAll(async () => {
  await closeDb?.();
});

async function createNotebook(): Promise<string> {
  const notebook = await prisma.notebook.create({
    data: { projectId, name: "N", createdById: userId, cells: [], metadata: {} },
  });
  return notebook.id;
}

async function registerServer(id: string): Promise<void> {
  await prisma.flintServer.create({ data: { id, name: id, internalUrl: `http://${id}:3000` } });
}

const stored = (notebookId: string, cellId: string) =>
  prisma.cellOutput.findUnique({ where: { notebookId_cellId: { notebookId, cellId } } });

describe("the cell-run store", () => {
  it("writes a run, and a status-only update keeps the outputs, count and times", async () => {
    const notebookId = await createNotebook();
    const store = createCellRunStore(prisma);
    const startedAt = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await store.saveCellRun(notebookId, "c1", {
      status: "ok",
      outputs: [{ output_type: "stream", name: "stdout", text: "hi 'quoted' \\ and ünïcode\n" }],
      executionCount: 3,
      execution: {
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(startedAt + 1_500).toISOString(),
        ranBy: { id: userId, name: "Ada" },
      },
    });
    await store.saveCellRun(notebookId, "c1", { status: "cancelled" });
    const row = await stored(notebookId, "c1");
    expect(row).toMatchObject({ status: "cancelled", executionCount: 3, ranById: userId, serverId: null });
    expect(row?.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "hi 'quoted' \\ and ünïcode\n" },
    ]);
    expect(row?.startedAt?.getTime()).toBe(startedAt);
    expect(row?.endedAt?.getTime()).toBe(startedAt + 1_500);
    // `null` clears, unlike a field left out.
    await store.saveCellRun(notebookId, "c1", {
      status: "idle",
      outputs: [],
      executionCount: null,
      execution: null,
    });
    expect(await stored(notebookId, "c1")).toMatchObject({
      status: "idle",
      outputs: [],
      executionCount: null,
      startedAt: null,
      ranById: null,
    });
  });

  it("drops the write of a notebook deleted while its cell ran", async () => {
    const store = createCellRunStore(prisma);
    await expect(
      store.saveCellRun("no-such-notebook", "c1", { status: "ok", outputs: [] }),
    ).resolves.toBeUndefined();
  });

  it("writes only while no other server holds the notebook's lease", async () => {
    const notebookId = await createNotebook();
    await registerServer("srv-old");
    await registerServer("srv-new");
    const oldOwner = createCellRunStore(prisma, { serverId: "srv-old" });
    const newOwner = createCellRunStore(prisma, { serverId: "srv-new" });
    // No lease yet (a single server before its first lease): written, with the server's id.
    await oldOwner.saveCellRun(notebookId, "c1", { status: "running", outputs: [] });
    expect(await stored(notebookId, "c1")).toMatchObject({ status: "running", serverId: "srv-old" });
    await prisma.notebookLease.create({
      data: { notebookId, serverId: "srv-new", expiresAt: new Date(Date.now() + 60_000) },
    });
    await newOwner.saveCellRun(notebookId, "c1", { status: "died" });
    // The old owner's late writes, to that cell or a new one, are dropped.
    await oldOwner.saveCellRun(notebookId, "c1", {
      status: "ok",
      outputs: [{ output_type: "stream", name: "stdout", text: "late" }],
    });
    await oldOwner.saveCellRun(notebookId, "c2", { status: "ok", outputs: [] });
    expect(await stored(notebookId, "c1")).toMatchObject({
      status: "died",
      serverId: "srv-new",
      outputs: [],
    });
    expect(await stored(notebookId, "c2")).toBeNull();
    await newOwner.saveCellRun(notebookId, "c2", { status: "ok", outputs: [] });
    expect(await stored(notebookId, "c2")).toMatchObject({ status: "ok", serverId: "srv-new" });
  });
});

// Two real Flint servers, each in its own process, on one database and one data folder
// (docs/deployment.md, "Several web servers"): a notebook open on both has one kernel and the same
// live outputs; restarting one server leaves the other's running cells alone; killing the owner
// (SIGKILL, as a crash) hands its notebooks to the survivor, which keeps the saved outputs and runs
// the next cell.
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createToken } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { killClusterServer, startClusterServer, type TClusterServer, waitFor } from "./cluster-testing.js";

// The default: shorter leases were lost to stalled heartbeats on a shared 2-core machine (load 15,
// Jupyter starting, tsx compiling), which is what a real lease must survive.
const LEASE_SECONDS = 15;

type TEvent = { type: string; [key: string]: unknown };
type TServer = TClusterServer;
type TSocket = { ws: WebSocket; events: TEvent[] };

let prisma: PrismaClient;
let closeDb: () => Promise<void>;
let databaseUrl: string;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-cluster-data-"));
const shared = {
  FLINT_CLUSTER_SECRET: randomBytes(32).toString("hex"),
  BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
  FLINT_CATALOG_KEY: randomBytes(32).toString("base64url"),
  FLINT_LEASE_SECONDS: String(LEASE_SECONDS),
};
/** Every server started (to kill at the end), and the current one of each name. */
const started: TServer[] = [];
const servers = new Map<string, TServer>();
/** The current server of `name` (a restart replaces it). */
const serverNamed = (name: string): TServer => {
  const server = servers.get(name);
  if (!server) throw new Error(`no server ${name}`);
  return server;
};
const sockets: TSocket[] = [];
let token: string;
let notebookId: string;

/** Starts a test Flint in its own process group (so a kill takes its Jupyter and kernels). */
async function startServer(name: string): Promise<TServer> {
  const server = await startClusterServer({ name, databaseUrl, dataDir, env: shared });
  started.push(server);
  servers.set(name, server);
  return server;
}

const kill = killClusterServer;

async function stopCleanly(server: TServer): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

function connect(server: TServer): Promise<TSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const socket = { ws, events: [] as TEvent[] };
    ws.on("message", (data) => socket.events.push(JSON.parse(data.toString()) as TEvent));
    ws.on("open", () => {
      sockets.push(socket);
      resolve(socket);
    });
    ws.on("unexpected-response", (_request, response) => reject(new Error(`socket: ${response.statusCode}`)));
  });
}

/** Everything a socket received as output of `cellId`, as text. */
function outputText(socket: TSocket, cellId: string): string {
  return socket.events
    .filter((event) => event.type === "outputs" && event.cellId === cellId)
    .map((event) => JSON.stringify(event))
    .join("\n");
}

async function setCells(cells: Array<{ id: string; source: string }>): Promise<void> {
  await prisma.notebook.update({
    where: { id: notebookId },
    data: { cells: cells.map((cell) => ({ ...cell, cell_type: "code", metadata: {} })) },
  });
}

async function storedCell(cellId: string) {
  return prisma.cellOutput.findUnique({ where: { notebookId_cellId: { notebookId, cellId } } });
}

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = db.prisma;
  closeDb = db.close;
  databaseUrl = db.url;
  const userId = `user-${Date.now()}`;
  await prisma.user.create({ data: { id: userId, email: `owner-${Date.now()}@example.test`, name: "Ada" } });
  token = (await createToken(prisma, userId, "test")).secret;
  const project = await prisma.project.create({
    data: { name: "Cluster", createdById: userId, members: { create: { userId, role: "admin" } } },
  });
  notebookId = (
    await prisma.notebook.create({
      data: { projectId: project.id, name: "Shared", createdById: userId, cells: [], metadata: {} },
    })
  ).id;
  await Promise.all([startServer("server-a"), startServer("server-b")]);
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) socket.ws.terminate();
  for (const server of started) kill(server);
  await closeDb?.();
});

describe("two Flint servers on one database", () => {
  it("runs a notebook open on both in one kernel, with the same live outputs on both", async () => {
    const [a, b] = [serverNamed("server-a"), serverNamed("server-b")];
    await setCells([
      { id: "pid", source: "import os\nprint('kernel pid', os.getpid())" },
      { id: "pid-again", source: "print('kernel pid', os.getpid())" },
    ]);
    const onA = await connect(a);
    await waitFor(() => onA.events.find((event) => event.type === "snapshot"));
    const onB = await connect(b);
    await waitFor(() => onB.events.find((event) => event.type === "snapshot"));
    const lease = await prisma.notebookLease.findUnique({ where: { notebookId } });
    expect(lease?.serverId).toBe(a.serverId);

    onA.ws.send(JSON.stringify({ type: "run", requestId: "r1", cellIds: ["pid"] }));
    const pid = await waitFor(() => /kernel pid (\d+)/.exec(outputText(onB, "pid"))?.[1]);
    await waitFor(() => (outputText(onA, "pid").includes(`kernel pid ${pid}`) ? true : undefined));
    // A run sent to the other server runs in the same kernel, and A sees its output live too.
    onB.ws.send(JSON.stringify({ type: "run", requestId: "r2", cellIds: ["pid-again"] }));
    await waitFor(() => (outputText(onA, "pid-again").includes(`kernel pid ${pid}`) ? true : undefined));
    await waitFor(() => (outputText(onB, "pid-again").includes(`kernel pid ${pid}`) ? true : undefined));
    expect((await storedCell("pid-again"))?.serverId).toBe(a.serverId);
  });

  it("restarting one server does not end the other server's running cells", async () => {
    const b = serverNamed("server-b");
    // The cell runs until the test lets it end (a file appears), however long B's restart takes on
    // a loaded machine; the 300 s cap only keeps a broken run from hanging the kernel for ever.
    const release = path.join(dataDir, "release-long-cell");
    await setCells([
      {
        id: "long",
        source: `import os, time\nfor _ in range(3000):\n    if os.path.exists(${JSON.stringify(release)}): break\n    time.sleep(0.1)\nprint('slept through it')`,
      },
    ]);
    const onA = sockets[0]!;
    onA.ws.send(JSON.stringify({ type: "run", requestId: "r3", cellIds: ["long"] }));
    await waitFor(async () => ((await storedCell("long"))?.status === "running" ? true : undefined));
    await stopCleanly(b);
    const b2 = await startServer("server-b");
    const afterRestart = await storedCell("long");
    expect(afterRestart?.status, JSON.stringify(afterRestart?.outputs)).toBe("running");
    writeFileSync(release, "");
    await waitFor(async () => ((await storedCell("long"))?.status === "ok" ? true : undefined), 60_000);
    expect(JSON.stringify((await storedCell("long"))?.outputs)).toContain("slept through it");
    expect(await prisma.flintServer.count({ where: { id: b.serverId } })).toBe(0);
    expect(b2.serverId).not.toBe(b.serverId);
  });

  it("hands the notebooks of a killed server to the survivor, with their saved outputs", async () => {
    const [a, b] = [serverNamed("server-a"), serverNamed("server-b")];
    await setCells([
      { id: "saved", source: "x = 41\nprint('saved before the crash')" },
      { id: "hang", source: "import time\nprint('started')\ntime.sleep(120)" },
      { id: "after", source: "print('survivor ran', 'x' in globals())" },
    ]);
    const onB = await connect(b);
    await waitFor(() => onB.events.find((event) => event.type === "snapshot"));
    onB.ws.send(JSON.stringify({ type: "run", requestId: "r4", cellIds: ["saved", "hang"] }));
    await waitFor(() => (outputText(onB, "hang").includes("started") ? true : undefined));
    expect((await storedCell("hang"))?.serverId).toBe(a.serverId);

    kill(a);
    const snapshots = onB.events.filter((event) => event.type === "snapshot").length;
    // B notices the owner is gone, waits out its lease, takes the notebook and sends a new snapshot.
    await waitFor(
      () => (onB.events.filter((event) => event.type === "snapshot").length > snapshots ? true : undefined),
      LEASE_SECONDS * 1000 * 4,
    );
    expect((await prisma.notebookLease.findUnique({ where: { notebookId } }))?.serverId).toBe(b.serverId);
    const hang = await storedCell("hang");
    expect(hang?.status).toBe("died");
    expect(JSON.stringify(hang?.outputs)).toContain("started");
    expect(JSON.stringify(hang?.outputs)).toContain("FlintRestarted");
    const saved = await storedCell("saved");
    expect(saved?.status).toBe("ok");
    expect(JSON.stringify(saved?.outputs)).toContain("saved before the crash");

    onB.ws.send(JSON.stringify({ type: "run", requestId: "r5", cellIds: ["after"] }));
    // A new kernel on B: the output is B's, and the old kernel's variables are gone with A.
    await waitFor(() => (outputText(onB, "after").includes("survivor ran False") ? true : undefined));
    expect((await storedCell("after"))?.serverId).toBe(b.serverId);
    expect(JSON.stringify((await storedCell("saved"))?.outputs)).toContain("saved before the crash");
    // The heartbeat sweep removes the killed server's row.
    await waitFor(async () =>
      (await prisma.flintServer.count({ where: { id: a.serverId } })) === 0 ? true : undefined,
    );
  });

  it("takes the notebooks of a hung server (its sockets stay open), and the hung one gives them up when it wakes", async () => {
    // A is gone (killed above); a new A joins while B owns the notebook.
    const a = await startServer("server-a");
    const b = serverNamed("server-b");
    const onB = sockets.at(-1)!;
    await setCells([
      { id: "before-freeze", source: "y = 1\nprint('before the freeze')" },
      {
        id: "in-freeze",
        source: "import time\nprint('on the hung server')\ntime.sleep(3)\nprint('finished late')",
      },
      { id: "new-owner", source: "import os\nz = 7\nprint('new owner', 'y' in globals(), os.getpid())" },
      { id: "via-b", source: "import os\nprint('z is', z, os.getpid())" },
    ]);
    const onA = await connect(a);
    await waitFor(() => onA.events.find((event) => event.type === "snapshot"));
    onA.ws.send(JSON.stringify({ type: "run", requestId: "r6", cellIds: ["before-freeze", "in-freeze"] }));
    await waitFor(() => (outputText(onA, "in-freeze").includes("on the hung server") ? true : undefined));
    // Saved as running (writes are batched), so the takeover has a running cell to end.
    await waitFor(async () => ((await storedCell("in-freeze"))?.status === "running" ? true : undefined));
    expect((await storedCell("before-freeze"))?.serverId).toBe(b.serverId);

    // SIGSTOP: B's process stays, its connections stay open and silent (as a hung machine's), its
    // kernel (another process group) goes on and its messages wait in B's socket.
    if (b.child.pid) process.kill(-b.child.pid, "SIGSTOP");
    try {
      const snapshots = onA.events.filter((event) => event.type === "snapshot").length;
      await waitFor(
        () => (onA.events.filter((event) => event.type === "snapshot").length > snapshots ? true : undefined),
        LEASE_SECONDS * 1000 * 4,
      );
      expect((await prisma.notebookLease.findUnique({ where: { notebookId } }))?.serverId).toBe(a.serverId);
      expect((await storedCell("in-freeze"))?.status).toBe("died");
      expect(JSON.stringify((await storedCell("before-freeze"))?.outputs)).toContain("before the freeze");
      onA.ws.send(JSON.stringify({ type: "run", requestId: "r7", cellIds: ["new-owner"] }));
      await waitFor(() => (outputText(onA, "new-owner").includes("new owner False") ? true : undefined));
    } finally {
      if (b.child.pid) process.kill(-b.child.pid, "SIGCONT");
    }
    const ownerPid = /new owner False (\d+)/.exec(outputText(onA, "new-owner"))?.[1];

    // B wakes: it finds its lease gone, shuts its session down, and its browser follows A's kernel.
    const snapshotsOnB = onB.events.filter((event) => event.type === "snapshot").length;
    await waitFor(
      () =>
        onB.events.filter((event) => event.type === "snapshot").length > snapshotsOnB ? true : undefined,
      LEASE_SECONDS * 1000 * 4,
    );
    onB.ws.send(JSON.stringify({ type: "run", requestId: "r8", cellIds: ["via-b"] }));
    await waitFor(() => (outputText(onB, "via-b").includes(`z is 7 ${ownerPid}`) ? true : undefined));
    expect((await storedCell("via-b"))?.serverId).toBe(a.serverId);
    // What B's kernel printed after the takeover never overwrote the new owner's account.
    const inFreeze = await storedCell("in-freeze");
    expect(inFreeze?.status).toBe("died");
    expect(JSON.stringify(inFreeze?.outputs)).not.toContain("finished late");
  });
});

// Two real Flint servers, each in its own process, on one database and one data folder
// (docs/deployment.md, "Several web servers"): a notebook open on both has one kernel and the same
// live outputs; restarting one server leaves the other's running cells alone; killing the owner
// (SIGKILL, as a crash) hands its notebooks to the survivor, which keeps the saved outputs and runs
// the next cell.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createToken } from "@flint/api";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");
// The default: shorter leases were lost to stalled heartbeats on a shared 2-core machine (load 15,
// Jupyter starting, tsx compiling), which is what a real lease must survive.
const LEASE_SECONDS = 15;

type TEvent = { type: string; [key: string]: unknown };
type TServer = { name: string; child: ChildProcess; baseUrl: string; serverId: string };
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
const servers: TServer[] = [];
const sockets: TSocket[] = [];
let token: string;
let notebookId: string;

/** Starts a test Flint in its own process group (so a kill takes its Jupyter and kernels). */
function startServer(name: string): Promise<TServer> {
  const child = spawn(path.join(root, "node_modules/.bin/tsx"), [path.join(here, "test-server-main.ts")], {
    cwd: root,
    detached: true,
    env: {
      ...process.env,
      ...shared,
      DATABASE_URL: databaseUrl,
      FLINT_TEST_DATA_DIR: dataDir,
      FLINT_SERVER_NAME: name,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
    if (process.env.FLINT_TEST_VERBOSE) process.stderr.write(String(chunk));
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
      const match = /FLINT_TEST_READY (\S+) (\S+)/.exec(stdout);
      if (match?.[1] && match[2]) {
        const server = { name, child, baseUrl: match[1], serverId: match[2] };
        servers.push(server);
        resolve(server);
      }
    });
    child.on("exit", (code) => reject(new Error(`server ${name} exited (${code}): ${stderr.slice(-2000)}`)));
  });
}

function kill(server: TServer): void {
  try {
    if (server.child.pid) process.kill(-server.child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

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

async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Everything a socket received as output of `cellId`, as text. */
function outputText(socket: TSocket, cellId: string): string {
  return socket.events
    .filter((event) => event.type === "outputs" && event.cellId === cellId)
    .map((event) => JSON.stringify(event))
    .join("\n");
}

function statusOf(socket: TSocket, cellId: string): string | undefined {
  const statuses = socket.events.filter(
    (event) => event.type === "cell" && event.cellId === cellId,
  ) as unknown as { status: string }[];
  return statuses.at(-1)?.status;
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
  for (const server of servers) kill(server);
  await closeDb?.();
});

describe("two Flint servers on one database", () => {
  it("runs a notebook open on both in one kernel, with the same live outputs on both", async () => {
    const [a, b] = servers as [TServer, TServer];
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
    const [a, b] = servers as [TServer, TServer];
    await setCells([{ id: "long", source: "import time\ntime.sleep(12)\nprint('slept through it')" }]);
    const onA = sockets[0]!;
    onA.ws.send(JSON.stringify({ type: "run", requestId: "r3", cellIds: ["long"] }));
    await waitFor(async () => ((await storedCell("long"))?.status === "running" ? true : undefined));
    await stopCleanly(b);
    servers.splice(servers.indexOf(b), 1);
    const b2 = await startServer("server-b");
    const afterRestart = await storedCell("long");
    expect(afterRestart?.status, JSON.stringify(afterRestart?.outputs)).toBe("running");
    await waitFor(async () => ((await storedCell("long"))?.status === "ok" ? true : undefined), 60_000);
    expect(JSON.stringify((await storedCell("long"))?.outputs)).toContain("slept through it");
    expect(await prisma.flintServer.count({ where: { id: b.serverId } })).toBe(0);
    expect(b2.serverId).not.toBe(b.serverId);
  });

  it("hands the notebooks of a killed server to the survivor, with their saved outputs", async () => {
    const [a, b] = servers as [TServer, TServer];
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
});

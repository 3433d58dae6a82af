// Co-editing across two web servers (docs/coediting.md, "Several web servers"): what the relay adds
// to a keystroke. Two Flint servers (their own processes, as several-servers tests start them) on one
// embedded PostgreSQL; server A owns the notebook's room. Two senders type (one on A, one on B, keys
// alternating, a key every 60 ms) and two receivers watch (one on A, one on B); each key is timed
// from the sender's insert to its arrival at each receiver, all four clients in this process (one
// clock), over the real notebook socket with a real token.
//   A -> A  the baseline: no relay
//   B -> A  the sender's frames relayed from B to the owner A
//   A -> B  the owner's frames relayed down to B
//   B -> B  both: B to A and back (two people on the same non-owner server)
// Run: `npm run bench -- relay`.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createToken } from "@flint/api";
import { encodeFrame, getSourceText, MESSAGE_SYNC, readNotebook } from "@flint/collab/shared";
import { createPrismaClient } from "@flint/db";
import { startEmbeddedPostgres } from "@flint/db/embedded";
import { applyMigrations } from "@flint/db/migrate";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import {
  killClusterServer,
  startClusterServer,
  type TClusterServer,
  waitFor,
} from "../../apps/web/src/server/cluster-testing";
import { answerSync } from "../flint-client";
import { quantile, report } from "../stats";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEYS = Number(process.env.BENCH_RELAY_KEYS ?? 300);

/** A co-editing client: joins with its sync step 1 and sends its changes as updates. */
async function openClient(
  baseUrl: string,
  notebookId: string,
  token: string,
): Promise<{ doc: Y.Doc; ws: WebSocket }> {
  const doc = new Y.Doc();
  const ws = new WebSocket(`${baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  answerSync(ws, doc, "server");
  doc.on("update", (update: Uint8Array, origin: unknown) => {
    if (origin !== "server")
      ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
  });
  ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, doc)));
  await waitFor(() => (readNotebook(doc).cells.length > 0 ? true : undefined), 60_000);
  return { doc, ws };
}

const pg = await startEmbeddedPostgres({ dir: mkdtempSync(path.join(os.tmpdir(), "flint-bench-relay-")) });
const servers: TClusterServer[] = [];
try {
  await applyMigrations(pg.url, path.join(root, "prisma/migrations"));
  const prisma = createPrismaClient(pg.url);
  const user = await prisma.user.create({
    data: { id: "bench-relay-user", email: "bench@relay.test", name: "Bench" },
  });
  const token = (await createToken(prisma, user.id, "bench")).secret;
  const project = await prisma.project.create({
    data: {
      name: "Relay bench",
      createdById: user.id,
      members: { create: { userId: user.id, role: "admin" } },
    },
  });
  const notebookId = (
    await prisma.notebook.create({
      data: {
        projectId: project.id,
        name: "Relay bench",
        createdById: user.id,
        cells: ["fromA", "fromB"].map((id) => ({ id, cell_type: "code", source: "", metadata: {} })),
        metadata: {},
      },
    })
  ).id;
  const env = {
    FLINT_CLUSTER_SECRET: randomBytes(32).toString("hex"),
    BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
    FLINT_CATALOG_KEY: randomBytes(32).toString("base64url"),
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-bench-relay-data-"));
  const [a, b] = await Promise.all(
    ["bench-a", "bench-b"].map((name) => startClusterServer({ name, databaseUrl: pg.url, dataDir, env })),
  );
  if (!a || !b) throw new Error("servers did not start");
  servers.push(a, b);
  // The first client on A makes A the owner.
  const senderA = await openClient(a.baseUrl, notebookId, token);
  const owner = await prisma.notebookLease.findUnique({ where: { notebookId } });
  if (owner?.serverId !== a.serverId) throw new Error("server A should own the notebook");
  const senderB = await openClient(b.baseUrl, notebookId, token);
  const receivers = {
    A: await openClient(a.baseUrl, notebookId, token),
    B: await openClient(b.baseUrl, notebookId, token),
  };

  // Arrival time of the n-th key of each cell at each receiver (the text's length says which key).
  const arrivals = new Map<string, number>();
  for (const [where, receiver] of Object.entries(receivers)) {
    for (const cellId of ["fromA", "fromB"]) {
      const text = getSourceText(receiver.doc, cellId);
      text?.observe(() => {
        const key = `${where}:${cellId}:${text.length}`;
        if (!arrivals.has(key)) arrivals.set(key, performance.now());
      });
    }
  }
  const latencies: Record<string, number[]> = { "A -> A": [], "B -> A": [], "A -> B": [], "B -> B": [] };
  const started = performance.now();
  for (let index = 0; index < KEYS; index++) {
    // Alternating sides, so a slow moment of the machine falls on both.
    const side = index % 2 === 0 ? "A" : "B";
    const sender = side === "A" ? senderA : senderB;
    const cellId = `from${side}`;
    const text = getSourceText(sender.doc, cellId);
    if (!text) throw new Error(`no cell ${cellId}`);
    const sentAt = performance.now();
    text.insert(text.length, "x");
    const n = text.length;
    for (const where of ["A", "B"] as const) {
      const arrived = await waitFor(() => arrivals.get(`${where}:${cellId}:${n}`), 30_000);
      latencies[`${side} -> ${where}`]?.push(arrived - sentAt);
    }
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\nKeystroke -> another person, two Flint servers, A owns the room (${KEYS} keys in ${seconds.toFixed(0)} s)\n`,
  );
  const baseline = quantile(latencies["A -> A"] ?? [], 0.5);
  for (const [pathName, values] of Object.entries(latencies)) {
    const p50 = quantile(values, 0.5);
    report(`  ${pathName} p50 (${values.length} keys)`, `${p50.toFixed(1)} ms`, "-");
    report(`  ${pathName} p95`, `${quantile(values, 0.95).toFixed(1)} ms`, "< 100 ms");
    report(`  ${pathName} max`, `${Math.max(...values).toFixed(1)} ms`, "-");
    report(`  ${pathName} p50 / A -> A p50`, `${(p50 / baseline).toFixed(2)}x`, "-");
  }
  for (const client of [senderA, senderB, receivers.A, receivers.B]) client.ws.close();
  await prisma.$disconnect();
} finally {
  for (const server of servers) killClusterServer(server);
  await pg.stop();
}

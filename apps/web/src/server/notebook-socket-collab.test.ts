// Co-editing over the notebook WebSocket against the real server, database and kernel
// (docs/coediting.md): an editor's typing reaches a viewer live and the database; a forged update
// from a viewer's socket is refused and never applied; a run executes the source as it is in the
// shared document; a removed member's socket closes within seconds, so it stops receiving.

import {
  classifyFrame,
  encodeFrame,
  getSourceText,
  MESSAGE_REFUSED,
  MESSAGE_SAVED,
  MESSAGE_SYNC,
  readNotebook,
} from "@flint/collab";
import type { PrismaClient } from "@flint/db";
import { createTestDatabase } from "@flint/db/testing";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { startTestFlint, type TTestFlint } from "./test-server.js";

let flint: TTestFlint;
let closeDb: () => Promise<void>;
let prisma: PrismaClient;
const tokens: Record<string, string> = {};
const userIds: Record<string, string> = {};
let projectId: string;
let notebookId: string;

/** A co-editing client over a real socket, as the page's client speaks it. */
class Client {
  readonly doc = new Y.Doc();
  readonly refusals: string[] = [];
  readonly events: { type: string; [key: string]: unknown }[] = [];
  savedCount = 0;
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        this.events.push(JSON.parse(data.toString()));
        return;
      }
      const decoder = decoding.createDecoder(new Uint8Array(data as Buffer));
      const type = decoding.readVarUint(decoder);
      if (type === MESSAGE_SYNC) {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, MESSAGE_SYNC);
        syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
        if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder));
      } else if (type === MESSAGE_REFUSED) this.refusals.push(decoding.readVarString(decoder));
      else if (type === MESSAGE_SAVED) this.savedCount++;
    });
    ws.on("close", (code) => {
      this.closeCode = code;
    });
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== this && ws.readyState === ws.OPEN)
        ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
    });
  }

  static async open(who: string): Promise<Client> {
    const ws = new WebSocket(`${flint.baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, {
      headers: { authorization: `Bearer ${tokens[who]}` },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const client = new Client(ws);
    ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, client.doc)));
    await waitFor(() => (readNotebook(client.doc).cells.length > 0 ? true : undefined));
    return client;
  }

  text(cellId: string): string {
    return getSourceText(this.doc, cellId)?.toString() ?? "";
  }
}

async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function storedSource(cellId: string): Promise<string | undefined> {
  const row = await prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select: { cells: true } });
  const cell = (row.cells as { id: string; source: string }[]).find((entry) => entry.id === cellId);
  return cell?.source;
}

beforeAll(async () => {
  const db = await createTestDatabase();
  closeDb = db.close;
  prisma = db.prisma;
  flint = await startTestFlint({ prisma, dataDirPrefix: "flint-collab-test-" });
  const { createToken } = await import("@flint/api");
  for (const who of ["admin", "editor", "viewer", "removed"]) {
    const id = `user-${who}-${Date.now()}`;
    await prisma.user.create({ data: { id, email: `${who}-${Date.now()}@example.test`, name: who } });
    userIds[who] = id;
    tokens[who] = (await createToken(prisma, id, "test")).secret;
  }
  const created = await fetch(`${flint.baseUrl}/api/v1/projects`, {
    method: "POST",
    headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Co-editing" }),
  });
  projectId = ((await created.json()) as { id: string }).id;
  for (const [who, role] of [
    ["editor", "editor"],
    ["viewer", "viewer"],
    ["removed", "viewer"],
  ] as const)
    await prisma.projectMember.create({ data: { projectId, userId: userIds[who]!, role } });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { id: "c1", cell_type: "code", source: "x = 1", metadata: {}, outputs: [], execution_count: null },
    ],
  };
  const response = await fetch(`${flint.baseUrl}/api/v1/projects/${projectId}/notebooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "N", notebook }),
  });
  notebookId = ((await response.json()) as { id: string }).id;
});

afterAll(async () => {
  await flint?.stop();
  await closeDb?.();
});

describe("co-editing on the notebook socket", () => {
  it("an editor's typing reaches a viewer live and the database; a viewer's forged update is refused", async () => {
    const editor = await Client.open("editor");
    const viewer = await Client.open("viewer");
    expect(viewer.text("c1")).toBe("x = 1");
    getSourceText(editor.doc, "c1")!.insert(5, "0");
    await waitFor(() => (viewer.text("c1") === "x = 10" ? true : undefined));

    // The viewer's socket sends an update by hand, as a tampered page would.
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(viewer.doc));
    getSourceText(forged, "c1")!.insert(0, "import os; ");
    const frame = encodeFrame(MESSAGE_SYNC, (encoder) =>
      syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(forged)),
    );
    expect(classifyFrame(frame)).toBe("write");
    viewer.ws.send(frame);
    await waitFor(() => (viewer.refusals.length > 0 ? true : undefined));
    expect(viewer.refusals[0]).toMatch(/viewer/);
    // Nobody got it and the database never has it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(editor.text("c1")).toBe("x = 10");
    await waitFor(async () => ((await storedSource("c1")) === "x = 10" ? true : undefined));
    // A save request from a viewer is refused too.
    viewer.ws.send(encodeFrame(MESSAGE_SAVED));
    await waitFor(() => (viewer.refusals.length > 1 ? true : undefined));
    editor.ws.close();
    viewer.ws.close();
  });

  it("a run executes the source as it is in the shared document at that moment", async () => {
    const editor = await Client.open("editor");
    const text = getSourceText(editor.doc, "c1")!;
    text.delete(0, text.length);
    text.insert(0, "print('typed, not saved')");
    // Sent right after the keystrokes on the same socket, as the page does.
    editor.ws.send(JSON.stringify({ type: "run", requestId: "r1", cellIds: ["c1"] }));
    const outputs = await waitFor(
      () =>
        editor.events.find(
          (event) => event.type === "outputs" && JSON.stringify(event.changes).includes("typed, not saved"),
        ),
      120_000,
    );
    expect(outputs).toBeDefined();
    editor.ws.close();
  });

  it("a removed member's socket closes within seconds, so it stops receiving edits", async () => {
    const editor = await Client.open("editor");
    const removed = await Client.open("removed");
    await prisma.projectMember.deleteMany({ where: { projectId, userId: userIds.removed! } });
    const removedAt = Date.now();
    await waitFor(() => removed.closeCode ?? undefined, 10_000);
    expect(removed.closeCode).toBe(4403);
    expect(Date.now() - removedAt).toBeLessThan(5_000);
    getSourceText(editor.doc, "c1")!.insert(0, "# after removal\n");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(removed.text("c1")).not.toContain("after removal");
    editor.ws.close();
  });
});

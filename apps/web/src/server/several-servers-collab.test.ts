// Co-editing with two real Flint servers on one database (docs/coediting.md, "Several web
// servers"): two people on different servers type into one cell and both see the merged text, which
// reaches the database; a run sent through the relaying server finds the keystrokes sent just
// before it; a viewer on the relaying server receives but cannot write; when the owner is killed,
// the survivor takes the notebook, loads the saved document, and the person on it keeps typing
// without losing anything.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createToken } from "@flint/api";
import {
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
import { killClusterServer, startClusterServer, type TClusterServer, waitFor } from "./cluster-testing.js";

// The default lease, as in several-servers.test.ts (shorter ones were lost to stalls here).
const LEASE_SECONDS = 15;

let prisma: PrismaClient;
let closeDb: () => Promise<void>;
const servers: TClusterServer[] = [];
const clients: Client[] = [];
const tokens: Record<string, string> = {};
let notebookId: string;

/**
 * A co-editing client as the page speaks it: joins with its sync step 1, sends its changes as
 * updates, and when the server closes its socket reconnects to the same server and sends its whole
 * state (what the page does after going offline).
 */
class Client {
  readonly doc = new Y.Doc();
  readonly refusals: string[] = [];
  readonly events: { type: string; [key: string]: unknown }[] = [];
  savedCount = 0;
  closes = 0;
  private ws: WebSocket | null = null;
  private isDone = false;

  constructor(
    readonly server: TClusterServer,
    readonly who: string,
  ) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== this && this.ws?.readyState === WebSocket.OPEN)
        this.ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
    });
  }

  static async open(server: TClusterServer, who: string): Promise<Client> {
    const client = new Client(server, who);
    clients.push(client);
    client.connect();
    await waitFor(() => (readNotebook(client.doc).cells.length > 0 ? true : undefined));
    return client;
  }

  private connect(): void {
    const ws = new WebSocket(`${this.server.baseUrl.replace("http", "ws")}/ws/notebooks/${notebookId}`, {
      headers: { authorization: `Bearer ${tokens[this.who]}` },
    });
    this.ws = ws;
    ws.on("open", () => {
      ws.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, this.doc)));
      // Whatever was typed while disconnected (an update the server has costs nothing).
      ws.send(
        encodeFrame(MESSAGE_SYNC, (encoder) =>
          syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(this.doc)),
        ),
      );
    });
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
    ws.on("error", () => undefined);
    ws.on("close", () => {
      if (this.ws === ws) this.ws = null;
      this.closes++;
      if (!this.isDone) setTimeout(() => this.connect(), 250);
    });
  }

  /**
   * Types `text` a key at a time at about a person's speed: at the end, or with `fromStart` from the
   * start of the cell on, the cursor kept after the last key as a relative position (as an editor
   * keeps it), so others' concurrent keys never split this person's text.
   */
  async type(cellId: string, text: string, fromStart = false): Promise<void> {
    let cursor: Y.RelativePosition | null = null;
    for (const key of text) {
      const ytext = getSourceText(this.doc, cellId);
      if (!ytext) throw new Error(`no cell ${cellId}`);
      const position = !fromStart
        ? ytext.length
        : cursor
          ? (Y.createAbsolutePositionFromRelativePosition(cursor, this.doc)?.index ?? 0)
          : 0;
      this.doc.transact(() => ytext.insert(position, key), null);
      // Left-associated: it stays right after this key whatever others insert next to it.
      cursor = Y.createRelativePositionFromTypeIndex(ytext, position + 1, -1);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  }

  text(cellId: string): string {
    return getSourceText(this.doc, cellId)?.toString() ?? "";
  }

  send(command: unknown): void {
    this.ws?.send(JSON.stringify(command));
  }

  close(): void {
    this.isDone = true;
    this.ws?.terminate();
  }
}

/** Whether the characters of `part` appear in `text` in order (others' keys may sit between). */
function hasInOrder(text: string, part: string): boolean {
  let at = 0;
  for (const key of part) {
    at = text.indexOf(key, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

async function storedSource(cellId: string): Promise<string | undefined> {
  const row = await prisma.notebook.findUniqueOrThrow({ where: { id: notebookId }, select: { cells: true } });
  return (row.cells as { id: string; source: string }[]).find((entry) => entry.id === cellId)?.source;
}

beforeAll(async () => {
  const db = await createTestDatabase();
  prisma = db.prisma;
  closeDb = db.close;
  const stamp = Date.now();
  const ids: Record<string, string> = {};
  for (const who of ["ada", "bea", "cy"]) {
    const id = `user-${who}-${stamp}`;
    await prisma.user.create({ data: { id, email: `${who}-${stamp}@example.test`, name: who } });
    ids[who] = id;
    tokens[who] = (await createToken(prisma, id, "test")).secret;
  }
  const project = await prisma.project.create({
    data: {
      name: "Relay",
      createdById: ids.ada!,
      members: {
        create: [
          { userId: ids.ada!, role: "admin" },
          { userId: ids.bea!, role: "editor" },
          { userId: ids.cy!, role: "viewer" },
        ],
      },
    },
  });
  notebookId = (
    await prisma.notebook.create({
      data: {
        projectId: project.id,
        name: "Typed on two servers",
        createdById: ids.ada!,
        cells: [
          { id: "shared", cell_type: "code", source: "", metadata: {} },
          { id: "run-me", cell_type: "code", source: "", metadata: {} },
        ],
        metadata: {},
      },
    })
  ).id;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-relay-data-"));
  const env = {
    FLINT_CLUSTER_SECRET: randomBytes(32).toString("hex"),
    BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
    FLINT_CATALOG_KEY: randomBytes(32).toString("base64url"),
    FLINT_LEASE_SECONDS: String(LEASE_SECONDS),
  };
  servers.push(
    ...(await Promise.all(
      ["server-a", "server-b"].map((name) => startClusterServer({ name, databaseUrl: db.url, dataDir, env })),
    )),
  );
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) killClusterServer(server);
  await closeDb?.();
});

describe("co-editing with two Flint servers on one database", () => {
  it("relays typing, runs and presence between servers, refuses a viewer's writes, and survives the owner's death", async () => {
    const [a, b] = servers as [TClusterServer, TClusterServer];
    // Ada opens the notebook first, on A: A takes the notebook and holds its room.
    const ada = await Client.open(a, "ada");
    expect((await prisma.notebookLease.findUnique({ where: { notebookId } }))?.serverId).toBe(a.serverId);
    const bea = await Client.open(b, "bea");
    const cy = await Client.open(b, "cy");

    // Both type into one cell at once: Ada at the start, Bea at the end.
    const fromAda = "# ada on A\n";
    const fromBea = "print('bea on B')\n";
    await Promise.all([ada.type("shared", fromAda, true), bea.type("shared", fromBea)]);
    const merged = await waitFor(() =>
      ada.text("shared") === bea.text("shared") &&
      ada.text("shared").length === fromAda.length + fromBea.length
        ? ada.text("shared")
        : undefined,
    );
    expect(hasInOrder(merged, fromAda)).toBe(true);
    expect(hasInOrder(merged, fromBea)).toBe(true);
    // The viewer on B receives it through the relay too, and the database has it.
    await waitFor(() => (cy.text("shared") === merged ? true : undefined));
    await waitFor(async () => ((await storedSource("shared")) === merged ? true : undefined));
    // The room's owner saves and tells everyone, relayed pages included.
    await waitFor(() => (bea.savedCount > 0 ? true : undefined));

    // A viewer's forged write through B is refused on B and never reaches the room.
    cy.doc.transact(() => getSourceText(cy.doc, "shared")?.insert(0, "FORGED "), null);
    await waitFor(() => (cy.refusals.length > 0 ? true : undefined));
    await bea.type("shared", "#");
    await waitFor(() => (ada.text("shared").endsWith("#") ? true : undefined));
    expect(ada.text("shared")).not.toContain("FORGED");
    expect(bea.text("shared")).not.toContain("FORGED");

    // A run sent through B right after the keys finds them in A's document (the barrier).
    await bea.type("run-me", "print(6 * 7)");
    bea.send({ type: "run", requestId: "relay-run", cellIds: ["run-me"] });
    await waitFor(
      () =>
        bea.events.some((event) => event.type === "outputs" && JSON.stringify(event).includes("42"))
          ? true
          : undefined,
      120_000,
    );

    // What Ada typed and the database acknowledged must survive A's death.
    const acknowledged = ada.text("shared");
    await waitFor(async () => ((await storedSource("shared")) === acknowledged ? true : undefined));
    const closesBefore = bea.closes;
    killClusterServer(a);
    ada.close();
    // Bea keeps typing while B finds A gone, waits out its lease and takes the notebook.
    const afterKill = "\n# typed while A died";
    await bea.type("shared", afterKill);
    await waitFor(() => (bea.closes > closesBefore ? true : undefined), LEASE_SECONDS * 1000 * 4);
    await waitFor(
      async () =>
        (await prisma.notebookLease.findUnique({ where: { notebookId } }))?.serverId === b.serverId
          ? true
          : undefined,
      LEASE_SECONDS * 1000 * 4,
    );
    const more = "\n# and after B took over";
    await bea.type("shared", more);
    const final = bea.text("shared");
    expect(final.startsWith(acknowledged)).toBe(true);
    expect(final.endsWith(afterKill + more)).toBe(true);
    // Nothing lost: B's room has the saved document plus everything Bea held, and saves it.
    await waitFor(async () => ((await storedSource("shared")) === final ? true : undefined), 60_000);
    // The viewer, reconnected to B (now the owner), follows (its own refused edit stays only in its copy).
    await waitFor(() => (cy.text("shared").replace("FORGED ", "") === final ? true : undefined), 60_000);
  }, 600_000);
});

// The page's co-editing client: drafts (SECURITY.md case 22), what a closed tab kept in this
// browser comes back on the next visit and holds only what the server had not saved; and the
// list of the others in the notebook.
import {
  applyNotebook,
  encodeFrame,
  encodeSaved,
  getSourceText,
  MESSAGE_AWARENESS,
  MESSAGE_SYNC,
  readNotebook,
  type TSharedNotebook,
} from "@flint/collab/shared";
import * as encoding from "lib0/encoding";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { CollabClient } from "./collab";

const NOTEBOOK_ID = "nb-draft";
const DRAFT_KEY = `flint:collab-draft:${NOTEBOOK_ID}`;

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

/** A notebook of `count` cells whose sources make the document a few hundred kilobytes. */
function bigNotebook(count: number): TSharedNotebook {
  return {
    cells: Array.from({ length: count }, (_, index) => ({
      id: `c${index}`,
      cell_type: "code" as const,
      source: `value_${index} = ${index} * 2\nprint(value_${index})  # ${"x".repeat(200)}`,
      metadata: {},
    })),
    metadata: {},
  };
}

/** A page that has synced with `server` and heard that it saved what it holds. */
function pageSyncedWith(server: Y.Doc): CollabClient {
  const page = new CollabClient(NOTEBOOK_ID, { id: "u1", name: "Ada" }, true, {
    send: () => true,
    onSynced: () => {},
    onSaved: () => {},
    onRefused: () => {},
  });
  page.receive(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep2(encoder, server)));
  page.receive(encodeSaved({ version: 1, stateVector: Y.encodeStateVector(server) }));
  return page;
}

// Each test gets an empty localStorage of its own.
let storage: Storage;
beforeEach(() => {
  storage = memoryStorage();
  vi.stubGlobal("window", { localStorage: storage });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("co-editing drafts", () => {
  it("keep only the unsaved changes, and a new page built from the server gets them back", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(1000));
    const page = pageSyncedWith(server);
    expect(page.isSynced).toBe(true);

    getSourceText(page.doc, "c700")?.insert(0, "# typed offline\n");
    page.writeDraft();
    const draft = storage.getItem(DRAFT_KEY);
    expect(draft).not.toBeNull();
    // The whole document is hundreds of kilobytes; the draft is the one edit.
    expect(Y.encodeStateAsUpdate(page.doc).length).toBeGreaterThan(200_000);
    expect(draft?.length).toBeLessThan(2_000);

    // The tab closes; the server never got the edit. The next visit merges it without asking.
    const next = pageSyncedWith(server);
    expect(readNotebook(next.doc).cells[700]?.source.startsWith("# typed offline\nvalue_700")).toBe(true);
    expect(readNotebook(next.doc).cells).toHaveLength(1000);
  });

  it("merge once when the server already has the change it had not yet saved", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(3));
    const page = pageSyncedWith(server);
    getSourceText(page.doc, "c1")?.insert(0, "#1 ");
    page.writeDraft();
    // The server received the edit (the socket was up) but had not saved it when the tab closed.
    Y.applyUpdate(server, Y.encodeStateAsUpdate(page.doc));
    const next = pageSyncedWith(server);
    expect(readNotebook(next.doc).cells[1]?.source).toBe(`#1 ${bigNotebook(3).cells[1]?.source}`);
  });

  it("keep deletions too", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(2));
    const page = pageSyncedWith(server);
    const text = getSourceText(page.doc, "c0");
    text?.insert(0, "kept ");
    text?.delete(5, 6);
    page.writeDraft();
    const next = pageSyncedWith(server);
    expect(readNotebook(next.doc).cells[0]?.source).toBe(text?.toString());
  });

  it("are dropped, not carried from visit to visit, when the server lost the history they build on", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(2));
    const page = pageSyncedWith(server);
    getSourceText(page.doc, "c0")?.insert(0, "# lost ");
    page.writeDraft();
    expect(storage.getItem(DRAFT_KEY)).not.toBeNull();
    // A document rebuilt from the notebook's content: same cells, none of the old changes.
    const rebuilt = new Y.Doc();
    applyNotebook(rebuilt, bigNotebook(2));
    const next = pageSyncedWith(rebuilt);
    expect(readNotebook(next.doc)).toEqual(readNotebook(rebuilt));
    expect(storage.getItem(DRAFT_KEY)).toBeNull();
  });

  it("write nothing when the server has saved everything", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(2));
    const page = pageSyncedWith(server);
    page.writeDraft();
    expect(storage.getItem(DRAFT_KEY)).toBeNull();
  });
});

describe("the others in the notebook", () => {
  it("change when someone else moves, not when this person's own cursor does", () => {
    const server = new Y.Doc();
    applyNotebook(server, bigNotebook(2));
    const page = pageSyncedWith(server);
    let changes = 0;
    page.subscribePeers(() => changes++);
    const text = getSourceText(page.doc, "c0");
    for (let offset = 0; offset < 5; offset++) page.setPresence("c0", { anchor: offset, head: offset }, text);
    expect(changes).toBe(0);

    const other = new awarenessProtocol.Awareness(new Y.Doc());
    const arrive = (cellId: string) => {
      other.setLocalState({ user: { id: "u2", name: "Grace", color: 3 }, cellId, cursor: null });
      const update = awarenessProtocol.encodeAwarenessUpdate(other, [other.clientID]);
      page.receive(encodeFrame(MESSAGE_AWARENESS, (encoder) => encoding.writeVarUint8Array(encoder, update)));
    };
    arrive("c1");
    expect(changes).toBe(1);
    expect(page.getPeers().map((peer) => [peer.name, peer.cellId])).toEqual([["Grace", "c1"]]);
    arrive("c0");
    expect(changes).toBe(2);
    expect(page.getPeers()[0]?.cellId).toBe("c0");
  });
});

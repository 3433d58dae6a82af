import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { CollabHub, type TCollabSession, type TCollabStore } from "./hub";
import {
  classifyFrame,
  encodeFrame,
  getSourceText,
  MESSAGE_AWARENESS,
  MESSAGE_REFUSED,
  MESSAGE_SAVED,
  MESSAGE_SYNC,
  readCellIds,
  readNotebook,
  type TSharedNotebook,
} from "./shared";

/** A store in memory with the database's compare-and-swap on version. */
class MemoryStore implements TCollabStore {
  version = 1;
  state: Uint8Array | null = null;
  stateVersion: number | null = null;
  saves = 0;
  constructor(public notebook: TSharedNotebook) {}
  async load() {
    return {
      version: this.version,
      notebook: this.notebook,
      state: this.state,
      stateVersion: this.stateVersion,
    };
  }
  async save(_id: string, input: { baseVersion: number; notebook: TSharedNotebook; state: Uint8Array }) {
    if (input.baseVersion !== this.version) return null;
    this.saves++;
    this.version++;
    this.notebook = input.notebook;
    this.state = input.state;
    this.stateVersion = this.version;
    return this.version;
  }
  /** A REST save: content changes, the shared state does not. */
  restSave(notebook: TSharedNotebook) {
    this.notebook = notebook;
    this.version++;
  }
}

const cell = (id: string, source: string) => ({ id, cell_type: "code", source, metadata: {} });

/**
 * A browser as the page behaves: its own Y.Doc, frames to and from the hub through the same
 * classification the socket does, and a switch to go offline (frames are dropped both ways).
 */
class Browser {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  session: TCollabSession | null = null;
  refusals: string[] = [];
  saved: Uint8Array | null = null;
  isOnline = true;
  private inbox: Promise<void> = Promise.resolve();
  // Frames sent while joining (the answer to the hub's step 1), as a socket would buffer them.
  private outbox: Uint8Array[] = [];

  constructor(
    private readonly hub: CollabHub,
    readonly userId: string,
    readonly canWrite = true,
  ) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this || !this.canWrite) return;
      this.sendToHub(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
    });
  }

  async connect(notebookId = "n1"): Promise<void> {
    this.isOnline = true;
    this.session = null;
    this.session = await this.hub.join(notebookId, {
      userId: this.userId,
      canWrite: this.canWrite,
      send: (frame) => this.onFrame(frame),
    });
    for (const frame of this.outbox.splice(0)) this.sendToHub(frame);
    this.sendToHub(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, this.doc)));
    await this.settle();
  }

  async disconnect(): Promise<void> {
    this.isOnline = false;
    await this.session?.leave();
    this.session = null;
  }

  /** Sends a frame as the socket would: only kinds this browser's role may send reach the hub. */
  sendToHub(frame: Uint8Array): void {
    if (!this.isOnline) return;
    if (!this.session) {
      this.outbox.push(frame);
      return;
    }
    const kind = classifyFrame(frame);
    if (kind === "invalid") throw new Error("invalid frame");
    if ((kind === "write" || kind === "save") && !this.canWrite) {
      this.refusals.push("refused by the socket");
      return;
    }
    const session = this.session;
    this.inbox = this.inbox.then(() => session.receive(frame, kind));
  }

  private onFrame(frame: Uint8Array): void {
    if (!this.isOnline) return;
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
      if (encoding.length(encoder) > 1 && this.canWrite) this.sendToHub(encoding.toUint8Array(encoder));
    } else if (type === MESSAGE_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
    } else if (type === MESSAGE_SAVED) {
      this.saved = decoding.readVarUint8Array(decoder);
    } else if (type === MESSAGE_REFUSED) {
      this.refusals.push(decoding.readVarString(decoder));
    }
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await this.inbox;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  text(cellId: string): string {
    return getSourceText(this.doc, cellId)?.toString() ?? "";
  }

  type(cellId: string, at: number, text: string): void {
    getSourceText(this.doc, cellId)!.insert(at, text);
  }
}

const settleAll = (...browsers: Browser[]) => Promise.all(browsers.map((browser) => browser.settle()));

function newHub(
  notebook: TSharedNotebook = { cells: [cell("a", "x = 1\n"), cell("b", "y = 2\n")], metadata: {} },
  saveDelayMs = 20,
) {
  const store = new MemoryStore(notebook);
  const hub = new CollabHub({ store, saveDelayMs, maxSaveDelayMs: saveDelayMs * 5 });
  return { store, hub };
}

describe("CollabHub", () => {
  it("gives a joining browser the stored notebook and saves the shared state once", async () => {
    const { store, hub } = newHub();
    const ada = new Browser(hub, "ada");
    await ada.connect();
    expect(readNotebook(ada.doc)).toEqual(store.notebook);
    await ada.disconnect();
    expect(store.state).not.toBeNull();
    expect(store.stateVersion).toBe(store.version);
  });

  it("merges typing in one cell at the same time, in every browser and in the store", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "")], metadata: {} });
    const ada = new Browser(hub, "ada");
    const bob = new Browser(hub, "bob");
    await ada.connect();
    await bob.connect();
    // Both type before either hears of the other's keys.
    for (const [index, key] of [..."hello"].entries()) {
      ada.type("a", index, key);
      bob.type("a", bob.text("a").length, "world"[index]!);
    }
    await settleAll(ada, bob);
    expect(ada.text("a")).toBe(bob.text("a"));
    expect(ada.text("a").replace(/[^hello]/g, "")).toContain("h");
    expect([...ada.text("a")].sort().join("")).toBe([..."helloworld"].sort().join(""));
    await ada.disconnect();
    await bob.disconnect();
    expect(store.notebook.cells[0]!.source).toBe(ada.text("a"));
  });

  it("adding a cell while another person deletes its neighbour converges, with no cell twice", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "1"), cell("b", "2"), cell("c", "3")], metadata: {} });
    const ada = new Browser(hub, "ada");
    const bob = new Browser(hub, "bob");
    await ada.connect();
    await bob.connect();
    ada.isOnline = false;
    bob.isOnline = false;
    const { applyNotebook } = await import("./shared");
    applyNotebook(ada.doc, {
      cells: [cell("a", "1"), cell("b", "2"), cell("n", "new"), cell("c", "3")],
      metadata: {},
    });
    applyNotebook(bob.doc, { cells: [cell("a", "1"), cell("c", "3")], metadata: {} });
    // Both reconnect: the sync exchange carries what each did.
    await ada.disconnect();
    await bob.disconnect();
    await ada.connect();
    await bob.connect();
    await settleAll(ada, bob);
    expect(readCellIds(ada.doc)).toEqual(["a", "n", "c"]);
    expect(readCellIds(bob.doc)).toEqual(["a", "n", "c"]);
    await ada.disconnect();
    await bob.disconnect();
    expect(store.notebook.cells.map((c) => c.id)).toEqual(["a", "n", "c"]);
  });

  it("two people moving one cell at once leave it once, and typing in it during the move is kept", async () => {
    const { hub } = newHub({ cells: [cell("a", "1"), cell("b", "2"), cell("c", "3")], metadata: {} });
    const ada = new Browser(hub, "ada");
    const bob = new Browser(hub, "bob");
    await ada.connect();
    await bob.connect();
    ada.isOnline = false;
    bob.isOnline = false;
    const { applyNotebook } = await import("./shared");
    applyNotebook(ada.doc, { cells: [cell("b", "2"), cell("c", "3"), cell("a", "1")], metadata: {} });
    applyNotebook(bob.doc, { cells: [cell("b", "2"), cell("a", "1"), cell("c", "3")], metadata: {} });
    bob.type("a", 1, " + 1");
    await ada.disconnect();
    await bob.disconnect();
    await ada.connect();
    await bob.connect();
    await settleAll(ada, bob);
    const ids = readCellIds(ada.doc);
    expect(ids).toEqual(readCellIds(bob.doc));
    expect([...ids].sort()).toEqual(["a", "b", "c"]);
    expect(ada.text("a")).toBe("1 + 1");
  });

  it("a browser that was offline merges what it typed when it comes back, after the room was unloaded", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "base")], metadata: {} });
    const ada = new Browser(hub, "ada");
    const bob = new Browser(hub, "bob");
    await ada.connect();
    await bob.connect();
    ada.isOnline = false;
    ada.type("a", 0, "offline ");
    bob.type("a", 4, " online");
    await bob.settle();
    await bob.disconnect();
    await ada.session?.leave();
    // Nobody is in: the room saved and unloaded. Ada comes back with her edit.
    await ada.connect();
    await ada.settle();
    expect(ada.text("a")).toBe("offline base online");
    await ada.disconnect();
    expect(store.notebook.cells[0]!.source).toBe("offline base online");
  });

  it("a viewer receives edits live; a forged update from a viewer never reaches the document", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "x")], metadata: {} });
    const ada = new Browser(hub, "ada");
    const vic = new Browser(hub, "vic", false);
    await ada.connect();
    await vic.connect();
    ada.type("a", 1, "yz");
    await settleAll(ada, vic);
    expect(vic.text("a")).toBe("xyz");
    vic.type("a", 0, "forged ");
    // Its page sends nothing; a forged frame is refused by the socket's check.
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(vic.doc));
    vic.sendToHub(
      encodeFrame(MESSAGE_SYNC, (encoder) =>
        syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(forged)),
      ),
    );
    await settleAll(ada, vic);
    expect(vic.refusals.length).toBeGreaterThan(0);
    expect(ada.text("a")).toBe("xyz");
    await ada.disconnect();
    await vic.disconnect();
    expect(store.notebook.cells[0]!.source).toBe("xyz");
  });

  it("refuses presence that names another user", async () => {
    const { hub } = newHub();
    const ada = new Browser(hub, "ada");
    const bob = new Browser(hub, "bob");
    await ada.connect();
    await bob.connect();
    bob.awareness.setLocalState({
      user: { id: "ada", name: "Ada", color: 1 },
      cellId: null,
      cursor: null,
    });
    bob.sendToHub(
      encodeFrame(MESSAGE_AWARENESS, (encoder) =>
        encoding.writeVarUint8Array(
          encoder,
          awarenessProtocol.encodeAwarenessUpdate(bob.awareness, [bob.doc.clientID]),
        ),
      ),
    );
    await settleAll(ada, bob);
    expect(bob.refusals).toContain("Presence must name the signed-in user of this connection.");
    expect(ada.awareness.getStates().has(bob.doc.clientID)).toBe(false);
    bob.awareness.setLocalState({
      user: { id: "bob", name: "Bob", color: 1 },
      cellId: "a",
      cursor: null,
    });
    bob.sendToHub(
      encodeFrame(MESSAGE_AWARENESS, (encoder) =>
        encoding.writeVarUint8Array(
          encoder,
          awarenessProtocol.encodeAwarenessUpdate(bob.awareness, [bob.doc.clientID]),
        ),
      ),
    );
    await settleAll(ada, bob);
    expect((ada.awareness.getStates().get(bob.doc.clientID) as { cellId: string }).cellId).toBe("a");
    // Leaving removes the presence from the others.
    await bob.disconnect();
    await ada.settle();
    expect(ada.awareness.getStates().has(bob.doc.clientID)).toBe(false);
  });

  it("a REST save while people are in reaches them and keeps their history", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "one")], metadata: {} });
    const ada = new Browser(hub, "ada");
    await ada.connect();
    await hub.applySaved(
      "n1",
      { cells: [cell("a", "one two"), cell("z", "new")], metadata: { k: 1 } },
      store.version,
    );
    await ada.settle();
    expect(readNotebook(ada.doc)).toEqual({
      cells: [cell("a", "one two"), cell("z", "new")],
      metadata: { k: 1 },
    });
    await ada.disconnect();
    // Saved while nobody is in: the next room starts from the stored content on the old history.
    store.restSave({ cells: [cell("a", "one two three")], metadata: {} });
    await ada.connect();
    expect(ada.text("a")).toBe("one two three");
    expect(readCellIds(ada.doc)).toEqual(["a"]);
  });

  it("reads the live document for runs and saves on request", async () => {
    const { store, hub } = newHub({ cells: [cell("a", "1")], metadata: {} }, 60_000);
    const ada = new Browser(hub, "ada");
    await ada.connect();
    ada.type("a", 1, "+1");
    await ada.settle();
    expect((await hub.readLive("n1"))?.cells[0]?.source).toBe("1+1");
    const before = store.saves;
    ada.sendToHub(encodeFrame(MESSAGE_SAVED));
    await ada.settle();
    expect(store.saves).toBeGreaterThan(before);
    expect(ada.saved).not.toBeNull();
    expect(await hub.readLive("other")).toBeNull();
  });
});

describe("evicting a room (its notebook moved to another server)", () => {
  it("closes its peers and never saves the stale copy, and the next join loads the store again", async () => {
    const store = new MemoryStore({ cells: [cell("a", "x = 1")], metadata: {} });
    const hub = new CollabHub({ store, saveDelayMs: 10, maxSaveDelayMs: 20 });
    const closed: string[] = [];
    const session = await hub.join("n1", {
      userId: "u1",
      canWrite: true,
      send: () => undefined,
      close: (reason) => closed.push(reason),
    });
    // The room was loaded without a saved state, so it has a save pending when it is evicted.
    const remote = new Y.Doc();
    await session.receive(
      encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, remote)),
      "read",
    );
    await hub.evict("n1", "moved to another server");
    expect(closed).toEqual(["moved to another server"]);
    expect(hub.isLive("n1")).toBe(false);
    await session.leave();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.saves).toBe(0);
    // A new room starts from the store.
    const again = await hub.join("n1", { userId: "u1", canWrite: false, send: () => undefined });
    expect(hub.isLive("n1")).toBe(true);
    expect((await hub.readLive("n1"))?.cells[0]?.source).toBe("x = 1");
    await again.leave();
    await hub.close();
  });
});

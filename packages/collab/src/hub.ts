/**
 * The server's side of co-editing: one room per notebook that someone has open, holding the
 * shared Yjs document and everyone's presence, relaying changes between the people in it and
 * saving the document to the database (debounced, and when the last person leaves).
 *
 * The hub does not authorize: the notebook socket classifies each frame
 * ({@link classifyFrame}), checks the permission that kind needs, and only then hands it to
 * {@link TCollabSession.receive}. The hub checks what only it can: that a browser's presence
 * speaks for the signed-in user of its socket.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import {
  applyNotebook,
  encodeFrame,
  encodeRefusal,
  encodeSaved,
  isEmptyDocument,
  MESSAGE_AWARENESS,
  MESSAGE_SYNC,
  readAwarenessEntries,
  readNotebook,
  repairOrder,
  type TFrameKind,
  type TSharedNotebook,
} from "./shared";

/** What the hub reads and writes in the database (`createCollabStore` in `@flint/api`). */
export interface TCollabStore {
  /**
   * The notebook's stored content, its version, and the shared document's state as last saved
   * (`null` before the first co-editing session) with the version it was saved at.
   */
  load(notebookId: string): Promise<{
    version: number;
    notebook: TSharedNotebook;
    state: Uint8Array | null;
    stateVersion: number | null;
  }>;
  /**
   * Writes content and state as the next version if the stored version is still `baseVersion`.
   * @returns the new version, or null when someone saved another way (REST) in between.
   */
  save(
    notebookId: string,
    input: { baseVersion: number; notebook: TSharedNotebook; state: Uint8Array },
  ): Promise<number | null>;
}

/** One browser in a room: who it is and how to reach it. */
export type TCollabPeer = {
  /** The socket's signed-in user; presence that names someone else is refused. */
  userId: string;
  /** Whether the hub should ask this browser for its changes on joining (editors only). */
  canWrite: boolean;
  send: (frame: Uint8Array) => void;
  /**
   * Ends this browser's connection because the room left this server ({@link CollabHub.evict}:
   * another server took the notebook). The browser reconnects and merges what it holds, as after
   * going offline. Optional: peers that cannot be closed only stop receiving.
   */
  close?: (reason: string) => void;
};

/** A browser's membership of a room, from joining until {@link leave}. */
export interface TCollabSession {
  /** Handles a frame the socket has classified and authorized as `kind`. */
  receive(frame: Uint8Array, kind: Exclude<TFrameKind, "invalid">): Promise<void>;
  /** Leaves the room; the last one out saves it and unloads it. */
  leave(): Promise<void>;
  /**
   * Resolves once every frame received so far is in the shared document. A local session applies
   * frames as they come and needs none; a session relayed to another server (the notebook's owner)
   * waits for the owner to confirm, so a run sent after a keystroke finds the keystroke there.
   */
  barrier?(): Promise<void>;
}

/** Options of {@link CollabHub}. */
export type TCollabHubOptions = {
  store: TCollabStore;
  /** Quiet time after the last change before a save. Default 1 s. */
  saveDelayMs?: number;
  /** Longest a change waits for a save while people keep typing. Default 5 s. */
  maxSaveDelayMs?: number;
  log?: (message: string) => void;
};

const ORIGIN_LOAD = "load";
const ORIGIN_EXTERNAL = "external";
const ORIGIN_REPAIR = "repair";

class Room {
  readonly doc = new Y.Doc();
  readonly awareness: awarenessProtocol.Awareness;
  /** Each peer with the awareness client ids it spoke for. */
  readonly peers = new Map<TCollabPeer, Set<number>>();
  version = 0;
  isDirty = false;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private firstDirtyAt = 0;
  private saving: Promise<void> | null = null;

  constructor(
    readonly notebookId: string,
    private readonly options: Required<Omit<TCollabHubOptions, "log">> & { log: (m: string) => void },
  ) {
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // The server has no presence of its own.
    this.awareness.setLocalState(null);
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      const frame = encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update));
      for (const peer of this.peers.keys()) if (peer !== origin) peer.send(frame);
      if (origin !== ORIGIN_LOAD) this.markDirty();
    });
    this.awareness.on(
      "update",
      (
        { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown,
      ) => {
        const changed = [...added, ...updated, ...removed];
        const frame = encodeFrame(MESSAGE_AWARENESS, (encoder) =>
          encoding.writeVarUint8Array(
            encoder,
            awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed),
          ),
        );
        for (const peer of this.peers.keys()) if (peer !== origin) peer.send(frame);
      },
    );
  }

  async load(): Promise<void> {
    const stored = await this.options.store.load(this.notebookId);
    this.version = stored.version;
    if (stored.state) Y.applyUpdate(this.doc, stored.state, ORIGIN_LOAD);
    // A REST save or restore since the state was saved (or no state yet): bring the document to
    // the stored content, keeping its history so browsers that hold it merge without copies.
    if (!stored.state || stored.stateVersion !== stored.version || isEmptyDocument(this.doc)) {
      applyNotebook(this.doc, stored.notebook, ORIGIN_LOAD);
      // Saving the state now gives every browser that joins later the same history.
      this.markDirty();
    }
  }

  markDirty(): void {
    if (this.isDisposed) return;
    if (!this.isDirty) this.firstDirtyAt = Date.now();
    this.isDirty = true;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    const waited = Date.now() - this.firstDirtyAt;
    const delay = Math.max(0, Math.min(this.options.saveDelayMs, this.options.maxSaveDelayMs - waited));
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save();
    }, delay);
  }

  /** Saves now if anything changed since the last save; resolves when it is written. */
  async save(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    while (this.saving) await this.saving;
    if (!this.isDirty || this.isDisposed) return;
    this.saving = this.saveOnce().finally(() => {
      this.saving = null;
    });
    await this.saving;
  }

  private async saveOnce(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      this.isDirty = false;
      const stateVector = Y.encodeStateVector(this.doc);
      try {
        const version = await this.options.store.save(this.notebookId, {
          baseVersion: this.version,
          notebook: readNotebook(this.doc),
          state: Y.encodeStateAsUpdate(this.doc),
        });
        if (version !== null) {
          this.version = version;
          const frame = encodeSaved({ version, stateVector });
          for (const peer of this.peers.keys()) peer.send(frame);
          return;
        }
        // Someone saved through REST in between and the hook did not reach us: take their
        // content into the document (as a change, so everyone sees it) and save again.
        const stored = await this.options.store.load(this.notebookId);
        this.version = stored.version;
        applyNotebook(this.doc, stored.notebook, ORIGIN_EXTERNAL);
      } catch (error) {
        this.options.log(`could not save notebook ${this.notebookId}: ${String(error)}`);
        this.markDirty();
        return;
      }
    }
    this.markDirty();
  }

  /** Sends `peer` the saved state when the database holds all of the document. */
  sendSavedIfClean(peer: TCollabPeer): void {
    if (this.isDirty || this.saving) return;
    peer.send(encodeSaved({ version: this.version, stateVector: Y.encodeStateVector(this.doc) }));
  }

  /** Set once the room is unloaded or evicted: it neither saves nor applies anything more. */
  isDisposed = false;

  dispose(): void {
    this.isDisposed = true;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.awareness.destroy();
    this.doc.destroy();
  }
}

/** Every room of this server, created when the first person opens a notebook. */
export class CollabHub {
  private readonly rooms = new Map<string, Promise<Room>>();
  private readonly options: ConstructorParameters<typeof Room>[1];

  constructor(options: TCollabHubOptions) {
    this.options = {
      store: options.store,
      saveDelayMs: options.saveDelayMs ?? 1000,
      maxSaveDelayMs: options.maxSaveDelayMs ?? 5000,
      log: options.log ?? (() => undefined),
    };
  }

  private room(notebookId: string): Promise<Room> {
    let room = this.rooms.get(notebookId);
    if (!room) {
      const created = new Room(notebookId, this.options);
      room = created.load().then(() => created);
      room.catch(() => this.rooms.delete(notebookId));
      this.rooms.set(notebookId, room);
    }
    return room;
  }

  /**
   * Adds a browser to a notebook's room: sends it the server's state vector (so it sends back
   * what it typed offline, if it may write) and everyone's presence. The browser's own sync step 1
   * then gets it what it lacks.
   */
  async join(notebookId: string, peer: TCollabPeer): Promise<TCollabSession> {
    const room = await this.room(notebookId);
    room.peers.set(peer, new Set());
    if (peer.canWrite) {
      peer.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, room.doc)));
    }
    // Tell it what is saved, so it can say "Saved" before anyone types (or after a Ctrl+S with
    // nothing new).
    room.sendSavedIfClean(peer);
    const states = [...room.awareness.getStates().keys()];
    if (states.length > 0) {
      peer.send(
        encodeFrame(MESSAGE_AWARENESS, (encoder) =>
          encoding.writeVarUint8Array(
            encoder,
            awarenessProtocol.encodeAwarenessUpdate(room.awareness, states),
          ),
        ),
      );
    }
    let hasLeft = false;
    return {
      receive: async (frame, kind) => {
        if (hasLeft || room.isDisposed) return;
        this.receive(room, peer, frame, kind);
        if (kind === "save") {
          await room.save();
          room.sendSavedIfClean(peer);
        }
      },
      leave: async () => {
        if (hasLeft) return;
        hasLeft = true;
        const clientIds = room.peers.get(peer) ?? new Set();
        room.peers.delete(peer);
        // An evicted room is gone already (and must not save over the new owner's).
        if (room.isDisposed) return;
        awarenessProtocol.removeAwarenessStates(room.awareness, [...clientIds], "left");
        if (room.peers.size > 0) return;
        await room.save();
        // Someone may have come in while it saved.
        if (room.peers.size === 0 && !room.isDisposed && this.rooms.get(notebookId) !== undefined) {
          this.rooms.delete(notebookId);
          room.dispose();
        }
      },
    };
  }

  private receive(room: Room, peer: TCollabPeer, frame: Uint8Array, kind: TFrameKind): void {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarUint(decoder);
    if (kind === "read" || kind === "write") {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.readSyncMessage(decoder, encoder, room.doc, peer);
      // A step 1 is answered with step 2; updates and step 2 need no answer.
      if (encoding.length(encoder) > 1) peer.send(encoding.toUint8Array(encoder));
      if (kind === "write") repairOrder(room.doc, ORIGIN_REPAIR);
      return;
    }
    if (kind === "presence") {
      const update = decoding.readVarUint8Array(decoder);
      const owned = room.peers.get(peer);
      for (const { clientId, state } of readAwarenessEntries(update)) {
        const user = (state as { user?: { id?: unknown } } | null)?.user;
        if (state !== null && user?.id !== peer.userId) {
          peer.send(encodeRefusal("Presence must name the signed-in user of this connection."));
          return;
        }
        // A client id belongs to the first socket that spoke for it.
        for (const [other, ids] of room.peers) {
          if (other !== peer && ids.has(clientId)) {
            peer.send(encodeRefusal("That presence belongs to another connection."));
            return;
          }
        }
        owned?.add(clientId);
      }
      awarenessProtocol.applyAwarenessUpdate(room.awareness, update, peer);
    }
  }

  /** The shared document of a notebook that someone has open, or null (then the database has it). */
  async readLive(notebookId: string): Promise<TSharedNotebook | null> {
    const room = this.rooms.get(notebookId);
    return room ? readNotebook((await room).doc) : null;
  }

  /**
   * Brings an open notebook's document to content saved another way (a REST save, a restored
   * version), as a change everyone in it sees. `version` is the stored version that content is.
   */
  async applySaved(notebookId: string, notebook: TSharedNotebook, version: number): Promise<void> {
    const room = this.rooms.get(notebookId);
    if (!room) return;
    const live = await room;
    live.version = version;
    applyNotebook(live.doc, notebook, ORIGIN_EXTERNAL);
  }

  /**
   * Saves an open notebook's document now, so a read of the database (a version, an export, a
   * page load) sees what people typed a moment ago. Does nothing when nobody has it open.
   */
  async flush(notebookId: string): Promise<void> {
    const room = this.rooms.get(notebookId);
    if (room) await (await room).save();
  }

  /**
   * Drops a notebook's room without saving it and closes its peers: this server no longer holds
   * the notebook's lease, so another server's room (loaded from the database) is the live one now,
   * and saving this copy would write over that one's saves. Nothing is lost: every peer holds its
   * own copy of the document and sends what the database lacks when it reconnects (to the new
   * owner, directly or relayed).
   */
  async evict(notebookId: string, reason: string): Promise<void> {
    const pending = this.rooms.get(notebookId);
    if (!pending) return;
    this.rooms.delete(notebookId);
    const room = await pending.catch(() => null);
    if (!room) return;
    const peers = [...room.peers.keys()];
    room.peers.clear();
    room.dispose();
    for (const peer of peers) peer.close?.(reason);
  }

  /** Whether someone has the notebook open (its room is loaded). */
  isLive(notebookId: string): boolean {
    return this.rooms.has(notebookId);
  }

  /** How many rooms and people there are (for status and benches). */
  stats(): { rooms: number } {
    return { rooms: this.rooms.size };
  }

  /** Saves every room (the server is stopping). */
  async close(): Promise<void> {
    const rooms = await Promise.allSettled(this.rooms.values());
    for (const result of rooms) {
      if (result.status !== "fulfilled") continue;
      await result.value.save();
      result.value.dispose();
    }
    this.rooms.clear();
  }
}

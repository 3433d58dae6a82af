// The page's side of co-editing (docs/coediting.md): a Yjs copy of the notebook's shared document
// kept in sync over the notebook socket's binary frames, the people in the notebook (awareness),
// and what the server last saved. The controller moves edits between this document and the
// store; Monaco models are bound to their cells' texts (monaco-binding.ts).
import {
  encodeFrame,
  encodeSaved,
  isCoveredBy,
  MESSAGE_AWARENESS,
  MESSAGE_REFUSED,
  MESSAGE_SAVED,
  MESSAGE_SYNC,
  presenceColor,
  readSaved,
  type TPresence,
  type TSharedCell,
  type TSharedNotebook,
} from "@flint/collab/shared";
import type { TCell, TNotebook } from "@flint/notebook";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

/** Transaction origin of changes that came from the server. */
export const REMOTE = Symbol("remote");
/** Transaction origin of this page's edits made through the store (not an editor). */
export const LOCAL = Symbol("local");
/** Transaction origin of a draft merged from this browser's storage (sent, and shown). */
export const DRAFT = Symbol("draft");

const DRAFT_PREFIX = "flint:collab-draft:";

/** Someone in the notebook, as the avatars and cell markers show them. */
export type TPeer = { clientId: number; userId: string; name: string; color: number; cellId: string | null };

export type TCollabHandlers = {
  send: (frame: Uint8Array) => boolean;
  /** The first sync is done: the document holds the server's notebook. */
  onSynced: () => void;
  onSaved: (version: number) => void;
  onRefused: (reason: string) => void;
};

function storage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class CollabClient {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  isSynced = false;
  private saved = new Map<number, number>();
  private peerListeners = new Set<() => void>();
  private peers: TPeer[] = [];

  constructor(
    readonly notebookId: string,
    private readonly user: { id: string; name: string },
    private readonly canWrite: boolean,
    private readonly handlers: TCollabHandlers,
  ) {
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE || !this.canWrite) return;
      // Offline, this is dropped: the sync on reconnect carries every change the server lacks.
      this.handlers.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
    });
    this.awareness.setLocalState({
      user: { id: user.id, name: user.name, color: presenceColor(user.id) },
      cellId: null,
      cursor: null,
    } satisfies TPresence);
    this.awareness.on(
      "update",
      (
        { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown,
      ) => {
        if (origin !== REMOTE) {
          const changed = [...added, ...updated, ...removed].filter((id) => id === this.doc.clientID);
          if (changed.length > 0) this.sendAwareness(changed);
        }
        this.refreshPeers();
      },
    );
  }

  /** The socket opened (first time or again): sync both ways, then show who we are. */
  onOpen(): void {
    this.handlers.send(
      encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, this.doc)),
    );
    // Edits made offline go first, before any command queued while offline (a run must see them).
    if (this.canWrite && this.isSynced && !this.isSaved()) {
      const update = Y.encodeStateAsUpdate(this.doc);
      this.handlers.send(encodeFrame(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update)));
    }
    this.sendAwareness([this.doc.clientID]);
  }

  /** The socket closed: others' presence is stale until it opens again. */
  onClose(): void {
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
    awarenessProtocol.removeAwarenessStates(this.awareness, others, REMOTE);
  }

  private sendAwareness(clientIds: number[]): void {
    this.handlers.send(
      encodeFrame(MESSAGE_AWARENESS, (encoder) =>
        encoding.writeVarUint8Array(
          encoder,
          awarenessProtocol.encodeAwarenessUpdate(this.awareness, clientIds),
        ),
      ),
    );
  }

  /** Handles a binary frame from the server. */
  receive(frame: Uint8Array): void {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, REMOTE);
      if (encoding.length(encoder) > 1 && this.canWrite) this.handlers.send(encoding.toUint8Array(encoder));
      if (kind === syncProtocol.messageYjsSyncStep2 && !this.isSynced) {
        this.isSynced = true;
        this.applyDraft();
        this.handlers.onSynced();
      }
    } else if (type === MESSAGE_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), REMOTE);
    } else if (type === MESSAGE_SAVED) {
      const saved = readSaved(decoder);
      this.saved = saved.stateVector;
      // Before the first sync the document is empty and trivially "saved": a draft waits for it.
      if (this.isSynced && this.isSaved()) storage()?.removeItem(DRAFT_PREFIX + this.notebookId);
      this.handlers.onSaved(saved.version);
    } else if (type === MESSAGE_REFUSED) {
      this.handlers.onRefused(decoding.readVarString(decoder));
    }
  }

  /** True when the server has saved everything this page holds. */
  isSaved(): boolean {
    return isCoveredBy(this.doc, this.saved);
  }

  /** Asks the server to save now (Ctrl+S). */
  requestSave(): boolean {
    return this.handlers.send(encodeSaved());
  }

  // ---- drafts: what was typed but not saved, kept in this browser ----

  /**
   * Keeps what the server has not saved in localStorage, while there is any: the changes past the
   * saved state vector, not the whole document. A draft is applied only after the first sync, when
   * the page holds the server's state again, so the saved part is there to build on. Encoding the
   * whole document took about 15 ms per write in a 1,000-cell notebook, every 300 ms while a
   * person types: a keystroke that met it waited (issue 23).
   */
  writeDraft(): void {
    if (!this.canWrite || !this.isSynced || this.isSaved()) return;
    try {
      const unsaved = Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(this.saved));
      storage()?.setItem(DRAFT_PREFIX + this.notebookId, toBase64(unsaved));
    } catch {
      // Full storage: the edits are still in this tab.
    }
  }

  hasDraft(): boolean {
    return Boolean(storage()?.getItem(DRAFT_PREFIX + this.notebookId));
  }

  /**
   * Merges a draft left by a closed tab: it shares the server's history, so Yjs merges it with
   * whatever others did since, and nothing needs asking.
   */
  private applyDraft(): void {
    const draft = storage()?.getItem(DRAFT_PREFIX + this.notebookId);
    if (!draft || !this.canWrite) return;
    try {
      Y.applyUpdate(this.doc, fromBase64(draft), DRAFT);
    } catch {
      storage()?.removeItem(DRAFT_PREFIX + this.notebookId);
    }
    // A draft built on changes the server no longer has waits in Yjs for them forever: keeping
    // it would only carry it from visit to visit.
    if (this.doc.store.pendingStructs !== null) storage()?.removeItem(DRAFT_PREFIX + this.notebookId);
  }

  // ---- presence ----

  /** Says which cell this person has selected and where their cursor is in it. */
  setPresence(cellId: string | null, cursor: { anchor: number; head: number } | null, text?: Y.Text): void {
    const current = this.awareness.getLocalState() as TPresence | null;
    if (!current) return;
    const next: TPresence = {
      ...current,
      cellId,
      cursor:
        cursor && text
          ? {
              anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, cursor.anchor)),
              head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, cursor.head)),
            }
          : null,
    };
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    this.awareness.setLocalState(next);
  }

  /** Other people's selections in one cell's text, as offsets. */
  cursorsIn(
    cellId: string,
    text: Y.Text,
  ): { clientId: number; color: number; name: string; anchor: number; head: number }[] {
    const result = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.doc.clientID) continue;
      const presence = state as TPresence;
      if (presence.cellId !== cellId || !presence.cursor) continue;
      const anchor = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON(presence.cursor.anchor),
        this.doc,
      );
      const head = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON(presence.cursor.head),
        this.doc,
      );
      if (!anchor || !head || anchor.type !== text || head.type !== text) continue;
      result.push({
        clientId,
        color: presence.user.color,
        name: presence.user.name,
        anchor: anchor.index,
        head: head.index,
      });
    }
    return result;
  }

  private refreshPeers(): void {
    const peers: TPeer[] = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      const presence = state as TPresence | null;
      if (!presence?.user || clientId === this.doc.clientID) continue;
      peers.push({
        clientId,
        userId: presence.user.id,
        name: presence.user.name,
        color: presence.user.color,
        cellId: presence.cellId,
      });
    }
    peers.sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId);
    // This person's own cursor moves on every keystroke and changes no one's entry: a new list
    // then would render every cell's presence again (a thousand in a large notebook) per key.
    if (samePeers(peers, this.peers)) return;
    this.peers = peers;
    for (const listener of this.peerListeners) listener();
  }

  /** The other people in the notebook (one entry per tab). */
  getPeers = (): TPeer[] => this.peers;
  subscribePeers = (listener: () => void): (() => void) => {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  };

  dispose(): void {
    this.awareness.setLocalState(null);
    this.awareness.destroy();
    this.doc.destroy();
  }
}

function samePeers(a: readonly TPeer[], b: readonly TPeer[]): boolean {
  return (
    a.length === b.length &&
    a.every((peer, index) => {
      const other = b[index];
      return (
        other !== undefined &&
        peer.clientId === other.clientId &&
        peer.userId === other.userId &&
        peer.name === other.name &&
        peer.color === other.color &&
        peer.cellId === other.cellId
      );
    })
  );
}

/** A stored cell of the page's notebook (outputs left out). */
export function toSharedCell(cell: TCell): TSharedCell {
  const shared: TSharedCell = {
    id: cell.id,
    cell_type: cell.cell_type,
    source: cell.source,
    metadata: cell.metadata as Record<string, unknown>,
  };
  if (cell.cell_type !== "code" && cell.attachments) shared.attachments = cell.attachments;
  return shared;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The page's notebook with the shared document's cells, order and metadata: unchanged cells keep
 * their objects (so their views do not render again), code cells keep their outputs (the
 * broker's), new code cells have none. Returns `current` when nothing differs.
 */
export function mergeShared(current: TNotebook, shared: TSharedNotebook): TNotebook {
  const byId = new Map(current.cells.map((cell) => [cell.id, cell]));
  let isChanged = current.cells.length !== shared.cells.length;
  const cells = shared.cells.map((next, index): TCell => {
    const old = byId.get(next.id);
    const attachments = old && old.cell_type !== "code" ? old.attachments : undefined;
    if (
      old &&
      old.cell_type === next.cell_type &&
      old.source === next.source &&
      sameJson(old.metadata, next.metadata) &&
      sameJson(attachments, next.attachments)
    ) {
      if (current.cells[index] !== old) isChanged = true;
      return old;
    }
    isChanged = true;
    if (next.cell_type === "code") {
      return {
        id: next.id,
        cell_type: "code",
        source: next.source,
        metadata: next.metadata,
        outputs: old?.cell_type === "code" ? old.outputs : [],
        execution_count: old?.cell_type === "code" ? old.execution_count : null,
      } as TCell;
    }
    return {
      id: next.id,
      cell_type: next.cell_type,
      source: next.source,
      metadata: next.metadata,
      ...(next.attachments ? { attachments: next.attachments } : {}),
    } as TCell;
  });
  const isMetadataChanged = !sameJson(current.metadata, shared.metadata);
  if (!isChanged && !isMetadataChanged) return current;
  return {
    ...current,
    cells,
    metadata: isMetadataChanged ? (shared.metadata as TNotebook["metadata"]) : current.metadata,
  };
}

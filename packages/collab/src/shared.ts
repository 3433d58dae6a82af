/**
 * The shared notebook document as both ends see it: its layout in a Yjs document, reading it as
 * Flint's stored cells, changing it into a given notebook with the fewest operations, and the
 * frames the notebook WebSocket carries for it. No Node API: the browser imports this through
 * `@flint/collab/shared`.
 *
 * Layout (nteract's `cellOrder` + `cellMap`, so moving a cell never copies its text):
 * - `order`: `Y.Array<string>` of cell ids. A move deletes the id and inserts it elsewhere.
 * - `cells`: `Y.Map<Y.Map>` by id; each cell map holds `cell_type` (string), `source` (`Y.Text`),
 *   `metadata` and optionally `attachments` (plain JSON, last writer wins).
 * - `meta`: `Y.Map` whose `metadata` key is the notebook's metadata (plain JSON).
 *
 * Two people moving one cell at once leave its id twice in `order`; a cell deleted while another
 * person moved it leaves an id without a map. Readers skip both (the first occurrence wins), and
 * {@link repairOrder} removes them, so every replica converges on the same list and no cell is
 * ever shown twice. Outputs and execution counts are not here: the execution broker owns them.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

/** A cell as Flint stores it in `notebook.cells` (no outputs, no execution count). */
export type TSharedCell = {
  id: string;
  cell_type: string;
  source: string;
  metadata: Record<string, unknown>;
  attachments?: Record<string, unknown>;
};

/** A notebook's editable content: what the shared document holds. */
export type TSharedNotebook = { cells: TSharedCell[]; metadata: Record<string, unknown> };

const ORDER = "order";
const CELLS = "cells";
const META = "meta";

function orderOf(doc: Y.Doc): Y.Array<string> {
  return doc.getArray<string>(ORDER);
}
function cellsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(CELLS);
}
function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(META);
}

/** The ids of the document's cells in order, each once, only those that have content. */
export function readCellIds(doc: Y.Doc): string[] {
  const cells = cellsOf(doc);
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const id of orderOf(doc).toArray()) {
    if (seen.has(id) || !cells.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** The `Y.Text` of a cell's source, or undefined when there is no such cell. */
export function getSourceText(doc: Y.Doc, cellId: string): Y.Text | undefined {
  const source = cellsOf(doc).get(cellId)?.get("source");
  return source instanceof Y.Text ? source : undefined;
}

/** One cell of the document as a stored cell, or undefined when there is no such cell. */
export function readCell(doc: Y.Doc, cellId: string): TSharedCell | undefined {
  const map = cellsOf(doc).get(cellId);
  if (!map) return undefined;
  const source = map.get("source");
  const cell: TSharedCell = {
    id: cellId,
    cell_type: String(map.get("cell_type") ?? "code"),
    source: source instanceof Y.Text ? source.toString() : "",
    metadata: (map.get("metadata") as Record<string, unknown> | undefined) ?? {},
  };
  const attachments = map.get("attachments");
  if (attachments && typeof attachments === "object")
    cell.attachments = attachments as Record<string, unknown>;
  return cell;
}

/** The whole document as stored cells and notebook metadata. */
export function readNotebook(doc: Y.Doc): TSharedNotebook {
  return {
    cells: readCellIds(doc).map((id) => readCell(doc, id)!),
    metadata: (metaOf(doc).get("metadata") as Record<string, unknown> | undefined) ?? {},
  };
}

/** True when the document holds no notebook yet (a browser before its first sync). */
export function isEmptyDocument(doc: Y.Doc): boolean {
  return orderOf(doc).length === 0 && cellsOf(doc).size === 0 && !metaOf(doc).has("metadata");
}

/** Where two texts differ, as one replacement: `remove` units at `index`, then `insert`. */
export function diffText(before: string, after: string): { index: number; remove: number; insert: string } {
  let start = 0;
  const limit = Math.min(before.length, after.length);
  while (start < limit && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (
    endBefore > start &&
    endAfter > start &&
    before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)
  ) {
    endBefore--;
    endAfter--;
  }
  // Never split a surrogate pair: step back over a high surrogate left at the cut.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  return { index: start, remove: endBefore - start, insert: after.slice(start, endAfter) };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Makes a `Y.Text` hold `text` with one replacement of the part that differs. */
export function setText(ytext: Y.Text, text: string): void {
  const current = ytext.toString();
  if (current === text) return;
  const { index, remove, insert } = diffText(current, text);
  if (remove > 0) ytext.delete(index, remove);
  if (insert) ytext.insert(index, insert);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function newCellMap(cell: TSharedCell): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  map.set("cell_type", cell.cell_type);
  map.set("source", new Y.Text(cell.source));
  map.set("metadata", cell.metadata ?? {});
  if (cell.attachments) map.set("attachments", cell.attachments);
  return map;
}

/**
 * Changes the document into `target` with the fewest operations, in one transaction with
 * `origin`: changed sources get one text replacement each (so a person's concurrent typing in
 * the same cell survives), new cells are added, gone ones removed, and ids that are out of place
 * are moved. Used by the browser for edits that do not come from an editor (insert, delete,
 * move, find and replace) and by the server for REST saves and restores while people are in.
 * With `changedIds`, only those cells' contents are compared (the others must merely exist).
 */
export function applyNotebook(
  doc: Y.Doc,
  target: TSharedNotebook,
  origin: unknown = null,
  changedIds?: ReadonlySet<string>,
): void {
  doc.transact(() => {
    const cells = cellsOf(doc);
    const wanted = new Set(target.cells.map((cell) => cell.id));
    for (const cell of target.cells) {
      const map = cells.get(cell.id);
      // Cells the caller did not change are only checked for being there.
      if (map && changedIds && !changedIds.has(cell.id)) continue;
      if (!map) {
        cells.set(cell.id, newCellMap(cell));
        continue;
      }
      if (map.get("cell_type") !== cell.cell_type) map.set("cell_type", cell.cell_type);
      const source = map.get("source");
      if (source instanceof Y.Text) setText(source, cell.source);
      else map.set("source", new Y.Text(cell.source));
      if (!sameJson(map.get("metadata"), cell.metadata)) map.set("metadata", cell.metadata ?? {});
      if (!sameJson(map.get("attachments"), cell.attachments)) {
        if (cell.attachments) map.set("attachments", cell.attachments);
        else map.delete("attachments");
      }
    }
    for (const id of [...cells.keys()]) if (!wanted.has(id)) cells.delete(id);
    setOrder(
      doc,
      target.cells.map((cell) => cell.id),
    );
    const meta = metaOf(doc);
    if (!sameJson(meta.get("metadata"), target.metadata)) meta.set("metadata", target.metadata ?? {});
  }, origin);
}

/** Makes `order` list exactly `ids`, keeping entries that are already in place. */
function setOrder(doc: Y.Doc, ids: string[]): void {
  const order = orderOf(doc);
  if (order.length === ids.length && order.toArray().every((id, index) => id === ids[index])) return;
  const wanted = new Set(ids);
  // Remove ids that should not be there and repeated ones, from the end so indexes hold.
  const current = order.toArray();
  for (let index = current.length - 1; index >= 0; index--) {
    const id = current[index]!;
    if (!wanted.has(id) || current.indexOf(id) !== index) order.delete(index, 1);
  }
  for (let k = 0; k < ids.length; k++) {
    const now = order.toArray();
    const id = ids[k]!;
    if (now[k] === id) continue;
    const at = now.indexOf(id);
    if (at !== -1) order.delete(at, 1);
    order.insert(k, [id]);
  }
  const length = order.length;
  if (length > ids.length) order.delete(ids.length, length - ids.length);
}

/**
 * Removes repeated ids and ids without a cell from `order` (left by concurrent moves and
 * deletes). Every replica would read the same list anyway; the server runs this after updates
 * so the document does not keep growing such entries. Returns true when it changed anything.
 */
export function repairOrder(doc: Y.Doc, origin: unknown = null): boolean {
  const order = orderOf(doc);
  const cells = cellsOf(doc);
  const current = order.toArray();
  const seen = new Set<string>();
  const doomed: number[] = [];
  current.forEach((id, index) => {
    if (seen.has(id) || !cells.has(id)) doomed.push(index);
    else seen.add(id);
  });
  if (doomed.length === 0) return false;
  doc.transact(() => {
    for (let i = doomed.length - 1; i >= 0; i--) order.delete(doomed[i]!, 1);
  }, origin);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Frames on the notebook WebSocket. Broker commands and events stay JSON text frames; the shared
// document travels in binary frames: a varuint message type, then its payload.

/** y-protocols' sync messages (step 1, step 2, update), as y-websocket frames them. */
export const MESSAGE_SYNC = 0;
/** y-protocols' awareness update (presence: who, which cell, cursor). */
export const MESSAGE_AWARENESS = 1;
/**
 * Server → browser: the state vector the database now holds (after a save), so a browser shows
 * "Saved" once everything it typed is in it. Browser → server (empty payload): save now (Ctrl+S).
 */
export const MESSAGE_SAVED = 2;
/** Server → browser: a frame was refused; the payload is a UTF-8 sentence saying why. */
export const MESSAGE_REFUSED = 3;

/** y-protocols' sync message kinds (the varuint after {@link MESSAGE_SYNC}). */
const SYNC_STEP1 = 0;

/**
 * What a frame from a browser asks for, so the socket can check the matching permission before
 * anything is applied: `read` (sync step 1: "send me what I lack"), `write` (sync step 2 or an
 * update: changes the document), `presence` (awareness), `save` (persist now), or `invalid`.
 */
export type TFrameKind = "read" | "write" | "presence" | "save" | "invalid";

/** Classifies a binary frame from a browser without applying it. */
export function classifyFrame(frame: Uint8Array): TFrameKind {
  try {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) return decoding.readVarUint(decoder) === SYNC_STEP1 ? "read" : "write";
    if (type === MESSAGE_AWARENESS) return "presence";
    if (type === MESSAGE_SAVED) return "save";
    return "invalid";
  } catch {
    return "invalid";
  }
}

/** A frame of `type` with `payload` written by `write`. */
export function encodeFrame(type: number, write?: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write?.(encoder);
  return encoding.toUint8Array(encoder);
}

/** A {@link MESSAGE_REFUSED} frame. */
export function encodeRefusal(reason: string): Uint8Array {
  return encodeFrame(MESSAGE_REFUSED, (encoder) => encoding.writeVarString(encoder, reason));
}

/**
 * A {@link MESSAGE_SAVED} frame: from the server, the stored version and the state vector it
 * holds; from a browser, empty (a request to save now).
 */
export function encodeSaved(saved?: { version: number; stateVector: Uint8Array }): Uint8Array {
  return encodeFrame(MESSAGE_SAVED, (encoder) => {
    if (!saved) return;
    encoding.writeVarUint(encoder, saved.version);
    encoding.writeVarUint8Array(encoder, saved.stateVector);
  });
}

/** Reads the payload of a server's {@link MESSAGE_SAVED} frame (after the type). */
export function readSaved(decoder: decoding.Decoder): { version: number; stateVector: Map<number, number> } {
  const version = decoding.readVarUint(decoder);
  return { version, stateVector: Y.decodeStateVector(decoding.readVarUint8Array(decoder)) };
}

/** True when every change `doc` holds is covered by `stateVector` (the saved one). */
export function isCoveredBy(doc: Y.Doc, stateVector: Map<number, number>): boolean {
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
    if ((stateVector.get(client) ?? 0) < clock) return false;
  }
  return true;
}

/**
 * The entries of an awareness update: client id and its state (null: the client left). Used by
 * the server to check that a browser speaks only for itself.
 */
export function readAwarenessEntries(update: Uint8Array): { clientId: number; state: unknown }[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: { clientId: number; state: unknown }[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    decoding.readVarUint(decoder); // clock
    entries.push({ clientId, state: JSON.parse(decoding.readVarString(decoder)) });
  }
  return entries;
}

/**
 * What a browser puts in its awareness state. `user` is checked by the server against the
 * socket's signed-in user; `cellId` is the selected cell; `cursor` the selection in it as Yjs
 * relative positions (JSON), so it stays on the right characters while others type.
 */
export type TPresence = {
  user: { id: string; name: string; color: number };
  cellId: string | null;
  cursor: { anchor: unknown; head: unknown } | null;
};

/** How many presence colours there are (classes `nb-presence-0` ... in the page's CSS). */
export const PRESENCE_COLORS = 8;

/** A colour index per user id, the same in every browser. */
export function presenceColor(userId: string): number {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0;
  return hash % PRESENCE_COLORS;
}

import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  applyNotebook,
  classifyFrame,
  diffText,
  encodeFrame,
  encodeSaved,
  getSourceText,
  isCoveredBy,
  MESSAGE_AWARENESS,
  readCellIds,
  readNotebook,
  repairOrder,
} from "./shared";

const cell = (id: string, source: string, metadata: Record<string, unknown> = {}) => ({
  id,
  cell_type: "code",
  source,
  metadata,
});

describe("the shared document", () => {
  it("diffText finds one replacement and never splits a surrogate pair", () => {
    expect(diffText("abc", "abXc")).toEqual({ index: 2, remove: 0, insert: "X" });
    expect(diffText("hello", "help")).toEqual({ index: 3, remove: 2, insert: "p" });
    // "😀" and "😃" share their high surrogate.
    const change = diffText("a😀", "a😃");
    expect(change.index).toBe(1);
    expect("a😀".slice(0, change.index) + change.insert + "a😀".slice(change.index + change.remove)).toBe(
      "a😃",
    );
  });

  it("applyNotebook edits text in place, so a concurrent insert in the same cell survives", () => {
    const server = new Y.Doc();
    applyNotebook(server, { cells: [cell("a", "x = 1")], metadata: {} });
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(server));
    // One person's store changes the cell as a whole; another types into it meanwhile.
    applyNotebook(server, { cells: [cell("a", "x = 10")], metadata: {} });
    getSourceText(other, "a")!.insert(0, "# note\n");
    Y.applyUpdate(server, Y.encodeStateAsUpdate(other));
    Y.applyUpdate(other, Y.encodeStateAsUpdate(server));
    expect(getSourceText(server, "a")!.toString()).toBe("# note\nx = 10");
    expect(readNotebook(other)).toEqual(readNotebook(server));
  });

  it("with changedIds only those cells' contents are compared; order, adds and removes always apply", () => {
    const doc = new Y.Doc();
    applyNotebook(doc, { cells: [cell("a", "1"), cell("b", "2")], metadata: {} });
    applyNotebook(
      doc,
      { cells: [cell("c", "3"), cell("b", "changed"), cell("a", "ignored")], metadata: {} },
      null,
      new Set(["b"]),
    );
    expect(readNotebook(doc).cells).toEqual([cell("c", "3"), cell("b", "changed"), cell("a", "1")]);
  });

  it("repairOrder removes repeated ids and ids without a cell", () => {
    const doc = new Y.Doc();
    applyNotebook(doc, { cells: [cell("a", "1"), cell("b", "2")], metadata: {} });
    doc.getArray<string>("order").push(["a", "gone"]);
    expect(readCellIds(doc)).toEqual(["a", "b"]);
    expect(repairOrder(doc)).toBe(true);
    expect(doc.getArray<string>("order").toArray()).toEqual(["a", "b"]);
    expect(repairOrder(doc)).toBe(false);
  });

  it("classifies frames so the socket can check the right permission", () => {
    const doc = new Y.Doc();
    // A sync frame without its kind byte.
    expect(classifyFrame(encodeFrame(0))).toBe("invalid");
    expect(classifyFrame(new Uint8Array([0, 0, 0]))).toBe("read");
    expect(classifyFrame(new Uint8Array([0, 1, 0]))).toBe("write");
    expect(classifyFrame(new Uint8Array([0, 2, 0]))).toBe("write");
    expect(classifyFrame(encodeFrame(MESSAGE_AWARENESS))).toBe("presence");
    expect(classifyFrame(encodeSaved())).toBe("save");
    expect(classifyFrame(new Uint8Array([9]))).toBe("invalid");
    expect(classifyFrame(new Uint8Array([]))).toBe("invalid");
    expect(isCoveredBy(doc, new Map())).toBe(true);
    applyNotebook(doc, { cells: [cell("a", "1")], metadata: {} });
    expect(isCoveredBy(doc, new Map())).toBe(false);
    expect(isCoveredBy(doc, Y.decodeStateVector(Y.encodeStateVector(doc)))).toBe(true);
  });
});

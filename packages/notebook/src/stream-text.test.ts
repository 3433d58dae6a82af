import { describe, expect, it } from "vitest";
import { splitStreamBlocks } from "./stream-text";

const lines = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `line ${from + i}\n`).join("");

describe("splitStreamBlocks", () => {
  it("cuts after every n-th newline, which stays in its block; joined, the blocks are the text", () => {
    const text = `${lines(7)}tail`;
    const blocks = splitStreamBlocks(text, 3);
    expect(blocks).toEqual(["line 0\nline 1\nline 2\n", "line 3\nline 4\nline 5\n", "line 6\ntail"]);
    expect(blocks.join("")).toBe(text);
  });

  it("keeps every full block unchanged as the stream grows, so only the tail re-renders", () => {
    const before = splitStreamBlocks(lines(10), 4);
    const after = splitStreamBlocks(lines(10) + lines(3, 10), 4);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after).toHaveLength(4);
  });

  it("keeps empty lines, a text ending on a block boundary, and short or empty text", () => {
    expect(splitStreamBlocks("a\n\nb", 1)).toEqual(["a\n", "\n", "b"]);
    expect(splitStreamBlocks("a\nb\n", 2)).toEqual(["a\nb\n"]);
    expect(splitStreamBlocks("a\nb\n\n", 2)).toEqual(["a\nb\n", "\n"]);
    expect(splitStreamBlocks("no newline", 50)).toEqual(["no newline"]);
    expect(splitStreamBlocks("", 50)).toEqual([""]);
  });

  it("refuses a block size that is not a positive integer", () => {
    expect(() => splitStreamBlocks("a", 0)).toThrow(RangeError);
    expect(() => splitStreamBlocks("a", 1.5)).toThrow(RangeError);
  });
});

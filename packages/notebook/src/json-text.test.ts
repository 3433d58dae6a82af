import { describe, expect, it } from "vitest";
import { findExcessiveNesting, findJsonSyntaxError, locateOffset, stringifyLikeJupyter } from "./json-text";

describe("findJsonSyntaxError", () => {
  it("accepts everything JSON.parse accepts", () => {
    const valid = [
      "0",
      "-1.5e+3",
      '"\\u00e9\\n\\"\\\\\\/"',
      "[]",
      "{}",
      ' { "a" : [ 1 , { "b" : null } , true , false ] } ',
      JSON.stringify({ nested: [[[{}]]], text: "é😀", n: -0.25 }),
    ];
    for (const text of valid) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeNull();
    }
  });

  it("points at the first error in inputs JSON.parse refuses", () => {
    const cases: Array<[string, number]> = [
      ["[1,]", 3],
      ["{'a': 1}", 1],
      ['{"a" 1}', 5],
      ["[1 2]", 3],
      ["-", 0],
      ["nul", 0],
      ["[", 1],
      ['"\\x"', 1],
      ['"\\u12G4"', 1],
    ];
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text)).toThrow();
      expect(findJsonSyntaxError(text)?.offset).toBe(offset);
    }
  });

  it("handles 100,000 levels without recursion", () => {
    expect(findJsonSyntaxError(`${"[".repeat(100_000)}${"]".repeat(99_999)}`)?.reason).toMatch(
      /the file ends/,
    );
  });
});

describe("findExcessiveNesting", () => {
  it("counts brackets outside strings only, escapes included", () => {
    expect(findExcessiveNesting('[[["[[[[\\"[["]]]', 3)).toBe(-1);
    expect(findExcessiveNesting("[[[[]]]]", 3)).toBe(3);
    expect(findExcessiveNesting('{"a":{"b":{}}}', 2)).toBe(10);
  });
});

describe("locateOffset", () => {
  it("gives 1-based lines and columns", () => {
    expect(locateOffset("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(locateOffset("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
    expect(locateOffset("ab\n", 3)).toEqual({ line: 2, column: 1 });
  });
});

describe("stringifyLikeJupyter", () => {
  it("matches Python's json.dumps(sort_keys=True, indent=1, ensure_ascii=False)", () => {
    expect(stringifyLikeJupyter({ b: [1, "é\n", null, true], a: {}, c: [] })).toBe(
      '{\n "a": {},\n "b": [\n  1,\n  "é\\n",\n  null,\n  true\n ],\n "c": []\n}',
    );
  });

  it("sorts by code point like Python, not by UTF-16 unit", () => {
    expect(Object.keys(JSON.parse(stringifyLikeJupyter({ "\uff01": 1, "😀": 2 })))).toEqual(["\uff01", "😀"]);
  });
});

import { describe, expect, it } from "vitest";
import { measureJsonBytes } from "./mime";
import {
  formatMegabytes,
  isBase64,
  measureUtf8Bytes,
  slicePrefixByUtf8Bytes,
  splitLinesKeepEnds,
} from "./text";

describe("splitLinesKeepEnds", () => {
  it("splits on \\n only, keeping the endings, like Jupyter's line lists", () => {
    expect(splitLinesKeepEnds("")).toEqual([]);
    expect(splitLinesKeepEnds("a")).toEqual(["a"]);
    expect(splitLinesKeepEnds("a\n")).toEqual(["a\n"]);
    expect(splitLinesKeepEnds("a\n\nb")).toEqual(["a\n", "\n", "b"]);
    expect(splitLinesKeepEnds("a\r\nb\rc")).toEqual(["a\r\n", "b\rc"]);
  });
});

describe("isBase64", () => {
  it("accepts what a browser decodes in a data: URL", () => {
    expect(isBase64("")).toBe(true);
    expect(isBase64("QUJD")).toBe(true);
    expect(isBase64("QUI=")).toBe(true);
    expect(isBase64("QQ==\n")).toBe(true);
    expect(isBase64("QUI")).toBe(true); // padding is optional
    expect(isBase64("QU\nJD\n")).toBe(true);
  });

  it("refuses anything that could be markup or is not base64", () => {
    for (const bad of ['"><script>', "QUJD=A", "Q===", "Q", "QU-_", "data:image/png;base64,QUJD", "QUJ D!"]) {
      expect(isBase64(bad)).toBe(false);
    }
  });
});

describe("byte counting", () => {
  it("counts UTF-8 bytes, surrogate pairs as 4", () => {
    expect(measureUtf8Bytes("aé€😀")).toBe(new TextEncoder().encode("aé€😀").length);
    expect(measureUtf8Bytes("\ud800")).toBe(3);
  });

  it("cuts a prefix by bytes without splitting a character", () => {
    expect(slicePrefixByUtf8Bytes("ab😀c", 5)).toBe("ab");
    expect(slicePrefixByUtf8Bytes("ab😀c", 6)).toBe("ab😀");
    expect(slicePrefixByUtf8Bytes("é", 1)).toBe("");
  });

  it("estimates JSON size iteratively and refuses excessive depth", () => {
    const value = { a: [1, "x", null, true] };
    expect(measureJsonBytes(value)).toBe(JSON.stringify(value).length);
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(measureJsonBytes(deep, 256)).toBeNull();
  });

  it("formats megabytes for notices", () => {
    expect(formatMegabytes(1)).toBe("0.1");
    expect(formatMegabytes(3.5 * 1024 * 1024)).toBe("3.5");
    expect(formatMegabytes(120 * 1024 * 1024)).toBe("120");
  });
});

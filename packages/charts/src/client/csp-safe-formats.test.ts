import { csvParse, tsvParse } from "d3-dsv";
import { describe, expect, it } from "vitest";
import { createDsvReader, installCspSafeFormats } from "./csp-safe-formats";

const CSV = 'name,amount,note\nEU,1.5,"a, quoted ""cell"""\nUS,,\nAPAC,3\n';

describe("createDsvReader", () => {
  it("gives the rows d3-dsv's (eval-based) parse gives", () => {
    const rows = createDsvReader(",")(CSV);
    // Spread: both arrays also carry a `columns` property, compared separately below.
    expect([...rows]).toEqual(csvParse(CSV).map((row) => ({ ...row })));
    expect(rows[2]).toEqual({ name: "APAC", amount: "3", note: "" }); // short rows fill with ""
    expect((rows as unknown as { columns: string[] }).columns).toEqual(["name", "amount", "note"]);
    const tsv = "a\tb\n1\t2\n";
    expect([...createDsvReader("\t")(tsv)]).toEqual(tsvParse(tsv).map((row) => ({ ...row })));
  });

  it("uses format.delimiter and format.header as Vega's dsv reader does", () => {
    expect([...createDsvReader()("1|2\n3|4", { delimiter: "|", header: ["x", "y"] })]).toEqual([
      { x: "1", y: "2" },
      { x: "3", y: "4" },
    ]);
    expect(createDsvReader(",").responseType).toBe("text");
  });

  it("never compiles code", () => {
    const original = globalThis.Function;
    const spy = new Proxy(original, {
      construct() {
        throw new Error("Function constructor used");
      },
      apply() {
        throw new Error("Function called");
      },
    });
    globalThis.Function = spy;
    try {
      expect(createDsvReader(",")(CSV)).toHaveLength(3);
    } finally {
      globalThis.Function = original;
    }
  });
});

describe("installCspSafeFormats", () => {
  it("replaces csv, tsv and dsv once per Vega module", () => {
    const registered: string[] = [];
    const vega = {
      formats(name: string) {
        registered.push(name);
        return vega;
      },
    };
    installCspSafeFormats(vega);
    installCspSafeFormats(vega);
    expect(registered).toEqual(["csv", "tsv", "dsv"]);
    expect(() => installCspSafeFormats({})).toThrow("does not export formats()");
  });
});

/**
 * The columns an uploaded or linked CSV shows before it is profiled come from its header record,
 * and a quoted name may hold the separator or a line break (spreadsheets write both).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCsvHeader } from "./storage.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "flint-csv-header-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("readCsvHeader", () => {
  it("keeps a comma and a line break inside a quoted name", async () => {
    const file = csv(
      "quoted.csv",
      '\uFEFFid,"city, country","first\r\nname","say ""hi"""\r\n1,"Paris, FR","Ann\nLee",x\r\n',
    );
    expect(await readCsvHeader(file)).toEqual(["id", "city, country", "first\r\nname", 'say "hi"']);
  });

  it("splits a TSV on tabs and drops empty names", async () => {
    const file = csv("plain.tsv", " a \t\tb,c\n1\t2\t3\n");
    expect(await readCsvHeader(file, "\t")).toEqual(["a", "b,c"]);
  });

  it("reads an empty file as no columns", async () => {
    expect(await readCsvHeader(csv("empty.csv", ""))).toEqual([]);
  });
});

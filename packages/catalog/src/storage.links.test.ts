/**
 * A notebook's code can make symbolic links in its project's folder. Paths the server resolves
 * there (to read a file, or to write an upload) must never lead outside it, on a real file system.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { CatalogError } from "./errors.js";
import { projectStorageDir, resolveProjectPath, writeStreamToFile } from "./storage.js";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-links-"));
const outside = mkdtempSync(path.join(os.tmpdir(), "flint-outside-"));
const root = projectStorageDir(dataDir, "p1");
mkdirSync(path.join(root, "data"), { recursive: true });
symlinkSync(outside, path.join(root, "uploads"));
symlinkSync(outside, path.join(root, "data", "escape"));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function refusal(relative: string): Promise<unknown> {
  return await resolveProjectPath(dataDir, "p1", relative).then(
    () => null,
    (error: unknown) => error,
  );
}

describe("paths in a project's folder with links a notebook made", () => {
  it("refuses a new file under a linked folder that leads outside, at any depth", async () => {
    for (const relative of ["uploads/new.csv", "data/escape/new.csv", "data/escape/deeper/new.csv"]) {
      const error = await refusal(relative);
      expect(error, relative).toBeInstanceOf(CatalogError);
      expect((error as CatalogError).message).toBe("The path leads outside the project's storage folder.");
    }
  });

  it("allows new files in real folders of the project, existing or not", async () => {
    expect(await resolveProjectPath(dataDir, "p1", "data/new.csv")).toBe(path.join(root, "data", "new.csv"));
    expect(await resolveProjectPath(dataDir, "p1", "fresh/dir/new.csv")).toBe(
      path.join(root, "fresh/dir/new.csv"),
    );
  });

  it("an upload into a checked folder lands there and nothing is written outside", async () => {
    const target = await resolveProjectPath(dataDir, "p1", "data/rows.csv");
    await writeStreamToFile(Readable.from([Buffer.from("a,b\n1,2\n")]), target, 1000);
    expect(readdirSync(path.join(root, "data")).sort()).toEqual(["escape", "rows.csv"]);
    expect(readdirSync(outside)).toEqual([]);
  });
});

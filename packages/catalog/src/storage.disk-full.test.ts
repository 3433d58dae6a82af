/**
 * A full disk during an upload (issue 16), on a real file system: a 1 MB tmpfs. The upload fails
 * with a 507 that says what to do, keeps nothing of the partial file, and the next upload that
 * fits works. Mounting needs root (Flint's test machines run as root); elsewhere this is skipped.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogError } from "./errors.js";
import { writeStreamToFile } from "./storage.js";

const isRoot = process.getuid?.() === 0;
let mountPoint: string;

beforeAll(() => {
  if (!isRoot) return;
  mountPoint = mkdtempSync(path.join(os.tmpdir(), "flint-disk-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
});

afterAll(() => {
  if (!isRoot || !mountPoint) return;
  execFileSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** A body that arrives in 64 KiB chunks, as a network upload does. */
function body(bytes: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, "x");
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const next = chunk.subarray(0, Math.min(chunk.length, left));
      left -= next.length;
      this.push(next);
    },
  });
}

describe.skipIf(!isRoot)("an upload when the disk is full", () => {
  it("answers 507 with what to do, keeps no partial file, and the next upload that fits works", async () => {
    const folder = path.join(mountPoint, "projects", "p1");
    const error = await writeStreamToFile(
      body(3 * 1024 * 1024),
      path.join(folder, "big.csv"),
      10_000_000,
    ).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).code).toBe("insufficient_storage");
    expect((error as CatalogError).message).toMatch(/disk is full.*Free some space/);
    expect(readdirSync(folder)).toEqual([]);

    const size = await writeStreamToFile(body(100_000), path.join(folder, "small.csv"), 10_000_000);
    expect(size).toBe(100_000);
    expect(readdirSync(folder)).toEqual(["small.csv"]);
    expect(readFileSync(path.join(folder, "small.csv")).length).toBe(100_000);
  });
});

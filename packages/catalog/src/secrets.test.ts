import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, parseSecretKey } from "./secrets.js";
import { buildSnippets } from "./snippets.js";
import { resolveProjectPath } from "./storage.js";

describe("connection password encryption", () => {
  const key = parseSecretKey(randomBytes(32).toString("base64url"));

  it("round-trips, with a fresh IV per value, and never contains the plaintext", () => {
    const first = encryptSecret(key, "s3cret-pässword");
    expect(first).not.toContain("s3cret");
    expect(encryptSecret(key, "s3cret-pässword")).not.toBe(first);
    expect(decryptSecret(key, first)).toBe("s3cret-pässword");
  });

  it("refuses a wrong key or a tampered value", () => {
    const value = encryptSecret(key, "pw");
    expect(() => decryptSecret(parseSecretKey(randomBytes(32).toString("base64url")), value)).toThrow();
    const bytes = Buffer.from(value, "base64url");
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    expect(() => decryptSecret(key, bytes.toString("base64url"))).toThrow();
  });
});

describe("project storage paths", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-catalog-storage-"));
  const root = path.join(dataDir, "projects", "p1");
  mkdirSync(path.join(root, "in"), { recursive: true });
  symlinkSync("/etc", path.join(root, "in", "escape"));

  it("resolves inside the project and refuses every way out", async () => {
    expect(await resolveProjectPath(dataDir, "p1", "in/data.csv")).toBe(path.join(root, "in", "data.csv"));
    for (const bad of ["../p2/x.csv", "/etc/passwd", "in/../../p2", "in/escape/passwd", "a\0b"]) {
      await expect(resolveProjectPath(dataDir, "p1", bad), bad).rejects.toMatchObject({
        code: "bad_request",
      });
    }
    await expect(resolveProjectPath(dataDir, "../x", "a.csv")).rejects.toMatchObject({ code: "bad_request" });
  });
});

describe("snippets", () => {
  it("load through flint.catalog and name a valid SQL view", () => {
    const snippets = buildSnippets("sales-2026.v2");
    expect(snippets.spark).toContain('catalog.load("sales-2026.v2")');
    expect(snippets.sql).toContain('createOrReplaceTempView("sales_2026_v2")');
    expect(snippets.pandas).toContain("load_pandas");
  });
});

// Secrets from the environment (several web servers must share them) or, for one server, made at
// first start in the data folder and kept there.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

const dataDir = () => mkdtempSync(path.join(os.tmpdir(), "flint-config-test-"));

describe("secrets in the configuration", () => {
  it("takes the catalog key and the auth secret from the environment when set", () => {
    const key = randomBytes(32).toString("base64url");
    const config = loadConfig({
      FLINT_DATA_DIR: dataDir(),
      FLINT_CATALOG_KEY: key,
      BETTER_AUTH_SECRET: "shared",
    });
    expect(config.catalog.secretKey).toBe(key);
    expect(config.authSecret).toBe("shared");
  });

  it("refuses a catalog key that is not 32 bytes of base64url, and says what one looks like", () => {
    expect(() => loadConfig({ FLINT_DATA_DIR: dataDir(), FLINT_CATALOG_KEY: "too-short" })).toThrow(
      /FLINT_CATALOG_KEY must be 32 random bytes in base64url/,
    );
  });

  it("without them, makes both once in the data folder and keeps them across starts", () => {
    const folder = dataDir();
    const first = loadConfig({ FLINT_DATA_DIR: folder });
    const second = loadConfig({ FLINT_DATA_DIR: folder });
    expect(Buffer.from(first.catalog.secretKey, "base64url")).toHaveLength(32);
    expect(second.catalog.secretKey).toBe(first.catalog.secretKey);
    expect(second.authSecret).toBe(first.authSecret);
    expect(loadConfig({ FLINT_DATA_DIR: dataDir() }).catalog.secretKey).not.toBe(first.catalog.secretKey);
  });
});

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

describe("storage in the configuration", () => {
  it("keeps files in the data folder by default, and in FLINT_STORAGE_URL's folder when it names one", () => {
    const folder = dataDir();
    const plain = loadConfig({ FLINT_DATA_DIR: folder });
    expect(plain.storage).toEqual({ kind: "file", root: path.join(folder, "storage") });
    expect(plain.storageRoot).toBe(path.join(folder, "storage"));
    const shared = dataDir();
    expect(loadConfig({ FLINT_DATA_DIR: folder, FLINT_STORAGE_URL: `file://${shared}` }).storageRoot).toBe(
      shared,
    );
  });

  it("gives kernels their own S3 credentials when set, else the server's; project files stay local", () => {
    const folder = dataDir();
    const base = {
      FLINT_DATA_DIR: folder,
      FLINT_STORAGE_URL: "s3://flint-data/prod",
      FLINT_S3_ENDPOINT: "http://127.0.0.1:9000",
      AWS_ACCESS_KEY_ID: "server",
      AWS_SECRET_ACCESS_KEY: "server-secret",
    };
    const config = loadConfig(base);
    expect(config.storage).toMatchObject({
      kind: "s3",
      bucket: "flint-data",
      prefix: "prod",
      forcePathStyle: true,
    });
    expect(config.storageRoot).toBe(path.join(folder, "storage"));
    expect(config.kernels.storageCredentials).toEqual({
      accessKeyId: "server",
      secretAccessKey: "server-secret",
    });
    const scoped = loadConfig({
      ...base,
      FLINT_S3_KERNEL_ACCESS_KEY_ID: "kernels",
      FLINT_S3_KERNEL_SECRET_ACCESS_KEY: "kernels-secret",
    });
    expect(scoped.kernels.storageCredentials).toEqual({
      accessKeyId: "kernels",
      secretAccessKey: "kernels-secret",
    });
  });

  it("names the variable that is wrong", () => {
    const folder = dataDir();
    expect(() => loadConfig({ FLINT_DATA_DIR: folder, FLINT_STORAGE_URL: "ftp://x" })).toThrow(
      /Invalid environment: FLINT_STORAGE_URL: the scheme ftp: is not supported/,
    );
    expect(() =>
      loadConfig({
        FLINT_DATA_DIR: folder,
        FLINT_STORAGE_URL: "s3://flint-data",
        FLINT_S3_KERNEL_ACCESS_KEY_ID: "k",
      }),
    ).toThrow(/FLINT_S3_KERNEL_ACCESS_KEY_ID and FLINT_S3_KERNEL_SECRET_ACCESS_KEY: set both or neither/);
    expect(() =>
      loadConfig({
        FLINT_DATA_DIR: folder,
        FLINT_S3_KERNEL_ACCESS_KEY_ID: "k",
        FLINT_S3_KERNEL_SECRET_ACCESS_KEY: "s",
      }),
    ).toThrow(/needs FLINT_STORAGE_URL=s3:/);
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStorageConfig } from "./config.js";
import { createObjectStore, LocalObjectStore, StorageError, type TObjectStore } from "./object-store.js";
import { startTestS3, type TTestS3 } from "./testing.js";

let s3: TTestS3;
let folder: string;
const stores: Record<string, () => TObjectStore> = {
  file: () => new LocalObjectStore(folder),
  s3: () => createObjectStore(parseStorageConfig(s3.env, "/unused")),
};

beforeAll(async () => {
  s3 = await startTestS3();
  folder = mkdtempSync(path.join(os.tmpdir(), "flint-store-"));
});
afterAll(async () => {
  await s3?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe.each(["file", "s3"])("the %s store", (kind) => {
  it("stores a stream, reads it back whole and by range, sizes and lists it", async () => {
    const store = stores[kind]!();
    const body = "id,name\n1,Ada\n2,Grace\n";
    expect(await store.put("projects/p1/uploads/people.csv", Readable.from([body]))).toBe(body.length);
    expect(await text((await store.get("projects/p1/uploads/people.csv"))!)).toBe(body);
    expect(await text((await store.get("projects/p1/uploads/people.csv", { start: 3, length: 4 }))!)).toBe(
      "name",
    );
    expect(await store.stat("projects/p1/uploads/people.csv")).toEqual({ sizeBytes: body.length });
    expect(await store.stat("projects/p1/uploads/missing.csv")).toBeNull();
    expect(await store.get("projects/p1/uploads/missing.csv")).toBeNull();
    expect(await store.list("projects/p1")).toEqual([
      { key: "projects/p1/uploads/people.csv", sizeBytes: body.length },
    ]);
    await store.remove("projects/p1/uploads");
    expect(await store.list("projects/p1")).toEqual([]);
  });

  it("keeps nothing of a stream over the limit, and refuses a taken key with ifAbsent", async () => {
    const store = stores[kind]!();
    // 6 MB in 64 KiB chunks: past S3's first 5 MiB part, so a multipart upload is aborted.
    const chunk = Buffer.alloc(64 * 1024, 97);
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 96; i++) yield chunk;
      })(),
    );
    const error = await store.put("projects/p2/big.csv", big, { maxBytes: 5_500_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("too_large");
    expect(await store.stat("projects/p2/big.csv")).toBeNull();
    await store.put("projects/p2/a.csv", Readable.from(["a"]));
    const taken = await store
      .put("projects/p2/a.csv", Readable.from(["b"]), { ifAbsent: true })
      .catch((e) => e);
    expect((taken as StorageError).code).toBe("exists");
    expect(await text((await store.get("projects/p2/a.csv"))!)).toBe("a");
  });

  it("refuses keys that lead out of the store", async () => {
    const store = stores[kind]!();
    for (const key of ["../etc/passwd", "/etc/passwd", "projects/../../x", "a//b", "a\0b", ""]) {
      await expect(store.put(key, Readable.from(["x"]))).rejects.toMatchObject({ code: "bad_key" });
    }
  });
});

it("an s3 store writes where an operator finds it: the bucket, under the URL's prefix", async () => {
  const store = stores.s3!();
  await store.put("projects/p3/uploads/x.csv", Readable.from(["x,y\n"]));
  const object = await s3.client.send(
    new GetObjectCommand({ Bucket: s3.bucket, Key: "flint/projects/p3/uploads/x.csv" }),
  );
  expect(await object.Body?.transformToString()).toBe("x,y\n");
  expect(store.sparkUri("projects/p3/uploads/x.csv")).toBe(
    `s3a://${s3.bucket}/flint/projects/p3/uploads/x.csv`,
  );
});

it("a folder store refuses a link inside it that leads outside", async () => {
  const outside = mkdtempSync(path.join(os.tmpdir(), "flint-outside-"));
  mkdirSync(path.join(folder, "projects", "p4"), { recursive: true });
  symlinkSync(outside, path.join(folder, "projects", "p4", "uploads"));
  const store = stores.file!();
  await expect(store.put("projects/p4/uploads/x.csv", Readable.from(["x"]))).rejects.toMatchObject({
    code: "bad_key",
  });
  rmSync(outside, { recursive: true, force: true });
});

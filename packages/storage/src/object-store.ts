/**
 * One interface for where Flint keeps files, with two implementations: a folder on this machine
 * ({@link LocalObjectStore}) and an S3-compatible bucket ({@link S3ObjectStore}). Keys are
 * `/`-separated relative names (`projects/p1/uploads/sales.csv`); both implementations refuse
 * keys with `..`, absolute keys and NUL bytes, so no caller can reach outside the store.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { TStorageConfig } from "./config.js";

/** Why a store operation failed, for callers to map to their own errors (HTTP 4xx/5xx). */
export type TStorageErrorCode = "bad_key" | "too_large" | "exists" | "no_space" | "unavailable";

/** An error of a store, with a code and a message a person can act on (no credentials). */
export class StorageError extends Error {
  constructor(
    readonly code: TStorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** One stored object. */
export type TStoredObject = { key: string; sizeBytes: number };

/** Where Flint keeps files: uploads, notebook datasets, full outputs. */
export interface TObjectStore {
  readonly kind: "file" | "s3";
  /**
   * Streams `source` to `key` (never whole in memory); the object appears only complete.
   * @throws StorageError `too_large` past `maxBytes` (nothing kept), `exists` when `ifAbsent` and
   *   the key is taken, `no_space` when the disk is full.
   */
  put(key: string, source: Readable, options?: { maxBytes?: number; ifAbsent?: boolean }): Promise<number>;
  /** The object's bytes (from `start`, at most `length`), or null when there is none. */
  get(key: string, range?: { start: number; length: number }): Promise<Readable | null>;
  /** The object's size, or null when there is none (a "folder" is no object). */
  stat(key: string): Promise<{ sizeBytes: number } | null>;
  /** Every object under `prefix/` (recursively), in key order, at most `limit` (default 100 000). */
  list(prefix: string, limit?: number): Promise<TStoredObject[]>;
  /** Removes the object `key` and everything under `key/`; absent keys are no error. */
  remove(key: string): Promise<void>;
  /**
   * Where Spark (in a kernel, the profiler, a Spark Connect server) reads and writes `key`: an
   * absolute path for a folder, `s3a://bucket/prefix/key` for a bucket.
   */
  sparkUri(key: string): string;
}

/** Checks a key: relative, `/`-separated, no `.`/`..` parts, no NUL, not empty. */
export function checkKey(key: string): string {
  if (
    !key ||
    key.length > 1024 ||
    key.includes("\0") ||
    key.includes("\\") ||
    key.startsWith("/") ||
    key.split("/").some((part) => part === ".." || part === "." || part === "")
  ) {
    throw new StorageError(
      "bad_key",
      `'${key.slice(0, 200)}' is not a valid storage key (a relative path without '..').`,
    );
  }
  return key;
}

/** Counts bytes through a stream and fails it past `maxBytes`. */
function limitBytes(maxBytes: number, onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      if (total > maxBytes) {
        callback(new StorageError("too_large", `The file is larger than the limit of ${maxBytes} bytes.`));
        return;
      }
      callback(null, chunk);
    },
  });
}

const UPLOADING_PREFIX = ".uploading-";

/** A folder on this machine; links that lead out of it are refused like `..`. */
export class LocalObjectStore implements TObjectStore {
  readonly kind = "file" as const;
  constructor(readonly root: string) {}

  /** The absolute path of `key`, checked to stay inside the root even through links. */
  async pathOf(key: string): Promise<string> {
    const target = path.join(this.root, checkKey(key));
    let existing = target;
    while (!existsSync(existing) && existing !== this.root && existing !== path.dirname(existing)) {
      existing = path.dirname(existing);
    }
    if (existsSync(this.root)) {
      const [realRoot, realExisting] = await Promise.all([realpath(this.root), realpath(existing)]);
      if (realExisting !== realRoot && !realExisting.startsWith(realRoot + path.sep)) {
        throw new StorageError("bad_key", `'${key.slice(0, 200)}' leads outside the storage folder.`);
      }
    }
    return target;
  }

  async put(key: string, source: Readable, options: { maxBytes?: number; ifAbsent?: boolean } = {}) {
    const target = await this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = path.join(path.dirname(target), `${UPLOADING_PREFIX}${randomBytes(6).toString("hex")}`);
    let size = 0;
    try {
      await pipeline(
        source,
        limitBytes(options.maxBytes ?? Number.POSITIVE_INFINITY, (total) => {
          size = total;
        }),
        createWriteStream(temporary, { flags: "wx", mode: 0o640 }),
      );
      if (options.ifAbsent && existsSync(target)) {
        throw new StorageError("exists", `A file named ${path.basename(target)} already exists.`);
      }
      await rename(temporary, target);
      return size;
    } catch (error) {
      await rm(temporary, { force: true });
      const code = (error as { code?: unknown }).code;
      if (code === "ENOSPC" || code === "EDQUOT") {
        throw new StorageError("no_space", "The server's disk is full, so the file was not stored.", {
          cause: error,
        });
      }
      throw error;
    }
  }

  async get(key: string, range?: { start: number; length: number }) {
    const file = await this.pathOf(key);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    return createReadStream(
      file,
      range ? { start: range.start, end: Math.max(range.start, range.start + range.length - 1) } : {},
    );
  }

  async stat(key: string) {
    const info = await stat(await this.pathOf(key)).catch(() => null);
    return info?.isFile() ? { sizeBytes: info.size } : null;
  }

  async list(prefix: string, limit = 100_000) {
    const base = await this.pathOf(prefix);
    const found: TStoredObject[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 16 || found.length >= limit) return;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        const child = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(child, depth + 1);
        else if (entry.isFile() && found.length < limit) {
          const key = path.relative(this.root, child).split(path.sep).join("/");
          found.push({ key, sizeBytes: (await stat(child)).size });
        }
      }
    };
    await walk(base, 0);
    return found;
  }

  async remove(key: string) {
    await rm(await this.pathOf(key), { force: true, recursive: true });
  }

  sparkUri(key: string) {
    return path.join(this.root, checkKey(key));
  }
}

/** An S3-compatible bucket (AWS S3, MinIO, moto...), under a key prefix. */
export class S3ObjectStore implements TObjectStore {
  readonly kind = "s3" as const;
  readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;

  constructor(config: Extract<TStorageConfig, { kind: "s3" }>) {
    this.bucket = config.bucket;
    this.prefix = config.prefix ? `${config.prefix}/` : "";
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(config.credentials ? { credentials: config.credentials } : {}),
    });
  }

  /** The object key in the bucket of a store key. */
  objectKey(key: string): string {
    return `${this.prefix}${checkKey(key)}`;
  }

  async put(key: string, source: Readable, options: { maxBytes?: number; ifAbsent?: boolean } = {}) {
    const objectKey = this.objectKey(key);
    if (options.ifAbsent && (await this.stat(key))) {
      throw new StorageError("exists", `A file named ${path.posix.basename(key)} already exists.`);
    }
    let size = 0;
    const limiter = limitBytes(options.maxBytes ?? Number.POSITIVE_INFINITY, (total) => {
      size = total;
    });
    // lib-storage sends parts of 5 MiB as they fill (a multipart upload), so memory stays at a
    // few parts whatever the file's size; a small file is one PutObject.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: limiter },
      queueSize: 2,
      leavePartsOnError: false,
    });
    let sourceError: unknown = null;
    source.on("error", (error) => {
      sourceError = error;
      limiter.destroy(error);
    });
    limiter.on("error", (error) => {
      sourceError ??= error;
      void upload.abort().catch(() => undefined);
    });
    source.pipe(limiter);
    try {
      await upload.done();
    } catch (error) {
      throw sourceError ?? this.unavailable("store", key, error);
    }
    if (sourceError) {
      // The body failed after the last part was sent: what arrived is not the whole file.
      await this.remove(key).catch(() => undefined);
      throw sourceError;
    }
    return size;
  }

  async get(key: string, range?: { start: number; length: number }) {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.start + Math.max(range.length, 1) - 1}` } : {}),
        }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.unavailable("read", key, error);
    }
  }

  async stat(key: string) {
    try {
      const answer = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return { sizeBytes: Number(answer.ContentLength ?? 0) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.unavailable("read", key, error);
    }
  }

  async list(prefix: string, limit = 100_000) {
    const base = `${this.objectKey(prefix)}/`;
    const found: TStoredObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }),
        );
        for (const item of page.Contents ?? []) {
          if (!item.Key || found.length >= limit) continue;
          found.push({ key: item.Key.slice(this.prefix.length), sizeBytes: Number(item.Size ?? 0) });
        }
        token = page.IsTruncated && found.length < limit ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.unavailable("list", prefix, error);
    }
    return found;
  }

  async remove(key: string) {
    const keys = [this.objectKey(key), ...(await this.list(key)).map((item) => `${this.prefix}${item.key}`)];
    for (let start = 0; start < keys.length; start += 1000) {
      try {
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (error) {
        throw this.unavailable("delete", key, error);
      }
    }
  }

  sparkUri(key: string) {
    return `s3a://${this.bucket}/${this.objectKey(key)}`;
  }

  private unavailable(action: string, key: string, error: unknown): StorageError {
    const detail = (error as { name?: string; message?: string }) ?? {};
    return new StorageError(
      "unavailable",
      `Could not ${action} ${key.slice(0, 200)} in the bucket ${this.bucket}: ${detail.name ?? "error"}: ${detail.message ?? String(error)}. Check FLINT_STORAGE_URL, FLINT_S3_ENDPOINT and the credentials.`,
      { cause: error },
    );
  }
}

function isMissing(error: unknown): boolean {
  const value = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    value?.name === "NoSuchKey" || value?.name === "NotFound" || value?.$metadata?.httpStatusCode === 404
  );
}

/** The store a configuration names. */
export function createObjectStore(config: TStorageConfig): TObjectStore {
  return config.kind === "file" ? new LocalObjectStore(config.root) : new S3ObjectStore(config);
}

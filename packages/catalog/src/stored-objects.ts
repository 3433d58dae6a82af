/**
 * The catalog's view of an object store ({@link TObjectStore}, FLINT_STORAGE_URL=s3://...): the
 * key of a project's path, what a file or a Spark-written folder holds, its reader options and CSV
 * header, all read through the store (ranges, listings), never by downloading whole files.
 */
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { StorageError, type TObjectStore } from "@flint/storage";
import { CatalogError } from "./errors.js";
import { formatFromFileName, parseCsvHeaderText, tooLarge } from "./storage.js";

/** The store key of `relative` in a project's storage, checked as paths on disk are. */
export function projectKey(projectId: string, relative: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(projectId)) throw new CatalogError("bad_request", "Not a valid project id.");
  const cleaned = relative
    .replaceAll("\\", "/")
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "");
  if (
    !cleaned ||
    cleaned.includes("\0") ||
    cleaned.startsWith("/") ||
    cleaned.split("/").some((part) => part === ".." || part === "." || part === "")
  ) {
    throw new CatalogError(
      "bad_request",
      `The path '${relative.slice(0, 200)}' must be relative to the project's storage folder, without '..'.`,
    );
  }
  return `projects/${projectId}/${cleaned}`;
}

/** A store's error as the catalog's (413, 409, 507, 503, 400). */
export function fromStorageError(error: unknown, maxBytes?: number): unknown {
  if (!(error instanceof StorageError)) return error;
  if (error.code === "too_large")
    return maxBytes ? tooLarge(maxBytes) : new CatalogError("payload_too_large", error.message);
  if (error.code === "exists") {
    return new CatalogError("conflict", `${error.message.replace(/\.$/, "")} in the project.`);
  }
  if (error.code === "no_space") return new CatalogError("insufficient_storage", error.message);
  if (error.code === "bad_key") return new CatalogError("bad_request", error.message);
  return new CatalogError("unavailable", error.message);
}

/** What a stored file, or a folder of part files, holds. */
export type TStoredDescription = {
  sizeBytes: number;
  format: "csv" | "json" | "parquet" | null;
  isDirectory: boolean;
  /** Data files (not Spark's `_SUCCESS`, `.crc`...) in a folder; 1 for a file. */
  dataFiles: number;
  /** Files a Spark write left in `_temporary` (its tasks' output never committed). */
  pendingFiles: number;
};

/** Size and format of the object `key`, or of the objects under `key/` (a Spark-written folder). */
export async function describeStoredObject(store: TObjectStore, key: string): Promise<TStoredDescription> {
  try {
    const file = await store.stat(key);
    if (file) {
      return {
        sizeBytes: file.sizeBytes,
        format: formatFromFileName(key),
        isDirectory: false,
        dataFiles: 1,
        pendingFiles: 0,
      };
    }
    const objects = await store.list(key);
    if (objects.length === 0) {
      throw new CatalogError("not_found", "No file or folder at that path in the project's storage.");
    }
    let sizeBytes = 0;
    let dataFiles = 0;
    let pendingFiles = 0;
    const formats = new Set<string>();
    for (const object of objects) {
      const parts = object.key.slice(key.length + 1).split("/");
      if (parts.includes("_temporary")) pendingFiles++;
      // Spark's bookkeeping files (_SUCCESS, .crc, _temporary/) are not data.
      if (parts.some((part) => part.startsWith("_") || part.startsWith("."))) continue;
      sizeBytes += object.sizeBytes;
      dataFiles++;
      const format = formatFromFileName(parts.at(-1)!.replace(/\.(snappy|gz|zstd|lz4)(?=\.|$)/g, ""));
      if (format) formats.add(format);
    }
    return {
      sizeBytes,
      format: formats.size === 1 ? ([...formats][0] as "csv" | "json" | "parquet") : null,
      isDirectory: true,
      dataFiles,
      pendingFiles,
    };
  } catch (error) {
    throw fromStorageError(error);
  }
}

/** The first `length` bytes of an object ("" when there is none). */
async function head(store: TObjectStore, key: string, length: number): Promise<Buffer> {
  const stream = await store.get(key, { start: 0, length }).catch((error) => {
    throw fromStorageError(error);
  });
  return stream ? (await buffer(stream)).subarray(0, length) : Buffer.alloc(0);
}

/** Spark reader options of a stored object, as {@link readOptionsFor} gives for a file on disk. */
export async function readOptionsForObject(
  store: TObjectStore,
  format: "csv" | "json" | "parquet",
  key: string,
  isDirectory: boolean,
): Promise<Record<string, string>> {
  if (format === "csv") {
    return {
      header: "true",
      inferSchema: "true",
      ...(key.toLowerCase().endsWith(".tsv") ? { sep: "\t" } : {}),
    };
  }
  if (format === "json" && !isDirectory) {
    const first = (await head(store, key, 512)).toString("utf8").trimStart()[0];
    return first === "[" ? { multiLine: "true" } : {};
  }
  return {};
}

/** The column names of a stored CSV object's header record (its first 64 KiB). */
export async function readObjectCsvHeader(store: TObjectStore, key: string): Promise<string[]> {
  const text = (await head(store, key, 64 * 1024)).toString("utf8");
  return parseCsvHeaderText(text, path.posix.extname(key).toLowerCase() === ".tsv" ? "\t" : ",");
}

/**
 * Flint's file storage for catalog assets: `<storageRoot>/projects/<projectId>/...`, where the
 * storage root is FLINT_STORAGE_URL's folder (default `<dataDir>/storage`).
 * Every path a caller gives is resolved inside its project's folder, with `..`, absolute paths
 * and symbolic links leading out refused (SECURITY.md case 25: no file outside the data directory).
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { lchown, mkdir, open, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { dsvFormat } from "d3-dsv";
import { CatalogError } from "./errors.js";
import type { TAssetFormat } from "./schemas.js";

/** The storage folder of one project under `storageRoot` (not created). */
export function projectStorageDir(storageRoot: string, projectId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(projectId)) throw new CatalogError("bad_request", "Not a valid project id.");
  return path.join(storageRoot, "projects", projectId);
}

/** The default storage root of a data folder (FLINT_STORAGE_URL unset). */
export function defaultStorageRoot(dataDir: string): string {
  return path.join(dataDir, "storage");
}

/**
 * Resolves `relative` inside the project's storage folder.
 * @throws CatalogError 400 for absolute paths, `..`, NUL bytes, or links that lead outside.
 */
export async function resolveProjectPath(
  storageRoot: string,
  projectId: string,
  relative: string,
): Promise<string> {
  const cleaned = relative.replaceAll("\\", "/").replace(/^\.\/+/, "");
  if (
    cleaned.includes("\0") ||
    path.posix.isAbsolute(cleaned) ||
    cleaned.split("/").some((part) => part === "..")
  ) {
    throw new CatalogError(
      "bad_request",
      `The path '${relative.slice(0, 200)}' must be relative to the project's storage folder, without '..'.`,
    );
  }
  const root = projectStorageDir(storageRoot, projectId);
  const target = path.resolve(root, cleaned);
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new CatalogError("bad_request", "The path leads outside the project's storage folder.");
  }
  // A symbolic link inside the folder could still point anywhere (a notebook's code can make
  // one): check where the path really leads. For a path that does not exist yet (a file about to
  // be written) that is its nearest existing folder, else `uploads -> /etc` would let the server
  // write a new file outside.
  let existing = target;
  while (!existsSync(existing) && existing !== root) existing = path.dirname(existing);
  if (existsSync(root)) {
    const [realRoot, realExisting] = await Promise.all([realpath(root), realpath(existing)]);
    if (realExisting !== realRoot && !realExisting.startsWith(realRoot + path.sep)) {
      throw new CatalogError("bad_request", "The path leads outside the project's storage folder.");
    }
  }
  return target;
}

/** The path of `absolute` relative to the project's storage folder, with `/` separators. */
export function toProjectRelative(storageRoot: string, projectId: string, absolute: string): string {
  return path.relative(projectStorageDir(storageRoot, projectId), absolute).split(path.sep).join("/");
}

/** File formats from an extension: `.csv`, `.tsv`, `.json`, `.jsonl`, `.ndjson`, `.parquet`. */
export function formatFromFileName(fileName: string): "csv" | "json" | "parquet" | null {
  const extension = path.extname(fileName).toLowerCase();
  if (extension === ".csv" || extension === ".tsv" || extension === ".txt") return "csv";
  if (extension === ".json" || extension === ".jsonl" || extension === ".ndjson") return "json";
  if (extension === ".parquet" || extension === ".pq") return "parquet";
  return null;
}

/** Size and detected format of a file, or of a folder Spark wrote (part files). */
export async function describeStoredData(absolute: string): Promise<{
  sizeBytes: number;
  format: "csv" | "json" | "parquet" | null;
  isDirectory: boolean;
  /** Data files in a folder (not Spark's `_SUCCESS`, `.crc`...); 1 for a file. */
  dataFiles: number;
  /** Files a Spark write left in `_temporary` (tasks' output never committed). */
  pendingFiles: number;
}> {
  const info = await stat(absolute).catch(() => null);
  if (!info) throw new CatalogError("not_found", "No file or folder at that path in the project's storage.");
  if (info.isFile())
    return {
      sizeBytes: info.size,
      format: formatFromFileName(absolute),
      isDirectory: false,
      dataFiles: 1,
      pendingFiles: 0,
    };
  if (!info.isDirectory()) throw new CatalogError("bad_request", "The path is neither a file nor a folder.");
  let sizeBytes = 0;
  let dataFiles = 0;
  let pendingFiles = 0;
  const formats = new Set<string>();
  const countPending = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8) return;
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await countPending(path.join(dir, entry.name), depth + 1);
      else if (entry.isFile() && !entry.name.startsWith(".")) pendingFiles++;
    }
  };
  const walk = async (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const child = path.join(dir, entry.name);
      if (entry.name === "_temporary" && entry.isDirectory()) await countPending(child, 0);
      // Spark's bookkeeping files (_SUCCESS, .crc) are not data.
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      if (entry.isDirectory()) await walk(child, depth + 1);
      else if (entry.isFile()) {
        sizeBytes += (await stat(child)).size;
        dataFiles++;
        const format = formatFromFileName(entry.name.replace(/\.(snappy|gz|zstd|lz4)(?=\.|$)/g, ""));
        if (format) formats.add(format);
      }
    }
  };
  await walk(absolute, 0);
  return {
    sizeBytes,
    format: formats.size === 1 ? ([...formats][0] as "csv" | "json" | "parquet") : null,
    isDirectory: true,
    dataFiles,
    pendingFiles,
  };
}

/**
 * Who a file Flint writes into a project's folder should belong to: the folder's owner, when Flint
 * runs as root and the folder belongs to a project's own user (sandboxed kernels run as that
 * user, so a file of root's mode 0640 would be unreadable to the project's notebooks); else null
 * (Flint's own user owns everything, kernels included).
 */
export async function folderOwner(realFolder: string): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const info = await stat(realFolder);
  return info.uid === 0 ? null : { uid: info.uid, gid: info.gid };
}

/**
 * Streams `source` to `target` through a temporary file in the same folder, renamed into place
 * only when complete; never holds the whole body in memory. With `owner`, the file and the
 * folders made for it belong to that user (see {@link folderOwner}).
 * @throws CatalogError 413 as soon as more than `maxBytes` arrive, 507 when the disk is full (the
 *   partial file is removed either way).
 */
export async function writeStreamToFile(
  source: Readable,
  target: string,
  maxBytes: number,
  owner: { uid: number; gid: number } | null = null,
): Promise<number> {
  const madeFrom = await mkdir(path.dirname(target), { recursive: true });
  if (owner && madeFrom) {
    // lchown: a link a notebook swapped in meanwhile changes, not what it points to.
    for (let folder = path.dirname(target); folder.length >= madeFrom.length; folder = path.dirname(folder))
      await lchown(folder, owner.uid, owner.gid);
  }
  const temporary = path.join(path.dirname(target), `${UPLOADING_PREFIX}${randomBytes(6).toString("hex")}`);
  // The folder as it is when the write begins: a link swapped in afterwards is caught below.
  const folder = await realpath(path.dirname(target));
  let size = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(tooLarge(maxBytes));
        return;
      }
      callback(null, chunk);
    },
  });
  try {
    // Readable to the project's notebooks: sandboxed kernels and the project's Spark run as the
    // project's user, who may not own the file yet (an upload before the project's first kernel
    // is Flint's). Other projects never see it: a sandbox binds only its own project's folder.
    await pipeline(source, limiter, createWriteStream(temporary, { flags: "wx", mode: 0o644 }));
    if (owner) await lchown(temporary, owner.uid, owner.gid);
    if ((await realpath(path.dirname(target))) !== folder) {
      throw new CatalogError("bad_request", "The upload's folder changed while the file was received.");
    }
    if (existsSync(target)) {
      throw new CatalogError(
        "conflict",
        `A file named ${path.basename(target)} already exists in the project.`,
      );
    }
    await rename(temporary, target);
    return size;
  } catch (error) {
    await rm(temporary, { force: true });
    throw isDiskFull(error) ? diskFull() : error;
  }
}

/** ENOSPC (no space left) or EDQUOT (over the quota): the disk, not the request, is the problem. */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** The 507 of an upload the disk had no room for; the partial file is already removed. */
export function diskFull(): CatalogError {
  return new CatalogError(
    "insufficient_storage",
    "The server's disk is full, so the file was not stored (nothing of it was kept). Free some space or ask an administrator, then upload it again.",
  );
}

/** The prefix of a file still being received (see {@link writeStreamToFile}). */
const UPLOADING_PREFIX = ".uploading-";

/**
 * Removes the partial files of uploads that a stopped Flint was receiving (killed mid-upload, they
 * never became assets or files). Call at start, before uploads are accepted: one server owns a
 * data folder. Links are not followed; folders deeper than 12 levels are not searched.
 * @returns how many were removed.
 */
export async function removeInterruptedUploads(storageRoot: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 12) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(child, depth + 1);
      else if (entry.isFile() && entry.name.startsWith(UPLOADING_PREFIX)) {
        await rm(child, { force: true });
        removed++;
      }
    }
  };
  await walk(path.join(storageRoot, "projects"), 0);
  return removed;
}

/** The 413 of an upload above the limit. */
export function tooLarge(maxBytes: number): CatalogError {
  const megabytes = maxBytes / 1_000_000;
  return new CatalogError(
    "payload_too_large",
    `The file is larger than the upload limit of ${megabytes >= 1 ? `${megabytes.toFixed(0)} MB` : `${maxBytes} bytes`}.`,
  );
}

/** A file name safe on every file system: letters, digits, `_ - .`; keeps the extension. */
export function safeFileName(name: string, format: TAssetFormat | null): string {
  const extension =
    format === "csv" ? ".csv" : format === "json" ? ".json" : format === "parquet" ? ".parquet" : "";
  const base = name
    .replace(/\.[A-Za-z0-9]+$/, "")
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 100);
  return `${base || "data"}${extension}`;
}

/**
 * Spark reader options for a stored file, identical for profiling, notebooks and snippets:
 * CSV with a header and inferred types (tab-separated for `.tsv`), JSON as one document when
 * the file starts with `[` (else JSON Lines).
 */
export async function readOptionsFor(
  format: "csv" | "json" | "parquet",
  absolute: string,
): Promise<Record<string, string>> {
  if (format === "csv") {
    return {
      header: "true",
      inferSchema: "true",
      ...(absolute.toLowerCase().endsWith(".tsv") ? { sep: "\t" } : {}),
    };
  }
  if (format === "json") {
    const info = await stat(absolute).catch(() => null);
    if (!info?.isFile()) return {};
    const handle = await open(absolute, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
      const first = buffer.subarray(0, bytesRead).toString("utf8").trimStart()[0];
      return first === "[" ? { multiLine: "true" } : {};
    } finally {
      await handle.close();
    }
  }
  return {};
}

/** The column names of a CSV file's header record, read from its first 64 KiB (not the whole file). */
export async function readCsvHeader(absolute: string, separator = ","): Promise<string[]> {
  const handle = await open(absolute, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    return parseCsvHeaderText(buffer.subarray(0, bytesRead).toString("utf8"), separator);
  } finally {
    await handle.close();
  }
}

/** The column names of the header record at the start of a CSV text. */
export function parseCsvHeaderText(text: string, separator = ","): string[] {
  // A quoted name may hold the separator or a line break, so the header is the first CSV
  // record (RFC 4180, d3-dsv), not the first line.
  const header = dsvFormat(separator).parseRows(text.replace(/^\uFEFF/, ""))[0] ?? [];
  return header
    .map((name) => name.trim())
    .filter(Boolean)
    .slice(0, 5000);
}

/**
 * Serves the files of the `vega-datasets` package at a same-origin path (`/vega-datasets/data/...`),
 * the only place besides Flint's API that charts may load data from. Node only.
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, sep } from "node:path";
import { VEGA_DATASETS_BASE } from "../spec-guard";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".json": "application/json; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".tsv": "text/tab-separated-values; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".arrow": "application/vnd.apache.arrow.file",
  ".parquet": "application/vnd.apache.parquet",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
};

let dataDir: string | undefined;

/** The `data/` folder of the installed `vega-datasets` package. */
export function vegaDatasetsDir(): string {
  if (dataDir === undefined) {
    // The package exports only its entry point (build/index.js); its data folder sits beside build/.
    const entry = createRequire(import.meta.url).resolve("vega-datasets");
    dataDir = join(dirname(dirname(entry)), "data");
  }
  return dataDir;
}

/** A file to serve and its content type. */
export interface TDatasetFile {
  file: string;
  contentType: string;
}

/**
 * Maps a request path such as `/vega-datasets/data/cars.json` to the package's file, or `null`
 * for anything else: other prefixes, `..`, encoded slashes, hidden files, unknown extensions.
 */
export function resolveVegaDatasetFile(pathname: string, base = VEGA_DATASETS_BASE): TDatasetFile | null {
  const prefix = `${base.replace(/\/+$/, "")}/data/`;
  if (!pathname.startsWith(prefix)) return null;
  let name: string;
  try {
    name = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return null;
  }
  // One plain file name: no folders, no dot files, nothing a path could climb out with.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes("..")) return null;
  const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
  if (contentType === undefined) return null;
  const dir = vegaDatasetsDir();
  const file = join(dir, name);
  if (!file.startsWith(dir + sep)) return null;
  return { file, contentType };
}

/**
 * Answers a request for a vega-datasets file; resolves `false` (and writes nothing) when the path
 * is not one, so the caller can go on routing.
 */
export async function handleVegaDatasetRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  const target = resolveVegaDatasetFile(pathname);
  if (target === null) return false;
  let size: number;
  try {
    const info = await stat(target.file);
    if (!info.isFile()) return false;
    size = info.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    "content-type": target.contentType,
    "content-length": String(size),
    "cache-control": "public, max-age=86400",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return true;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(target.file).on("error", reject).on("end", resolve).pipe(res);
  });
  return true;
}

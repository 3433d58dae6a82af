/**
 * MIME-type rules of nbformat and a JSON size estimate that cannot overflow the stack.
 */

import { measureUtf8Bytes } from "./text";

/**
 * Tells whether a MIME type holds JSON (kept as a JSON value, never joined or split), with
 * nbformat's own rule: `application/json` or `application/...+json`.
 */
export function isJsonMime(mime: string): boolean {
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

/**
 * Tells whether Jupyter writes a MIME type's string value as a list of lines (nbformat's
 * `_split_mimebundle`): every `text/*`, plus JavaScript and SVG. Everything else, base64
 * images included, is written as one string.
 */
export function isLineSplitMime(mime: string): boolean {
  return mime.startsWith("text/") || mime === "application/javascript" || mime === "image/svg+xml";
}

/** Binary image types that Jupyter frontends render from base64 into `<img src="data:...">`. */
export const BASE64_IMAGE_MIMES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/bmp",
  "image/webp",
]);

/** Tells whether a MIME type's value must be base64 (a binary image). */
export function isBase64ImageMime(mime: string): boolean {
  return BASE64_IMAGE_MIMES.has(mime);
}

/** The deepest JSON nesting Flint accepts anywhere in a notebook (files and kernel messages). */
export const DEFAULT_MAX_JSON_DEPTH = 256;

/**
 * The deepest JSON value Flint keeps inside one output (from a kernel message). Lower than
 * {@link DEFAULT_MAX_JSON_DEPTH} to leave room for the notebook around it, so a notebook Flint
 * exports always imports again.
 */
export const MAX_VALUE_DEPTH = DEFAULT_MAX_JSON_DEPTH - 16;

/**
 * Estimates the size of a JSON value as serialized (UTF-8 bytes), iteratively, so a value nested
 * 100,000 deep from a kernel message cannot overflow the stack the way `JSON.stringify` would.
 *
 * @returns the size, or `null` when the value nests deeper than `maxDepth`.
 */
export function measureJsonBytes(value: unknown, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): number | null {
  let bytes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    const current = top.value;
    if (typeof current === "string") {
      bytes += measureUtf8Bytes(current) + 2;
    } else if (typeof current === "number") {
      bytes += String(current).length;
    } else if (typeof current === "boolean") {
      bytes += current ? 4 : 5;
    } else if (current === null || current === undefined) {
      bytes += 4;
    } else if (typeof current === "object") {
      if (top.depth >= maxDepth) return null;
      if (Array.isArray(current)) {
        bytes += 2 + Math.max(0, current.length - 1);
        for (const item of current) stack.push({ value: item, depth: top.depth + 1 });
      } else {
        const entries = Object.entries(current);
        bytes += 2 + Math.max(0, entries.length - 1);
        for (const [key, item] of entries) {
          bytes += measureUtf8Bytes(key) + 3;
          stack.push({ value: item, depth: top.depth + 1 });
        }
      }
    }
  }
  return bytes;
}

/**
 * Small string helpers shared by the `.ipynb` reader and the output folder.
 * Pure and linear in the size of their input.
 */

const MEBIBYTE = 1024 * 1024;
// Alphabet, then at most two "=", with ASCII whitespace (tab, LF, FF, CR, space) anywhere.
const BASE64_SHAPE = /^[A-Za-z0-9+/\t\n\f\r ]*(?:=[\t\n\f\r ]*){0,2}$/;
const BASE64_WHITESPACE = /[\t\n\f\r ]+/g;

const ENCODER = new TextEncoder();
const ENCODE_CHUNK = 16384;
// encodeInto writes at most 3 bytes per UTF-16 unit.
const SCRATCH = new Uint8Array(ENCODE_CHUNK * 3);

/**
 * Counts the bytes `text` takes in UTF-8 without keeping an encoded copy: the native encoder
 * runs over slices into one scratch buffer (about 30 times faster than a JavaScript loop on
 * a 50 MB image). A lone surrogate counts as 3 bytes, the size of the U+FFFD it becomes.
 */
export function measureUtf8Bytes(text: string): number {
  let bytes = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + ENCODE_CHUNK, text.length);
    // Never cut a surrogate pair: each half would count as a 3-byte U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    bytes += ENCODER.encodeInto(text.slice(start, end), SCRATCH).written;
    start = end;
  }
  return bytes;
}

/**
 * Returns the longest prefix of `text` that fits in `maxBytes` UTF-8 bytes, never splitting a
 * surrogate pair (a split pair would become U+FFFD on the next save).
 */
export function slicePrefixByUtf8Bytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const unit = text.charCodeAt(i);
    let width = 1;
    let size: number;
    if (unit < 0x80) size = 1;
    else if (unit < 0x800) size = 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size = 4;
        width = 2;
      } else size = 3;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += width;
  }
  return text.slice(0, i);
}

/**
 * Splits text into lines that keep their `"\n"` ending, the way Jupyter stores multi-line
 * strings: `"a\nb"` → `["a\n", "b"]`, `""` → `[]`. Joining the result gives back the input.
 * Unlike Python's `str.splitlines`, only `"\n"` ends a line, so a lone `"\r"` stays inside its line.
 */
export function splitLinesKeepEnds(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if (end === -1) break;
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** Joins an nbformat multi-line string (a string or a list of lines) into one string. */
export function joinMultiline(value: string | readonly string[]): string {
  return typeof value === "string" ? value : value.join("");
}

/**
 * Tells whether `text` is base64 a browser accepts in a `data:` URL (WHATWG forgiving-base64):
 * ASCII whitespace is ignored, padding is optional, and nothing outside `A-Z a-z 0-9 + /` is allowed.
 * Anything else could break out of an `<img src>` attribute if a renderer ever got it wrong.
 */
export function isBase64(text: string): boolean {
  if (!BASE64_SHAPE.test(text)) return false;
  // Jupyter writes PNGs with a trailing "\n"; old notebooks wrap base64 in lines.
  const compact = text.replace(BASE64_WHITESPACE, "");
  if (compact.length % 4 === 0) return true;
  return !compact.endsWith("=") && compact.length % 4 !== 1;
}

/** Formats a byte count as mebibytes with one decimal below 10 ("3.4", "12"), never below "0.1". */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / MEBIBYTE;
  if (mb < 0.1) return "0.1";
  if (mb < 10) return mb.toFixed(1);
  return Math.round(mb).toString();
}

/** Mebibytes to bytes, for limits written as "20 MB". */
export function megabytes(count: number): number {
  return count * MEBIBYTE;
}

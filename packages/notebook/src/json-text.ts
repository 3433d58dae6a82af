/**
 * JSON text helpers: a nesting scan that runs before `JSON.parse`, readable parse errors, and a
 * serializer that writes JSON byte for byte the way Jupyter does.
 */

/** A line and column (both 1-based, columns in UTF-16 units) of a position in a text. */
export type TTextPosition = { line: number; column: number };

/** Converts an offset in `text` to a line and column, for error messages people can act on. */
export function locateOffset(text: string, offset: number): TTextPosition {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (;;) {
    const next = text.indexOf("\n", lineStart);
    if (next === -1 || next >= end) break;
    line++;
    lineStart = next + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** Tells whether the quote at `index` is escaped: preceded by an odd number of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let k = index - 1; k >= 0 && text.charCodeAt(k) === 0x5c; k--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * Finds where JSON text first nests deeper than `maxDepth` arrays and objects, without parsing
 * it. Runs before `JSON.parse` so that a 100,000-deep document is refused before any recursive
 * code (validation, serialization) can overflow the stack on it.
 *
 * @returns the offset of the bracket that goes too deep, or `-1` when the text stays within the limit.
 */
export function findExcessiveNesting(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: strings hold nearly all of a notebook's bytes (base64 images).
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return -1;
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** The first syntax error in a JSON text: where, and what was expected there. */
export type TJsonSyntaxError = { offset: number; reason: string };

/**
 * Describes why `JSON.parse` refused `text`, with a line and column. Engines word their errors
 * differently and V8 often gives no position ("Unexpected token '<', ... is not valid JSON"), so
 * the text is checked again by {@link findJsonSyntaxError}, which always knows where.
 */
export function describeJsonError(text: string, error: unknown): string {
  const found = findJsonSyntaxError(text);
  if (!found) return `The file is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`;
  const { line, column } = locateOffset(text, found.offset);
  return `The file is not valid JSON: ${found.reason} (line ${line}, column ${column}).`;
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Finds the first syntax error in JSON text, iteratively (no recursion, any depth). Only called
 * after `JSON.parse` failed, so it favours clear reasons over speed.
 *
 * @returns the error, or `null` when the text is valid JSON.
 */
export function findJsonSyntaxError(text: string): TJsonSyntaxError | null {
  const length = text.length;
  const stack: Array<"object" | "array"> = [];
  let i = 0;
  const skipWhitespace = () => {
    while (i < length && isJsonWhitespace(text.charCodeAt(i))) i++;
  };
  const unexpected = (expected: string): TJsonSyntaxError => {
    if (i >= length) return { offset: length, reason: `the file ends where ${expected} was expected` };
    const char = text.codePointAt(i)!;
    const shown =
      char < 0x20
        ? `U+${char.toString(16).toUpperCase().padStart(4, "0")}`
        : `'${String.fromCodePoint(char)}'`;
    return { offset: i, reason: `unexpected ${shown} where ${expected} was expected` };
  };
  /** Reads a string starting at the quote at `i`; returns an error or null (then `i` is past it). */
  const readString = (): TJsonSyntaxError | null => {
    const start = i;
    i++;
    while (i < length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20)
        return { offset: i, reason: "a control character (such as a raw newline) inside a string" };
      if (c === 0x5c) {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            return { offset: i, reason: "a bad \\u escape in a string" };
          i += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next))
          return { offset: i, reason: "a bad escape in a string" };
        i += 2;
        continue;
      }
      i++;
    }
    return { offset: start, reason: "a string that is never closed" };
  };
  const readNumber = (): TJsonSyntaxError | null => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) return { offset: i, reason: "a malformed number" };
    i += match[0].length;
    return null;
  };

  skipWhitespace();
  let isExpectingValue = true;
  for (;;) {
    if (isExpectingValue) {
      skipWhitespace();
      const c = text.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        i++;
        skipWhitespace();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (text.charCodeAt(i) === close) {
          i++;
          isExpectingValue = false;
          continue;
        }
        stack.push(c === 0x7b ? "object" : "array");
        if (c === 0x7b) {
          const keyError = readKey();
          if (keyError) return keyError;
        }
        continue;
      }
      const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i));
      let error: TJsonSyntaxError | null = null;
      if (c === 0x22) error = readString();
      else if (c === 0x2d || isDigit(c)) error = readNumber();
      else if (literal) i += literal.length;
      else error = unexpected("a value");
      if (error) return error;
      isExpectingValue = false;
      continue;
    }
    skipWhitespace();
    const top = stack[stack.length - 1];
    if (top === undefined)
      return i < length ? { offset: i, reason: "more text after the end of the JSON value" } : null;
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      i++;
      if (top === "object") {
        const keyError = readKey();
        if (keyError) return keyError;
      }
      isExpectingValue = true;
      continue;
    }
    if ((top === "object" && c === 0x7d) || (top === "array" && c === 0x5d)) {
      i++;
      stack.pop();
      continue;
    }
    return unexpected(top === "object" ? "',' or '}'" : "',' or ']'");
  }

  /** Reads `"key" :` inside an object, leaving `i` where the value starts. */
  function readKey(): TJsonSyntaxError | null {
    skipWhitespace();
    if (text.charCodeAt(i) !== 0x22) return unexpected("a property name in double quotes");
    const error = readString();
    if (error) return error;
    skipWhitespace();
    if (text.charCodeAt(i) !== 0x3a) return unexpected("':' after a property name");
    i++;
    return null;
  }
}

/**
 * Compares two strings by Unicode code point, the order Python's `sort_keys` uses. Plain `<`
 * compares UTF-16 units, which differs for characters above U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Serializes a JSON value exactly like Jupyter saves notebooks (Python's
 * `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)`): keys sorted by code point at
 * every level (even integer-like keys, which JavaScript objects would enumerate first), one space
 * per indent level, non-ASCII characters written as is.
 *
 * Recursive, so callers pass values whose depth was already bounded (see `DEFAULT_MAX_JSON_DEPTH`).
 * Numbers are written the JavaScript way: a float that Python writes as `1.0` comes out as `1`.
 */
export function stringifyLikeJupyter(value: unknown, indent = ""): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value !== "object") return "null";
  const inner = `${indent} `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((item) => inner + stringifyLikeJupyter(item, inner));
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort(compareCodePoints);
  if (keys.length === 0) return "{}";
  const items = keys.map(
    (key) =>
      `${inner}${JSON.stringify(key)}: ${stringifyLikeJupyter((value as Record<string, unknown>)[key], inner)}`,
  );
  return `{\n${items.join(",\n")}\n${indent}}`;
}

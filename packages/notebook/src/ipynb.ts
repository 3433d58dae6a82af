/**
 * `.ipynb` import and export. Import turns an untrusted file into Flint's model or into one
 * sentence saying what is wrong with it (SECURITY.md cases 7 and 25); it never throws for bad
 * input. Export writes nbformat 4.5 the way Jupyter does.
 */

import type { z } from "zod";
import { newCellId } from "./cells";
import { describeJsonError, findExcessiveNesting, locateOffset, stringifyLikeJupyter } from "./json-text";
import {
  DEFAULT_MAX_JSON_DEPTH,
  isBase64ImageMime,
  isJsonMime,
  isLineSplitMime,
  measureJsonBytes,
} from "./mime";
import type { TAttachments, TCell, TMimeBundle, TNotebook, TOutput } from "./model";
import {
  CELL_ID_PATTERN,
  type TIpynbCell,
  type TIpynbMimeBundle,
  type TIpynbNotebook,
  type TIpynbOutput,
  ZIpynbNotebook,
  ZIpynbOutput,
} from "./nbformat";
import {
  formatMegabytes,
  isBase64,
  joinMultiline,
  measureUtf8Bytes,
  megabytes,
  splitLinesKeepEnds,
} from "./text";

/** Size and shape limits for an imported notebook. */
export type TIpynbLimits = {
  /** Largest file, in bytes (UTF-8). Default 100 MB. */
  maxBytes: number;
  /** Largest single attachment or output item (one MIME value, one stream text), in bytes. Default 20 MB. */
  maxItemBytes: number;
  /** Deepest JSON nesting of arrays and objects. Default 256. */
  maxDepth: number;
};

/** Limits used when `parseIpynb` is given none. */
export const DEFAULT_IPYNB_LIMITS: Readonly<TIpynbLimits> = Object.freeze({
  maxBytes: megabytes(100),
  maxItemBytes: megabytes(20),
  maxDepth: DEFAULT_MAX_JSON_DEPTH,
});

/**
 * An output or attachment that import could not keep: an output is replaced in its place by a
 * visible notice ({@link isImportNotice}), an attachment is left out. `cell` and `output` are
 * 1-based, as in the messages.
 */
export type TImportNotice = { cell: number; output?: number; attachment?: string; reason: string };

/**
 * What `parseIpynb` returns: the notebook and what it had to replace, or a message for the person
 * who uploaded the file.
 */
export type TParseIpynbResult =
  | { ok: true; notebook: TNotebook; replaced: TImportNotice[] }
  | { ok: false; error: string };

/** Output metadata that marks a notice import put in place of an output it could not keep. */
export const IMPORT_NOTICE_METADATA_KEY = "flint_import_notice";

/** Tells whether an output is a notice that import put in place of an output it could not keep. */
export function isImportNotice(output: TOutput): boolean {
  return output.output_type === "display_data" && output.metadata?.[IMPORT_NOTICE_METADATA_KEY] === true;
}

const CELL_TYPES = new Set(["code", "markdown", "raw"]);
const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);

/**
 * Reads an `.ipynb` file (nbformat 4.0 to 4.5) into Flint's model: multi-line strings joined,
 * every cell given a valid unique id (kept when the file's id is valid and unique), nbformat_minor
 * set to 5. Rejects, with a message naming the cell (1-based: "cell 3" is the third cell), files
 * that are not UTF-8, not JSON, nested too deep, not nbformat 4, without `cells`, with an unknown
 * cell type or a malformed cell, or too large.
 *
 * One bad output does not refuse the file (JupyterLab opens it too): an output of an unknown type,
 * of the wrong shape, with a MIME value that is not what its type needs (an image that is not
 * base64, text that is not a string) or over the item limit is replaced by a notice saying why,
 * and a bad attachment is left out; `replaced` lists them. Everything else is kept as it was.
 *
 * Metadata strings with HTML in them (`"><script>` in a title, a tag, `language_info.name`) are
 * accepted as data: the model never interprets them and every renderer escapes them.
 */
export function parseIpynb(
  input: string | Uint8Array,
  limits: Partial<TIpynbLimits> = {},
): TParseIpynbResult {
  const limit: TIpynbLimits = { ...DEFAULT_IPYNB_LIMITS, ...limits };
  const decoded = decodeInput(input, limit.maxBytes);
  if (!decoded.ok) return decoded;
  const text = decoded.text;
  if (text.trim() === "") return fail("The file is empty.");

  // Scan before parsing: recursive steps after JSON.parse would overflow the stack on deep input.
  const tooDeepAt = findExcessiveNesting(text, limit.maxDepth);
  if (tooDeepAt !== -1) {
    const { line, column } = locateOffset(text, tooDeepAt);
    return fail(
      `The file nests JSON deeper than ${limit.maxDepth} levels (line ${line}, column ${column}); no notebook needs that.`,
    );
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(describeJsonError(text, error));
  }

  const shapeError = checkShape(json);
  if (shapeError) return fail(shapeError);

  const { cells: repairedCells, replaced } = repairCells(
    (json as { cells: Record<string, unknown>[] }).cells,
    limit.maxItemBytes,
  );
  const validated = ZIpynbNotebook.safeParse(
    withoutCellIds({ ...(json as Record<string, unknown>), cells: repairedCells }),
  );
  if (!validated.success) return fail(describeIssue(validated.error.issues[0]));
  const file = validated.data;

  const ids = assignCellIds((json as { cells: unknown[] }).cells);
  return {
    ok: true,
    replaced,
    notebook: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: file.metadata,
      cells: file.cells.map((cell, index) => toModelCell(cell, ids[index]!)),
    },
  };
}

/**
 * Writes a notebook as an nbformat 4.5 JSON object: text split into line lists the way Jupyter
 * writes them, `transient` removed from outputs, execution counts kept. The result shares
 * metadata objects with `notebook`; treat it as read-only.
 */
export function exportIpynb(notebook: TNotebook): TIpynbNotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: notebook.metadata,
    cells: notebook.cells.map(toIpynbCell),
  };
}

/**
 * Writes a notebook as `.ipynb` text identical to what Jupyter saves: keys sorted, one-space
 * indent, non-ASCII characters as is, and a trailing newline.
 */
export function serializeIpynb(notebook: TNotebook): string {
  return `${stringifyLikeJupyter(exportIpynb(notebook))}\n`;
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function decodeInput(
  input: string | Uint8Array,
  maxBytes: number,
): { ok: true; text: string } | { ok: false; error: string } {
  if (typeof input === "string") {
    // UTF-8 never takes fewer bytes than UTF-16 units, so a short string needs no count.
    const bytes = input.length * 3 <= maxBytes ? input.length : measureUtf8Bytes(input);
    if (bytes > maxBytes) return fail(describeTooLarge(bytes, maxBytes));
    return { ok: true, text: input.charCodeAt(0) === 0xfeff ? input.slice(1) : input };
  }
  if (input.byteLength > maxBytes) return fail(describeTooLarge(input.byteLength, maxBytes));
  try {
    // fatal: a replacement character would silently change the user's text; BOM is dropped.
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(input) };
  } catch {
    return fail(`The file is not valid UTF-8 (byte offset ${findInvalidUtf8(input)}).`);
  }
}

function describeTooLarge(bytes: number, maxBytes: number): string {
  return `The file is ${formatMegabytes(bytes)} MB, over the ${formatMegabytes(maxBytes)} MB limit for notebooks.`;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (Unicode 15, table 3-7). */
function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let count: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) count = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      count = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f; // surrogates are not encodable
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      count = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= count; k++) {
      const next = bytes[i + k];
      const min = k === 1 ? low : 0x80;
      const max = k === 1 ? high : 0xbf;
      if (next === undefined || next < min || next > max) return i;
    }
    i += count + 1;
  }
  return bytes.length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks what zod would report poorly: the nbformat version, the `cells` list, cell and output
 * types. Returns a message, or `null` when the shape is right.
 */
function checkShape(json: unknown): string | null {
  if (!isPlainObject(json)) return "The file is not a Jupyter notebook: it is not a JSON object.";
  const major = json.nbformat;
  if (major === undefined) return 'The file is not a Jupyter notebook: it has no "nbformat" version.';
  if (typeof major !== "number" || !Number.isInteger(major)) {
    return 'The file is not a Jupyter notebook: "nbformat" is not a version number.';
  }
  if (major < 4) {
    return `nbformat ${major} notebooks are not supported; open and save it in Jupyter to upgrade to nbformat 4`;
  }
  if (major > 4) return `nbformat ${major} notebooks are not supported; Flint reads nbformat 4.`;
  if (!("cells" in json)) return 'The notebook has no "cells" list.';
  if (!Array.isArray(json.cells)) return 'The notebook\'s "cells" is not a list.';
  for (const [index, cell] of json.cells.entries()) {
    const where = `cell ${index + 1}`;
    if (!isPlainObject(cell)) return `${where}: not a JSON object.`;
    const type = cell.cell_type;
    if (typeof type !== "string" || !CELL_TYPES.has(type)) {
      const shown = typeof type === "string" ? `"${type}"` : "missing";
      return `${where}: unknown cell type ${shown} (expected code, markdown or raw).`;
    }
    if (!("source" in cell)) return `${where}: the cell has no "source".`;
  }
  return null;
}

/** Cell ids are checked apart from the schema: an invalid id is replaced, not a reason to refuse the file. */
function withoutCellIds(json: Record<string, unknown>): Record<string, unknown> {
  const cells = (json.cells as Array<Record<string, unknown>>).map(({ id: _id, ...cell }) => cell);
  return { ...json, cells };
}

/** Keeps each valid id the first time it appears and generates the others. */
function assignCellIds(cells: readonly unknown[]): string[] {
  const kept = new Set<string>();
  const ids: Array<string | null> = cells.map((cell) => {
    const id = (cell as { id?: unknown }).id;
    if (typeof id === "string" && CELL_ID_PATTERN.test(id) && !kept.has(id)) {
      kept.add(id);
      return id;
    }
    return null;
  });
  return ids.map((id) => {
    if (id !== null) return id;
    let fresh = newCellId();
    while (kept.has(fresh)) fresh = newCellId();
    kept.add(fresh);
    return fresh;
  });
}

/** Formats the first zod issue as "cell 3 output 1: text: expected ...". */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "The file is not a valid nbformat 4 notebook.";
  let path: readonly PropertyKey[] = issue.path;
  const places: string[] = [];
  const [first, cellIndex] = path;
  if (first === "cells" && typeof cellIndex === "number") {
    places.push(`cell ${cellIndex + 1}`);
    path = path.slice(2);
    const [section, key] = path;
    if (section === "outputs" && typeof key === "number") {
      places.push(`output ${key + 1}`);
      path = path.slice(2);
    } else if (section === "attachments" && typeof key === "string") {
      places.push(`attachment "${key}"`);
      path = path.slice(2);
    }
  } else {
    places.push("notebook");
  }
  const field = path.map(String).join(".");
  const message = issue.message.replace(/^Invalid input: /, "");
  return `${places.join(" ")}: ${field ? `${field}: ` : ""}${message}`;
}

/**
 * Replaces each output import cannot keep by a notice, and leaves out each attachment it cannot
 * keep (see {@link parseIpynb}). Cells are copied only where something changed.
 */
function repairCells(
  cells: readonly Record<string, unknown>[],
  maxItemBytes: number,
): { cells: Record<string, unknown>[]; replaced: TImportNotice[] } {
  const replaced: TImportNotice[] = [];
  const repaired = cells.map((cell, index) => {
    if (cell.cell_type === "code" && Array.isArray(cell.outputs)) {
      let isChanged = false;
      const outputs = cell.outputs.map((output: unknown, outputIndex: number) => {
        const reason = findOutputProblem(output, maxItemBytes);
        if (reason === null) return output;
        isChanged = true;
        replaced.push({ cell: index + 1, output: outputIndex + 1, reason });
        return createImportNotice(reason);
      });
      return isChanged ? { ...cell, outputs } : cell;
    }
    if (cell.cell_type !== "code" && "attachments" in cell) {
      if (!isPlainObject(cell.attachments)) {
        replaced.push({
          cell: index + 1,
          reason: "the attachments are not a JSON object; they were left out",
        });
        const { attachments: _dropped, ...rest } = cell;
        return rest;
      }
      let isChanged = false;
      const kept: Record<string, unknown> = {};
      for (const [name, bundle] of Object.entries(cell.attachments)) {
        const reason = findAttachmentProblem(bundle, maxItemBytes);
        if (reason === null) kept[name] = bundle;
        else {
          isChanged = true;
          replaced.push({ cell: index + 1, attachment: name, reason: `${reason}; it was left out` });
        }
      }
      return isChanged ? { ...cell, attachments: kept } : cell;
    }
    return cell;
  });
  return { cells: repaired, replaced };
}

/** The notice that stands where an output was: plain text, so every renderer shows it. */
function createImportNotice(reason: string): Record<string, unknown> {
  return {
    output_type: "display_data",
    data: {
      "text/plain": `This output could not be imported (${reason}); the rest of the notebook is as it was.`,
    },
    metadata: { [IMPORT_NOTICE_METADATA_KEY]: true },
  };
}

/** A MIME type as `type/subtype`, the way kernels and nbformat write them. */
const MIME_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/** Why an output cannot be kept, or `null` when it can. */
function findOutputProblem(output: unknown, maxItemBytes: number): string | null {
  if (!isPlainObject(output)) return "it is not a JSON object";
  const outputType = output.output_type;
  if (typeof outputType !== "string" || !OUTPUT_TYPES.has(outputType)) {
    const shown = typeof outputType === "string" ? `"${outputType}"` : "missing";
    return `unknown output type ${shown}, expected stream, display_data, execute_result or error`;
  }
  const parsed = ZIpynbOutput.safeParse(output);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") ?? "";
    return `${field ? `${field}: ` : ""}${(issue?.message ?? "malformed").replace(/^Invalid input: /, "")}`;
  }
  const limitText = `${formatMegabytes(maxItemBytes)} MB`;
  const value = parsed.data;
  if (value.output_type === "stream") {
    const bytes = measureMultiline(value.text);
    if (bytes > maxItemBytes) {
      return `the ${value.name} text is ${formatMegabytes(bytes)} MB, over the ${limitText} limit for one output item`;
    }
    return null;
  }
  if (value.output_type === "error") {
    const bytes = value.traceback.reduce((sum, line) => sum + measureUtf8Bytes(line), 0);
    if (bytes > maxItemBytes) {
      return `the traceback is ${formatMegabytes(bytes)} MB, over the ${limitText} limit for one output item`;
    }
    return null;
  }
  return findBundleProblem(value.data, maxItemBytes, "one output item");
}

/** Why an attachment cannot be kept, or `null` when it can. */
function findAttachmentProblem(bundle: unknown, maxItemBytes: number): string | null {
  if (!isPlainObject(bundle)) return "it is not a MIME bundle";
  let bytes = 0;
  for (const value of Object.values(bundle)) bytes += measureMimeValue(value);
  if (bytes > maxItemBytes) {
    return `${formatMegabytes(bytes)} MB, over the ${formatMegabytes(maxItemBytes)} MB limit for one attachment`;
  }
  return findBundleProblem(bundle, Number.POSITIVE_INFINITY, "one attachment");
}

/** Why a MIME bundle cannot be kept: a bad type name, a value its type cannot hold, a size. */
function findBundleProblem(
  bundle: Record<string, unknown>,
  maxItemBytes: number,
  what: string,
): string | null {
  for (const [mime, value] of Object.entries(bundle)) {
    if (!MIME_TYPE_PATTERN.test(mime)) return `"${mime.slice(0, 80)}" is not a MIME type`;
    const isText = mime.startsWith("text/") || isBase64ImageMime(mime);
    if (isText && typeof value !== "string" && !isStringList(value)) {
      return isBase64ImageMime(mime) ? `${mime} is not base64` : `${mime} is not text`;
    }
    const bytes = measureMimeValue(value);
    if (bytes > maxItemBytes) {
      return `${mime} is ${formatMegabytes(bytes)} MB, over the ${formatMegabytes(maxItemBytes)} MB limit for ${what}`;
    }
    if (isBase64ImageMime(mime) && !isBase64Value(value)) return `${mime} is not base64`;
  }
  return null;
}

function measureMultiline(value: string | readonly string[]): number {
  if (typeof value === "string") return measureUtf8Bytes(value);
  let bytes = 0;
  for (const line of value) bytes += measureUtf8Bytes(line);
  return bytes;
}

function measureMimeValue(value: unknown): number {
  if (typeof value === "string") return measureUtf8Bytes(value);
  if (isStringList(value)) return measureMultiline(value);
  // Depth was bounded by the scan before JSON.parse, so null cannot happen here.
  return measureJsonBytes(value, Number.POSITIVE_INFINITY) ?? 0;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** Old notebooks store base64 as a list of lines; both forms are accepted. */
function isBase64Value(value: unknown): boolean {
  if (typeof value === "string") return isBase64(value);
  return isStringList(value) && isBase64(value.join(""));
}

/** nbformat's `_rejoin_mimebundle`: line lists of non-JSON types become one string. */
function joinMimeBundle(bundle: TIpynbMimeBundle): TMimeBundle {
  return Object.fromEntries(
    Object.entries(bundle).map(([mime, value]) => [
      mime,
      !isJsonMime(mime) && isStringList(value) ? value.join("") : value,
    ]),
  );
}

/** nbformat's `_split_mimebundle`: text types (and JS, SVG) become line lists. */
function splitMimeBundle(bundle: TMimeBundle): TIpynbMimeBundle {
  return Object.fromEntries(
    Object.entries(bundle).map(([mime, value]) => [
      mime,
      typeof value === "string" && isLineSplitMime(mime) ? splitLinesKeepEnds(value) : value,
    ]),
  );
}

function mapAttachments(
  attachments: Record<string, TIpynbMimeBundle>,
  mapBundle: (bundle: TIpynbMimeBundle) => TIpynbMimeBundle,
): TAttachments {
  return Object.fromEntries(Object.entries(attachments).map(([name, bundle]) => [name, mapBundle(bundle)]));
}

function toModelOutput(output: TIpynbOutput): TOutput {
  switch (output.output_type) {
    case "stream":
      return { output_type: "stream", name: output.name, text: joinMultiline(output.text) };
    case "display_data":
      // A `transient` in a file belongs to a kernel session that is gone; it is not kept.
      return { output_type: "display_data", data: joinMimeBundle(output.data), metadata: output.metadata };
    case "execute_result":
      return {
        output_type: "execute_result",
        execution_count: output.execution_count,
        data: joinMimeBundle(output.data),
        metadata: output.metadata,
      };
    case "error":
      return {
        output_type: "error",
        ename: output.ename,
        evalue: output.evalue,
        traceback: output.traceback,
      };
  }
}

function toModelCell(cell: TIpynbCell, id: string): TCell {
  const source = joinMultiline(cell.source);
  if (cell.cell_type === "code") {
    return {
      id,
      cell_type: "code",
      metadata: cell.metadata,
      source,
      outputs: cell.outputs.map(toModelOutput),
      execution_count: cell.execution_count,
    };
  }
  const base = { id, cell_type: cell.cell_type, metadata: cell.metadata, source };
  return cell.attachments ? { ...base, attachments: mapAttachments(cell.attachments, joinMimeBundle) } : base;
}

function toIpynbOutput(output: TOutput): TIpynbOutput {
  switch (output.output_type) {
    case "stream":
      return { output_type: "stream", name: output.name, text: splitLinesKeepEnds(output.text) };
    case "display_data":
      return { output_type: "display_data", data: splitMimeBundle(output.data), metadata: output.metadata };
    case "execute_result":
      return {
        output_type: "execute_result",
        execution_count: output.execution_count,
        data: splitMimeBundle(output.data),
        metadata: output.metadata,
      };
    case "error":
      return {
        output_type: "error",
        ename: output.ename,
        evalue: output.evalue,
        traceback: output.traceback,
      };
  }
}

function toIpynbCell(cell: TCell): TIpynbCell {
  const source = splitLinesKeepEnds(cell.source);
  if (cell.cell_type === "code") {
    return {
      id: cell.id,
      cell_type: "code",
      metadata: cell.metadata,
      source,
      outputs: cell.outputs.map(toIpynbOutput),
      execution_count: cell.execution_count,
    };
  }
  const base = { id: cell.id, cell_type: cell.cell_type, metadata: cell.metadata, source };
  return cell.attachments
    ? { ...base, attachments: mapAttachments(cell.attachments, splitMimeBundle) }
    : base;
}

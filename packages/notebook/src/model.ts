/**
 * Flint's notebook model: nbformat 4.5 with every multi-line string joined into one string and
 * every cell carrying a valid, unique id. Plain JSON, so it is stored in the database as is and
 * sent to browsers as is. Field names stay nbformat's so the model reads like the files users know.
 */

import { z } from "zod";
import { DEFAULT_MAX_JSON_DEPTH, isBase64ImageMime, MAX_VALUE_DEPTH, measureJsonBytes } from "./mime";
import { ZCellId, ZCellMetadata, ZNotebookMetadata, ZOutputMetadata } from "./nbformat";
import { isBase64 } from "./text";

/**
 * A MIME bundle in the model: text values are single strings (never line lists), JSON types hold
 * JSON values. Which value a renderer may trust is decided by the renderer, per MIME type.
 */
export const ZMimeBundle = z.record(z.string(), z.unknown());
/** A MIME bundle in the model. */
export type TMimeBundle = z.infer<typeof ZMimeBundle>;

/** `transient` of a live display: only `display_id` is kept, and export drops it. */
export const ZDisplayTransient = z.object({ display_id: z.string() });
/** `transient` of a live display. */
export type TDisplayTransient = z.infer<typeof ZDisplayTransient>;

/** Text a kernel wrote to `stdout` or `stderr`. */
export const ZStreamOutput = z.object({
  output_type: z.literal("stream"),
  name: z.string(),
  text: z.string(),
});
/** Text a kernel wrote to `stdout` or `stderr`. */
export type TStreamOutput = z.infer<typeof ZStreamOutput>;

/** A rich display (`display()` in Python). */
export const ZDisplayDataOutput = z.object({
  output_type: z.literal("display_data"),
  data: ZMimeBundle,
  metadata: ZOutputMetadata,
  transient: ZDisplayTransient.optional(),
});
/** A rich display. */
export type TDisplayDataOutput = z.infer<typeof ZDisplayDataOutput>;

/** The value of a cell's last expression. */
export const ZExecuteResultOutput = z.object({
  output_type: z.literal("execute_result"),
  execution_count: z.int().min(0).nullable(),
  data: ZMimeBundle,
  metadata: ZOutputMetadata,
  transient: ZDisplayTransient.optional(),
});
/** The value of a cell's last expression. */
export type TExecuteResultOutput = z.infer<typeof ZExecuteResultOutput>;

/** An exception raised by a cell. */
export const ZErrorOutput = z.object({
  output_type: z.literal("error"),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});
/** An exception raised by a cell. */
export type TErrorOutput = z.infer<typeof ZErrorOutput>;

/** Any output of a code cell. */
export const ZOutput = z.discriminatedUnion("output_type", [
  ZStreamOutput,
  ZDisplayDataOutput,
  ZExecuteResultOutput,
  ZErrorOutput,
]);
/** Any output of a code cell. */
export type TOutput = z.infer<typeof ZOutput>;

/** Attachments of a markdown or raw cell: file name → MIME bundle (names are never used as paths). */
export const ZAttachments = z.record(z.string(), ZMimeBundle);
/** Attachments of a markdown or raw cell. */
export type TAttachments = z.infer<typeof ZAttachments>;

/** A code cell. */
export const ZCodeCell = z.object({
  id: ZCellId,
  cell_type: z.literal("code"),
  metadata: ZCellMetadata,
  source: z.string(),
  outputs: z.array(ZOutput),
  execution_count: z.int().min(0).nullable(),
});
/** A code cell. */
export type TCodeCell = z.infer<typeof ZCodeCell>;

/** A markdown cell. */
export const ZMarkdownCell = z.object({
  id: ZCellId,
  cell_type: z.literal("markdown"),
  metadata: ZCellMetadata,
  source: z.string(),
  attachments: ZAttachments.optional(),
});
/** A markdown cell. */
export type TMarkdownCell = z.infer<typeof ZMarkdownCell>;

/** A raw cell (passed through untouched by nbconvert). */
export const ZRawCell = z.object({
  id: ZCellId,
  cell_type: z.literal("raw"),
  metadata: ZCellMetadata,
  source: z.string(),
  attachments: ZAttachments.optional(),
});
/** A raw cell. */
export type TRawCell = z.infer<typeof ZRawCell>;

/** Any cell. */
export const ZCell = z.discriminatedUnion("cell_type", [ZCodeCell, ZMarkdownCell, ZRawCell]);
/** Any cell. */
export type TCell = z.infer<typeof ZCell>;
/** `"code" | "markdown" | "raw"`. */
export type TCellType = TCell["cell_type"];

/** The three cell types, in the order menus list them. */
export const CELL_TYPES: readonly TCellType[] = ["code", "markdown", "raw"];

/**
 * Finds the first reason a MIME bundle is unsafe to keep: a binary image that is not base64, or
 * JSON nested too deep to serialize safely. Returns `null` when the bundle is fine.
 */
export function findMimeBundleProblem(bundle: TMimeBundle): string | null {
  for (const [mime, value] of Object.entries(bundle)) {
    if (isBase64ImageMime(mime)) {
      const text = typeof value === "string" ? value : null;
      if (text === null || !isBase64(text)) return `${mime} is not base64`;
    } else if (typeof value === "object" && value !== null) {
      if (measureJsonBytes(value, MAX_VALUE_DEPTH) === null) {
        return `${mime} is nested deeper than ${MAX_VALUE_DEPTH} levels`;
      }
    }
  }
  return null;
}

/**
 * A whole notebook in Flint's model. Parsing with it validates a notebook that comes from outside
 * the server (a browser save): ids unique, images base64, JSON not absurdly deep.
 */
export const ZNotebook = z
  .object({
    nbformat: z.literal(4),
    nbformat_minor: z.literal(5),
    metadata: ZNotebookMetadata,
    cells: z.array(ZCell),
  })
  .superRefine((notebook, ctx) => {
    // Checked first and alone: every later step (export, serialization) may recurse.
    if (measureJsonBytes(notebook, DEFAULT_MAX_JSON_DEPTH) === null) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`,
      });
      return;
    }
    const seen = new Set<string>();
    notebook.cells.forEach((cell, index) => {
      if (seen.has(cell.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["cells", index, "id"],
          message: `duplicate cell id "${cell.id}"`,
        });
      }
      seen.add(cell.id);
      const bundles: Array<{ bundle: TMimeBundle; path: Array<string | number> }> = [];
      if (cell.cell_type === "code") {
        cell.outputs.forEach((output, outputIndex) => {
          if (output.output_type === "display_data" || output.output_type === "execute_result") {
            bundles.push({ bundle: output.data, path: ["cells", index, "outputs", outputIndex, "data"] });
          }
        });
      } else if (cell.attachments) {
        for (const [name, bundle] of Object.entries(cell.attachments)) {
          bundles.push({ bundle, path: ["cells", index, "attachments", name] });
        }
      }
      for (const { bundle, path } of bundles) {
        const problem = findMimeBundleProblem(bundle);
        if (problem) ctx.addIssue({ code: "custom", path, message: problem });
      }
    });
  });
/** A whole notebook in Flint's model. */
export type TNotebook = z.infer<typeof ZNotebook>;

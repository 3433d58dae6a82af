/**
 * Zod schemas for the nbformat 4 file format (4.0 to 4.5) as it is written on disk: multi-line
 * strings may be a string or a list of lines, cell ids are optional before 4.5.
 *
 * Metadata objects are loose: keys Flint does not know are kept, so a notebook survives an
 * import/export round trip unchanged. Metadata strings such as `"><script>` are accepted as data:
 * nothing here interprets them, and every renderer escapes them (SECURITY.md case 7).
 */

import { z } from "zod";

/** The nbformat 4.5 rule for cell ids. */
export const CELL_ID_PATTERN = /^[a-zA-Z0-9-_]{1,64}$/;

/** A cell id valid under nbformat 4.5: 1 to 64 letters, digits, `-` or `_`. */
export const ZCellId = z.string().regex(CELL_ID_PATTERN, "cell ids are 1 to 64 letters, digits, - or _");
/** A cell id. */
export type TCellId = z.infer<typeof ZCellId>;

/** A multi-line string as nbformat stores it: one string, or a list of lines joined without separators. */
export const ZMultilineString = z.union([z.string(), z.array(z.string())]);
/** A multi-line string as nbformat stores it. */
export type TMultilineString = z.infer<typeof ZMultilineString>;

/** `metadata.kernelspec`: which kernel runs the notebook. Unknown keys are kept. */
export const ZKernelspec = z.looseObject({
  name: z.string(),
  // Required by the nbformat schema, but some tools omit it and Jupyter still opens their files.
  display_name: z.string().optional(),
  language: z.string().optional(),
});
/** `metadata.kernelspec`. */
export type TKernelspec = z.infer<typeof ZKernelspec>;

/** `metadata.language_info`: the kernel's language. Unknown keys (such as `version`) are kept. */
export const ZLanguageInfo = z.looseObject({
  name: z.string(),
  codemirror_mode: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  file_extension: z.string().optional(),
  mimetype: z.string().optional(),
  pygments_lexer: z.string().optional(),
});
/** `metadata.language_info`. */
export type TLanguageInfo = z.infer<typeof ZLanguageInfo>;

/** Notebook-level metadata. Unknown keys (jupytext, widgets, vscode ...) are kept. */
export const ZNotebookMetadata = z.looseObject({
  kernelspec: ZKernelspec.optional(),
  language_info: ZLanguageInfo.optional(),
  orig_nbformat: z.int().min(1).optional(),
  title: z.string().optional(),
  authors: z.array(z.unknown()).optional(),
});
/** Notebook-level metadata. */
export type TNotebookMetadata = z.infer<typeof ZNotebookMetadata>;

/** Cell metadata, with the keys nbformat 4.5 gives a type. Unknown keys are kept. */
export const ZCellMetadata = z.looseObject({
  tags: z.array(z.string()).optional(),
  collapsed: z.boolean().optional(),
  scrolled: z.union([z.boolean(), z.literal("auto")]).optional(),
  name: z.string().optional(),
  jupyter: z
    .looseObject({
      source_hidden: z.boolean().optional(),
      outputs_hidden: z.boolean().optional(),
    })
    .optional(),
});
/** Cell metadata. */
export type TCellMetadata = z.infer<typeof ZCellMetadata>;

/** Output metadata (image sizes, `isolated` ...): free-form, kept as is. */
export const ZOutputMetadata = z.record(z.string(), z.unknown());
/** Output metadata. */
export type TOutputMetadata = z.infer<typeof ZOutputMetadata>;

/**
 * A MIME bundle on disk. Values are usually multi-line strings, JSON types hold JSON, and any
 * JSON value is tolerated for other types too (Altair 6 writes an object under
 * `application/vnd.vegalite.v6.json`, which nbformat does not count as a JSON type).
 */
export const ZIpynbMimeBundle = z.record(z.string(), z.unknown());
/** A MIME bundle on disk. */
export type TIpynbMimeBundle = z.infer<typeof ZIpynbMimeBundle>;

/** `stream` output on disk. */
export const ZIpynbStreamOutput = z.object({
  output_type: z.literal("stream"),
  name: z.string(),
  text: ZMultilineString,
});

/** `display_data` output on disk. */
export const ZIpynbDisplayDataOutput = z.object({
  output_type: z.literal("display_data"),
  data: ZIpynbMimeBundle,
  // Required by the schema; missing in some hand-made files, where `{}` is what was meant.
  metadata: ZOutputMetadata.default({}),
});

/** `execute_result` output on disk. */
export const ZIpynbExecuteResultOutput = z.object({
  output_type: z.literal("execute_result"),
  execution_count: z.int().min(0).nullable(),
  data: ZIpynbMimeBundle,
  metadata: ZOutputMetadata.default({}),
});

/** `error` output on disk. */
export const ZIpynbErrorOutput = z.object({
  output_type: z.literal("error"),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});

/** Any nbformat 4 output on disk. */
export const ZIpynbOutput = z.discriminatedUnion("output_type", [
  ZIpynbStreamOutput,
  ZIpynbDisplayDataOutput,
  ZIpynbExecuteResultOutput,
  ZIpynbErrorOutput,
]);
/** Any nbformat 4 output on disk. */
export type TIpynbOutput = z.infer<typeof ZIpynbOutput>;

/** Cell attachments on disk: file name → MIME bundle. Names are keys, never used as paths. */
export const ZIpynbAttachments = z.record(z.string(), ZIpynbMimeBundle);

/** Code cell on disk. */
export const ZIpynbCodeCell = z.object({
  id: ZCellId.optional(),
  cell_type: z.literal("code"),
  metadata: ZCellMetadata.default({}),
  source: ZMultilineString,
  outputs: z.array(ZIpynbOutput).default([]),
  execution_count: z.int().min(0).nullable().default(null),
});

/** Markdown cell on disk. */
export const ZIpynbMarkdownCell = z.object({
  id: ZCellId.optional(),
  cell_type: z.literal("markdown"),
  metadata: ZCellMetadata.default({}),
  source: ZMultilineString,
  attachments: ZIpynbAttachments.optional(),
});

/** Raw cell on disk. */
export const ZIpynbRawCell = z.object({
  id: ZCellId.optional(),
  cell_type: z.literal("raw"),
  metadata: ZCellMetadata.default({}),
  source: ZMultilineString,
  attachments: ZIpynbAttachments.optional(),
});

/** Any nbformat 4 cell on disk. */
export const ZIpynbCell = z.discriminatedUnion("cell_type", [
  ZIpynbCodeCell,
  ZIpynbMarkdownCell,
  ZIpynbRawCell,
]);
/** Any nbformat 4 cell on disk. */
export type TIpynbCell = z.infer<typeof ZIpynbCell>;

/** An nbformat 4.x notebook file. */
export const ZIpynbNotebook = z.object({
  nbformat: z.literal(4),
  nbformat_minor: z.int().min(0),
  metadata: ZNotebookMetadata.default({}),
  cells: z.array(ZIpynbCell),
});
/** An nbformat 4.x notebook file. */
export type TIpynbNotebook = z.infer<typeof ZIpynbNotebook>;

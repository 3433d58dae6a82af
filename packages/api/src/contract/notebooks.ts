/** Notebook documents: create, import, read, save, export, rename, duplicate, and the trash. */
import { ZCellExecution } from "@flint/kernel/protocol";
import { z } from "zod";
import { ZIdParams, ZPermissions } from "./common";
import { defineEndpoint } from "./endpoint";

/** Longest notebook name. */
export const MAX_NOTEBOOK_NAME = 200;

export const ZRenameNotebookRequest = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, "a notebook needs a name")
    .max(MAX_NOTEBOOK_NAME, `a notebook name has at most ${MAX_NOTEBOOK_NAME} characters`)
    // Control characters would be invisible in lists and file names.
    .regex(/^[^\p{Cc}]*$/u, "a notebook name cannot contain control characters (tabs, new lines...)"),
});

export const ZDuplicateNotebookRequest = z.strictObject({
  name: ZRenameNotebookRequest.shape.name.optional().describe('Default: "<name> (copy)".'),
});

export const ZTrashedNotebook = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  cellCount: z.number().int(),
  deletedAt: z.string(),
  purgeAt: z.string().describe("When the notebook is deleted for good unless it is restored."),
  published: z.boolean(),
});

export type TTrashedNotebook = z.infer<typeof ZTrashedNotebook>;

/** Largest notebook accepted through the JSON API (the import route streams files separately). */
export const MAX_NOTEBOOK_BYTES = 50_000_000;

/** Largest .ipynb file accepted by the import route (the parser's own limit is the same). */
export const MAX_IMPORT_BYTES = 100_000_000;

export const ZNotebookName = ZRenameNotebookRequest.shape.name;

/** An nbformat 4 document as JSON; its content is validated by @flint/notebook's parser. */
export const ZNbformatJson = z
  .record(z.string(), z.unknown())
  .describe("An nbformat 4 notebook (Jupyter .ipynb JSON).");

export const ZCreateNotebookRequest = z.strictObject({
  // Empty or absent: "Untitled", "Untitled 1"... A taken name gets " (2)", " (3)"...
  name: z
    .union([ZNotebookName, z.string().trim().max(0)])
    .optional()
    .describe('Default "Untitled" (then "Untitled 1"...); a name already used gets " (2)".'),
  notebook: ZNbformatJson.optional(),
});

export const ZSaveNotebookRequest = z.strictObject({
  version: z.number().int().positive().describe("The version this edit is based on (compare-and-swap)."),
  name: ZNotebookName.optional(),
  notebook: ZNbformatJson,
});

export const ZNotebookSummary = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  version: z.number().int(),
  cellCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastOpenedAt: z.string().nullable(),
  published: z.boolean(),
  publishedVersion: z
    .number()
    .int()
    .nullable()
    .describe("The version the community sees while published (null when not published)."),
  forkedFrom: z.object({ id: z.string(), name: z.string() }).nullable(),
});

export type TNotebookSummary = z.infer<typeof ZNotebookSummary>;

export const ZImportNotice = z.object({
  cell: z.number().int().describe("1-based cell number"),
  output: z.number().int().optional().describe("1-based output number, for a replaced output"),
  attachment: z.string().optional().describe("the attachment's name, for a left-out attachment"),
  reason: z.string(),
});

export const ZCreatedNotebook = ZNotebookSummary.extend({
  replaced: z
    .array(ZImportNotice)
    .describe(
      "Outputs the file had that could not be kept, each replaced by a visible notice in its place, and attachments left out.",
    ),
});

export type TCreatedNotebook = z.infer<typeof ZCreatedNotebook>;

export const ZNotebookDocument = ZNotebookSummary.extend({
  notebook: ZNbformatJson,
  cellStatus: z
    .record(z.string(), z.string())
    .describe("Each cell's last run status (ok, error, running, ...)."),
  cellExecution: z
    .record(z.string(), ZCellExecution)
    .describe("When each run cell's latest run started and ended, and who ran it."),
  permissions: ZPermissions,
});

export type TNotebookDocument = z.infer<typeof ZNotebookDocument>;

const ON_NOTEBOOK = { kind: "notebook", from: "params.id" } as const;
const ON_PROJECT = { kind: "project", from: "params.id" } as const;

/** The notebooks' endpoints. */
export const notebookEndpoints = {
  listNotebooks: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/notebooks",
    summary: "A project's notebooks, the last opened first",
    tag: "notebooks",
    access: { permission: "notebook.read", target: ON_PROJECT },
    params: ZIdParams,
    response: z.object({ notebooks: z.array(ZNotebookSummary) }),
  }),
  createNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/notebooks",
    summary: "Create a notebook, empty or from nbformat 4 JSON",
    tag: "notebooks",
    access: { permission: "notebook.create", target: ON_PROJECT },
    status: 201,
    params: ZIdParams,
    body: ZCreateNotebookRequest,
    maxBodyBytes: MAX_NOTEBOOK_BYTES,
    response: ZCreatedNotebook,
  }),
  importNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/projects/{id}/notebooks/import",
    summary: "Import an .ipynb file (the request body is the file)",
    tag: "notebooks",
    access: { permission: "notebook.create", target: ON_PROJECT },
    status: 201,
    params: ZIdParams,
    query: z.object({
      name: ZNotebookName.optional().describe(
        "Notebook name; defaults to the file's name or 'Imported notebook'.",
      ),
    }),
    rawBody: {
      contentTypes: ["application/x-ipynb+json", "application/json", "application/octet-stream"],
      description: "The .ipynb file (nbformat 4).",
    },
    maxBodyBytes: MAX_IMPORT_BYTES,
    response: ZCreatedNotebook,
  }),
  exportNotebook: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}/export",
    summary: "Download a notebook as an .ipynb file (nbformat 4.5, outputs included)",
    tag: "notebooks",
    access: { permission: "notebook.read", target: ON_NOTEBOOK, anonymous: true },
    params: ZIdParams,
    response: z.record(z.string(), z.unknown()).describe("The .ipynb JSON."),
    isDownload: true,
  }),
  getNotebook: defineEndpoint({
    method: "GET",
    path: "/api/v1/notebooks/{id}",
    summary: "A notebook as nbformat 4.5 JSON with its outputs and version (anyone may read a published one)",
    tag: "notebooks",
    access: { permission: "notebook.read", target: ON_NOTEBOOK, anonymous: true },
    params: ZIdParams,
    response: ZNotebookDocument,
  }),
  saveNotebook: defineEndpoint({
    method: "PUT",
    path: "/api/v1/notebooks/{id}",
    summary: "Save a notebook (compare-and-swap on version; 409 when it changed meanwhile)",
    tag: "notebooks",
    access: { permission: "notebook.edit", target: ON_NOTEBOOK },
    params: ZIdParams,
    body: ZSaveNotebookRequest,
    maxBodyBytes: MAX_NOTEBOOK_BYTES,
    response: ZNotebookSummary,
  }),
  renameNotebook: defineEndpoint({
    method: "PATCH",
    path: "/api/v1/notebooks/{id}",
    summary: "Rename a notebook (names are unique in a project; 409 when taken)",
    tag: "notebooks",
    access: { permission: "notebook.edit", target: ON_NOTEBOOK },
    params: ZIdParams,
    body: ZRenameNotebookRequest,
    response: z.object({ id: z.string(), name: z.string() }),
  }),
  duplicateNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/duplicate",
    summary: 'Copy a notebook with its outputs into its project, as "<name> (copy)" unless named',
    tag: "notebooks",
    // Making a notebook in the project is what a copy does: editors and admins.
    access: { permission: "notebook.create", target: ON_NOTEBOOK },
    status: 201,
    params: ZIdParams,
    body: ZDuplicateNotebookRequest,
    response: ZNotebookSummary,
  }),
  trashNotebook: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/notebooks/{id}",
    summary: "Move a notebook to its project's trash (its kernel is shut down; restorable for 30 days)",
    tag: "notebooks",
    access: { permission: "notebook.delete", target: ON_NOTEBOOK },
    params: ZIdParams,
    response: ZTrashedNotebook,
  }),
  listTrash: defineEndpoint({
    method: "GET",
    path: "/api/v1/projects/{id}/trash",
    summary: "A project's trashed notebooks, the last deleted first (older than 30 days are purged)",
    tag: "notebooks",
    access: { permission: "project.read", target: ON_PROJECT },
    params: ZIdParams,
    response: z.object({ notebooks: z.array(ZTrashedNotebook), retentionDays: z.number().int() }),
  }),
  restoreNotebook: defineEndpoint({
    method: "POST",
    path: "/api/v1/notebooks/{id}/restore",
    summary: 'Bring a notebook back from the trash (as "<name> (2)" when its name was taken meanwhile)',
    tag: "notebooks",
    access: { permission: "notebook.delete", target: ON_NOTEBOOK },
    params: ZIdParams,
    response: ZNotebookSummary,
  }),
  deleteNotebookForever: defineEndpoint({
    method: "DELETE",
    path: "/api/v1/notebooks/{id}/forever",
    summary: "Delete a notebook in the trash for good, with its outputs, versions and comments",
    tag: "notebooks",
    access: { permission: "notebook.delete", target: ON_NOTEBOOK },
    params: ZIdParams,
    response: z.object({ deleted: z.literal(true) }),
  }),
};

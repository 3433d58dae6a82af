/**
 * Pure notebook edits. Every function returns a new notebook and leaves its input untouched;
 * cells that did not change are shared between the old and the new notebook.
 */

import type { TCell, TCellType, TCodeCell, TMarkdownCell, TNotebook, TOutput, TRawCell } from "./model";
import { CELL_ID_PATTERN, type TCellMetadata, type TKernelspec } from "./nbformat";

/** Why a notebook edit was refused. The app maps `cell_not_found` to 404 and the others to 409/400. */
export type TNotebookErrorCode = "cell_not_found" | "duplicate_cell_id" | "invalid_cell_id";

/** A notebook edit that refers to a cell that is not there, or would break the id rules. */
export class NotebookError extends Error {
  /** What went wrong, for mapping to an HTTP status. */
  readonly code: TNotebookErrorCode;
  /** The cell id the edit referred to. */
  readonly cellId: string;

  /** Creates the error with a message that names the cell. */
  constructor(code: TNotebookErrorCode, cellId: string, message: string) {
    super(message);
    this.name = "NotebookError";
    this.code = code;
    this.cellId = cellId;
  }
}

/** The kernel a new notebook asks for unless told otherwise. */
export const DEFAULT_KERNELSPEC: Readonly<TKernelspec> = Object.freeze({
  name: "flint-spark",
  display_name: "Python 3 (Spark)",
  language: "python",
});

/**
 * Creates a random cell id, valid under nbformat 4.5 (a UUID v4, as JupyterLab makes them).
 * Uses `crypto.getRandomValues`, which unlike `crypto.randomUUID` also works on plain-HTTP pages.
 */
export function newCellId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Creates a new notebook with one empty code cell, like "New notebook" in JupyterLab, so there is
 * somewhere to type. `language_info.name` follows the kernelspec's language.
 */
export function createEmptyNotebook(kernelspec: TKernelspec = DEFAULT_KERNELSPEC): TNotebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { ...kernelspec },
      language_info: { name: kernelspec.language ?? "python" },
    },
    cells: [createCell({ cell_type: "code" })],
  };
}

/** What a new cell may start with; everything is optional. */
export type TNewCell = {
  /** Id to use (a fresh one otherwise); pass `newCellId()` to know the id before inserting. */
  id?: string;
  /** Default `"code"`. */
  cell_type?: TCellType;
  /** Default `""`. */
  source?: string;
  /** Default `{}`. */
  metadata?: TCellMetadata;
};

function createCell(init: TNewCell): TCell {
  const id = init.id ?? newCellId();
  const metadata = init.metadata ?? {};
  const source = init.source ?? "";
  switch (init.cell_type ?? "code") {
    case "code":
      return { id, cell_type: "code", metadata, source, outputs: [], execution_count: null };
    case "markdown":
      return { id, cell_type: "markdown", metadata, source };
    case "raw":
      return { id, cell_type: "raw", metadata, source };
  }
}

/** Finds a cell and its position, or `undefined` when no cell has that id. */
export function findCell(notebook: TNotebook, cellId: string): { cell: TCell; index: number } | undefined {
  const index = notebook.cells.findIndex((cell) => cell.id === cellId);
  const cell = notebook.cells[index];
  return cell ? { cell, index } : undefined;
}

function requireCellIndex(notebook: TNotebook, cellId: string): number {
  const index = notebook.cells.findIndex((cell) => cell.id === cellId);
  if (index === -1)
    throw new NotebookError("cell_not_found", cellId, `No cell with id "${cellId}" in this notebook.`);
  return index;
}

function replaceCell(notebook: TNotebook, index: number, cell: TCell): TNotebook {
  const cells = notebook.cells.slice();
  cells[index] = cell;
  return { ...notebook, cells };
}

/**
 * Inserts a new cell so that it ends up at `index` (clamped to the notebook, so a stale index
 * from a client still lands somewhere sensible). Throws `NotebookError` when `init.id` is
 * invalid or already used.
 */
export function insertCell(notebook: TNotebook, index: number, init: TNewCell = {}): TNotebook {
  if (init.id !== undefined) {
    if (!CELL_ID_PATTERN.test(init.id)) {
      throw new NotebookError("invalid_cell_id", init.id, `"${init.id}" is not a valid cell id.`);
    }
    if (findCell(notebook, init.id)) {
      throw new NotebookError("duplicate_cell_id", init.id, `A cell with id "${init.id}" already exists.`);
    }
  }
  const at = clampIndex(index, notebook.cells.length);
  const cells = notebook.cells.slice();
  cells.splice(at, 0, createCell(init));
  return { ...notebook, cells };
}

/** Deletes cells by id. Throws `NotebookError` if any id is not in the notebook (nothing is deleted then). */
export function deleteCells(notebook: TNotebook, cellIds: readonly string[]): TNotebook {
  const doomed = new Set(cellIds);
  for (const id of doomed) requireCellIndex(notebook, id);
  return { ...notebook, cells: notebook.cells.filter((cell) => !doomed.has(cell.id)) };
}

/**
 * Moves cells as one block, kept in their notebook order, so that the first of them ends up at
 * `toIndex` (clamped). `moveCells(nb, [id], 0)` moves a cell to the top. Throws `NotebookError`
 * for an unknown id.
 */
export function moveCells(notebook: TNotebook, cellIds: readonly string[], toIndex: number): TNotebook {
  const moving = new Set(cellIds);
  for (const id of moving) requireCellIndex(notebook, id);
  const block = notebook.cells.filter((cell) => moving.has(cell.id));
  const rest = notebook.cells.filter((cell) => !moving.has(cell.id));
  const at = clampIndex(toIndex, rest.length);
  return { ...notebook, cells: [...rest.slice(0, at), ...block, ...rest.slice(at)] };
}

/** Replaces a cell's source. Outputs stay: they belong to the last run, as in Jupyter. */
export function setCellSource(notebook: TNotebook, cellId: string, source: string): TNotebook {
  const index = requireCellIndex(notebook, cellId);
  const cell = notebook.cells[index]!;
  if (cell.source === source) return notebook;
  return replaceCell(notebook, index, { ...cell, source });
}

/**
 * Changes a cell's type, keeping id, source and metadata. Leaving `code` drops outputs and the
 * execution count; entering `code` drops attachments (code cells have none in nbformat);
 * markdown ↔ raw keeps attachments.
 */
export function setCellType(notebook: TNotebook, cellId: string, cellType: TCellType): TNotebook {
  const index = requireCellIndex(notebook, cellId);
  const cell = notebook.cells[index]!;
  if (cell.cell_type === cellType) return notebook;
  const { id, metadata, source } = cell;
  const attachments = cell.cell_type === "code" ? undefined : cell.attachments;
  let changed: TCell;
  if (cellType === "code") {
    changed = {
      id,
      cell_type: "code",
      metadata,
      source,
      outputs: [],
      execution_count: null,
    } satisfies TCodeCell;
  } else if (cellType === "markdown") {
    changed = {
      id,
      cell_type: "markdown",
      metadata,
      source,
      ...(attachments ? { attachments } : {}),
    } satisfies TMarkdownCell;
  } else {
    changed = {
      id,
      cell_type: "raw",
      metadata,
      source,
      ...(attachments ? { attachments } : {}),
    } satisfies TRawCell;
  }
  return replaceCell(notebook, index, changed);
}

/**
 * Clears outputs and execution counts of the given code cells, or of every code cell when no ids
 * are given ("Clear all outputs"). Non-code cells are left as they are. Throws `NotebookError`
 * for an unknown id.
 */
export function clearOutputs(notebook: TNotebook, cellIds?: readonly string[]): TNotebook {
  const targets = cellIds ? new Set(cellIds) : null;
  if (targets) for (const id of targets) requireCellIndex(notebook, id);
  let isChanged = false;
  const cells = notebook.cells.map((cell) => {
    if (cell.cell_type !== "code" || (targets && !targets.has(cell.id))) return cell;
    if (cell.outputs.length === 0 && cell.execution_count === null) return cell;
    isChanged = true;
    return { ...cell, outputs: [], execution_count: null };
  });
  return isChanged ? { ...notebook, cells } : notebook;
}

/**
 * Stores the result of a run in a code cell (what the execution broker persists). Throws
 * `NotebookError` for an unknown id; a cell that is no longer code is left unchanged, because its
 * type was changed while it ran.
 */
export function setCellOutputs(
  notebook: TNotebook,
  cellId: string,
  outputs: TOutput[],
  executionCount: number | null,
): TNotebook {
  const index = requireCellIndex(notebook, cellId);
  const cell = notebook.cells[index]!;
  if (cell.cell_type !== "code") return notebook;
  return replaceCell(notebook, index, { ...cell, outputs, execution_count: executionCount });
}

function clampIndex(index: number, length: number): number {
  if (!Number.isFinite(index)) return index > 0 ? length : 0;
  return Math.min(Math.max(Math.trunc(index), 0), length);
}

// Local drafts of unsaved edits (SECURITY.md case 22): if the tab or the server dies before a
// save lands, the edits are still in this browser's localStorage, keyed by notebook id and the
// version they were based on, and the page offers them back on the next load.
import type { TCell, TNotebook } from "@flint/notebook";

export type TDraftCell = Pick<TCell, "id" | "cell_type" | "source" | "metadata">;

export type TDraft = {
  notebookId: string;
  baseVersion: number;
  savedAt: number;
  cells: TDraftCell[];
};

const PREFIX = "flint:notebook-draft:";

function keyFor(notebookId: string, baseVersion: number): string {
  return `${PREFIX}${notebookId}:v${baseVersion}`;
}

function storage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    // Storage can be disabled by the browser's privacy settings.
    return null;
  }
}

function keysOf(notebookId: string): string[] {
  const store = storage();
  if (!store) return [];
  const keys: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(`${PREFIX}${notebookId}:`)) keys.push(key);
  }
  return keys;
}

/** Writes the draft of a notebook, replacing drafts based on other versions. */
export function writeDraft(notebookId: string, baseVersion: number, notebook: TNotebook): void {
  const store = storage();
  if (!store) return;
  const draft: TDraft = {
    notebookId,
    baseVersion,
    savedAt: Date.now(),
    cells: notebook.cells.map(({ id, cell_type, source, metadata }) => ({ id, cell_type, source, metadata })),
  };
  const key = keyFor(notebookId, baseVersion);
  try {
    store.setItem(key, JSON.stringify(draft));
  } catch {
    // Quota exceeded: the draft is a safety net, the save itself still goes on.
    return;
  }
  for (const other of keysOf(notebookId)) if (other !== key) store.removeItem(other);
}

/** The newest draft of a notebook, if any. */
export function readDraft(notebookId: string): TDraft | null {
  const store = storage();
  if (!store) return null;
  let newest: TDraft | null = null;
  for (const key of keysOf(notebookId)) {
    try {
      const draft = JSON.parse(store.getItem(key) ?? "null") as TDraft | null;
      if (draft && Array.isArray(draft.cells) && (!newest || draft.savedAt > newest.savedAt)) newest = draft;
    } catch {
      store.removeItem(key);
    }
  }
  return newest;
}

export function clearDrafts(notebookId: string): void {
  const store = storage();
  for (const key of keysOf(notebookId)) store?.removeItem(key);
}

/** Tells whether a draft's cells differ from a notebook's (ids, types, sources, order). */
export function draftDiffers(draft: TDraft, notebook: TNotebook): boolean {
  if (draft.cells.length !== notebook.cells.length) return true;
  return draft.cells.some((cell, index) => {
    const other = notebook.cells[index]!;
    return other.id !== cell.id || other.cell_type !== cell.cell_type || other.source !== cell.source;
  });
}

/**
 * Applies a draft on top of the server's notebook: the draft's cells in its order, keeping the
 * server's outputs for cells that still exist.
 */
export function applyDraft(draft: TDraft, notebook: TNotebook): TNotebook {
  const server = new Map(notebook.cells.map((cell) => [cell.id, cell]));
  const cells: TCell[] = draft.cells.map((cell) => {
    const known = server.get(cell.id);
    if (cell.cell_type === "code") {
      const outputs = known?.cell_type === "code" ? known.outputs : [];
      const executionCount = known?.cell_type === "code" ? known.execution_count : null;
      return { ...cell, cell_type: "code", outputs, execution_count: executionCount };
    }
    return { ...cell, cell_type: cell.cell_type };
  });
  return { ...notebook, cells };
}

// A per-cell comparison of two versions of a notebook, for the save-conflict dialog: which cells
// were added, removed or changed, and a line diff of each changed source.

export type TDiffCell = { id: string; cell_type: string; source: string };

export type TLineChange = { kind: "same" | "added" | "removed"; text: string };

export type TCellDiff =
  | { kind: "same"; id: string; cellType: string; source: string }
  | { kind: "added" | "removed"; id: string; cellType: string; source: string }
  | { kind: "changed"; id: string; cellType: string; lines: TLineChange[] };

// Above this many line pairs the LCS table is too big for a dialog; show the texts whole.
const MAX_LCS_CELLS = 250_000;

/** A line diff (longest common subsequence) of two texts. */
export function diffLines(before: string, after: string): TLineChange[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > MAX_LCS_CELLS) {
    return [
      ...a.map((text) => ({ kind: "removed" as const, text })),
      ...b.map((text) => ({ kind: "added" as const, text })),
    ];
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * cols + j] =
        a[i] === b[j]
          ? table[(i + 1) * cols + j + 1]! + 1
          : Math.max(table[(i + 1) * cols + j]!, table[i * cols + j + 1]!);
    }
  }
  const changes: TLineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      changes.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (table[(i + 1) * cols + j]! >= table[i * cols + j + 1]!) {
      changes.push({ kind: "removed", text: a[i++]! });
    } else {
      changes.push({ kind: "added", text: b[j++]! });
    }
  }
  while (i < a.length) changes.push({ kind: "removed", text: a[i++]! });
  while (j < b.length) changes.push({ kind: "added", text: b[j++]! });
  return changes;
}

/**
 * Compares the server's cells (`theirs`) with the local ones (`mine`), in the local order with
 * cells only the server has placed after their predecessor.
 */
export function diffNotebookCells(theirs: readonly TDiffCell[], mine: readonly TDiffCell[]): TCellDiff[] {
  const theirById = new Map(theirs.map((cell) => [cell.id, cell]));
  const mineIds = new Set(mine.map((cell) => cell.id));
  const result: TCellDiff[] = [];
  const removedAfter = new Map<string | null, TDiffCell[]>();
  let previous: string | null = null;
  for (const cell of theirs) {
    if (!mineIds.has(cell.id)) {
      const list = removedAfter.get(previous) ?? [];
      list.push(cell);
      removedAfter.set(previous, list);
    } else previous = cell.id;
  }
  const pushRemoved = (after: string | null) => {
    for (const cell of removedAfter.get(after) ?? []) {
      result.push({ kind: "removed", id: cell.id, cellType: cell.cell_type, source: cell.source });
    }
  };
  pushRemoved(null);
  for (const cell of mine) {
    const their = theirById.get(cell.id);
    if (!their) result.push({ kind: "added", id: cell.id, cellType: cell.cell_type, source: cell.source });
    else if (their.source === cell.source && their.cell_type === cell.cell_type)
      result.push({ kind: "same", id: cell.id, cellType: cell.cell_type, source: cell.source });
    else
      result.push({
        kind: "changed",
        id: cell.id,
        cellType: cell.cell_type,
        lines: diffLines(their.source, cell.source),
      });
    pushRemoved(cell.id);
  }
  return result;
}

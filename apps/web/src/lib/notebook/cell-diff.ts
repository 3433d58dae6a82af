// A per-cell comparison of two versions of a notebook, for the save-conflict dialog: which cells
// were added, removed or changed, and a line diff of each changed source.
import { diffArrays } from "diff";

export type TDiffCell = { id: string; cell_type: string; source: string };

export type TLineChange = { kind: "same" | "added" | "removed"; text: string };

export type TCellDiff =
  | { kind: "same"; id: string; cellType: string; source: string }
  | { kind: "added" | "removed"; id: string; cellType: string; source: string }
  | { kind: "changed"; id: string; cellType: string; lines: TLineChange[] };

// Past this many added plus removed lines a line-by-line view reads worse than the texts whole,
// and Myers' diff (O((n+m)·d)) would spend time on it for nothing.
const MAX_EDITS = 5_000;

/** A line diff of two texts (jsdiff's Myers diff over their lines). */
export function diffLines(before: string, after: string): TLineChange[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const changes = diffArrays(a, b, { maxEditLength: MAX_EDITS });
  if (!changes) {
    return [
      ...a.map((text) => ({ kind: "removed" as const, text })),
      ...b.map((text) => ({ kind: "added" as const, text })),
    ];
  }
  return changes.flatMap((change) => {
    const kind = change.added ? "added" : change.removed ? "removed" : "same";
    return change.value.map((text) => ({ kind, text }));
  });
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

"use client";
// A cell's comment threads, opened from the cell. Counts for all cells come from one request per
// notebook page (a tiny shared store), not one per cell.
import { useParams } from "next/navigation";
import { type KeyboardEvent, useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { CommentIcon } from "@/components/ui/icons";
import { apiFetch } from "@/lib/api";
import { CommentThreads, type TThread } from "./comment-threads";

type TCounts = Record<string, number>;
const listeners = new Set<() => void>();
let counts: TCounts = {};
let loadedFor: string | null = null;

function setCounts(next: TCounts): void {
  counts = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function loadCounts(notebookId: string): void {
  if (loadedFor === notebookId) return;
  loadedFor = notebookId;
  apiFetch<{ threads: TThread[] }>(`/api/v1/notebooks/${notebookId}/comments`).then(
    (body) => {
      const next: TCounts = {};
      for (const thread of body.threads)
        if (thread.cellId && !thread.resolved) next[thread.cellId] = (next[thread.cellId] ?? 0) + 1;
      setCounts(next);
    },
    () => undefined,
  );
}

/** The "Comments (n)" button of a cell and, when open, its threads. */
export function CellComments({ cellId }: { cellId: string }) {
  const { notebookId } = useParams<{ notebookId: string }>();
  const [isOpen, setOpen] = useState(false);
  const all = useSyncExternalStore(
    subscribe,
    () => counts,
    () => counts,
  );
  useEffect(() => {
    if (notebookId) loadCounts(notebookId);
  }, [notebookId]);
  const onCountChange = useCallback((next: TCounts) => setCounts(next), []);
  if (!notebookId) return null;
  const count = all[cellId] ?? 0;
  // Keys typed in a comment must not reach the notebook's command-mode shortcuts.
  const keepKeys = (event: KeyboardEvent) => event.stopPropagation();
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: only shields the comment form's keys from the notebook's shortcuts.
    <div className="nb-cell-comments mt-1" onKeyDown={keepKeys}>
      <button
        type="button"
        className="text-xs text-slate-500 hover:text-slate-800"
        aria-expanded={isOpen}
        onClick={() => setOpen((value) => !value)}
      >
        <CommentIcon /> Comments{count > 0 ? ` (${count})` : ""}
      </button>
      {isOpen && (
        <div className="mt-2 max-w-2xl">
          <CommentThreads
            subject={{ type: "notebook", id: notebookId }}
            cellId={cellId}
            canComment
            onCountChange={onCountChange}
          />
        </div>
      )}
    </div>
  );
}

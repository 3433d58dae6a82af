"use client";
// A cell's comment threads, opened from the cell. Counts for all cells come from one request per
// notebook page (a tiny shared store), not one per cell. A notification's link opens one cell's
// threads at its comment (`revealCellComments`), even when the cell is drawn after the request.
import { useParams } from "next/navigation";
import { type KeyboardEvent, useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { CommentIcon } from "@/components/ui/icons";
import { apiFetch } from "@/lib/api";
import { CommentThreads, type TThread } from "./comment-threads";

type TCounts = Record<string, number>;
type TReveal = { notebookId: string; cellId: string; commentId: string | null };
const listeners = new Set<() => void>();
let counts: TCounts = {};
let loadedFor: string | null = null;
let reveal: TReveal | null = null;

function emit(): void {
  for (const listener of listeners) listener();
}

function setCounts(next: TCounts): void {
  counts = next;
  emit();
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

/**
 * Opens the comments of `cellId` in notebook `notebookId`, scrolled into view, with `commentId`
 * highlighted. The cell takes the request when it is drawn (large notebooks draw cells in
 * slices), and only once.
 */
export function revealCellComments(notebookId: string, cellId: string, commentId: string | null): void {
  reveal = { notebookId, cellId, commentId };
  emit();
}

/** The "Comments (n)" button of a cell and, when open, its threads. */
export function CellComments({ cellId }: { cellId: string }) {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  const [isOpen, setOpen] = useState(false);
  const [focusCommentId, setFocusCommentId] = useState<string | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const all = useSyncExternalStore(
    subscribe,
    () => counts,
    () => counts,
  );
  const wanted = useSyncExternalStore(
    subscribe,
    () => reveal,
    () => null,
  );
  useEffect(() => {
    if (notebookId) loadCounts(notebookId);
  }, [notebookId]);
  useEffect(() => {
    if (!wanted || wanted.notebookId !== notebookId || wanted.cellId !== cellId) return;
    reveal = null;
    setOpen(true);
    setFocusCommentId(wanted.commentId);
    rootRef.current?.scrollIntoView({ block: "center" });
  }, [wanted, notebookId, cellId]);
  const onCountChange = useCallback((next: TCounts) => setCounts(next), []);
  if (!notebookId || !projectId) return null;
  const count = all[cellId] ?? 0;
  // Keys typed in a comment must not reach the notebook's command-mode shortcuts.
  const keepKeys = (event: KeyboardEvent) => event.stopPropagation();
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: only shields the comment form's keys from the notebook's shortcuts.
    <div className="nb-cell-comments mt-1" onKeyDown={keepKeys} ref={rootRef}>
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
            projectId={projectId}
            cellId={cellId}
            canComment
            focusCommentId={focusCommentId}
            onCountChange={onCountChange}
          />
        </div>
      )}
    </div>
  );
}

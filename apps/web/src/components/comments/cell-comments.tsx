"use client";
import { useQuery } from "@tanstack/react-query";
// A cell's comment threads, opened from the cell. Counts for all cells come from one request per
// notebook page (every cell reads the same query), not one per cell. A notification's link opens one cell's
// threads at its comment (`revealCellComments`), even when the cell is drawn after the request.
import { useParams } from "next/navigation";
import { type KeyboardEvent, memo, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { CommentIcon } from "@/components/ui/icons";
import { apiClient } from "@/lib/api";
import { queryKeys } from "@/lib/query-keys";
import { CommentThreads, type TThread } from "./comment-threads";

type TReveal = { notebookId: string; cellId: string; commentId: string | null };
const listeners = new Set<() => void>();
let reveal: TReveal | null = null;

function emit(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Open threads per cell. */
function countOpenThreads(threads: readonly TThread[], cellId: string): number {
  return threads.filter((thread) => thread.cellId === cellId && !thread.resolved).length;
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

/**
 * The "Comments (n)" button of a cell and, when open, its threads. Memoized: a cell renders again
 * on every keystroke in it and every output message it gets, and its comments change with neither.
 */
export const CellComments = memo(function CellComments({ cellId }: { cellId: string }) {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  const [isOpen, setOpen] = useState(false);
  const [focusCommentId, setFocusCommentId] = useState<string | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  // Cells are drawn in slices: a fresh answer is reused by the cells drawn after it, and changes
  // made in the threads invalidate it.
  const { data } = useQuery({
    queryKey: queryKeys.comments("notebook", notebookId ?? ""),
    queryFn: () => apiClient("listNotebookComments", { params: { id: notebookId ?? "" } }),
    enabled: Boolean(notebookId),
    staleTime: 60_000,
  });
  const wanted = useSyncExternalStore(
    subscribe,
    () => reveal,
    () => null,
  );
  useEffect(() => {
    if (!wanted || wanted.notebookId !== notebookId || wanted.cellId !== cellId) return;
    reveal = null;
    setOpen(true);
    setFocusCommentId(wanted.commentId);
    rootRef.current?.scrollIntoView({ block: "center" });
  }, [wanted, notebookId, cellId]);
  if (!notebookId || !projectId) return null;
  const count = data ? countOpenThreads(data.threads, cellId) : 0;
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
          />
        </div>
      )}
    </div>
  );
});

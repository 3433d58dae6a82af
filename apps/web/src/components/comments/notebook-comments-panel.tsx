"use client";
// The notebook's comments panel: every thread of the notebook, each naming its cell (a click
// jumps there), for reviewing a notebook's discussion in one place.
import { useParams } from "next/navigation";
import type { KeyboardEvent } from "react";
import { CommentThreads } from "./comment-threads";

export function NotebookCommentsPanel({ onJump }: { onJump: (cellId: string) => void }) {
  const { projectId, notebookId } = useParams<{ projectId: string; notebookId: string }>();
  if (!notebookId || !projectId) return null;
  // Keys typed in a comment must not reach the notebook's command-mode shortcuts.
  const keepKeys = (event: KeyboardEvent) => event.stopPropagation();
  return (
    <aside
      aria-label="Notebook comments"
      className="sticky top-24 max-h-[calc(100vh-8rem)] self-start overflow-auto"
      onKeyDown={keepKeys}
    >
      <h2 className="mb-2 text-sm font-semibold text-slate-700">Comments</h2>
      <CommentThreads
        subject={{ type: "notebook", id: notebookId }}
        projectId={projectId}
        canComment={false}
        onJumpToCell={onJump}
      />
    </aside>
  );
}

"use client";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { type ApiError, apiFetch } from "@/lib/api";
import { InlineMarkdown } from "@/lib/inline-markdown";

export interface TComment {
  id: string;
  threadId: string | null;
  cellId: string | null;
  body: string;
  author: { id: string; name: string };
  createdAt: string;
  editedAt: string | null;
  resolved: boolean;
}
export interface TThread extends TComment {
  replies: TComment[];
}

function CommentView({
  comment,
  meId,
  onEdit,
}: {
  comment: TComment;
  meId: string | null;
  onEdit: (body: string) => Promise<void>;
}) {
  const [isEditing, setEditing] = useState(false);
  return (
    <div className="text-sm" data-testid="comment">
      <p className="text-xs text-slate-500">
        <span className="font-medium text-slate-700">{comment.author.name}</span> ·{" "}
        {new Date(comment.createdAt).toLocaleString()}
        {comment.editedAt && " · edited"}
        {comment.author.id === meId && !isEditing && (
          <button
            type="button"
            className="ml-2 text-brand-700 hover:underline"
            onClick={() => setEditing(true)}
          >
            Edit
          </button>
        )}
      </p>
      {isEditing ? (
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            await onEdit(String(new FormData(event.currentTarget).get("body")));
            setEditing(false);
          }}
        >
          <textarea
            name="body"
            defaultValue={comment.body}
            className="input mt-1"
            rows={2}
            aria-label="Edit comment"
          />
          <button type="submit" className="btn-primary mt-1">
            Save
          </button>
        </form>
      ) : (
        <div className="mt-0.5 break-words text-slate-800">
          <InlineMarkdown text={comment.body} />
        </div>
      )}
    </div>
  );
}

/**
 * Comment threads on a notebook (optionally only one cell's) or on a chart: start a thread,
 * reply, edit your own, resolve and reopen. `@handle` mentions a member.
 */
export function CommentThreads({
  subject,
  cellId,
  canComment,
  onCountChange,
  onJumpToCell,
}: {
  subject: { type: "notebook" | "chart"; id: string };
  cellId?: string;
  canComment: boolean;
  onCountChange?: (counts: Record<string, number>) => void;
  /** When given, a thread's cell label is a button that jumps to the cell. */
  onJumpToCell?: (cellId: string) => void;
}) {
  const [threads, setThreads] = useState<TThread[]>([]);
  const [meId, setMeId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/v1/${subject.type}s/${subject.id}/comments`;
  const load = useCallback(async () => {
    const body = await apiFetch<{ threads: TThread[] }>(base);
    setThreads(body.threads);
    const counts: Record<string, number> = {};
    for (const thread of body.threads)
      if (thread.cellId && !thread.resolved) counts[thread.cellId] = (counts[thread.cellId] ?? 0) + 1;
    onCountChange?.(counts);
  }, [base, onCountChange]);
  useEffect(() => {
    void load().catch((err: ApiError) => setError(err.message));
    apiFetch<{ id: string }>("/api/v1/me").then(
      (me) => setMeId(me.id),
      () => undefined,
    );
  }, [load]);
  const post = async (json: Record<string, unknown>) => {
    setError(null);
    try {
      await apiFetch(base, { method: "POST", json });
      await load();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const patch = async (commentId: string, json: Record<string, unknown>) => {
    try {
      await apiFetch(`/api/v1/comments/${commentId}`, { method: "PATCH", json });
      await load();
    } catch (err) {
      setError((err as ApiError).message);
    }
  };
  const visible = cellId ? threads.filter((thread) => thread.cellId === cellId) : threads;
  const start = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = String(new FormData(form).get("body"));
    void post({ body, ...(cellId ? { cellId } : {}) }).then(() => form.reset());
  };
  return (
    <section className="space-y-3" aria-label="Comments">
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {visible.length === 0 && <p className="text-sm text-slate-500">No comments yet.</p>}
      {visible.map((thread) => (
        <article
          key={thread.id}
          className={`card space-y-2 p-3 ${thread.resolved ? "opacity-70" : ""}`}
          data-testid="comment-thread"
        >
          {!cellId &&
            thread.cellId &&
            (onJumpToCell ? (
              <button
                type="button"
                className="text-xs text-brand-700 hover:underline"
                onClick={() => onJumpToCell(thread.cellId ?? "")}
              >
                On cell {thread.cellId}
              </button>
            ) : (
              <p className="text-xs text-slate-500">On cell {thread.cellId}</p>
            ))}
          <CommentView comment={thread} meId={meId} onEdit={(body) => patch(thread.id, { body })} />
          {thread.replies.map((reply) => (
            <div key={reply.id} className="border-l-2 border-slate-200 pl-3">
              <CommentView comment={reply} meId={meId} onEdit={(body) => patch(reply.id, { body })} />
            </div>
          ))}
          {canComment && (
            <div className="flex items-start gap-2">
              <form
                className="flex flex-1 gap-2"
                onSubmit={(event) => {
                  event.preventDefault();
                  const form = event.currentTarget;
                  void post({ threadId: thread.id, body: String(new FormData(form).get("body")) }).then(() =>
                    form.reset(),
                  );
                }}
              >
                <input name="body" required className="input" placeholder="Reply…" aria-label="Reply" />
                <button type="submit" className="btn-secondary">
                  Reply
                </button>
              </form>
              <button
                type="button"
                className="btn-secondary"
                onClick={() => patch(thread.id, { resolved: !thread.resolved })}
              >
                {thread.resolved ? "Reopen" : "Resolve"}
              </button>
            </div>
          )}
        </article>
      ))}
      {canComment && (
        <form onSubmit={start} className="space-y-2" aria-label="New comment">
          <textarea
            name="body"
            required
            rows={2}
            className="input"
            placeholder="Comment… (@name to mention)"
            aria-label="New comment"
          />
          <button type="submit" className="btn-primary">
            Comment
          </button>
        </form>
      )}
    </section>
  );
}

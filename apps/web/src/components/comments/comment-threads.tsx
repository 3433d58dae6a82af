"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { apiClient, type TRequest, type TResponse } from "@/lib/api";
import { InlineMarkdown } from "@/lib/inline-markdown";
import { queryKeys } from "@/lib/query-keys";
import { CommentComposer, type TMentionMember } from "./comment-composer";

export type TThread = TResponse<"listNotebookComments">["threads"][number];
export type TComment = TThread["replies"][number];

function CommentView({
  comment,
  meId,
  members,
  isFocused,
  onEdit,
}: {
  comment: TComment;
  meId: string | null;
  members: readonly TMentionMember[] | null;
  isFocused: boolean;
  onEdit: (body: string) => Promise<boolean>;
}) {
  const [isEditing, setEditing] = useState(false);
  return (
    <div
      className={`text-sm ${isFocused ? "rounded-md bg-brand-50 ring-2 ring-brand-500" : ""}`}
      data-testid="comment"
      data-comment-id={comment.id}
      aria-current={isFocused ? "true" : undefined}
    >
      <p className="text-xs text-slate-500">
        <span className="font-medium text-slate-700">{comment.author.name}</span> ·{" "}
        {new Date(comment.createdAt).toLocaleString()}
        {comment.editedAt && " · edited"}
        {/* Editing waits for the members, so the stored mentions show as names in the box. */}
        {comment.author.id === meId && members && !isEditing && (
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
        <CommentComposer
          label="Edit comment"
          submitLabel="Save"
          initialBody={comment.body}
          members={members}
          meId={meId}
          className="mt-1 space-y-1"
          onSubmit={async (body) => {
            const isSaved = await onEdit(body);
            if (isSaved) setEditing(false);
            return isSaved;
          }}
        />
      ) : (
        <div className="mt-0.5 break-words text-slate-800">
          <InlineMarkdown text={comment.body} mentionNames={comment.mentionNames} />
        </div>
      )}
    </div>
  );
}

/**
 * Comment threads on a notebook (optionally only one cell's) or on a chart: start a thread,
 * reply, edit your own, resolve and reopen. "@" and a name mentions a project member (with an
 * autocomplete of the project's members).
 */
export function CommentThreads({
  subject,
  projectId,
  cellId,
  canComment,
  focusCommentId,
  onJumpToCell,
}: {
  subject: { type: "notebook" | "chart"; id: string };
  /** The project whose members can be mentioned. */
  projectId: string;
  cellId?: string;
  canComment: boolean;
  /** A comment to scroll to and highlight once the threads are loaded (a notification's). */
  focusCommentId?: string | null;
  /** When given, a thread's cell label is a button that jumps to the cell. */
  onJumpToCell?: (cellId: string) => void;
}) {
  const queryClient = useQueryClient();
  const threadsQuery = useQuery({
    queryKey: queryKeys.comments(subject.type, subject.id),
    queryFn: () =>
      subject.type === "notebook"
        ? apiClient("listNotebookComments", { params: { id: subject.id } })
        : apiClient("listChartComments", { params: { id: subject.id } }),
  });
  const threads = threadsQuery.data?.threads ?? null;
  const { data: me } = useQuery({
    queryKey: queryKeys.me(),
    queryFn: () => apiClient("getMe"),
  });
  const meId = me?.id ?? null;
  const membersQuery = useQuery({
    queryKey: queryKeys.projectMembers(projectId),
    queryFn: () => apiClient("listMembers", { params: { id: projectId } }),
    enabled: canComment,
  });
  // Without the list, "@Name" typed in full still mentions: the server resolves names.
  const members: TMentionMember[] | null = membersQuery.data
    ? membersQuery.data.members.map((member) => ({
        id: member.userId,
        name: member.name,
        email: member.email,
      }))
    : membersQuery.isError
      ? []
      : null;
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? threadsQuery.error?.message ?? null;
  // The cells' comment counts read the same query, so they follow every change made here.
  const load = () =>
    queryClient.invalidateQueries({ queryKey: queryKeys.comments(subject.type, subject.id) });
  useEffect(() => {
    if (!focusCommentId || !threads) return;
    document
      .querySelector(`[data-comment-id="${CSS.escape(focusCommentId)}"]`)
      ?.scrollIntoView({ block: "center" });
  }, [focusCommentId, threads]);
  const send = async (request: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await request();
      await load();
      return true;
    } catch (err) {
      setError((err as Error).message);
      return false;
    }
  };
  const post = (body: TRequest<"createNotebookComment">["body"]) =>
    send(() =>
      subject.type === "notebook"
        ? apiClient("createNotebookComment", { params: { id: subject.id }, body })
        : apiClient("createChartComment", { params: { id: subject.id }, body }),
    );
  const patch = (commentId: string, body: TRequest<"updateComment">["body"]) =>
    send(() => apiClient("updateComment", { params: { id: commentId }, body }));
  const all = threads ?? [];
  const visible = cellId ? all.filter((thread) => thread.cellId === cellId) : all;
  return (
    <section className="space-y-3" aria-label="Comments">
      {error && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {threads && visible.length === 0 && <p className="text-sm text-slate-500">No comments yet.</p>}
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
          <CommentView
            comment={thread}
            meId={meId}
            members={members}
            isFocused={thread.id === focusCommentId}
            onEdit={(body) => patch(thread.id, { body })}
          />
          {thread.replies.map((reply) => (
            <div key={reply.id} className="border-l-2 border-slate-200 pl-3">
              <CommentView
                comment={reply}
                meId={meId}
                members={members}
                isFocused={reply.id === focusCommentId}
                onEdit={(body) => patch(reply.id, { body })}
              />
            </div>
          ))}
          {canComment && (
            <div className="flex items-start gap-2">
              <CommentComposer
                label="Reply"
                placeholder="Reply… (@ to mention)"
                submitLabel="Reply"
                submitClassName="btn-secondary"
                isMultiline={false}
                members={members}
                meId={meId}
                className="flex flex-1 gap-2"
                onSubmit={(body) => post({ threadId: thread.id, body })}
              />
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
        <CommentComposer
          label="New comment"
          placeholder="Comment… (@ to mention a member)"
          submitLabel="Comment"
          members={members}
          meId={meId}
          className="space-y-2"
          onSubmit={(body) => post({ body, ...(cellId ? { cellId } : {}) })}
        />
      )}
    </section>
  );
}

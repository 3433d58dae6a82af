/**
 * Comment threads on notebook cells and on charts. A thread is a root comment plus replies;
 * cell threads anchor to the cell id, so they follow the cell when it moves. Bodies are markdown
 * stored as typed; pages render them as text-safe HTML. `@handle` (the part of a member's
 * email before the @) mentions a member, who gets a notification.
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { AppError } from "../errors.js";

export const ZCommentBody = z.string().trim().min(1, "a comment cannot be empty").max(10_000);

export const ZCreateCommentRequest = z.strictObject({
  body: ZCommentBody,
  cellId: z.string().max(64).optional().describe("The cell a new thread anchors to (notebooks)."),
  threadId: z.string().max(64).optional().describe("Reply to this thread instead of starting one."),
});

export const ZUpdateCommentRequest = z
  .strictObject({ body: ZCommentBody.optional(), resolved: z.boolean().optional() })
  .refine((value) => value.body !== undefined || value.resolved !== undefined, "send body or resolved");

export const ZComment = z.object({
  id: z.string(),
  threadId: z.string().nullable(),
  cellId: z.string().nullable(),
  body: z.string(),
  author: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  resolved: z.boolean(),
  mentions: z.array(z.string()).describe("User ids mentioned in the body."),
});
export type TComment = z.infer<typeof ZComment>;

export const ZThread = ZComment.extend({ replies: z.array(ZComment) });
export type TThread = z.infer<typeof ZThread>;

const COMMENT_SELECT = {
  id: true,
  threadId: true,
  cellId: true,
  body: true,
  createdAt: true,
  editedAt: true,
  resolvedAt: true,
  author: { select: { id: true, name: true } },
  notifications: { select: { userId: true } },
} as const;

type TCommentRow = {
  id: string;
  threadId: string | null;
  cellId: string | null;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  resolvedAt: Date | null;
  author: { id: string; name: string };
  notifications: { userId: string }[];
};

function toComment(row: TCommentRow): TComment {
  return {
    id: row.id,
    threadId: row.threadId,
    cellId: row.cellId,
    body: row.body,
    author: row.author,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    resolved: row.resolvedAt !== null,
    mentions: row.notifications.map((notification) => notification.userId),
  };
}

/** The `@handles` in a comment body (letters, digits, dot, dash, underscore, plus). */
export function findMentionHandles(body: string): string[] {
  return [
    ...new Set(
      [...body.matchAll(/(?:^|[^\w@])@([\w.+-]{1,64})/g)].map((match) => (match[1] ?? "").toLowerCase()),
    ),
  ];
}

type TSubject = { notebookId: string } | { chartId: string };

/** Lists the threads on a notebook or a chart, oldest first, each with its replies. */
export async function listThreads(prisma: PrismaClient, subject: TSubject): Promise<TThread[]> {
  const rows = await prisma.comment.findMany({
    where: subject,
    orderBy: { createdAt: "asc" },
    select: COMMENT_SELECT,
  });
  const threads = new Map<string, TThread>();
  for (const row of rows) if (!row.threadId) threads.set(row.id, { ...toComment(row), replies: [] });
  for (const row of rows) if (row.threadId) threads.get(row.threadId)?.replies.push(toComment(row));
  return [...threads.values()];
}

/** Adds a comment (a new thread, or a reply) and notifies the members it mentions. */
export async function createComment(
  prisma: PrismaClient,
  input: {
    projectId: string;
    authorId: string;
    subject: TSubject;
    body: string;
    cellId?: string;
    threadId?: string;
  },
): Promise<TComment> {
  let cellId = input.cellId ?? null;
  if (input.threadId) {
    const thread = await prisma.comment.findFirst({
      where: { id: input.threadId, threadId: null, ...input.subject },
      select: { cellId: true },
    });
    if (!thread) throw new AppError("not_found", "That thread does not exist here.");
    cellId = thread.cellId;
  } else if ("notebookId" in input.subject && !cellId) {
    throw new AppError("bad_request", "body.cellId: a new thread on a notebook anchors to a cell");
  }
  const handles = findMentionHandles(input.body);
  const mentioned =
    handles.length === 0
      ? []
      : (
          await prisma.projectMember.findMany({
            where: { projectId: input.projectId },
            select: { user: { select: { id: true, email: true } } },
          })
        )
          .map((member) => member.user)
          .filter(
            (user) =>
              handles.includes(user.email.split("@")[0]?.toLowerCase() ?? "") && user.id !== input.authorId,
          );
  const row = await prisma.comment.create({
    data: {
      projectId: input.projectId,
      ...input.subject,
      cellId,
      threadId: input.threadId ?? null,
      authorId: input.authorId,
      body: input.body,
      notifications: { create: mentioned.map((user) => ({ userId: user.id, kind: "mention" })) },
    },
    select: COMMENT_SELECT,
  });
  return toComment(row);
}

/** Edits one's own comment, or resolves/reopens a thread. */
export async function updateComment(
  prisma: PrismaClient,
  input: { commentId: string; actorId: string; body?: string; resolved?: boolean },
): Promise<TComment> {
  const comment = await prisma.comment.findUniqueOrThrow({
    where: { id: input.commentId },
    select: { authorId: true, threadId: true },
  });
  if (input.body !== undefined && comment.authorId !== input.actorId) {
    throw new AppError("forbidden", "You can only edit your own comments.");
  }
  if (input.resolved !== undefined && comment.threadId) {
    throw new AppError("bad_request", "Resolve the thread (its first comment), not a reply.");
  }
  const row = await prisma.comment.update({
    where: { id: input.commentId },
    data: {
      ...(input.body !== undefined ? { body: input.body, editedAt: new Date() } : {}),
      ...(input.resolved !== undefined ? { resolvedAt: input.resolved ? new Date() : null } : {}),
    },
    select: COMMENT_SELECT,
  });
  return toComment(row);
}

export const ZNotification = z.object({
  id: z.string(),
  kind: z.string(),
  read: z.boolean(),
  createdAt: z.string(),
  comment: z
    .object({
      id: z.string(),
      body: z.string(),
      author: z.string(),
      projectId: z.string(),
      notebookId: z.string().nullable(),
      chartId: z.string().nullable(),
      cellId: z.string().nullable(),
    })
    .nullable(),
});

/** A user's notifications, newest first (only from projects they still belong to). */
export async function listNotifications(
  prisma: PrismaClient,
  userId: string,
): Promise<z.infer<typeof ZNotification>[]> {
  const rows = await prisma.notification.findMany({
    where: { userId, OR: [{ commentId: null }, { comment: { project: { members: { some: { userId } } } } }] },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: {
      id: true,
      kind: true,
      readAt: true,
      createdAt: true,
      comment: {
        select: {
          id: true,
          body: true,
          projectId: true,
          notebookId: true,
          chartId: true,
          cellId: true,
          author: { select: { name: true } },
        },
      },
    },
  });
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    read: row.readAt !== null,
    createdAt: row.createdAt.toISOString(),
    comment: row.comment ? { ...row.comment, author: row.comment.author.name } : null,
  }));
}

/** Marks all of a user's notifications read. */
export async function markNotificationsRead(prisma: PrismaClient, userId: string): Promise<number> {
  return (
    await prisma.notification.updateMany({ where: { userId, readAt: null }, data: { readAt: new Date() } })
  ).count;
}

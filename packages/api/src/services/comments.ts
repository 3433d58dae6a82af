/**
 * Comment threads on notebook cells and on charts. A thread is a root comment plus replies;
 * cell threads anchor to the cell id, so they follow the cell when it moves. Bodies are markdown
 * stored as typed; pages render them as text-safe HTML. Mentions (`../mentions.ts`): a member
 * picked from the autocomplete is stored as `<@userId>`, and a typed `@Name`, `@handle` or email
 * that names exactly one project member mentions them too; each mentioned member gets a
 * notification once per comment.
 */
import type { PrismaClient } from "@flint/db";
import type { z } from "zod";
import type { TComment, TThread, ZNotification } from "../contract/comments.js";
import { AppError } from "../errors.js";
import { findMentionTokens, resolveMentions } from "../mentions.js";

const COMMENT_SELECT = {
  id: true,
  threadId: true,
  cellId: true,
  body: true,
  createdAt: true,
  editedAt: true,
  resolvedAt: true,
  author: { select: { id: true, name: true } },
  projectId: true,
  notifications: { select: { userId: true, user: { select: { name: true } } } },
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
  projectId: string;
  notifications: { userId: string; user: { name: string } }[];
};

/** Names of members per project, for showing `<@userId>` tokens. */
type TMemberNames = Map<string, Map<string, string>>;

/**
 * The names of the people the tokens in `rows` mention: current members of each row's project,
 * and whoever a comment notified (a member when it was written). Anyone else stays unnamed, so
 * a token typed by hand cannot reveal the name of a user outside the project.
 */
async function loadMemberNames(
  prisma: PrismaClient,
  rows: readonly { projectId: string; body: string }[],
): Promise<TMemberNames> {
  const ids = [...new Set(rows.flatMap((row) => findMentionTokens(row.body)))];
  const names: TMemberNames = new Map();
  if (ids.length === 0) return names;
  const members = await prisma.projectMember.findMany({
    where: { userId: { in: ids }, projectId: { in: [...new Set(rows.map((row) => row.projectId))] } },
    select: { projectId: true, user: { select: { id: true, name: true } } },
  });
  for (const member of members) {
    const project = names.get(member.projectId) ?? new Map<string, string>();
    project.set(member.user.id, member.user.name);
    names.set(member.projectId, project);
  }
  return names;
}

function mentionNamesOf(
  row: { projectId: string; body: string; notifications: { userId: string; user: { name: string } }[] },
  members: TMemberNames,
): Record<string, string> {
  const names: Record<string, string> = {};
  for (const id of findMentionTokens(row.body)) {
    const name =
      members.get(row.projectId)?.get(id) ??
      row.notifications.find((notification) => notification.userId === id)?.user.name;
    if (name !== undefined) names[id] = name;
  }
  return names;
}

function toComment(row: TCommentRow, members: TMemberNames): TComment {
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
    mentionNames: mentionNamesOf(row, members),
  };
}

/** The members of a project a body mentions, leaving out its author. */
async function findMentioned(
  prisma: PrismaClient,
  projectId: string,
  authorId: string,
  body: string,
): Promise<string[]> {
  if (!body.includes("@")) return [];
  const members = await prisma.projectMember.findMany({
    where: { projectId },
    select: { user: { select: { id: true, name: true, email: true } } },
  });
  return resolveMentions(
    body,
    members.map((member) => member.user),
  ).filter((userId) => userId !== authorId);
}

type TSubject = { notebookId: string } | { chartId: string };

/** Lists the threads on a notebook or a chart, oldest first, each with its replies. */
export async function listThreads(prisma: PrismaClient, subject: TSubject): Promise<TThread[]> {
  const rows = await prisma.comment.findMany({
    where: subject,
    orderBy: { createdAt: "asc" },
    select: COMMENT_SELECT,
  });
  const members = await loadMemberNames(prisma, rows);
  const threads = new Map<string, TThread>();
  for (const row of rows) if (!row.threadId) threads.set(row.id, { ...toComment(row, members), replies: [] });
  for (const row of rows) if (row.threadId) threads.get(row.threadId)?.replies.push(toComment(row, members));
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
  const mentioned = await findMentioned(prisma, input.projectId, input.authorId, input.body);
  const row = await prisma.comment.create({
    data: {
      projectId: input.projectId,
      ...input.subject,
      cellId,
      threadId: input.threadId ?? null,
      authorId: input.authorId,
      body: input.body,
      notifications: { create: mentioned.map((userId) => ({ userId, kind: "mention" })) },
    },
    select: COMMENT_SELECT,
  });
  return toComment(row, await loadMemberNames(prisma, [row]));
}

/**
 * Edits one's own comment, or resolves/reopens a thread. Members an edit mentions for the first
 * time are notified; nobody is notified twice for one comment.
 */
export async function updateComment(
  prisma: PrismaClient,
  input: { commentId: string; actorId: string; body?: string; resolved?: boolean },
): Promise<TComment> {
  const comment = await prisma.comment.findUniqueOrThrow({
    where: { id: input.commentId },
    select: { authorId: true, threadId: true, projectId: true, notifications: { select: { userId: true } } },
  });
  if (input.body !== undefined && comment.authorId !== input.actorId) {
    throw new AppError("forbidden", "You can only edit your own comments.");
  }
  if (input.resolved !== undefined && comment.threadId) {
    throw new AppError("bad_request", "Resolve the thread (its first comment), not a reply.");
  }
  const notified = new Set(comment.notifications.map((notification) => notification.userId));
  const newlyMentioned =
    input.body === undefined
      ? []
      : (await findMentioned(prisma, comment.projectId, comment.authorId, input.body)).filter(
          (userId) => !notified.has(userId),
        );
  const row = await prisma.comment.update({
    where: { id: input.commentId },
    data: {
      ...(input.body !== undefined ? { body: input.body, editedAt: new Date() } : {}),
      ...(input.resolved !== undefined ? { resolvedAt: input.resolved ? new Date() : null } : {}),
      notifications: { create: newlyMentioned.map((userId) => ({ userId, kind: "mention" })) },
    },
    select: COMMENT_SELECT,
  });
  return toComment(row, await loadMemberNames(prisma, [row]));
}

/** A user's notifications, newest first (only from projects they still belong to). */
export async function listNotifications(
  prisma: PrismaClient,
  userId: string,
): Promise<z.infer<typeof ZNotification>[]> {
  const rows = await prisma.notification.findMany({
    where: {
      userId,
      OR: [
        { commentId: null, jobRunId: null },
        { comment: { project: { members: { some: { userId } } } } },
        { jobRun: { job: { project: { members: { some: { userId } } } } } },
      ],
    },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: {
      id: true,
      kind: true,
      readAt: true,
      createdAt: true,
      jobRun: {
        select: { id: true, status: true, error: true, job: { select: { name: true, projectId: true } } },
      },
      comment: {
        select: {
          id: true,
          body: true,
          projectId: true,
          notebookId: true,
          chartId: true,
          cellId: true,
          threadId: true,
          author: { select: { name: true } },
          notifications: { select: { userId: true, user: { select: { name: true } } } },
        },
      },
    },
  });
  const members = await loadMemberNames(
    prisma,
    rows.flatMap((row) => (row.comment ? [row.comment] : [])),
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    read: row.readAt !== null,
    createdAt: row.createdAt.toISOString(),
    jobRun: row.jobRun
      ? {
          id: row.jobRun.id,
          jobName: row.jobRun.job.name,
          projectId: row.jobRun.job.projectId,
          status: row.jobRun.status,
          error: row.jobRun.error,
        }
      : null,
    comment: row.comment
      ? {
          id: row.comment.id,
          body: row.comment.body,
          author: row.comment.author.name,
          projectId: row.comment.projectId,
          notebookId: row.comment.notebookId,
          chartId: row.comment.chartId,
          cellId: row.comment.cellId,
          threadId: row.comment.threadId,
          mentionNames: mentionNamesOf(row.comment, members),
        }
      : null,
  }));
}

/** Marks all of a user's notifications read. */
export async function markNotificationsRead(prisma: PrismaClient, userId: string): Promise<number> {
  return (
    await prisma.notification.updateMany({ where: { userId, readAt: null }, data: { readAt: new Date() } })
  ).count;
}

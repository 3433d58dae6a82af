/**
 * The activity feed: what happened in a project, newest first. Entries copy the names they show,
 * so the feed still reads right after a rename or a delete. Names are data: pages render them
 * as text (SECURITY.md case 9).
 */
import type { Prisma, PrismaClient } from "@flint/db";
import type { TActivity } from "../contract/projects.js";
import { AppError } from "../errors.js";

type TDb = PrismaClient | Prisma.TransactionClient;

export const ACTIVITY_KINDS = [
  "project.created",
  "project.updated",
  "notebook.created",
  "notebook.imported",
  "notebook.edited",
  "notebook.run",
  "notebook.checkpoint",
  "notebook.restored",
  "notebook.renamed",
  "notebook.duplicated",
  "notebook.trashed",
  "notebook.untrashed",
  "notebook.deleted",
  "member.added",
  "member.role_changed",
  "member.removed",
  "chart.saved",
  "chart.published",
  "notebook.published",
  "comment.added",
] as const;
export type TActivityKind = (typeof ACTIVITY_KINDS)[number];

// Saving every few seconds must not flood the feed: edits by one person to one notebook within
// this window update one entry.
const EDIT_COALESCE_MS = 10 * 60 * 1000;

/** Records one activity entry (inside the caller's transaction when given one). */
export async function recordActivity(
  db: TDb,
  entry: {
    projectId: string;
    actorId: string;
    kind: TActivityKind;
    subjectType: string;
    subjectId: string;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  const details = (entry.details ?? {}) as Prisma.InputJsonValue;
  if (entry.kind === "notebook.edited" || entry.kind === "notebook.run") {
    const recent = await db.activity.findFirst({
      where: {
        projectId: entry.projectId,
        actorId: entry.actorId,
        kind: entry.kind,
        subjectId: entry.subjectId,
        createdAt: { gte: new Date(Date.now() - EDIT_COALESCE_MS) },
      },
      select: { id: true },
    });
    if (recent) {
      await db.activity.update({ where: { id: recent.id }, data: { createdAt: new Date(), details } });
      return;
    }
  }
  await db.activity.create({
    data: {
      projectId: entry.projectId,
      actorId: entry.actorId,
      kind: entry.kind,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId,
      details,
    },
  });
}

/** A page of a project's feed, newest first; `before` is the `nextCursor` of the previous page. */
export async function listActivity(
  prisma: PrismaClient,
  where: { projectId: string } | { actorId: string; visibleTo: string },
  page: { limit: number; before?: string },
): Promise<{ items: TActivity[]; nextCursor: string | null }> {
  const cursor = page.before ? decodeCursor(page.before) : null;
  if (page.before && !cursor)
    throw new AppError(
      "bad_request",
      "query.before: not a cursor from this feed; omit it for the first page.",
    );
  const rows = await prisma.activity.findMany({
    where: {
      ...("projectId" in where
        ? { projectId: where.projectId }
        : // A user's own feed only shows projects the viewer can see too.
          { actorId: where.actorId, project: { members: { some: { userId: where.visibleTo } } } }),
      ...(cursor
        ? {
            OR: [
              { createdAt: { lt: cursor.createdAt } },
              { createdAt: cursor.createdAt, id: { lt: cursor.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: page.limit + 1,
    select: {
      id: true,
      kind: true,
      subjectType: true,
      subjectId: true,
      details: true,
      createdAt: true,
      actor: { select: { id: true, name: true } },
    },
  });
  const items = rows.slice(0, page.limit).map((row) => ({
    ...row,
    details: (row.details ?? {}) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
  }));
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(last.createdAt, last.id) : null };
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString("base64url");
}

function decodeCursor(value: string): { createdAt: Date; id: string } | null {
  const [iso, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  return id && !Number.isNaN(createdAt.getTime()) ? { createdAt, id } : null;
}

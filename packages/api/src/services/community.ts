/**
 * The community: notebooks and charts a project admin published read-only, stars, and forks of
 * published notebooks into projects the forking user edits.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import { z } from "zod";
import { recordActivity } from "./activity.js";

export const ZSubjectType = z.enum(["notebook", "chart"]);
export type TSubjectType = z.infer<typeof ZSubjectType>;

/** Publishes or unpublishes a notebook or chart. */
export async function setPublished(
  prisma: PrismaClient,
  input: { type: TSubjectType; id: string; projectId: string; actorId: string; isPublished: boolean },
): Promise<{ published: boolean }> {
  const publishedAt = input.isPublished ? new Date() : null;
  const name =
    input.type === "notebook"
      ? (
          await prisma.notebook.update({
            where: { id: input.id },
            data: { publishedAt },
            select: { name: true },
          })
        ).name
      : (
          await prisma.chart.update({
            where: { id: input.id },
            data: { publishedAt },
            select: { title: true },
          })
        ).title;
  if (input.isPublished) {
    await recordActivity(prisma, {
      projectId: input.projectId,
      actorId: input.actorId,
      kind: input.type === "notebook" ? "notebook.published" : "chart.published",
      subjectType: input.type,
      subjectId: input.id,
      details: { name },
    });
  }
  return { published: input.isPublished };
}

/** Stars (or unstars) a published item; returns its star count. */
export async function setStar(
  prisma: PrismaClient,
  input: { type: TSubjectType; id: string; userId: string; isStarred: boolean },
): Promise<{ starred: boolean; stars: number }> {
  const key = { userId: input.userId, subjectType: input.type, subjectId: input.id };
  if (input.isStarred) {
    await prisma.star.upsert({ where: { userId_subjectType_subjectId: key }, create: key, update: {} });
  } else {
    await prisma.star.deleteMany({ where: key });
  }
  const stars = await prisma.star.count({ where: { subjectType: input.type, subjectId: input.id } });
  return { starred: input.isStarred, stars };
}

export const ZCommunityItem = z.object({
  type: ZSubjectType,
  id: z.string(),
  title: z.string(),
  description: z.string(),
  author: z.string(),
  projectName: z.string(),
  stars: z.number().int(),
  publishedAt: z.string(),
});
export type TCommunityItem = z.infer<typeof ZCommunityItem>;

export const ZCommunityQuery = z.object({
  q: z.string().trim().max(200).optional(),
  sort: z.enum(["stars", "recent"]).default("recent"),
  type: ZSubjectType.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

/**
 * Published notebooks and charts, searchable by title and description, sorted by stars or by
 * publication time. One SQL query with a UNION so sorting and paging happen in PostgreSQL.
 */
export async function listCommunity(
  prisma: PrismaClient,
  query: z.infer<typeof ZCommunityQuery>,
): Promise<TCommunityItem[]> {
  const pattern = query.q ? `%${query.q.replace(/[\\%_]/g, (char) => `\\${char}`)}%` : null;
  // Stars are counted once per query in a grouped CTE (not per row); for "recent", each branch
  // takes its newest rows first through the publishedAt indexes before the union is sorted.
  const branchLimit = query.sort === "recent" ? 'order by "publishedAt" desc limit $3' : "";
  const rows = await prisma.$queryRawUnsafe<
    {
      type: TSubjectType;
      id: string;
      title: string;
      description: string;
      author: string;
      project_name: string;
      stars: bigint;
      published_at: Date;
    }[]
  >(
    `with counts as (
       select "subjectType" as type, "subjectId" as id, count(*) as stars from star group by 1, 2
     ),
     items as (
       (select 'notebook' as type, n.id, n.name as title, p.description as description, u.name as author,
               p.name as project_name, n."publishedAt" as "publishedAt"
          from notebook n join project p on p.id = n."projectId" join "user" u on u.id = n."createdById"
         where n."publishedAt" is not null and ($2::text is null or $2 = 'notebook')
           and ($1::text is null or n.name ilike $1 or p.description ilike $1)
         ${branchLimit})
       union all
       (select 'chart', c.id, c.title, c.description, u.name, p.name, c."publishedAt"
          from chart c join project p on p.id = c."projectId" join "user" u on u.id = c."createdById"
         where c."publishedAt" is not null and ($2::text is null or $2 = 'chart')
           and ($1::text is null or c.title ilike $1 or c.description ilike $1)
         ${branchLimit})
     )
     select items.type, items.id, items.title, items.description, items.author, items.project_name,
            items."publishedAt" as published_at, coalesce(counts.stars, 0) as stars
       from items left join counts on counts.type = items.type and counts.id = items.id
      order by ${query.sort === "stars" ? "stars desc, published_at desc" : "published_at desc"}
      limit $3`,
    pattern,
    query.type ?? null,
    query.limit,
  );
  return rows.map((row) => ({
    type: row.type,
    id: row.id,
    title: row.title,
    description: row.description,
    author: row.author,
    projectName: row.project_name,
    stars: Number(row.stars),
    publishedAt: row.published_at.toISOString(),
  }));
}

/** Copies a notebook (sources, metadata, outputs) into a project; the copy says where it came from. */
export async function forkNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; targetProjectId: string; userId: string; name?: string },
): Promise<{ id: string; projectId: string; name: string; forkedFromId: string }> {
  return await prisma.$transaction(async (tx) => {
    const source = await tx.notebook.findUniqueOrThrow({
      where: { id: input.notebookId },
      select: {
        name: true,
        cells: true,
        metadata: true,
        outputs: {
          select: { cellId: true, outputs: true, executionCount: true, startedAt: true, endedAt: true },
        },
      },
    });
    const copy = await tx.notebook.create({
      data: {
        projectId: input.targetProjectId,
        name: input.name ?? `${source.name} (fork)`,
        cells: source.cells as Prisma.InputJsonValue,
        metadata: source.metadata as Prisma.InputJsonValue,
        createdById: input.userId,
        forkedFromId: input.notebookId,
      },
      select: { id: true, projectId: true, name: true },
    });
    if (source.outputs.length > 0) {
      await tx.cellOutput.createMany({
        data: source.outputs.map((output) => ({
          notebookId: copy.id,
          cellId: output.cellId,
          outputs: output.outputs as Prisma.InputJsonValue,
          executionCount: output.executionCount,
          // When the outputs were made, as a downloaded file keeps it; not who ran them.
          startedAt: output.startedAt,
          endedAt: output.endedAt,
        })),
      });
    }
    await recordActivity(tx, {
      projectId: input.targetProjectId,
      actorId: input.userId,
      kind: "notebook.created",
      subjectType: "notebook",
      subjectId: copy.id,
      details: { name: copy.name, forkedFrom: source.name },
    });
    return { ...copy, forkedFromId: input.notebookId };
  });
}

/**
 * The community: notebooks and charts a project admin published read-only, stars, and forks of
 * published notebooks into projects the forking user edits.
 *
 * A published notebook is a snapshot (SECURITY.md case 34): publishing copies its name, version,
 * sources and outputs into the `published*` columns, and everything the public reads comes from
 * there, so edits made afterwards stay private until an admin publishes again.
 */
import { Prisma, type PrismaClient } from "@flint/db";
import { exportIpynb, type TNotebook } from "@flint/notebook";
import type { z } from "zod";
import type {
  TCommunityItem,
  TPublishedNotebook,
  TSubjectType,
  ZCommunityQuery,
} from "../contract/community.js";
import type { TCreateProjectRequest } from "../contract/projects.js";
import { AppError } from "../errors.js";
import { recordActivity } from "./activity.js";
import { loadNotebook, splitNotebook, type TNotebookContent, toIpynbFile } from "./notebooks.js";
import { createProjectIn } from "./projects.js";

/**
 * Publishes a notebook as it is now, or republishes it: one repeatable-read transaction reads
 * its sources and outputs (so they come from the same moment) and stores them as the snapshot
 * the community sees, replacing any earlier one.
 */
export async function publishNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; projectId: string; actorId: string },
): Promise<{ published: boolean }> {
  // A save that lands between the read and the write fails the repeatable-read transaction: the
  // snapshot is simply taken again (the notebook keeps changing only while someone types).
  for (let attempt = 1; ; attempt += 1) {
    try {
      await writeSnapshot(prisma, input);
      return { published: true };
    } catch (error) {
      if (!isSerializationFailure(error)) throw error;
      if (attempt === 3)
        throw new AppError(
          "conflict",
          "The notebook kept changing while it was being published; publish it again in a moment.",
        );
    }
  }
}

/** PostgreSQL's serialization failure, as surfaced through Prisma's driver adapter. */
function isSerializationFailure(error: unknown): boolean {
  const text = `${(error as { code?: string })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /P2034|40001|could not serialize/i.test(text);
}

async function writeSnapshot(
  prisma: PrismaClient,
  input: { notebookId: string; projectId: string; actorId: string },
): Promise<void> {
  await prisma.$transaction(
    async (tx) => {
      const { summary, model } = await loadNotebook(tx, input.notebookId);
      await tx.notebook.update({
        where: { id: input.notebookId },
        data: {
          publishedAt: new Date(),
          publishedName: summary.name,
          publishedVersion: summary.version,
          publishedSnapshot: model as unknown as Prisma.InputJsonValue,
        },
        select: { id: true },
      });
      await recordActivity(tx, {
        projectId: input.projectId,
        actorId: input.actorId,
        kind: "notebook.published",
        subjectType: "notebook",
        subjectId: input.notebookId,
        details: { name: summary.name, version: summary.version, republished: summary.published },
      });
    },
    { isolationLevel: "RepeatableRead" },
  );
}

/** Publishes a chart, or unpublishes a chart or a notebook (a notebook's snapshot is dropped). */
export async function setPublished(
  prisma: PrismaClient,
  input: { type: TSubjectType; id: string; projectId: string; actorId: string; isPublished: boolean },
): Promise<{ published: boolean }> {
  if (input.type === "notebook") {
    if (input.isPublished) return await publishNotebook(prisma, { notebookId: input.id, ...input });
    await prisma.notebook.update({
      where: { id: input.id },
      data: {
        publishedAt: null,
        publishedName: null,
        publishedVersion: null,
        publishedSnapshot: Prisma.DbNull,
      },
      select: { id: true },
    });
    return { published: false };
  }
  const chart = await prisma.chart.update({
    where: { id: input.id },
    data: { publishedAt: input.isPublished ? new Date() : null },
    select: { title: true },
  });
  if (input.isPublished) {
    await recordActivity(prisma, {
      projectId: input.projectId,
      actorId: input.actorId,
      kind: "chart.published",
      subjectType: "chart",
      subjectId: input.id,
      details: { name: chart.title },
    });
  }
  return { published: input.isPublished };
}

type TPublishedRow = {
  id: string;
  projectId: string;
  createdAt: Date;
  name: string;
  version: number;
  publishedAt: Date;
  model: TNotebook;
  author: string;
  projectName: string;
};

/**
 * Reads the published snapshot of a notebook.
 * @throws AppError 404 when the notebook is not published (members can read it, but there is
 *   no public copy to show).
 */
async function readPublished(prisma: PrismaClient, notebookId: string): Promise<TPublishedRow> {
  const row = await prisma.notebook.findUnique({
    where: { id: notebookId },
    select: {
      id: true,
      projectId: true,
      createdAt: true,
      publishedAt: true,
      publishedName: true,
      publishedVersion: true,
      publishedSnapshot: true,
      createdBy: { select: { name: true } },
      project: { select: { name: true } },
    },
  });
  // The check constraint sets all four together; testing each keeps the types honest.
  if (
    !row?.publishedAt ||
    row.publishedName === null ||
    row.publishedVersion === null ||
    row.publishedSnapshot === null
  )
    throw new AppError("not_found", "This notebook is not published.");
  return {
    id: row.id,
    projectId: row.projectId,
    createdAt: row.createdAt,
    name: row.publishedName,
    version: row.publishedVersion,
    publishedAt: row.publishedAt,
    model: row.publishedSnapshot as unknown as TNotebook,
    author: row.createdBy.name,
    projectName: row.project.name,
  };
}

/** The published snapshot of a notebook, for the community page (the same for every reader). */
export async function getPublishedNotebook(
  prisma: PrismaClient,
  notebookId: string,
): Promise<TPublishedNotebook> {
  const row = await readPublished(prisma, notebookId);
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    author: row.author,
    projectName: row.projectName,
    publishedAt: row.publishedAt.toISOString(),
    notebook: exportIpynb(row.model) as unknown as Record<string, unknown>,
  };
}

/**
 * The published snapshot in the shape of `GET /notebooks/{id}`, for readers who are not members:
 * they get what the community page shows, never the live notebook. Nothing beyond the snapshot
 * is told (no fork origin, no run statuses).
 */
export async function getPublishedNotebookDocument(
  prisma: PrismaClient,
  notebookId: string,
): Promise<TNotebookContent> {
  const row = await readPublished(prisma, notebookId);
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    version: row.version,
    cellCount: row.model.cells.length,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.publishedAt.toISOString(),
    lastOpenedAt: null,
    published: true,
    publishedVersion: row.version,
    forkedFrom: null,
    notebook: exportIpynb(row.model) as unknown as Record<string, unknown>,
    cellStatus: {},
    // Who ran what, and when, is the live notebook's: not part of what was published.
    cellExecution: {},
  };
}

/** The published snapshot of a notebook as an `.ipynb` file, for readers who are not members. */
export async function exportPublishedNotebookFile(
  prisma: PrismaClient,
  notebookId: string,
): Promise<{ fileName: string; text: string }> {
  const { name, model } = await readPublishedModel(prisma, notebookId);
  return toIpynbFile(name, model);
}

/** The published snapshot of a notebook as Flint's model and its published name. */
export async function readPublishedModel(
  prisma: PrismaClient,
  notebookId: string,
): Promise<{ name: string; model: TNotebook }> {
  const row = await readPublished(prisma, notebookId);
  return { name: row.name, model: row.model };
}

/** Whether `userId` starred an item, and how many people did. */
export async function getStar(
  prisma: PrismaClient,
  input: { type: TSubjectType; id: string; userId: string },
): Promise<{ starred: boolean; stars: number }> {
  const [mine, stars] = await Promise.all([
    prisma.star.findUnique({
      where: {
        userId_subjectType_subjectId: { userId: input.userId, subjectType: input.type, subjectId: input.id },
      },
      select: { userId: true },
    }),
    prisma.star.count({ where: { subjectType: input.type, subjectId: input.id } }),
  ]);
  return { starred: mine !== null, stars };
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
  // A notebook is listed under the name it was published with, like its page shows it.
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
       (select 'notebook' as type, n.id, n."publishedName" as title, p.description as description,
               u.name as author, p.name as project_name, n."publishedAt" as "publishedAt"
          from notebook n join project p on p.id = n."projectId" join "user" u on u.id = n."createdById"
         where n."publishedAt" is not null and n."deletedAt" is null and ($2::text is null or $2 = 'notebook')
           and ($1::text is null or n."publishedName" ilike $1 or p.description ilike $1)
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

/** Where {@link forkNotebook} puts the copy. */
export type TForkTarget = { projectId: string } | { newProject: TCreateProjectRequest };

/**
 * Copies a notebook (sources, metadata, outputs) into a project, or into a new project created
 * in the same transaction (nothing is left behind if the copy fails); the copy says where it
 * came from. `from: "published"` copies the published snapshot: what a reader who is not a
 * member can see.
 */
export async function forkNotebook(
  prisma: PrismaClient,
  input: {
    notebookId: string;
    target: TForkTarget;
    userId: string;
    name?: string | undefined;
    from: "live" | "published";
  },
): Promise<{ id: string; projectId: string; name: string; forkedFromId: string }> {
  const published = input.from === "published" ? await readPublishedModel(prisma, input.notebookId) : null;
  return await prisma.$transaction(async (tx) => {
    const source = published
      ? publishedSource(published)
      : await tx.notebook.findUniqueOrThrow({
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
    const targetProjectId =
      "projectId" in input.target
        ? input.target.projectId
        : (await createProjectIn(tx, input.userId, input.target.newProject)).id;
    const copy = await tx.notebook.create({
      data: {
        projectId: targetProjectId,
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
      projectId: targetProjectId,
      actorId: input.userId,
      kind: "notebook.created",
      subjectType: "notebook",
      subjectId: copy.id,
      details: { name: copy.name, forkedFrom: source.name },
    });
    return { ...copy, forkedFromId: input.notebookId };
  });
}

/** A published snapshot in the shape of a stored notebook: the document and its cells' outputs. */
function publishedSource(published: { name: string; model: TNotebook }): {
  name: string;
  cells: Prisma.JsonValue;
  metadata: Prisma.JsonValue;
  outputs: {
    cellId: string;
    outputs: Prisma.JsonValue;
    executionCount: number | null;
    startedAt: Date | null;
    endedAt: Date | null;
  }[];
} {
  const { cells, metadata, outputs } = splitNotebook(published.model);
  return {
    name: published.name,
    cells: cells as Prisma.JsonValue,
    metadata: metadata as Prisma.JsonValue,
    outputs: outputs
      .filter((entry) => entry.outputs.length > 0 || entry.executionCount !== null)
      .map((entry) => ({
        cellId: entry.cellId,
        outputs: entry.outputs as Prisma.JsonValue,
        executionCount: entry.executionCount,
        startedAt: entry.times ? new Date(entry.times.startedAt) : null,
        endedAt: entry.times?.endedAt ? new Date(entry.times.endedAt) : null,
      })),
  };
}

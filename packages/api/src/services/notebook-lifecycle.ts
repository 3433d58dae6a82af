/**
 * A notebook's life in its project: names (unique among the project's notebooks, "Untitled" when
 * none is given), rename, duplicate, and the trash (soft delete, restore, delete forever, purge
 * after {@link TRASH_RETENTION_DAYS} days). The decisions are in docs/notebooks.md.
 */
import type { Prisma, PrismaClient } from "@flint/db";
import { accessChanged } from "../access-cache.js";
import { MAX_NOTEBOOK_NAME, type TTrashedNotebook } from "../contract/notebooks.js";
import { AppError } from "../errors.js";
import { recordActivity } from "./activity.js";

type TDb = PrismaClient | Prisma.TransactionClient;

/** Days a notebook stays in the trash before it is deleted for good. */
export const TRASH_RETENTION_DAYS = 30;

/** The name a notebook gets when it is created without one (then "Untitled 1", "Untitled 2"...). */
export const UNTITLED = "Untitled";

/**
 * Serializes name choices within one project: two creates at once must not both take
 * "Untitled 3". A transaction-scoped advisory lock, released at commit.
 */
export async function lockProjectNames(tx: Prisma.TransactionClient, projectId: string): Promise<void> {
  await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`notebook-names:${projectId}`}))`;
}

/** Lower-cased names of a project's live notebooks (the trash does not hold names). */
async function takenNames(db: TDb, projectId: string, exceptId?: string): Promise<Set<string>> {
  const rows = await db.notebook.findMany({
    where: { projectId, deletedAt: null, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { name: true },
  });
  return new Set(rows.map((row) => row.name.toLowerCase()));
}

/** `base` cut so that `base + suffix` fits the name limit. */
function fit(base: string, suffix: string): string {
  return base.slice(0, MAX_NOTEBOOK_NAME - suffix.length).trimEnd() + suffix;
}

/**
 * A free name in the project for `wanted`: `wanted` itself when no live notebook has it (names
 * compare case-insensitively), else the first free of `wanted (2)`, `wanted (3)`...; with no name,
 * JupyterLab's "Untitled", "Untitled 1", "Untitled 2"...
 */
export async function chooseNotebookName(db: TDb, projectId: string, wanted?: string): Promise<string> {
  const taken = await takenNames(db, projectId);
  const base = wanted?.trim() || "";
  if (!base) {
    if (!taken.has(UNTITLED.toLowerCase())) return UNTITLED;
    for (let n = 1; ; n += 1) if (!taken.has(`${UNTITLED} ${n}`.toLowerCase())) return `${UNTITLED} ${n}`;
  }
  if (!taken.has(base.toLowerCase())) return fit(base, "");
  for (let n = 2; ; n += 1) {
    const candidate = fit(base, ` (${n})`);
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/** The name of a duplicate of `name`: "X (copy)", then "X (copy 2)", "X (copy 3)"... */
async function chooseCopyName(db: TDb, projectId: string, name: string): Promise<string> {
  const taken = await takenNames(db, projectId);
  for (let n = 1; ; n += 1) {
    const candidate = fit(name, n === 1 ? " (copy)" : ` (copy ${n})`);
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/**
 * Refuses a rename to a name another live notebook of the project has.
 * @throws AppError 409 naming the clash and what to do.
 */
export async function assertNameFree(db: TDb, projectId: string, name: string, notebookId: string) {
  if ((await takenNames(db, projectId, notebookId)).has(name.toLowerCase())) {
    throw new AppError(
      "conflict",
      `A notebook named '${name}' already exists in this project; choose another name.`,
      { field: "name" },
    );
  }
}

/** Renames a notebook (names are unique in a project), without touching its content or version. */
export async function renameNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string; name: string },
): Promise<{ id: string; name: string }> {
  return await prisma.$transaction(async (tx) => {
    const current = await tx.notebook.findUniqueOrThrow({
      where: { id: input.notebookId },
      select: { projectId: true, name: true },
    });
    if (current.name === input.name) return { id: input.notebookId, name: current.name };
    await lockProjectNames(tx, current.projectId);
    await assertNameFree(tx, current.projectId, input.name, input.notebookId);
    const row = await tx.notebook.update({
      where: { id: input.notebookId },
      data: { name: input.name },
      select: { id: true, name: true, projectId: true },
    });
    await recordActivity(tx, {
      projectId: row.projectId,
      actorId: input.actorId,
      kind: "notebook.renamed",
      subjectType: "notebook",
      subjectId: row.id,
      details: { name: row.name, from: current.name },
    });
    return { id: row.id, name: row.name };
  });
}

/**
 * Copies a notebook (sources, metadata, outputs and run times; not its checkpoints, comments,
 * stars or published state) into the same project as a new notebook. Returns the new id.
 */
export async function duplicateNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string; name?: string },
): Promise<string> {
  return await prisma.$transaction(async (tx) => {
    const source = await tx.notebook.findUniqueOrThrow({
      where: { id: input.notebookId },
      select: {
        projectId: true,
        name: true,
        cells: true,
        metadata: true,
        outputs: {
          // A cell still running or queued in the source has no finished output to copy.
          select: {
            cellId: true,
            outputs: true,
            executionCount: true,
            status: true,
            startedAt: true,
            endedAt: true,
            ranById: true,
          },
        },
      },
    });
    await lockProjectNames(tx, source.projectId);
    const name = input.name
      ? await chooseNotebookName(tx, source.projectId, input.name)
      : await chooseCopyName(tx, source.projectId, source.name);
    const copy = await tx.notebook.create({
      data: {
        projectId: source.projectId,
        name,
        createdById: input.actorId,
        cells: source.cells as Prisma.InputJsonValue,
        metadata: source.metadata as Prisma.InputJsonValue,
      },
      select: { id: true },
    });
    if (source.outputs.length > 0) {
      await tx.cellOutput.createMany({
        data: source.outputs.map((entry) => ({
          notebookId: copy.id,
          cellId: entry.cellId,
          outputs: entry.outputs as Prisma.InputJsonValue,
          executionCount: entry.executionCount,
          status: entry.status === "running" || entry.status === "queued" ? "cancelled" : entry.status,
          startedAt: entry.startedAt,
          endedAt: entry.endedAt,
          ranById: entry.ranById,
        })),
      });
    }
    await tx.project.update({ where: { id: source.projectId }, data: { updatedAt: new Date() } });
    await recordActivity(tx, {
      projectId: source.projectId,
      actorId: input.actorId,
      kind: "notebook.duplicated",
      subjectType: "notebook",
      subjectId: copy.id,
      details: { name, from: source.name },
    });
    return copy.id;
  });
}

/** Moves a notebook to its project's trash. Its kernel is the caller's to shut down. */
export async function trashNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string },
): Promise<TTrashedNotebook> {
  const trashed = await prisma.$transaction(async (tx) => {
    const row = await tx.notebook.update({
      where: { id: input.notebookId },
      data: { deletedAt: new Date() },
      select: TRASHED_SELECT,
    });
    await recordActivity(tx, {
      projectId: row.projectId,
      actorId: input.actorId,
      kind: "notebook.trashed",
      subjectType: "notebook",
      subjectId: row.id,
      details: { name: row.name },
    });
    return toTrashed(row);
  });
  // Open sockets on it stop taking commands at once (access-cache.ts).
  accessChanged();
  return trashed;
}

/**
 * Brings a notebook back from the trash. When another notebook took its name meanwhile, it comes
 * back as "name (2)" (the answer carries the name it got).
 * @throws AppError 409 when the notebook is not in the trash.
 */
export async function restoreNotebook(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string },
): Promise<{ id: string; projectId: string; name: string }> {
  const restored = await prisma.$transaction(async (tx) => {
    const current = await tx.notebook.findUniqueOrThrow({
      where: { id: input.notebookId },
      select: { projectId: true, name: true, deletedAt: true },
    });
    if (!current.deletedAt) throw new AppError("conflict", "This notebook is not in the trash.");
    await lockProjectNames(tx, current.projectId);
    const name = await chooseNotebookName(tx, current.projectId, current.name);
    const row = await tx.notebook.update({
      where: { id: input.notebookId },
      data: { deletedAt: null, name },
      select: { id: true, projectId: true, name: true },
    });
    await recordActivity(tx, {
      projectId: row.projectId,
      actorId: input.actorId,
      kind: "notebook.untrashed",
      subjectType: "notebook",
      subjectId: row.id,
      details: { name: row.name },
    });
    return row;
  });
  accessChanged();
  return restored;
}

/**
 * Deletes a notebook in the trash for good: its outputs, checkpoints, comments and lineage go
 * with it (foreign keys cascade), its stars are removed, forks keep their content.
 * @throws AppError 409 when the notebook is not in the trash (move it there first).
 */
export async function deleteNotebookForever(
  prisma: PrismaClient,
  input: { notebookId: string; actorId: string },
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const row = await tx.notebook.findUniqueOrThrow({
      where: { id: input.notebookId },
      select: { projectId: true, name: true, deletedAt: true },
    });
    if (!row.deletedAt)
      throw new AppError(
        "conflict",
        "Only a notebook in the trash can be deleted forever; move it there first.",
      );
    await tx.star.deleteMany({ where: { subjectType: "notebook", subjectId: input.notebookId } });
    await tx.notebook.delete({ where: { id: input.notebookId }, select: { id: true } });
    await recordActivity(tx, {
      projectId: row.projectId,
      actorId: input.actorId,
      kind: "notebook.deleted",
      subjectType: "notebook",
      subjectId: input.notebookId,
      details: { name: row.name },
    });
  });
}

/**
 * Deletes the notebooks of a project that have been in the trash longer than
 * {@link TRASH_RETENTION_DAYS} days. Run when the project's notebooks or trash are listed (no
 * scheduler: nobody can see an expired item before a list purges it). Returns the ids deleted,
 * so the caller can shut down any kernel they had.
 */
export async function purgeExpiredTrash(
  prisma: PrismaClient,
  projectId: string,
  now: Date = new Date(),
): Promise<string[]> {
  const cutoff = new Date(now.getTime() - TRASH_RETENTION_DAYS * 86_400_000);
  const expired = await prisma.notebook.findMany({
    where: { projectId, deletedAt: { lt: cutoff } },
    select: { id: true },
  });
  if (expired.length === 0) return [];
  const ids = expired.map((row) => row.id);
  await prisma.$transaction([
    prisma.star.deleteMany({ where: { subjectType: "notebook", subjectId: { in: ids } } }),
    prisma.notebook.deleteMany({ where: { id: { in: ids }, deletedAt: { lt: cutoff } } }),
  ]);
  return ids;
}

const TRASHED_SELECT = {
  id: true,
  projectId: true,
  name: true,
  cells: true,
  deletedAt: true,
  publishedAt: true,
} as const;

function toTrashed(row: {
  id: string;
  projectId: string;
  name: string;
  cells: Prisma.JsonValue;
  deletedAt: Date | null;
  publishedAt: Date | null;
}): TTrashedNotebook {
  const deletedAt = row.deletedAt ?? new Date();
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    cellCount: Array.isArray(row.cells) ? row.cells.length : 0,
    deletedAt: deletedAt.toISOString(),
    purgeAt: new Date(deletedAt.getTime() + TRASH_RETENTION_DAYS * 86_400_000).toISOString(),
    published: row.publishedAt !== null,
  };
}

/** A project's trash, the most recently deleted first (expired items are purged first). */
export async function listTrash(prisma: PrismaClient, projectId: string): Promise<TTrashedNotebook[]> {
  const rows = await prisma.notebook.findMany({
    where: { projectId, deletedAt: { not: null } },
    select: TRASHED_SELECT,
    orderBy: { deletedAt: "desc" },
  });
  return rows.map(toTrashed);
}

/**
 * Co-editing's view of the database (docs/coediting.md): a notebook's content and shared-document
 * state for `@flint/collab`'s rooms, saved by compare-and-swap on `version` like any save, so a
 * REST save that lands in between is never overwritten unseen.
 */
import { CollabHub, type TCollabStore, type TSharedCell, type TSharedNotebook } from "@flint/collab";
import type { Prisma, PrismaClient } from "@flint/db";

/** Stored cells as the shared document holds them (sources as one string). */
export function toSharedNotebook(cells: unknown, metadata: unknown): TSharedNotebook {
  const list = Array.isArray(cells) ? (cells as Record<string, unknown>[]) : [];
  return {
    cells: list.map((cell) => {
      const shared: TSharedCell = {
        id: String(cell.id),
        cell_type: String(cell.cell_type),
        source: Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? ""),
        metadata: (cell.metadata as Record<string, unknown> | undefined) ?? {},
      };
      if (cell.attachments && typeof cell.attachments === "object")
        shared.attachments = cell.attachments as Record<string, unknown>;
      return shared;
    }),
    metadata: (metadata as Record<string, unknown> | null) ?? {},
  };
}

/** A {@link TCollabStore} on Flint's database. */
export function createCollabStore(prisma: PrismaClient): TCollabStore {
  return {
    async load(notebookId) {
      const row = await prisma.notebook.findUniqueOrThrow({
        where: { id: notebookId },
        select: { version: true, cells: true, metadata: true, collabState: true, collabVersion: true },
      });
      return {
        version: row.version,
        notebook: toSharedNotebook(row.cells, row.metadata),
        state: row.collabState ? new Uint8Array(row.collabState) : null,
        stateVersion: row.collabVersion,
      };
    },
    async save(notebookId, { baseVersion, notebook, state }) {
      return await prisma.$transaction(async (tx) => {
        const updated = await tx.notebook.updateMany({
          where: { id: notebookId, version: baseVersion },
          data: {
            cells: notebook.cells as unknown as Prisma.InputJsonValue,
            metadata: notebook.metadata as Prisma.InputJsonValue,
            version: { increment: 1 },
            collabState: Buffer.from(state),
            collabVersion: baseVersion + 1,
          },
        });
        if (updated.count === 0) return null;
        // As a REST save does: outputs of cells that are gone go with them.
        await tx.cellOutput.deleteMany({
          where: { notebookId, cellId: { notIn: notebook.cells.map((cell) => cell.id) } },
        });
        return baseVersion + 1;
      });
    },
  };
}

/** The co-editing rooms of one Flint process, saving to its database. */
export function createCollabHub(prisma: PrismaClient, log?: (message: string) => void): CollabHub {
  return new CollabHub({ store: createCollabStore(prisma), log });
}

/**
 * After a save that did not come through the shared document (REST `PUT`, a restored version),
 * brings the open notebook's room, if any, to what was saved.
 */
export async function syncSavedToCollab(
  prisma: PrismaClient,
  collab: CollabHub | null,
  notebookId: string,
): Promise<void> {
  if (!collab) return;
  const row = await prisma.notebook.findUnique({
    where: { id: notebookId },
    select: { version: true, cells: true, metadata: true },
  });
  if (row) await collab.applySaved(notebookId, toSharedNotebook(row.cells, row.metadata), row.version);
}

/** Runs `read` after saving the notebook's open shared document, so it reads what people see. */
export async function flushThen<T>(
  collab: CollabHub | null,
  notebookId: string,
  read: () => Promise<T>,
): Promise<T> {
  await collab?.flush(notebookId);
  return await read();
}

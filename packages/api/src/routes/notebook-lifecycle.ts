/**
 * Notebook management: rename, duplicate, the trash (move, list, restore, delete forever). The
 * trash is a soft delete (`notebook.deletedAt`); authorize() refuses every other route on a
 * trashed notebook. Decisions: docs/notebooks.md.
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { authorize } from "../authorize.js";
import {
  ZDuplicateNotebookRequest,
  ZNotebookSummary,
  ZRenameNotebookRequest,
  ZTrashedNotebook,
} from "../contract/notebooks.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import {
  deleteNotebookForever,
  duplicateNotebook,
  listTrash,
  purgeExpiredTrash,
  renameNotebook,
  restoreNotebook,
  TRASH_RETENTION_DAYS,
  trashNotebook,
} from "../services/notebook-lifecycle.js";
import { getNotebookSummary } from "../services/notebooks.js";
import type { TRunBroker } from "./run.js";

const ZIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, "not a valid id"),
});

/** Shuts a notebook's kernel down, if it has one (a trashed notebook runs nothing). */
async function shutDownKernel(getBroker: () => TRunBroker | null, notebookId: string): Promise<void> {
  const broker = getBroker();
  if (!broker || broker.kernelIdOf(notebookId) === null) return;
  await broker.handleCommand(notebookId, { type: "shutdown" });
}

/** The notebook management routes; `getBroker` (null: no kernels) shuts kernels of deleted notebooks. */
export function createNotebookLifecycleRoutes(
  prisma: PrismaClient,
  getBroker: () => TRunBroker | null,
): TAnyRoute[] {
  return [
    defineRoute({
      method: "PATCH",
      path: "/api/v1/notebooks/{id}",
      summary: "Rename a notebook (names are unique in a project; 409 when taken)",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      body: ZRenameNotebookRequest,
      response: z.object({ id: z.string(), name: z.string() }),
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.edit");
        return await renameNotebook(prisma, {
          notebookId: params.id,
          actorId: actor!.userId,
          name: body.name,
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/duplicate",
      summary: 'Copy a notebook with its outputs into its project, as "<name> (copy)" unless named',
      tag: "notebooks",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZDuplicateNotebookRequest,
      response: ZNotebookSummary,
      handler: async ({ actor, params, body }) => {
        // Making a notebook in the project is what a copy does: editors and admins.
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.create");
        const id = await duplicateNotebook(prisma, {
          notebookId: params.id,
          actorId: actor!.userId,
          name: body.name,
        });
        return await getNotebookSummary(prisma, id);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/notebooks/{id}",
      summary: "Move a notebook to its project's trash (its kernel is shut down; restorable for 30 days)",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: ZTrashedNotebook,
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.delete");
        const trashed = await trashNotebook(prisma, { notebookId: params.id, actorId: actor!.userId });
        await shutDownKernel(getBroker, params.id);
        return trashed;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/trash",
      summary: "A project's trashed notebooks, the last deleted first (older than 30 days are purged)",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: z.object({ notebooks: z.array(ZTrashedNotebook), retentionDays: z.number().int() }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.read");
        await purgeExpiredTrash(prisma, grant.projectId);
        return { notebooks: await listTrash(prisma, grant.projectId), retentionDays: TRASH_RETENTION_DAYS };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/restore",
      summary: 'Bring a notebook back from the trash (as "<name> (2)" when its name was taken meanwhile)',
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: ZNotebookSummary,
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.delete");
        await restoreNotebook(prisma, { notebookId: params.id, actorId: actor!.userId });
        return await getNotebookSummary(prisma, params.id);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/notebooks/{id}/forever",
      summary: "Delete a notebook in the trash for good, with its outputs, versions and comments",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.delete");
        await shutDownKernel(getBroker, params.id);
        await deleteNotebookForever(prisma, { notebookId: params.id, actorId: actor!.userId });
        return { deleted: true as const };
      },
    }),
  ];
}

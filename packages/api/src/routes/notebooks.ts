/**
 * Notebook documents: list, create, import, read, save, export; and their life in the project:
 * rename, duplicate, the trash (move, list, restore, delete forever). The trash is a soft delete
 * (`notebook.deletedAt`); authorize() refuses every other route on a trashed notebook. Decisions:
 * docs/notebooks.md.
 */
import { notebookEndpoints as endpoints } from "../contract/notebooks.js";
import { AppError } from "../errors.js";
import { describePermissions } from "../permissions.js";
import { implement, type TRoutesOf } from "../router.js";
import { flushThen, syncSavedToCollab } from "../services/collab-store.js";
import { exportPublishedNotebookFile, getPublishedNotebookDocument } from "../services/community.js";
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
import {
  createNotebook,
  exportNotebookFile,
  getNotebook,
  getNotebookSummary,
  listNotebooks,
  saveNotebook,
  touchNotebook,
} from "../services/notebooks.js";
import type { TRouteDeps, TRunBroker } from "./deps.js";

/** Decodes a percent-encoded header value; a malformed one is used as is. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Shuts a notebook's kernel down, if it has one (a trashed notebook runs nothing). */
async function shutDownKernel(getBroker: () => TRunBroker | null, notebookId: string): Promise<void> {
  const broker = getBroker();
  if (!broker || broker.kernelIdOf(notebookId) === null) return;
  await broker.handleCommand(notebookId, { type: "shutdown" });
}

/** The notebook routes. */
export function createNotebookRoutes({ prisma, getBroker, collab }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listNotebooks: implement(endpoints.listNotebooks, async ({ grant }) => {
      // No scheduler: notebooks past the trash's retention go when their project is listed.
      await purgeExpiredTrash(prisma, grant.projectId);
      return { notebooks: await listNotebooks(prisma, grant.projectId) };
    }),
    createNotebook: implement(endpoints.createNotebook, async ({ actor, grant, body }) =>
      createNotebook(prisma, {
        projectId: grant.projectId,
        userId: actor.userId,
        name: body.name,
        notebook: body.notebook,
      }),
    ),
    importNotebook: implement(endpoints.importNotebook, async ({ actor, grant, query, raw, request }) => {
      const fileName = safeDecode(request.headers.get("x-file-name") ?? "")
        .replace(/\.ipynb$/i, "")
        .trim();
      const name = query.name ?? (fileName ? fileName.slice(0, 200) : "Imported notebook");
      if (raw.byteLength === 0)
        throw new AppError("bad_request", "The request body is empty: send the .ipynb file as the body.");
      return await createNotebook(prisma, {
        projectId: grant.projectId,
        userId: actor.userId,
        name,
        notebook: raw,
      });
    }),
    exportNotebook: implement(endpoints.exportNotebook, async ({ grant, params }) => {
      // Readers who are not members get the published snapshot, never the live notebook.
      const file =
        grant.role === "public"
          ? await exportPublishedNotebookFile(prisma, params.id)
          : await flushThen(collab, params.id, () => exportNotebookFile(prisma, params.id));
      return new Response(file.text, {
        headers: {
          "content-type": "application/x-ipynb+json; charset=utf-8",
          "content-disposition": `attachment; filename="${file.fileName}"`,
          "cache-control": "no-store",
        },
      });
    }),
    getNotebook: implement(endpoints.getNotebook, async ({ actor, grant, params }) => {
      const permissions = describePermissions(grant.role, actor?.scope);
      // Readers who are not members get the published snapshot (SECURITY.md case 34).
      if (grant.role === "public")
        return { ...(await getPublishedNotebookDocument(prisma, params.id)), permissions };
      const document = await flushThen(collab, params.id, () => getNotebook(prisma, params.id));
      await touchNotebook(prisma, params.id);
      return { ...document, permissions };
    }),
    saveNotebook: implement(endpoints.saveNotebook, async ({ actor, params, body }) => {
      // What people typed in the shared document is saved first, so a save based on an older
      // version is a conflict (409) rather than silently undoing their typing.
      await collab?.flush(params.id);
      const summary = await saveNotebook(prisma, {
        notebookId: params.id,
        actorId: actor.userId,
        baseVersion: body.version,
        name: body.name,
        notebook: body.notebook,
      });
      await syncSavedToCollab(prisma, collab, params.id);
      return summary;
    }),
    renameNotebook: implement(endpoints.renameNotebook, async ({ actor, params, body }) =>
      renameNotebook(prisma, { notebookId: params.id, actorId: actor.userId, name: body.name }),
    ),
    duplicateNotebook: implement(endpoints.duplicateNotebook, async ({ actor, params, body }) => {
      const id = await duplicateNotebook(prisma, {
        notebookId: params.id,
        actorId: actor.userId,
        name: body.name,
      });
      return await getNotebookSummary(prisma, id);
    }),
    trashNotebook: implement(endpoints.trashNotebook, async ({ actor, params }) => {
      const trashed = await trashNotebook(prisma, { notebookId: params.id, actorId: actor.userId });
      await shutDownKernel(getBroker, params.id);
      return trashed;
    }),
    listTrash: implement(endpoints.listTrash, async ({ grant }) => {
      await purgeExpiredTrash(prisma, grant.projectId);
      return { notebooks: await listTrash(prisma, grant.projectId), retentionDays: TRASH_RETENTION_DAYS };
    }),
    restoreNotebook: implement(endpoints.restoreNotebook, async ({ actor, params }) => {
      await restoreNotebook(prisma, { notebookId: params.id, actorId: actor.userId });
      return await getNotebookSummary(prisma, params.id);
    }),
    deleteNotebookForever: implement(endpoints.deleteNotebookForever, async ({ actor, params }) => {
      await shutDownKernel(getBroker, params.id);
      await deleteNotebookForever(prisma, { notebookId: params.id, actorId: actor.userId });
      return { deleted: true as const };
    }),
  };
}

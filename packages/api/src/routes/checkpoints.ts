/** A notebook's named versions. */
import { checkpointEndpoints as endpoints } from "../contract/checkpoints.js";
import { implement, type TRoutesOf } from "../router.js";
import { flushThen, syncSavedToCollab } from "../services/collab-store.js";
import { createCheckpoint, listCheckpoints, restoreCheckpoint } from "../services/notebooks.js";
import type { TRouteDeps } from "./deps.js";

/** The checkpoint routes. */
export function createCheckpointRoutes({ prisma, collab }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listCheckpoints: implement(endpoints.listCheckpoints, async ({ params }) => ({
      checkpoints: await listCheckpoints(prisma, params.id),
    })),
    createCheckpoint: implement(endpoints.createCheckpoint, async ({ actor, params, body }) =>
      flushThen(collab, params.id, () => createCheckpoint(prisma, params.id, actor.userId, body.name)),
    ),
    restoreCheckpoint: implement(endpoints.restoreCheckpoint, async ({ actor, params, body }) => {
      // While people co-edit, the shared document is the notebook: the restore replaces it as it
      // is now (everyone sees the change), so the browser's possibly older version is no conflict.
      let baseVersion = body.version;
      if (collab?.isLive(params.id)) {
        await collab.flush(params.id);
        baseVersion = (
          await prisma.notebook.findUniqueOrThrow({ where: { id: params.id }, select: { version: true } })
        ).version;
      }
      const summary = await restoreCheckpoint(prisma, {
        notebookId: params.id,
        checkpointId: params.checkpointId,
        actorId: actor.userId,
        baseVersion,
      });
      await syncSavedToCollab(prisma, collab, params.id);
      return summary;
    }),
  };
}

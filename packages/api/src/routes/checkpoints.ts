/** A notebook's named versions. */
import { checkpointEndpoints as endpoints } from "../contract/checkpoints.js";
import { implement, type TRoutesOf } from "../router.js";
import { createCheckpoint, listCheckpoints, restoreCheckpoint } from "../services/notebooks.js";
import type { TRouteDeps } from "./deps.js";

/** The checkpoint routes. */
export function createCheckpointRoutes({ prisma }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    listCheckpoints: implement(endpoints.listCheckpoints, async ({ params }) => ({
      checkpoints: await listCheckpoints(prisma, params.id),
    })),
    createCheckpoint: implement(endpoints.createCheckpoint, async ({ actor, params, body }) =>
      createCheckpoint(prisma, params.id, actor.userId, body.name),
    ),
    restoreCheckpoint: implement(endpoints.restoreCheckpoint, async ({ actor, params, body }) =>
      restoreCheckpoint(prisma, {
        notebookId: params.id,
        checkpointId: params.checkpointId,
        actorId: actor.userId,
        baseVersion: body.version,
      }),
    ),
  };
}

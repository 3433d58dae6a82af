/**
 * Batch scoring (docs/models.md): score a catalog asset with a registered model as a Spark job,
 * follow the run, list the runs of an asset or a model.
 */
import { batchScoreEndpoints as endpoints } from "../contract/batch-scores.js";
import { implement, type TRoutesOf } from "../router.js";
import type { TRouteDeps } from "./deps.js";

/** The batch scoring routes over the process's batch scoring service. */
export function createBatchScoreRoutes({ batchScores }: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    createBatchScore: implement(endpoints.createBatchScore, async ({ grant, actor, body }) =>
      batchScores.create(grant.projectId, actor.userId, body),
    ),
    listBatchScores: implement(endpoints.listBatchScores, async ({ grant, query }) => ({
      batchScores: await batchScores.list(grant.projectId, query),
    })),
    getBatchScore: implement(endpoints.getBatchScore, async ({ grant, params }) =>
      batchScores.get(grant.projectId, params.runId),
    ),
  };
}

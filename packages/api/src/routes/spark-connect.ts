/**
 * `POST /api/v1/notebooks/{id}/spark-connect`: the address of the notebook's project's shared
 * Spark (a Spark Connect server), started first if it is not running. A kernel calls it with its
 * notebook token at its first Spark use (`flint.kernel.session`); see `docs/spark.md`.
 */

import { authorize } from "../authorize.js";
import { sparkEndpoints as endpoints } from "../contract/spark.js";
import { AppError, notFound } from "../errors.js";
import { implement, type TRoutesOf } from "../router.js";
import type { TRouteDeps } from "./deps.js";

/** The shared-Spark route; `getSparkConnect` returns null while no kernel runtime is attached. */
export function createSparkConnectRoutes({
  prisma,
  getSparkConnect,
}: TRouteDeps): TRoutesOf<typeof endpoints> {
  return {
    ensureSparkConnect: implement(endpoints.ensureSparkConnect, async ({ actor, kernel, params }) => {
      // Checked here, not by the rule: a notebook token may only ask for its own project's Spark.
      const grant = await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.run");
      if (kernel && grant.projectId !== kernel.projectScope) throw notFound("Notebook");
      const servers = getSparkConnect();
      if (!servers)
        throw new AppError(
          "unavailable",
          "Kernels are not available on this server yet; try again shortly (a site administrator sees their state in /api/health).",
        );
      try {
        return await servers.ensure(grant.projectId);
      } catch (error) {
        throw new AppError(
          "unavailable",
          `The project's shared Spark could not start: ${(error as Error).message}`,
        );
      }
    }),
  };
}

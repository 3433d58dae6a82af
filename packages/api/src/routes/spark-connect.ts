/**
 * `POST /api/v1/notebooks/{id}/spark-connect`: the address of the notebook's project's shared
 * Spark (a Spark Connect server), started first if it is not running. A kernel calls it with its
 * notebook token at its first Spark use (`flint.kernel.session`); see `docs/spark.md`.
 */
import type { PrismaClient } from "@flint/db";
import type { TSparkConnectAddress } from "@flint/kernel";
import { z } from "zod";
import { authorize } from "../authorize.js";
import { AppError, notFound } from "../errors.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import { resolveCatalogCaller } from "../services/catalog.js";

/** What the route needs of the kernel runtime's Spark Connect manager. */
export type TSparkConnectServers = { ensure: (projectId: string) => Promise<TSparkConnectAddress> };

/** The shared-Spark route; `getServers` returns null while no kernel runtime is attached. */
export function createSparkConnectRoutes(
  prisma: PrismaClient,
  getServers: () => TSparkConnectServers | null,
): TAnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/spark-connect",
      summary:
        "Start the project's shared Spark if needed and answer its Spark Connect address, as the notebook's kernel reaches it (runners, editors, admins; also the notebook's token)",
      tag: "notebooks",
      auth: "public",
      status: 200,
      params: z.object({
        id: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9_-]+$/, "not a valid id"),
      }),
      response: z.object({ url: z.string().describe("sc://127.0.0.1:PORT, as seen from the kernel.") }),
      handler: async ({ actor, request, params }) => {
        const caller = await resolveCatalogCaller(prisma, actor, request);
        const grant = await authorize(
          prisma,
          caller.actor,
          { kind: "notebook", id: params.id },
          "notebook.run",
        );
        // A notebook token knows one project: another project's notebook is as unknown as none.
        if (caller.projectScope && grant.projectId !== caller.projectScope) throw notFound("Notebook");
        const servers = getServers();
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
      },
    }),
  ];
}

/** `/api/health` and the OpenAPI document. */

import { authorize } from "../authorize.js";
import { healthEndpoints as endpoints, type THealth } from "../contract/health.js";
import { readProcessStats } from "../process-stats.js";
import { implement, type TRoutesOf } from "../router.js";
import type { TRouteDeps } from "./deps.js";

/** The tracking server's part of the health report. */
function modelsHealth(deps: TRouteDeps): NonNullable<THealth["models"]> {
  const server = deps.getMlflow();
  if (!deps.config.models.isEnabled || !server) return { status: "off" };
  const state = server.status?.();
  if (!state) return { status: "running" };
  const status =
    (["not started", "starting", "running", "down"] as const).find((s) => s === state.state) ?? "down";
  return {
    status,
    ...(state.error ? { error: state.error } : {}),
    ...(state.restartAt ? { restartAt: new Date(state.restartAt).toISOString() } : {}),
    restarts: state.restarts,
  };
}

/** The health routes. */
export function createHealthRoutes(deps: TRouteDeps): TRoutesOf<typeof endpoints> {
  const { prisma } = deps;
  return {
    getHealth: implement(endpoints.getHealth, async ({ actor }) => {
      // Anyone gets the status; only a site administrator the details, which help an attacker.
      const isAdmin = actor
        ? await authorize(prisma, actor, { kind: "site" }, "site.health").then(
            () => true,
            () => false,
          )
        : false;
      const started = performance.now();
      let db: THealth["db"];
      try {
        await prisma.$queryRaw`select 1`;
        db = {
          status: "up",
          embedded: deps.isEmbeddedDb,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
        };
      } catch (error) {
        db = {
          status: "down",
          embedded: deps.isEmbeddedDb,
          error: (error as Error).message.split("\n")[0],
        };
      }
      const models = modelsHealth(deps);
      // Several servers with their own projects folders lose files between them: degraded.
      const projectsFolder =
        db.status === "up" && deps.checkProjectsFolder
          ? await deps.checkProjectsFolder().catch((error) => ({
              status: "not shared" as const,
              servers: 0,
              detail: `The projects folder could not be checked: ${(error as Error).message}`,
            }))
          : undefined;
      // A tracking server that is down degrades the site (runs cannot be logged); off does not.
      const status =
        db.status === "up" && models.status !== "down" && projectsFolder?.status !== "not shared"
          ? ("ok" as const)
          : ("degraded" as const);
      if (!isAdmin) return { status };
      const runtime = await deps.runtimeStatus();
      return {
        status,
        db,
        ...runtime,
        models,
        ...(projectsFolder ? { projectsFolder } : {}),
        process: readProcessStats(),
      };
    }),
    getOpenApiDocument: implement(
      endpoints.getOpenApiDocument,
      async () => deps.openApiDocument() as Record<string, unknown>,
    ),
  };
}

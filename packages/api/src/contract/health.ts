/** The server's health and this API's own OpenAPI document. */
import { z } from "zod";
import { defineEndpoint } from "./endpoint";

/**
 * Health of the parts Flint depends on, reported by the server process. Anyone gets `status`;
 * the parts (versions, isolation, errors) only a site administrator, as they help an attacker.
 */
export const ZHealth = z.object({
  status: z.enum(["ok", "degraded"]),
  db: z.object({
    status: z.enum(["up", "down"]),
    embedded: z.boolean(),
    latencyMs: z.number().optional(),
    error: z.string().optional(),
  }),
  jupyter: z.object({ status: z.string() }).catchall(z.unknown()),
  spark: z.object({ status: z.string() }).catchall(z.unknown()),
  /**
   * The MLflow tracking server (docs/models.md): `off` with FLINT_MODELS=off; `down` with why and
   * when Flint starts it again (it restarts a crashed server with a growing delay).
   */
  models: z
    .object({
      status: z.enum(["off", "not started", "starting", "running", "down"]),
      error: z.string().optional(),
      restartAt: z.string().optional().describe("When a crashed server is started again (ISO time)."),
      restarts: z.number().optional(),
    })
    .optional(),
  /** What isolation kernels run under; absent where no kernel runtime is attached (tests). */
  sandbox: z
    .object({
      mode: z.enum(["bwrap", "off"]),
      user: z.enum(["project", "server", "none"]),
      network: z.enum(["isolated", "host", "none"]),
      memoryBytes: z.number(),
      detail: z.string(),
    })
    .optional(),
  /**
   * With several web servers: whether this server sees every live server's marker in its projects
   * folder (docs/deployment.md, "Project files"); `not shared` degrades the site.
   */
  projectsFolder: z
    .object({
      status: z.enum(["shared", "not shared"]),
      servers: z.number(),
      missing: z.array(z.string()).optional(),
      detail: z.string().optional(),
    })
    .optional(),
  /** This web server process: resident memory and the event-loop delay of the last 10 s. */
  process: z
    .object({
      rssBytes: z.number(),
      eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number(), windowMs: z.number() }),
    })
    .optional(),
});
export type THealth = z.infer<typeof ZHealth>;

/** The health endpoints. */
export const healthEndpoints = {
  getHealth: defineEndpoint({
    method: "GET",
    path: "/api/health",
    summary:
      "Health: `status` for anyone; the database, Jupyter, Spark and sandbox details for site administrators",
    tag: "system",
    // Anyone gets the status; the handler asks `site.health` for the details.
    access: "public",
    // Everything for a site administrator, `status` for anyone else.
    response: z.union([ZHealth, ZHealth.pick({ status: true })]),
  }),
  getOpenApiDocument: defineEndpoint({
    method: "GET",
    path: "/api/v1/openapi.json",
    summary: "This API's OpenAPI 3.1 document",
    tag: "system",
    access: "public",
    response: z.record(z.string(), z.unknown()),
  }),
};

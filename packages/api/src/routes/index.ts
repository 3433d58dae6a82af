/**
 * The route table of `/api`. Handlers stay thin: parse (declared schemas), authorize, call one
 * service function.
 */
import type { PrismaClient } from "@flint/db";
import { z } from "zod";
import { authorize, memberRole } from "../authorize.js";
import { ZCheckpoint } from "../contract/checkpoints.js";
import { ZAddMemberRequest, ZChangeRoleRequest, ZMember } from "../contract/members.js";
import {
  MAX_IMPORT_BYTES,
  MAX_NOTEBOOK_BYTES,
  ZCreatedNotebook,
  ZCreateNotebookRequest,
  ZNotebookDocument,
  ZNotebookName,
  ZNotebookSummary,
  ZSaveNotebookRequest,
} from "../contract/notebooks.js";
import { ZActivity, ZCreateProjectRequest, ZProject, ZUpdateProjectRequest } from "../contract/projects.js";
import { AppError } from "../errors.js";
import { TOKEN_SCOPES } from "../permissions.js";
import { readProcessStats } from "../process-stats.js";
import { defineRoute, type TAnyRoute } from "../router.js";
import { listActivity } from "../services/activity.js";
import { exportPublishedNotebookFile, getPublishedNotebookDocument } from "../services/community.js";
import { addMember, changeMemberRole, listMembers, removeMember } from "../services/members.js";
import { purgeExpiredTrash } from "../services/notebook-lifecycle.js";
import {
  createCheckpoint,
  createNotebook,
  exportNotebookFile,
  getNotebook,
  listCheckpoints,
  listNotebooks,
  restoreCheckpoint,
  saveNotebook,
  touchNotebook,
} from "../services/notebooks.js";
import { createProject, getProject, listProjects, updateProject } from "../services/projects.js";
import { createToken, listTokens, revokeToken } from "../tokens.js";
import { createCommunityRoutes } from "./community.js";

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
  /** This web server process: resident memory and the event-loop delay of the last 10 s. */
  process: z
    .object({
      rssBytes: z.number(),
      eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number(), windowMs: z.number() }),
    })
    .optional(),
});
export type THealth = z.infer<typeof ZHealth>;
/** What `/api/health` answers: everything for a site administrator, `status` for anyone else. */
const ZHealthAnswer = z.union([ZHealth, ZHealth.pick({ status: true })]);

/** What routes need from the running server besides the database. */
export interface TRouteDeps {
  prisma: PrismaClient;
  isEmbeddedDb: boolean;
  /** Jupyter and Spark status; "not started" until a kernel supervisor is attached. */
  runtimeStatus: () => Promise<Pick<THealth, "jupyter" | "spark" | "sandbox">>;
  /** Builds the OpenAPI document (injected to avoid a cycle with openapi.ts). */
  openApiDocument: () => unknown;
}

const ZId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");
const ZIdParams = z.object({ id: ZId });
const ZMemberParams = z.object({ id: ZId, userId: ZId });
const ZCheckpointParams = z.object({ id: ZId, checkpointId: ZId });
const ZPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  before: z.string().max(200).optional().describe("The nextCursor of the previous page."),
});
const ZUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  /** A site administrator: the pages offer Administration. */
  isAdmin: z.boolean(),
});
const ZToken = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  scope: z.enum(TOKEN_SCOPES),
  /** Null: the token does not expire. */
  expiresAt: z.string().nullable(),
});
const ZCreateTokenRequest = z.strictObject({
  name: z.string().trim().min(1, "a token needs a name").max(100),
  scope: z
    .enum(TOKEN_SCOPES, { error: "choose a scope: read, run, write or admin" })
    .describe(
      "read: read and watch; run: also run cells; write: also edit and create; admin: also manage projects, the site and tokens",
    ),
  expiresInDays: z
    .number()
    .int("whole days")
    .min(1, "at least 1 day")
    .max(3650, "at most 3650 days")
    .nullable()
    .optional()
    .describe("Days until the token stops working; null or absent: it does not expire."),
});
const toTokenJson = (token: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  scope: (typeof TOKEN_SCOPES)[number];
  expiresAt: Date | null;
}) => ({
  ...token,
  createdAt: token.createdAt.toISOString(),
  lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  expiresAt: token.expiresAt?.toISOString() ?? null,
});

/** Decodes a percent-encoded header value; a malformed one is used as is. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** All routes of the API. */
export function createRoutes(deps: TRouteDeps): TAnyRoute[] {
  const { prisma } = deps;
  return [
    defineRoute({
      method: "GET",
      path: "/api/health",
      summary:
        "Health: `status` for anyone; the database, Jupyter, Spark and sandbox details for site administrators",
      tag: "system",
      auth: "public",
      response: ZHealthAnswer,
      handler: async ({ actor }) => {
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
        const status = db.status === "up" ? ("ok" as const) : ("degraded" as const);
        if (!isAdmin) return { status };
        const runtime = await deps.runtimeStatus();
        return { status, db, ...runtime, process: readProcessStats() };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/openapi.json",
      summary: "This API's OpenAPI 3.1 document",
      tag: "system",
      auth: "public",
      response: z.record(z.string(), z.unknown()),
      handler: async () => deps.openApiDocument() as Record<string, unknown>,
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/me",
      summary: "The signed-in user",
      tag: "account",
      auth: "user",
      response: ZUser,
      handler: async ({ actor }) => {
        const user = await prisma.user.findUniqueOrThrow({
          where: { id: actor!.userId },
          select: { id: true, email: true, name: true, isAdmin: true },
        });
        return user;
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/tokens",
      summary: "Your personal access tokens (never their secrets)",
      tag: "account",
      auth: "user",
      response: z.object({ tokens: z.array(ZToken) }),
      handler: async ({ actor }) => {
        await authorize(prisma, actor, { kind: "site" }, "account.tokens");
        return { tokens: (await listTokens(prisma, actor!.userId)).map(toTokenJson) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/tokens",
      summary: "Create a personal access token; its secret is shown once",
      tag: "account",
      auth: "user",
      status: 201,
      body: ZCreateTokenRequest,
      response: z.object({ token: ZToken, secret: z.string() }),
      handler: async ({ actor, body }) => {
        await authorize(prisma, actor, { kind: "site" }, "account.tokens");
        const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
        const { token, secret } = await createToken(prisma, actor!.userId, body.name, {
          scope: body.scope,
          expiresAt,
        });
        return { token: toTokenJson(token), secret };
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/tokens/{id}",
      summary: "Revoke a personal access token",
      tag: "account",
      auth: "user",
      params: ZIdParams,
      response: z.object({ revoked: z.literal(true) }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "site" }, "account.tokens");
        if (!(await revokeToken(prisma, actor!.userId, params.id)))
          throw new AppError("not_found", "Token not found.");
        return { revoked: true as const };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects",
      summary: "Projects you are a member of",
      tag: "projects",
      auth: "user",
      response: z.object({ projects: z.array(ZProject) }),
      handler: async ({ actor }) => ({ projects: await listProjects(prisma, actor!.userId) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects",
      summary: "Create a project; you become its admin",
      tag: "projects",
      auth: "user",
      status: 201,
      body: ZCreateProjectRequest,
      response: ZProject,
      handler: async ({ actor, body }) => {
        await authorize(prisma, actor, { kind: "site" }, "project.create");
        return await createProject(prisma, actor!.userId, body);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}",
      summary: "One project",
      tag: "projects",
      auth: "user",
      params: ZIdParams,
      response: ZProject,
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.read");
        return await getProject(prisma, grant.projectId, memberRole(grant));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/members",
      summary: "A project's members and their roles",
      tag: "projects",
      auth: "user",
      params: ZIdParams,
      response: z.object({ members: z.array(ZMember) }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.read");
        return { members: await listMembers(prisma, grant.projectId) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/members",
      summary: "Invite an existing user by email with a role",
      tag: "projects",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZAddMemberRequest,
      response: ZMember,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.manage");
        return await addMember(prisma, grant.projectId, actor!.userId, body);
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/projects/{id}/members/{userId}",
      summary: "Change a member's role",
      tag: "projects",
      auth: "user",
      params: ZMemberParams,
      body: ZChangeRoleRequest,
      response: ZMember,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.manage");
        return await changeMemberRole(prisma, grant.projectId, actor!.userId, params.userId, body.role);
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/projects/{id}/members/{userId}",
      summary: "Remove a member",
      tag: "projects",
      auth: "user",
      params: ZMemberParams,
      response: z.object({ removed: z.literal(true) }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.manage");
        await removeMember(prisma, grant.projectId, actor!.userId, params.userId);
        return { removed: true as const };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/notebooks",
      summary: "A project's notebooks, the last opened first",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: z.object({ notebooks: z.array(ZNotebookSummary) }),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "notebook.read");
        // No scheduler: notebooks past the trash's retention go when their project is listed.
        await purgeExpiredTrash(prisma, grant.projectId);
        return { notebooks: await listNotebooks(prisma, grant.projectId) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/notebooks",
      summary: "Create a notebook, empty or from nbformat 4 JSON",
      tag: "notebooks",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: ZCreateNotebookRequest,
      maxBodyBytes: MAX_NOTEBOOK_BYTES,
      response: ZCreatedNotebook,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "notebook.create");
        return await createNotebook(prisma, {
          projectId: grant.projectId,
          userId: actor!.userId,
          name: body.name,
          notebook: body.notebook,
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/projects/{id}/notebooks/import",
      summary: "Import an .ipynb file (the request body is the file)",
      tag: "notebooks",
      auth: "user",
      status: 201,
      params: ZIdParams,
      query: z.object({
        name: ZNotebookName.optional().describe(
          "Notebook name; defaults to the file's name or 'Imported notebook'.",
        ),
      }),
      rawBody: {
        contentTypes: ["application/x-ipynb+json", "application/json", "application/octet-stream"],
        description: "The .ipynb file (nbformat 4).",
      },
      maxBodyBytes: MAX_IMPORT_BYTES,
      response: ZCreatedNotebook,
      handler: async ({ actor, params, query, raw, request }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "notebook.create");
        const fileName = safeDecode(request.headers.get("x-file-name") ?? "")
          .replace(/\.ipynb$/i, "")
          .trim();
        const name = query.name ?? (fileName ? fileName.slice(0, 200) : "Imported notebook");
        if (raw.byteLength === 0)
          throw new AppError("bad_request", "The request body is empty: send the .ipynb file as the body.");
        return await createNotebook(prisma, {
          projectId: grant.projectId,
          userId: actor!.userId,
          name,
          notebook: raw,
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/notebooks/{id}/export",
      summary: "Download a notebook as an .ipynb file (nbformat 4.5, outputs included)",
      tag: "notebooks",
      auth: "public",
      params: ZIdParams,
      response: z.record(z.string(), z.unknown()).describe("The .ipynb JSON."),
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.read");
        // Readers who are not members get the published snapshot, never the live notebook.
        const file =
          grant.role === "public"
            ? await exportPublishedNotebookFile(prisma, params.id)
            : await exportNotebookFile(prisma, params.id);
        return new Response(file.text, {
          headers: {
            "content-type": "application/x-ipynb+json; charset=utf-8",
            "content-disposition": `attachment; filename="${file.fileName}"`,
            "cache-control": "no-store",
          },
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/notebooks/{id}",
      summary:
        "A notebook as nbformat 4.5 JSON with its outputs and version (anyone may read a published one)",
      tag: "notebooks",
      auth: "public",
      params: ZIdParams,
      response: ZNotebookDocument,
      handler: async ({ actor, params }) => {
        const grant = await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.read");
        // Readers who are not members get the published snapshot (SECURITY.md case 34).
        if (grant.role === "public") return await getPublishedNotebookDocument(prisma, params.id);
        const document = await getNotebook(prisma, params.id);
        await touchNotebook(prisma, params.id);
        return document;
      },
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/notebooks/{id}",
      summary: "Save a notebook (compare-and-swap on version; 409 when it changed meanwhile)",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      body: ZSaveNotebookRequest,
      maxBodyBytes: MAX_NOTEBOOK_BYTES,
      response: ZNotebookSummary,
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.edit");
        return await saveNotebook(prisma, {
          notebookId: params.id,
          actorId: actor!.userId,
          baseVersion: body.version,
          name: body.name,
          notebook: body.notebook,
        });
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/projects/{id}",
      summary: "Rename, describe, archive or unarchive a project",
      tag: "projects",
      auth: "user",
      params: ZIdParams,
      body: ZUpdateProjectRequest,
      response: ZProject,
      handler: async ({ actor, params, body }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.manage");
        return await updateProject(prisma, grant.projectId, actor!.userId, memberRole(grant), body);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/projects/{id}/activity",
      summary: "A project's activity feed, newest first, paged",
      tag: "projects",
      auth: "user",
      params: ZIdParams,
      query: ZPageQuery,
      response: z.object({ items: z.array(ZActivity), nextCursor: z.string().nullable() }),
      handler: async ({ actor, params, query }) => {
        const grant = await authorize(prisma, actor, { kind: "project", id: params.id }, "project.read");
        return await listActivity(prisma, { projectId: grant.projectId }, query);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/notebooks/{id}/checkpoints",
      summary: "A notebook's named versions, newest first",
      tag: "notebooks",
      auth: "user",
      params: ZIdParams,
      response: z.object({ checkpoints: z.array(ZCheckpoint) }),
      handler: async ({ actor, params }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.history");
        return { checkpoints: await listCheckpoints(prisma, params.id) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/checkpoints",
      summary: "Save the notebook as it is now as a named version",
      tag: "notebooks",
      auth: "user",
      status: 201,
      params: ZIdParams,
      body: z.strictObject({ name: z.string().trim().min(1, "a checkpoint needs a name").max(200) }),
      response: ZCheckpoint,
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.edit");
        return await createCheckpoint(prisma, params.id, actor!.userId, body.name);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/notebooks/{id}/checkpoints/{checkpointId}/restore",
      summary: "Restore a named version as a new version (compare-and-swap on version)",
      tag: "notebooks",
      auth: "user",
      params: ZCheckpointParams,
      body: z.strictObject({ version: z.number().int().positive() }),
      response: ZNotebookSummary,
      handler: async ({ actor, params, body }) => {
        await authorize(prisma, actor, { kind: "notebook", id: params.id }, "notebook.edit");
        return await restoreCheckpoint(prisma, {
          notebookId: params.id,
          checkpointId: params.checkpointId,
          actorId: actor!.userId,
          baseVersion: body.version,
        });
      },
    }),
    ...createCommunityRoutes(prisma),
  ];
}

/**
 * Routes of the data catalog (`/api/v1/catalog/*`). Every handler resolves its caller, goes
 * through `authorizeCatalog` (the one authorization check plus a notebook token's project
 * limit) or filters by membership in SQL, and calls one catalog function. Routes a kernel uses
 * (`flint.catalog`) also accept a notebook token; the rest need a user session or token.
 */
import {
  autocompleteAssets,
  type Catalog,
  createConnection,
  deleteAsset,
  deleteConnection,
  getLatestProfileRun,
  listConnections,
  listProjectAssets,
  listSourceTables,
  loadConnectionSecret,
  searchAssets,
  updateAssetDocumentation,
  ZAsset,
  ZAssetSummary,
  ZAutocompleteResponse,
  ZConnection,
  ZCreateConnectionRequest,
  ZLoadRequest,
  ZLoadResponse,
  ZProfileRun,
  ZRegisterAssetRequest,
  ZRegisterSparkTableRequest,
  ZRegisterWrittenRequest,
  ZSearchQuery,
  ZSearchResponse,
  ZSourceTable,
  ZUpdateAssetRequest,
  ZWriteTargetRequest,
} from "@flint/catalog";
import { driverDb, type PrismaClient } from "@flint/db";
import { z } from "zod";
import type { TConfig } from "../config.js";
import { AppError, describeZodError, notFound } from "../errors.js";
import { hasPermission } from "../permissions.js";
import { defineRoute, readBodyLimited, type TAnyRoute } from "../router.js";
import {
  authorizeCatalog,
  catalogCall,
  createCatalogService,
  resolveCatalogCaller,
  type TCatalogCaller,
  viewerOf,
} from "../services/catalog.js";

const ZId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");
const ZIdParams = z.object({ id: ZId });
const ZProjectQuery = z.object({ projectId: ZId.describe("The project.") });
/** JSON registration bodies are small; files come as multipart and are streamed. */
const MAX_JSON_BYTES = 1_000_000;

/** Dependencies of the catalog routes. */
export interface TCatalogRouteDeps {
  prisma: PrismaClient;
  config: TConfig;
  /** The catalog service; by default one is made from the configuration. */
  catalog?: Catalog;
}

/** The project a kernel or user means: the token's project, else the one given. */
function projectOf(caller: TCatalogCaller, projectId: string | undefined): string {
  // A notebook token knows one project: any other is as unknown to it as a missing one.
  if (caller.projectScope && projectId && projectId !== caller.projectScope) throw notFound("Project");
  const chosen = caller.projectScope ?? projectId;
  if (!chosen) throw new AppError("bad_request", "projectId: say which project (or call from a notebook).");
  return chosen;
}

async function readJson<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readBodyLimited(request, MAX_JSON_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new AppError("bad_request", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError("bad_request", describeZodError("body", parsed.error));
  return parsed.data;
}

/** The multipart upload's fields, in the order the server wants them (for the OpenAPI document). */
const ZUploadForm = z.object({
  projectId: ZId.describe("The project; first, so it is checked before the file is read."),
  name: z.string().optional().describe("Asset name; default: the file name's stem."),
  description: z.string().optional(),
  tags: z.string().optional().describe("Comma-separated."),
  format: z.enum(["csv", "json", "parquet"]).optional().describe("Default: from the file extension."),
  file: z.string().meta({ format: "binary" }).describe("The file (CSV, JSON or Parquet), last."),
});

/** All catalog routes. */
export function createCatalogRoutes(deps: TCatalogRouteDeps): TAnyRoute[] {
  const { prisma } = deps;
  const catalog = deps.catalog ?? createCatalogService(prisma, deps.config);
  // Search and autocomplete are latency-bound reads of several queries each: straight on pg.
  const reads = driverDb(prisma);
  const caller = async (actor: Parameters<typeof resolveCatalogCaller>[1], request: Request) => {
    // Work left queued by a previous Flint process is picked up on the first catalog call.
    catalog.profiler.resume();
    return await resolveCatalogCaller(prisma, actor, request);
  };
  /**
   * A write into a project by a person or by a notebook's kernel (whose token knows one project
   * and one notebook): the caller, its grant, and the notebook the write came from.
   */
  const authorizeProjectWrite = async (
    actor: Parameters<typeof resolveCatalogCaller>[1],
    request: Request,
    body: { projectId?: string | undefined; notebookId?: string | undefined },
  ) => {
    const who = await caller(actor, request);
    const grant = await authorizeCatalog(
      prisma,
      who,
      { kind: "project", id: projectOf(who, body.projectId) },
      "catalog.write",
    );
    const notebookId = who.notebookId ?? body.notebookId;
    return { userId: who.actor.userId, projectId: grant.projectId, ...(notebookId ? { notebookId } : {}) };
  };
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/search",
      summary:
        "Search the assets of your projects: words, `col:name`, `tag:`, `owner:`, `kind:`, `format:`, `project:` (also a notebook token)",
      tag: "catalog",
      auth: "public",
      query: ZSearchQuery,
      response: ZSearchResponse,
      handler: async ({ actor, request, query }) => {
        const who = await caller(actor, request);
        return await searchAssets(reads, viewerOf(who), query.q, {
          limit: query.limit,
          offset: query.offset,
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/autocomplete",
      summary: "Asset names that start with what was typed, exact and popular first",
      tag: "catalog",
      auth: "user",
      query: z.object({
        q: z.string().max(200).default(""),
        limit: z.coerce.number().int().min(1).max(20).default(8),
      }),
      response: ZAutocompleteResponse,
      handler: async ({ actor, request, query }) => {
        const who = await caller(actor, request);
        return { suggestions: await autocompleteAssets(reads, viewerOf(who), query.q, query.limit) };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/assets",
      summary: "A project's assets, most recently updated first",
      tag: "catalog",
      auth: "user",
      query: ZProjectQuery,
      response: z.object({ assets: z.array(ZAssetSummary) }),
      handler: async ({ actor, request, query }) => {
        const who = await caller(actor, request);
        const grant = await authorizeCatalog(
          prisma,
          who,
          { kind: "project", id: query.projectId },
          "catalog.read",
        );
        return { assets: await listProjectAssets(prisma, viewerOf(who), grant.projectId) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/assets",
      summary:
        "Register an asset. multipart/form-data: fields projectId (first, or ?projectId=), name, description, tags (comma-separated), format, then file (CSV, JSON, Parquet), streamed to storage; 413 above the limit. application/json: a path in the project's storage or a connection table (RegisterAssetRequest). Profiling is queued.",
      tag: "catalog",
      auth: "user",
      status: 201,
      query: z.object({
        projectId: ZId.optional().describe("For uploads: the project, checked before the file is read."),
      }),
      documentedBody: {
        description: "A file upload (multipart, streamed), or a path or connection table (JSON).",
        content: { "multipart/form-data": ZUploadForm, "application/json": ZRegisterAssetRequest },
      },
      response: ZAssetSummary,
      handler: async ({ actor, request, query }) => {
        const who = await caller(actor, request);
        const contentType = request.headers.get("content-type") ?? "";
        if (/^multipart\/form-data/i.test(contentType)) {
          const authorizeProject = async (projectId: string) =>
            (await authorizeCatalog(prisma, who, { kind: "project", id: projectId }, "catalog.write"))
              .projectId;
          if (query.projectId) await authorizeProject(query.projectId);
          const declared = Number(request.headers.get("content-length") ?? "NaN");
          // The form's own fields and boundaries add a little to the file's size.
          if (Number.isFinite(declared) && declared > catalog.maxUploadBytes + 64 * 1024) {
            throw new AppError(
              "payload_too_large",
              `The file is larger than the upload limit of ${Math.floor(catalog.maxUploadBytes / 1_000_000)} MB.`,
            );
          }
          return await catalogCall(() =>
            catalog.registerUpload(
              request.body,
              contentType,
              who.actor.userId,
              authorizeProject,
              query.projectId,
            ),
          );
        }
        if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
          throw new AppError(
            "unsupported_media_type",
            "Send a file as multipart/form-data, or a path or connection table as application/json.",
          );
        }
        const body = await readJson(request, ZRegisterAssetRequest);
        await authorizeCatalog(prisma, who, { kind: "project", id: body.projectId }, "catalog.write");
        return await catalogCall(() => catalog.registerFromRequest(body, who.actor.userId));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/assets/{id}",
      summary:
        "An asset: schema, latest profile, lineage and insert-to-code snippets (also a notebook token)",
      tag: "catalog",
      auth: "public",
      params: ZIdParams,
      response: ZAsset,
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        const grant = await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.read");
        return await catalogCall(() =>
          catalog.getAsset(params.id, viewerOf(who), hasPermission(grant.role, "catalog.write")),
        );
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/api/v1/catalog/assets/{id}",
      summary: "Edit an asset's description, tags and column descriptions",
      tag: "catalog",
      auth: "user",
      params: ZIdParams,
      body: ZUpdateAssetRequest,
      response: ZAsset,
      handler: async ({ actor, request, params, body }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.write");
        await catalogCall(() => updateAssetDocumentation(prisma, params.id, body));
        return await catalogCall(() => catalog.getAsset(params.id, viewerOf(who), true));
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/catalog/assets/{id}",
      summary: "Remove an asset from the catalog (an uploaded file is deleted with it)",
      tag: "catalog",
      auth: "user",
      params: ZIdParams,
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.write");
        const removed = await catalogCall(() => deleteAsset(prisma, params.id));
        await catalog.removeUploadedFile(removed.projectId, removed.location).catch(() => undefined);
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/assets/{id}/profile",
      summary: "Queue a new Spark profile of an asset",
      tag: "catalog",
      auth: "user",
      status: 202,
      params: ZIdParams,
      response: ZProfileRun,
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.write");
        return await catalog.profiler.enqueue(params.id, who.actor.userId);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/assets/{id}/profile",
      summary: "The latest profile of an asset, with its status and progress (also a notebook token)",
      tag: "catalog",
      auth: "public",
      params: ZIdParams,
      response: z.object({ profile: ZProfileRun.nullable() }),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.read");
        return { profile: await getLatestProfileRun(prisma, params.id) };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/assets/{id}/content",
      summary:
        "A file asset's bytes (a folder as a tar archive), for kernels whose sandbox does not hold its project (also a notebook token)",
      tag: "catalog",
      auth: "public",
      params: ZIdParams,
      response: z.string().describe("the file, or application/x-tar for a folder"),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.read");
        const { stream, name, isFolder } = await catalogCall(() => catalog.streamContent(params.id));
        const fileName = name.replace(/[^A-Za-z0-9_.-]/g, "_") + (isFolder ? ".tar" : "");
        return new Response(stream, {
          headers: {
            "content-type": isFolder ? "application/x-tar" : "application/octet-stream",
            "content-disposition": `attachment; filename="${fileName}"`,
            "cache-control": "no-store",
          },
        });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/assets/{id}/rows",
      summary:
        "A connection table's rows as CSV with a header, streamed by the server so credentials stay there (also a notebook token)",
      tag: "catalog",
      auth: "public",
      params: ZIdParams,
      response: z.string().describe("text/csv"),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.read");
        const { stream, name } = await catalogCall(() => catalog.streamRows(params.id));
        return new Response(stream, {
          headers: {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.csv"`,
            "cache-control": "no-store",
          },
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/load",
      summary:
        "How a notebook reads an asset into Spark (by name, qualified name or id); records the read as usage and lineage (also a notebook token, which reads its notebook's project and the projects it was forked from)",
      tag: "catalog",
      auth: "public",
      body: ZLoadRequest,
      response: ZLoadResponse,
      handler: async ({ actor, request, body }) => {
        const who = await caller(actor, request);
        const assetId = await catalogCall(() =>
          catalog.findByName(viewerOf(who), body.name, body.projectId, who.forkSources),
        );
        await authorizeCatalog(prisma, who, { kind: "asset", id: assetId }, "catalog.read");
        return await catalogCall(() =>
          catalog.prepareLoad(
            assetId,
            viewerOf(who),
            who.notebookId ?? body.notebookId ?? null,
            // A notebook token's kernel holds its own project's storage only (its sandbox).
            who.projectScope,
          ),
        );
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/write-targets",
      summary: "Where a notebook writes a DataFrame it is about to register (also a notebook token)",
      tag: "catalog",
      auth: "public",
      body: ZWriteTargetRequest.extend({ overwrite: z.boolean().default(false) }),
      response: z.object({ path: z.string(), relativePath: z.string(), projectId: z.string() }),
      handler: async ({ actor, request, body }) => {
        const { projectId } = await authorizeProjectWrite(actor, request, body);
        return await catalogCall(() =>
          catalog.writeTarget(projectId, body.name, body.format, body.overwrite),
        );
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/assets/written",
      summary:
        "Register a DataFrame a notebook wrote to its write target; records the write as lineage and queues profiling (also a notebook token)",
      tag: "catalog",
      auth: "public",
      status: 201,
      body: ZRegisterWrittenRequest,
      response: ZAssetSummary,
      handler: async ({ actor, request, body }) => {
        const { userId, projectId, notebookId } = await authorizeProjectWrite(actor, request, body);
        return await catalogCall(() => catalog.registerWritten(projectId, userId, { ...body, notebookId }));
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/assets/spark-tables",
      summary:
        "Register a Spark table of a notebook's session with its schema and the kernel's profile; records the write as lineage (also a notebook token)",
      tag: "catalog",
      auth: "public",
      status: 201,
      body: ZRegisterSparkTableRequest,
      response: ZAssetSummary,
      handler: async ({ actor, request, body }) => {
        const { userId, projectId, notebookId } = await authorizeProjectWrite(actor, request, body);
        return await catalogCall(() =>
          catalog.registerSparkTable(projectId, userId, { ...body, ...(notebookId ? { notebookId } : {}) }),
        );
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/connections",
      summary: "A project's PostgreSQL connections (never their passwords)",
      tag: "catalog",
      auth: "user",
      query: ZProjectQuery,
      response: z.object({ connections: z.array(ZConnection) }),
      handler: async ({ actor, request, query }) => {
        const who = await caller(actor, request);
        const grant = await authorizeCatalog(
          prisma,
          who,
          { kind: "project", id: query.projectId },
          "catalog.read",
        );
        return { connections: await listConnections(prisma, grant.projectId) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/catalog/connections",
      summary:
        "Save a PostgreSQL connection after checking it works; the password is stored encrypted and never returned",
      tag: "catalog",
      auth: "user",
      status: 201,
      body: ZCreateConnectionRequest,
      response: ZConnection,
      handler: async ({ actor, request, body }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "project", id: body.projectId }, "catalog.write");
        return await catalogCall(() =>
          createConnection(prisma, catalog.secretKey, catalog.connectionPolicy, who.actor.userId, body),
        );
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/catalog/connections/{id}",
      summary: "Delete a connection that no asset uses",
      tag: "catalog",
      auth: "user",
      params: ZIdParams,
      response: z.object({ deleted: z.literal(true) }),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        await authorizeCatalog(prisma, who, { kind: "connection", id: params.id }, "catalog.write");
        await catalogCall(() => deleteConnection(prisma, params.id));
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/catalog/connections/{id}/tables",
      summary: "Tables and views of a connection's database, marked when already registered",
      tag: "catalog",
      auth: "user",
      params: ZIdParams,
      response: z.object({ tables: z.array(ZSourceTable) }),
      handler: async ({ actor, request, params }) => {
        const who = await caller(actor, request);
        // Listing goes through the saved credentials: only those who may register tables.
        await authorizeCatalog(prisma, who, { kind: "connection", id: params.id }, "catalog.write");
        const secret = await catalogCall(() => loadConnectionSecret(prisma, catalog.secretKey, params.id));
        const tables = await catalogCall(() => listSourceTables(secret, catalog.connectionPolicy));
        const registered = await prisma.catalogAsset.findMany({
          where: { connectionId: params.id },
          select: { id: true, location: true },
        });
        const byLocation = new Map(registered.map((asset) => [asset.location, asset.id]));
        return {
          tables: tables.map((table) => ({
            ...table,
            registeredAssetId: byLocation.get(`${table.schema}.${table.table}`) ?? null,
          })),
        };
      },
    }),
  ];
}

/**
 * Routes of the data catalog (`/api/v1/catalog/*`). Routes with a permission in the contract are
 * checked by the router; `notebookToken` routes (the ones a kernel calls through `flint.catalog`)
 * go through `authorizeCatalog`, the one authorization check plus a notebook token's project limit.
 */
import {
  autocompleteAssets,
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
  ZRegisterAssetRequest,
} from "@flint/catalog";
import { driverDb } from "@flint/db";
import type { z } from "zod";
import type { TActor } from "../authorize.js";
import { catalogEndpoints as endpoints } from "../contract/catalog.js";
import { AppError, describeZodError, notFound } from "../errors.js";
import { hasPermission } from "../permissions.js";
import { implement, readBodyLimited, type TKernelCaller, type TRoutesOf } from "../router.js";
import {
  authorizeCatalog,
  catalogCall,
  catalogCallerOf,
  type TCatalogCaller,
  viewerOf,
} from "../services/catalog.js";
import type { TRouteDeps } from "./deps.js";

/** JSON registration bodies are small; files come as multipart and are streamed. */
const MAX_JSON_BYTES = 1_000_000;

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

/** All catalog routes. */
export function createCatalogRoutes({
  prisma,
  catalog,
}: Pick<TRouteDeps, "prisma" | "catalog"> & Partial<TRouteDeps>): TRoutesOf<typeof endpoints> {
  // Search and autocomplete are latency-bound reads of several queries each: straight on pg.
  const reads = driverDb(prisma);
  const caller = (actor: TActor, kernel: TKernelCaller | null = null): TCatalogCaller => {
    // Work left queued by a previous Flint process is picked up on the first catalog call.
    catalog.profiler.resume();
    return catalogCallerOf(actor, kernel);
  };
  /**
   * A write into a project by a person or by a notebook's kernel (whose token knows one project
   * and one notebook): the caller, its grant, and the notebook the write came from.
   */
  const authorizeProjectWrite = async (
    who: TCatalogCaller,
    body: { projectId?: string | undefined; notebookId?: string | undefined },
  ) => {
    const grant = await authorizeCatalog(
      prisma,
      who,
      { kind: "project", id: projectOf(who, body.projectId) },
      "catalog.write",
    );
    const notebookId = who.notebookId ?? body.notebookId;
    return { userId: who.actor.userId, projectId: grant.projectId, ...(notebookId ? { notebookId } : {}) };
  };
  return {
    searchAssets: implement(endpoints.searchAssets, async ({ actor, kernel, query }) =>
      searchAssets(reads, viewerOf(caller(actor, kernel)), query.q, {
        limit: query.limit,
        offset: query.offset,
      }),
    ),
    autocompleteAssets: implement(endpoints.autocompleteAssets, async ({ actor, query }) => ({
      suggestions: await autocompleteAssets(reads, viewerOf(caller(actor)), query.q, query.limit),
    })),
    listAssets: implement(endpoints.listAssets, async ({ actor, grant }) => ({
      assets: await listProjectAssets(prisma, viewerOf(caller(actor)), grant.projectId),
    })),
    registerAsset: implement(endpoints.registerAsset, async ({ actor, request, query }) => {
      const who = caller(actor);
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
    }),
    getAsset: implement(endpoints.getAsset, async ({ actor, kernel, params }) => {
      const who = caller(actor, kernel);
      const grant = await authorizeCatalog(prisma, who, { kind: "asset", id: params.id }, "catalog.read");
      return await catalogCall(() =>
        catalog.getAsset(params.id, viewerOf(who), hasPermission(grant.role, "catalog.write")),
      );
    }),
    updateAsset: implement(endpoints.updateAsset, async ({ actor, params, body }) => {
      const who = caller(actor);
      await catalogCall(() => updateAssetDocumentation(prisma, params.id, body));
      return await catalogCall(() => catalog.getAsset(params.id, viewerOf(who), true));
    }),
    deleteAsset: implement(endpoints.deleteAsset, async ({ actor, params }) => {
      caller(actor);
      const removed = await catalogCall(() => deleteAsset(prisma, params.id));
      await catalog.removeUploadedFile(removed.projectId, removed.location).catch(() => undefined);
      return { deleted: true as const };
    }),
    profileAsset: implement(endpoints.profileAsset, async ({ actor, params }) =>
      catalog.profiler.enqueue(params.id, caller(actor).actor.userId),
    ),
    getAssetProfile: implement(endpoints.getAssetProfile, async ({ actor, kernel, params }) => {
      await authorizeCatalog(prisma, caller(actor, kernel), { kind: "asset", id: params.id }, "catalog.read");
      return { profile: await getLatestProfileRun(prisma, params.id) };
    }),
    getAssetContent: implement(endpoints.getAssetContent, async ({ actor, kernel, params }) => {
      await authorizeCatalog(prisma, caller(actor, kernel), { kind: "asset", id: params.id }, "catalog.read");
      const { stream, name, isFolder } = await catalogCall(() => catalog.streamContent(params.id));
      const fileName = name.replace(/[^A-Za-z0-9_.-]/g, "_") + (isFolder ? ".tar" : "");
      return new Response(stream, {
        headers: {
          "content-type": isFolder ? "application/x-tar" : "application/octet-stream",
          "content-disposition": `attachment; filename="${fileName}"`,
          "cache-control": "no-store",
        },
      });
    }),
    getAssetRows: implement(endpoints.getAssetRows, async ({ actor, kernel, params }) => {
      await authorizeCatalog(prisma, caller(actor, kernel), { kind: "asset", id: params.id }, "catalog.read");
      const { stream, name } = await catalogCall(() => catalog.streamRows(params.id));
      return new Response(stream, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.csv"`,
          "cache-control": "no-store",
        },
      });
    }),
    loadAsset: implement(endpoints.loadAsset, async ({ actor, kernel, body }) => {
      const who = caller(actor, kernel);
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
    }),
    createWriteTarget: implement(endpoints.createWriteTarget, async ({ actor, kernel, body }) => {
      const { projectId } = await authorizeProjectWrite(caller(actor, kernel), body);
      return await catalogCall(() => catalog.writeTarget(projectId, body.name, body.format, body.overwrite));
    }),
    registerWrittenAsset: implement(endpoints.registerWrittenAsset, async ({ actor, kernel, body }) => {
      const { userId, projectId, notebookId } = await authorizeProjectWrite(caller(actor, kernel), body);
      return await catalogCall(() => catalog.registerWritten(projectId, userId, { ...body, notebookId }));
    }),
    registerSparkTable: implement(endpoints.registerSparkTable, async ({ actor, kernel, body }) => {
      const { userId, projectId, notebookId } = await authorizeProjectWrite(caller(actor, kernel), body);
      return await catalogCall(() =>
        catalog.registerSparkTable(projectId, userId, { ...body, ...(notebookId ? { notebookId } : {}) }),
      );
    }),
    listConnections: implement(endpoints.listConnections, async ({ actor, grant }) => {
      caller(actor);
      return { connections: await listConnections(prisma, grant.projectId) };
    }),
    createConnection: implement(endpoints.createConnection, async ({ actor, body }) =>
      catalogCall(() =>
        createConnection(
          prisma,
          catalog.secretKey,
          catalog.connectionPolicy,
          caller(actor).actor.userId,
          body,
        ),
      ),
    ),
    deleteConnection: implement(endpoints.deleteConnection, async ({ actor, params }) => {
      caller(actor);
      await catalogCall(() => deleteConnection(prisma, params.id));
      return { deleted: true as const };
    }),
    listConnectionTables: implement(endpoints.listConnectionTables, async ({ actor, params }) => {
      caller(actor);
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
    }),
  };
}

/**
 * Glue between the API and `@flint/catalog`: the catalog service of this process, who is
 * calling (a user, or a kernel with a notebook token limited to one project), the catalog's
 * use of the one authorization check, and the mapping of catalog errors to API errors.
 */
import {
  type Catalog,
  CatalogError,
  createCatalog,
  parseSecretKey,
  type TForkSource,
  type TViewer,
  verifyNotebookToken,
} from "@flint/catalog";
import type { PrismaClient } from "@flint/db";
import { authorize, type TActor, type TGrant, type TTarget } from "../authorize.js";
import type { TConfig } from "../config.js";
import { AppError, notFound } from "../errors.js";
import type { TPermission } from "../permissions.js";
import type { TKernelCaller } from "../router.js";
import type { TBucketStorage } from "./storage.js";

/** Creates the catalog service of this API (profiling starts only when a job is queued). */
export function createCatalogService(
  prisma: PrismaClient,
  config: TConfig,
  bucket: TBucketStorage | null = null,
  serverId?: string,
): Catalog {
  return createCatalog({
    prisma,
    dataDir: config.dataDir,
    storageRoot: config.storageRoot,
    pythonEnv: config.kernels.pythonEnv,
    // Connection passwords are encrypted under this key (FLINT_CATALOG_KEY or the data folder's).
    secretKey: parseSecretKey(config.catalog.secretKey),
    // Connections reach public addresses only, plus what FLINT_CONNECTION_ALLOW lists (case 32).
    connectionPolicy: config.connectionPolicy,
    maxUploadBytes: config.catalog.maxUploadBytes,
    profileMaxRows: config.catalog.profileMaxRows,
    // A bucket holds uploads and notebook datasets (FLINT_STORAGE_URL=s3://...).
    ...(bucket ? { objectStore: bucket } : {}),
    // Profiles this server runs carry its id: only its own end fails them.
    serverId,
    log: (message) => process.stderr.write(`[flint:catalog] ${message}\n`),
  });
}

/** Who calls a catalog route. */
export interface TCatalogCaller {
  actor: TActor;
  /** For a notebook token: the only project it may write to. */
  projectScope: string | null;
  /** For a notebook token: the projects it may read, its own first, then its fork sources'. */
  readScope: string[] | null;
  /** For a notebook token: the notebooks its notebook was forked from, nearest first. */
  forkSources: TForkSource[];
  /** For a notebook token: the notebook it was issued for (lineage). */
  notebookId: string | null;
}

/**
 * A kernel's notebook token (`Authorization: Bearer flint_nbk_...`): its user, acting with
 * scope `write`, and its limits; null when the request carries none that is valid. The router
 * asks this for `notebookToken` routes called without a user.
 */
export async function resolveNotebookToken(
  prisma: PrismaClient,
  request: Request,
): Promise<{ actor: TActor; kernel: TKernelCaller } | null> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  const caller = match?.[1] ? await verifyNotebookToken(prisma, match[1]) : null;
  if (!caller) return null;
  return {
    // A kernel reads its project's catalog and registers what it writes: `write`, never `admin`.
    actor: { userId: caller.userId, email: caller.email, name: caller.name, via: "token", scope: "write" },
    kernel: {
      projectScope: caller.projectId,
      readScope: caller.readProjectIds,
      forkSources: caller.forkSources,
      notebookId: caller.notebookId,
    },
  };
}

/** The caller of a catalog route: a user, or a kernel limited to its notebook's projects. */
export function catalogCallerOf(actor: TActor, kernel: TKernelCaller | null): TCatalogCaller {
  if (!kernel) return { actor, projectScope: null, readScope: null, forkSources: [], notebookId: null };
  return { actor, ...kernel };
}

/** The viewer of search and name lookups: the user, limited to a notebook token's read scope. */
export function viewerOf(caller: TCatalogCaller): TViewer {
  return { userId: caller.actor.userId, projectScope: caller.readScope };
}

/**
 * `authorize` for catalog routes, plus a notebook token's project limit: it reads its own
 * project and its notebook's fork sources, and writes its own project only; anything else is
 * as unknown to the kernel as a missing id (404).
 */
export async function authorizeCatalog(
  prisma: PrismaClient,
  caller: TCatalogCaller,
  target: TTarget,
  permission: TPermission,
): Promise<TGrant> {
  const grant = await authorize(prisma, caller.actor, target, permission);
  const isInScope =
    permission === "catalog.read"
      ? (caller.readScope ?? [grant.projectId]).includes(grant.projectId)
      : !caller.projectScope || grant.projectId === caller.projectScope;
  if (!isInScope) {
    throw notFound(
      target.kind === "asset" ? "Asset" : target.kind === "connection" ? "Connection" : "Project",
    );
  }
  return grant;
}

/** Runs catalog work, turning its errors into API errors (same code, same safe message). */
export async function catalogCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CatalogError) throw new AppError(error.code, error.message);
    throw error;
  }
}

/**
 * `@flint/api`: Flint's HTTP API (`/api/*`) as a framework-neutral `(Request) => Response`
 * handler, with authentication, the authorization choke point and the OpenAPI document.
 */

import type { Catalog } from "@flint/catalog";
import type { CollabHub } from "@flint/collab";
import type { PrismaClient } from "@flint/db";
import type { TJobService } from "@flint/jobs";
import { accessChanged } from "./access-cache.js";
import { createAuth, type TAuth } from "./auth.js";
import { createAuthForms, isAuthFormPath } from "./auth-forms.js";
import type { TActor } from "./authorize.js";
import { CLIENT_ADDRESS_HEADER, resolveClientAddress } from "./client-address.js";
import type { TConfig } from "./config.js";
import type { THealth } from "./contract/health.js";
import { buildOpenApiDocument } from "./openapi.js";
import { createRouter, type TAnyRoute } from "./router.js";
import { createRoutes, type TRunBroker, type TSparkConnectServers } from "./routes/index.js";
import { createBatchScoreService, type TBatchKernels } from "./services/batch-scores.js";
import { createCatalogService } from "./services/catalog.js";
import { createDeploymentKeyGate } from "./services/deployment-keys.js";
import type { TScoringServices } from "./services/deployments.js";
import type { TMlflowBackend } from "./services/mlflow-proxy.js";
import { createBucketStorage } from "./services/storage.js";
import { findUserByToken } from "./tokens.js";

// Start-up housekeeping of the server (apps/web/src/server/start.ts).
export { removeInterruptedUploads, SAMPLE_ASSET_NAME, seedCatalogSample } from "@flint/catalog";
export { describeStorage } from "@flint/storage";
export {
  ACCESS_TTL_MS,
  accessChanged,
  createAccessCache,
  listenForAccessChanges,
  type TAccessCache,
} from "./access-cache.js";
export { createAuth, type TAuth } from "./auth.js";
export type { TAuthFormReason } from "./auth-forms.js";
export {
  authorize,
  type TActor,
  type TGrant,
  type TSiteGrant,
  type TSiteTarget,
  type TTarget,
} from "./authorize.js";
export { parseTrustedProxies, resolveClientAddress } from "./client-address.js";
export {
  CLUSTER_SECRET_HEADER,
  createNotebookRouter,
  type TNotebookBroker,
  type TNotebookRouter,
} from "./cluster/notebook-router.js";
export { newServerId, registerServer, type TServerIdentity } from "./cluster/server-registry.js";
export {
  checkProjectsFolder,
  type TProjectsFolderHealth,
  writeServerMarker,
} from "./cluster/shared-folder.js";
export { loadConfig, readOrCreateSecret, SIGN_UP_MODES, type TConfig, type TSignUpMode } from "./config.js";
export type { TSiteUser } from "./contract/admin.js";
export type { THealth } from "./contract/health.js";
export { AppError, type TErrorCode } from "./errors.js";
export { buildCustomerSegmentsNotebook } from "./getting-started.js";
export { createNotebookSocketServer, type TNotebookSocketOptions } from "./notebook-socket.js";
export { checkNewPassword, WeakPasswordError } from "./password-policy.js";
export {
  ABILITIES,
  COMMAND_PERMISSIONS,
  describePermissions,
  hasPermission,
  hasSitePermission,
  PERMISSIONS,
  PROJECT_ROLES,
  SITE_PERMISSIONS,
  SITE_ROLES,
  scopeAllows,
  type TAbility,
  TOKEN_SCOPE_OF,
  TOKEN_SCOPES,
  type TPermission,
  type TPermissions,
  type TProjectRole,
  type TSitePermission,
  type TSiteRole,
  type TTokenScope,
} from "./permissions.js";
export {
  DEFAULT_PREFERENCES,
  PREFERENCES_HEADER,
  parsePreferences,
  THEMES,
  type TPreferences,
  type TTheme,
} from "./preferences.js";
export type { TRunBroker } from "./routes/index.js";
export { seed, seedCatalogTour, type TSeedResult } from "./seed.js";
export { createCellRunStore, endInterruptedRuns } from "./services/cell-run-store.js";
export { createCollabHub, createCollabStore } from "./services/collab-store.js";
export type { TScoringServices } from "./services/deployments.js";
export { createJobRunCheck } from "./services/jobs.js";
export type { TMlflowBackend } from "./services/mlflow-proxy.js";
export { getPreferences } from "./services/preferences.js";
export { createRunPreparer } from "./services/run-environment.js";
export { createBucketStorage, kernelStorageEnv, type TBucketStorage } from "./services/storage.js";
export { listUsers, setUserAdmin, setUserDisabled } from "./services/users.js";
export { createToken, findUserByToken, hashToken, listTokens, revokeToken } from "./tokens.js";

/** Options of {@link createApi}. */
export interface TApiOptions {
  config: TConfig;
  prisma: PrismaClient;
  isEmbeddedDb: boolean;
  runtimeStatus?: () => Promise<Pick<THealth, "jupyter" | "spark">>;
  /** The execution broker, once the kernel runtime is attached (null: runs answer 503). */
  getBroker?: () => TRunBroker | null;
  /** The projects' shared Spark servers, once the kernel runtime is attached. */
  getSparkConnect?: () => TSparkConnectServers | null;
  /** The job service, once started (null: run requests wait for a server that has one). */
  getJobs?: () => TJobService | null;
  /** The MLflow tracking server (docs/models.md), once started; null: the models routes answer 503. */
  getMlflow?: () => TMlflowBackend | null;
  /** Deployments' scoring processes (the kernel runtime's `scoring`); null: predict answers 503. */
  getScoring?: () => TScoringServices | null;
  /** The kernel pool, for batch scoring's Spark jobs (docs/models.md); null: they answer 503. */
  getKernels?: () => TBatchKernels | null;
  onUnexpectedError?: (error: unknown, request: Request) => void;
  /** The co-editing rooms shared with the notebook socket and the broker's cell store. */
  collab?: CollabHub | null;
  /** This web server's id (cluster/server-registry.ts), written on the profiling runs it takes. */
  serverId?: string;
  /** Reported by `/api/health`: whether the servers share the projects folder (cluster/shared-folder.ts). */
  checkProjectsFolder?: () => Promise<NonNullable<THealth["projectsFolder"]>>;
}

/** Where a request came from, as the HTTP server saw it. */
export interface TApiClient {
  socketAddress: string | undefined;
}

/** A ready API: request handlers plus the auth helpers the server and pages need. */
export interface TApi {
  auth: TAuth;
  /**
   * Handles `/api/auth/*` (better-auth), `/api/forms/*` (the sign-in and sign-up pages' HTML
   * forms) and every other `/api/*` route. `client.socketAddress` is the TCP peer
   * (`req.socket.remoteAddress`): sign-in limits count per client address, resolved from it and
   * FLINT_TRUSTED_PROXIES; without it every caller shares one bucket.
   */
  handle: (request: Request, client?: TApiClient) => Promise<Response>;
  /** Resolves the caller of a request (session cookie or bearer token). */
  authenticate: (request: Request) => Promise<TActor | null>;
  routes: TAnyRoute[];
  /** The data catalog service (profiler, popularity); the seed registers its sample with it. */
  catalog: Catalog;
  /** Stops background work (profiling jobs and their Spark processes). */
  stop: () => Promise<void>;
}

/** Creates the API of one Flint process. */
export function createApi(options: TApiOptions): TApi {
  const { config, prisma } = options;
  const auth = createAuth(config, prisma);
  const authenticate = async (request: Request): Promise<TActor | null> => {
    const header = request.headers.get("authorization");
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) return null;
      const user = await findUserByToken(prisma, match[1]);
      return user
        ? { userId: user.id, email: user.email, name: user.name, via: "token", scope: user.scope }
        : null;
    }
    const session = await auth.api.getSession({ headers: request.headers }).catch(() => null);
    if (!session) return null;
    // A session is the person at their browser: the user's full rights.
    return {
      userId: session.user.id,
      email: session.user.email,
      name: session.user.name,
      via: "session",
      scope: "admin",
    };
  };
  const bucket = createBucketStorage(config);
  const catalog = createCatalogService(prisma, config, bucket, options.serverId);
  const batchScores = createBatchScoreService({
    prisma,
    catalog,
    getMlflow: options.getMlflow ?? (() => null),
    getKernels: options.getKernels ?? (() => null),
  });
  // One per process: the revoke route clears this server's cache through it (routes/deployments.ts).
  const deploymentKeys = createDeploymentKeyGate(prisma, {
    ratePerMinute: config.deployments.keyRatePerMinute,
  });
  const routes: TAnyRoute[] = createRoutes({
    deploymentKeys,
    bucket,
    prisma,
    config,
    isEmbeddedDb: options.isEmbeddedDb,
    runtimeStatus:
      options.runtimeStatus ??
      (async () => ({ jupyter: { status: "not started" }, spark: { status: "not started" } })),
    openApiDocument: () => buildOpenApiDocument(routes, config.publicUrl),
    getBroker: options.getBroker ?? (() => null),
    getSparkConnect: options.getSparkConnect ?? (() => null),
    getJobs: options.getJobs ?? (() => null),
    getMlflow: options.getMlflow ?? (() => null),
    getScoring: options.getScoring ?? (() => null),
    catalog,
    batchScores,
    collab: options.collab ?? null,
    checkProjectsFolder: options.checkProjectsFolder ?? null,
  });
  const router = createRouter({
    deploymentKeys,
    routes,
    maxBodyBytes: config.maxBodyBytes,
    authenticate,
    prisma,
    trustedOrigins: config.trustedOrigins,
    onUnexpectedError: options.onUnexpectedError,
  });
  const authForms = createAuthForms({
    auth,
    trustedOrigins: config.trustedOrigins,
    onUnexpectedError: options.onUnexpectedError,
  });
  const handle = async (request: Request, client?: TApiClient): Promise<Response> => {
    const { pathname } = new URL(request.url);
    // Always overwritten: a client's own copy of this header must never choose its bucket.
    request.headers.set(
      CLIENT_ADDRESS_HEADER,
      resolveClientAddress(
        client?.socketAddress,
        request.headers.get("x-forwarded-for"),
        config.trustedProxies,
      ),
    );
    // better-auth's writes (sign-out, session revocation, password change) may end a session:
    // open sockets check again at their next command (access-cache.ts).
    if (pathname.startsWith("/api/auth/") || isAuthFormPath(pathname)) {
      const response = pathname.startsWith("/api/auth/")
        ? await auth.handler(request)
        : await authForms(request);
      if (request.method !== "GET" && request.method !== "HEAD") accessChanged();
      return response;
    }
    return await router(request);
  };
  const stop = async () => {
    await batchScores.stop();
    await deploymentKeys.close();
    await catalog.stop();
  };
  return { auth, handle, authenticate, routes, catalog, stop };
}

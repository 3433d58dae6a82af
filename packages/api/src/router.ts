/**
 * A small typed router for `/api/*`. Each route implements one endpoint of the contract
 * (`contract/`): the router authenticates, enforces the endpoint's access rule, parses and
 * validates input, runs the handler and maps errors to JSON. The OpenAPI document is generated
 * from the same declarations (openapi.ts).
 */

import type { PrismaClient } from "@flint/db";
import type { z } from "zod";
import { authorize, type TActor, type TGrant, type TSiteGrant, type TTarget } from "./authorize.js";
import {
  requiresSignIn,
  type TAccess,
  type TBodyOf,
  type TEndpoint,
  type TIsAnonymousAllowed,
  type TParamsOf,
  type TQueryOf,
  type TResponseOf,
  type TSiteAccess,
  type TTargetSource,
} from "./contract/endpoint.js";
import { AppError, describeZodError } from "./errors.js";
import type { TPermission, TSitePermission } from "./permissions.js";
import { resolveNotebookToken } from "./services/catalog.js";
import {
  resolveDeploymentKey,
  type TDeploymentCaller,
  type TDeploymentKeyGate,
} from "./services/deployment-keys.js";

/**
 * A kernel calling with its notebook's token (`flint_nbk_...`): the notebook and the projects it
 * may reach. Handed to `notebookToken` routes, which limit what they do to it.
 */
export interface TKernelCaller {
  /** The only project it may write to: its notebook's. */
  projectScope: string;
  /** The projects it may read: its own first, then its notebook's fork sources'. */
  readScope: string[];
  /** The notebooks its notebook was forked from, nearest first. */
  forkSources: { notebookId: string; projectId: string; isPublished: boolean }[];
  /** The notebook it was issued for (lineage). */
  notebookId: string | null;
}

/** The caller a handler gets: non-null unless its access rule lets anonymous visitors in. */
export type TActorFor<A extends TAccess> = TIsAnonymousAllowed<A> extends true ? TActor | null : TActor;

/** The grant a handler gets: what `authorize` answered for its access rule (none for the rest). */
export type TGrantFor<A extends TAccess> = A extends TSiteAccess
  ? TSiteGrant
  : A extends { permission: string }
    ? TGrant
    : undefined;

/** The per-request context a handler receives. */
export interface TRouteContext<E extends TEndpoint> {
  actor: TActorFor<E["access"]>;
  grant: TGrantFor<E["access"]>;
  /** For `notebookToken` routes called with a notebook's token: its limits; otherwise null. */
  kernel: TKernelCaller | null;
  /** For `deploymentKey` routes: the deployment the key opened; otherwise null. */
  deployment: TDeploymentCaller | null;
  params: TParamsOf<E>;
  query: TQueryOf<E>;
  body: TBodyOf<E>;
  /** The body's bytes, for routes declared with `rawBody`. */
  raw: Uint8Array;
  request: Request;
}

/** One API route: an endpoint of the contract and its handler. */
export type TRoute<E extends TEndpoint = TEndpoint> = E & {
  handler: (context: TRouteContext<E>) => Promise<TResponseOf<E> | Response>;
};

/** Implements an endpoint of the contract. */
export function implement<E extends TEndpoint>(
  endpoint: E,
  handler: (context: TRouteContext<E>) => Promise<TResponseOf<E> | Response>,
): TRoute<E> {
  return { ...endpoint, handler };
}

/** The routes of a group of endpoints: every endpoint of the group, implemented. */
export type TRoutesOf<G extends Record<string, TEndpoint>> = { [K in keyof G]: TRoute<G[K]> };

/** A route of any types, as stored in the route table. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of many shapes; each is typed where it is implemented.
export type TAnyRoute = TEndpoint & { handler: (context: any) => Promise<unknown> };

/** Builds a JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The JSON error body every failing API call answers with. */
export function errorResponse(error: AppError): Response {
  const retryAfter = error.details?.retryAfter;
  return json(
    { error: { code: error.code, message: error.message, ...(error.details ?? {}) } },
    error.status,
    // A 429 says when to come back (RFC 9110), as the sign-in limits do.
    error.status === 429 && typeof retryAfter === "number"
      ? { "retry-after": String(retryAfter) }
      : undefined,
  );
}

interface TCompiledRoute {
  route: TAnyRoute;
  pattern: RegExp;
  names: string[];
}

function compile(route: TAnyRoute): TCompiledRoute {
  const names: string[] = [];
  const source = route.path
    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
    // `{name}` is one path segment; `{name+}` the rest of the path (the MLflow proxy's).
    .replace(/\{(\w+)(\\\+)?\}/g, (_m, name: string, isRest?: string) => {
      names.push(name);
      return isRest ? "(.+)" : "([^/]+)";
    });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** Reads a request body up to `limit` bytes; 413 beyond it without buffering the rest. */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(limit: number): AppError {
  return new AppError(
    "payload_too_large",
    `The request body is larger than the limit of ${formatBytes(limit)}.`,
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.round(bytes / 1000)} kB`;
}

function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AppError("bad_request", "The request body is not valid UTF-8.");
  }
  if (text.trim() === "") throw new AppError("bad_request", "The request body is empty; send a JSON object.");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("bad_request", `Malformed JSON in the request body: ${(error as Error).message}`);
  }
}

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError("bad_request", describeZodError(where, result.error));
  return result.data;
}

/** Options of a router instance. */
export interface TRouterOptions {
  routes: TAnyRoute[];
  maxBodyBytes: number;
  /** Resolves the caller from the request's cookie or bearer token. */
  authenticate: (request: Request) => Promise<TActor | null>;
  /** The database, for `authorize` and for notebook tokens. */
  prisma: PrismaClient;
  /** Origins allowed to make cookie-authenticated state-changing calls. */
  trustedOrigins: string[];
  /** Called with unexpected errors (for the server log); the caller only sees a generic 500. */
  onUnexpectedError?: (error: unknown, request: Request) => void;
  /** Deployment keys with their cache and rate limit; without it, every key is looked up, no limit. */
  deploymentKeys?: TDeploymentKeyGate;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const SIGN_IN_MESSAGE = "Sign in or send a personal access token (Authorization: Bearer ...).";

/** Reads the id a permission's target names (`params.id`, `query.projectId`, `body.projectId`). */
function readTargetId(
  from: TTargetSource,
  input: { params: unknown; query: unknown; body: unknown },
): string {
  const [where, key] = from.split(".") as ["params" | "query" | "body", string];
  const value = (input[where] as Record<string, unknown> | undefined)?.[key];
  // An absent id is an id of nothing: authorize answers 404 as for any unknown id.
  return typeof value === "string" ? value : "";
}

/** Refuses a route table with a route that has no access rule (JavaScript callers, casts). */
function assertAccessRules(routes: TAnyRoute[]): void {
  for (const route of routes) {
    const access = (route as { access?: unknown }).access;
    const isValid =
      access === "public" ||
      access === "user" ||
      access === "notebookToken" ||
      access === "deploymentKey" ||
      (typeof access === "object" && access !== null && "permission" in access && "target" in access);
    if (!isValid) throw new Error(`Route ${route.method} ${route.path} declares no access rule.`);
  }
}

/** Creates the request handler for a route table. */
export function createRouter(options: TRouterOptions): (request: Request) => Promise<Response> {
  assertAccessRules(options.routes);
  const compiled = options.routes.map(compile);
  return async (request) => {
    try {
      const url = new URL(request.url);
      const candidates = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) }))
        .filter((candidate) => candidate.match);
      if (candidates.length === 0) throw new AppError("not_found", `No API route ${url.pathname}.`);
      const found = candidates.find((candidate) => candidate.entry.route.method === request.method);
      if (!found?.match) {
        const allowed = candidates.map((candidate) => candidate.entry.route.method).join(", ");
        return json(
          { error: { code: "method_not_allowed", message: `Use ${allowed} on ${url.pathname}.` } },
          405,
          { allow: allowed },
        );
      }
      const { route, names } = found.entry;
      const access = route.access;
      const rawParams: Record<string, string> = {};
      names.forEach((name, index) => {
        rawParams[name] = decodeURIComponent(found.match?.[index + 1] ?? "");
      });
      // A deployment key is the only credential of these routes (no session, no personal token):
      // checked first, so a caller without a valid key learns nothing, not even a payload's faults.
      let deployment: TDeploymentCaller | null = null;
      if (access === "deploymentKey") {
        deployment = options.deploymentKeys
          ? await options.deploymentKeys.resolve(request, rawParams.name ?? "")
          : await resolveDeploymentKey(options.prisma, request, rawParams.name ?? "");
      }
      let actor = access === "deploymentKey" ? null : await options.authenticate(request);
      if (!actor && requiresSignIn(access)) throw new AppError("unauthorized", SIGN_IN_MESSAGE);
      // CSRF: a cookie-authenticated state change must come from Flint's own pages. Token callers
      // are exempt: a browser cannot attach a bearer token to a cross-site request.
      if (actor?.via === "session" && UNSAFE_METHODS.has(request.method)) {
        const origin = request.headers.get("origin");
        if (!origin || !options.trustedOrigins.includes(origin)) {
          throw new AppError(
            "forbidden",
            "Cross-origin request rejected: this call must come from Flint's own pages.",
          );
        }
      }
      // A read-only token changes nothing, on any route (authorize() checks every permission by
      // scope as well; this also covers the few routes that act only on the caller's own data).
      if (actor?.scope === "read" && UNSAFE_METHODS.has(request.method)) {
        throw new AppError(
          "forbidden",
          "This access token's scope is read: it can read but not change anything. Create a token with scope run, write or admin in Settings → Access tokens.",
        );
      }
      const params = validate(route.params, rawParams, "path");
      const query = validate(route.query, Object.fromEntries(url.searchParams), "query");
      let body: unknown;
      let raw: Uint8Array = new Uint8Array();
      if (route.rawBody) {
        raw = await readBodyLimited(request, route.maxBodyBytes ?? options.maxBodyBytes);
      } else if (route.body) {
        const contentType = request.headers.get("content-type") ?? "";
        if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
          throw new AppError(
            "unsupported_media_type",
            "Send the request body as JSON with Content-Type: application/json.",
          );
        }
        body = validate(
          route.body,
          parseJsonBody(await readBodyLimited(request, route.maxBodyBytes ?? options.maxBodyBytes)),
          "body",
        );
      }
      // The access rule, after validation (a malformed request is told so first, as before).
      let kernel: TKernelCaller | null = null;
      if (access === "notebookToken" && !actor) {
        const caller = await resolveNotebookToken(options.prisma, request);
        if (!caller) throw new AppError("unauthorized", SIGN_IN_MESSAGE);
        actor = caller.actor;
        kernel = caller.kernel;
      }
      let grant: TGrant | TSiteGrant | undefined;
      if (typeof access === "object") {
        grant =
          access.target === "site"
            ? await authorize(options.prisma, actor, { kind: "site" }, access.permission as TSitePermission)
            : await authorize(
                options.prisma,
                actor,
                {
                  kind: access.target.kind,
                  id: readTargetId(access.target.from, { params, query, body }),
                } as TTarget,
                access.permission as TPermission,
              );
      }
      const result = await route.handler({
        actor,
        grant,
        kernel,
        deployment,
        params,
        query,
        body,
        raw,
        request,
      });
      if (result instanceof Response) return result;
      return json(result, route.status ?? 200);
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error);
      options.onUnexpectedError?.(error, request);
      return errorResponse(
        new AppError("internal", "Something went wrong on the server; it has been logged. Try again."),
      );
    }
  };
}

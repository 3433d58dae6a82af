/**
 * A small typed router for `/api/*`: each route declares its zod schemas and its authentication;
 * the router authenticates, parses and validates input, runs the handler and maps errors to
 * JSON. The OpenAPI document is generated from the same declarations (openapi.ts).
 */
import type { z } from "zod";
import type { TActor } from "./authorize.js";
import { AppError, describeZodError } from "./errors.js";

/** The per-request context a handler receives. */
export interface TRouteContext<P, Q, B> {
  actor: TActor | null;
  params: P;
  query: Q;
  body: B;
  /** The body's bytes, for routes declared with `rawBody`. */
  raw: Uint8Array;
  request: Request;
}

type TMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One API route. `auth: "user"` rejects callers without a session or token with 401. */
export interface TRoute<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: TMethod;
  /** OpenAPI-style template, e.g. `/api/v1/projects/{id}`. */
  path: string;
  summary: string;
  tag: string;
  auth: "user" | "public";
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType<R>;
  /** HTTP status of a successful answer (default 200). */
  status?: number;
  /** Body size limit for this route; defaults to the server's limit. */
  maxBodyBytes?: number;
  /** Hands the handler the raw body bytes (file uploads) instead of parsed JSON; `body` is unused. */
  rawBody?: { contentTypes: string[]; description: string };
  /**
   * For routes that read the request themselves (streamed uploads): the bodies they accept, by
   * content type, for the OpenAPI document only. The handler still validates what it reads.
   */
  documentedBody?: { description: string; content: Record<string, z.ZodType> };
  handler: (context: TRouteContext<P, Q, B>) => Promise<R | Response>;
}

/** Declares a route with inferred types. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown>(
  route: TRoute<P, Q, B, R>,
): TRoute<P, Q, B, R> {
  return route;
}

/** A route of any types, as stored in the route table. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of many shapes; each is typed where it is defined.
export type TAnyRoute = TRoute<any, any, any, any>;

/** Builds a JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** The JSON error body every failing API call answers with. */
export function errorResponse(error: AppError): Response {
  return json(
    { error: { code: error.code, message: error.message, ...(error.details ?? {}) } },
    error.status,
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
    .replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a, b) => {
      names.push(a ?? b);
      return "([^/]+)";
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
  /** Origins allowed to make cookie-authenticated state-changing calls. */
  trustedOrigins: string[];
  /** Called with unexpected errors (for the server log); the caller only sees a generic 500. */
  onUnexpectedError?: (error: unknown, request: Request) => void;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Creates the request handler for a route table. */
export function createRouter(options: TRouterOptions): (request: Request) => Promise<Response> {
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
      const actor = await options.authenticate(request);
      if (route.auth === "user" && !actor) {
        throw new AppError(
          "unauthorized",
          "Sign in or send a personal access token (Authorization: Bearer ...).",
        );
      }
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
      const rawParams: Record<string, string> = {};
      names.forEach((name, index) => {
        rawParams[name] = decodeURIComponent(found.match?.[index + 1] ?? "");
      });
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
      const result = await route.handler({ actor, params, query, body, raw, request });
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

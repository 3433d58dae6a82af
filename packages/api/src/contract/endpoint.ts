/**
 * What one API route is, as data both ends read: its method and path, the zod schemas of its
 * path, query, body and answer, and who may call it (`access`). The server's router validates
 * with these schemas and enforces `access` before a handler runs; the browser's client takes its
 * types from them. Only zod and the permission table are imported here, so a browser bundle can
 * import the contract (`@flint/api/contract`) without any server code.
 */
import type { z } from "zod";
import type { PERMISSIONS, TPermission, TSitePermission } from "../permissions";

/** The HTTP methods the API uses. */
export type TMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The kinds of resource a permission is checked on (`authorize`'s targets). */
export type TTargetKind =
  | "project"
  | "notebook"
  | "chart"
  | "comment"
  | "asset"
  | "connection"
  | "job"
  | "jobRun";

/**
 * Where the router reads the id of a permission's target: a path parameter, a query parameter or
 * a body field, after they were validated.
 */
export type TTargetSource = `params.${string}` | `query.${string}` | `body.${string}`;

/** Permissions that anyone may hold on a published item (their roles include "public"). */
export type TPublicPermission = {
  [P in TPermission]: "public" extends (typeof PERMISSIONS)[P][number] ? P : never;
}[TPermission];

/** A permission on one resource, found by `target.from`. */
export interface TProjectAccess {
  permission: TPermission;
  target: { kind: TTargetKind; from: TTargetSource };
  /**
   * Anonymous visitors may call it too (they hold the "public" role on published notebooks and
   * charts); only permissions the public role can hold allow it.
   */
  anonymous?: boolean;
}

/** A site-wide permission (administration, one's own account). Always needs a signed-in caller. */
export interface TSiteAccess {
  permission: TSitePermission;
  target: "site";
}

/**
 * Who may call a route:
 * - `"public"`: anyone, signed in or not (the handler gets `actor: TActor | null`);
 * - `"user"`: a signed-in user or a personal access token, for routes that act only on the
 *   caller's own data or whose check depends on a row the handler loads;
 * - `"notebookToken"`: as `"user"`, or a kernel's notebook token (`flint_nbk_...`), which the
 *   router resolves to its user, limited to its notebook's project;
 * - `"deploymentKey"`: an application's deployment key (`flint_dk_...`) for the deployment the path
 *   names (`params.name`); the router checks it (401 for a missing or revoked key, 404 for a
 *   deployment the key is not for) and hands the handler the deployment; no user acts;
 * - `{ permission, target }`: the router calls `authorize` with that permission on that target
 *   (404 outside the caller's projects, 403 for a role without it) and hands the handler the grant;
 *   `target: "site"` for site permissions.
 */
export type TAccess = "public" | "user" | "notebookToken" | "deploymentKey" | TProjectAccess | TSiteAccess;

/** An endpoint as declared in the contract. `access` is required: a route without one is a type error. */
export interface TEndpoint {
  method: TMethod;
  /** OpenAPI-style template, e.g. `/api/v1/projects/{id}`. */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** The OpenAPI tag (a section of the document). */
  tag: string;
  access: TAccess;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  /** HTTP status of a successful answer (default 200). */
  status?: number;
  /** Body size limit for this route; defaults to the server's limit. */
  maxBodyBytes?: number;
  /** The body is a file (raw bytes), not JSON; `body` is unused. */
  rawBody?: { contentTypes: string[]; description: string };
  /**
   * For routes that read the request themselves (streamed uploads): the bodies they accept, by
   * content type, for the OpenAPI document only.
   */
  documentedBody?: { description: string; content: Record<string, z.ZodType> };
  /**
   * The answer is not JSON (a download: an .ipynb, a file, CSV); `response` describes it for the
   * OpenAPI document and a client reads the body itself.
   */
  isDownload?: boolean;
}

/**
 * Declares an endpoint, keeping its literal types (method, access, schemas) for the router and
 * the client.
 */
export function defineEndpoint<const E extends TEndpoint>(endpoint: E & TCheckAccess<E>): E {
  return endpoint;
}

/** Refuses `anonymous: true` on a permission the public role cannot hold. */
type TCheckAccess<E extends TEndpoint> = E["access"] extends { permission: infer P; anonymous: true }
  ? P extends TPublicPermission
    ? unknown
    : { access: { anonymous: "only for permissions the public role holds (notebook.read, chart.read)" } }
  : unknown;

/** Whether a route's access rule lets anonymous visitors through to its handler. */
export type TIsAnonymousAllowed<A extends TAccess> = A extends "public" | "deploymentKey"
  ? true
  : A extends { anonymous: true }
    ? true
    : false;

/** Whether the router must refuse an anonymous caller before validating the request. */
export function requiresSignIn(access: TAccess): boolean {
  if (access === "public" || access === "notebookToken" || access === "deploymentKey") return false;
  if (access === "user") return true;
  return !("anonymous" in access && access.anonymous === true);
}

/** The path parameters an endpoint's handler receives. */
export type TParamsOf<E extends TEndpoint> = E["params"] extends z.ZodType
  ? z.output<E["params"]>
  : Record<string, never>;
/** The query an endpoint's handler receives (after defaults and coercion). */
export type TQueryOf<E extends TEndpoint> = E["query"] extends z.ZodType
  ? z.output<E["query"]>
  : Record<string, never>;
/** The body an endpoint's handler receives (after defaults). */
export type TBodyOf<E extends TEndpoint> = E["body"] extends z.ZodType ? z.output<E["body"]> : undefined;
/** What a client sends as path parameters. */
export type TParamsInput<E extends TEndpoint> = E["params"] extends z.ZodType
  ? z.input<E["params"]>
  : Record<string, never>;
/** What a client sends as query parameters. */
export type TQueryInput<E extends TEndpoint> = E["query"] extends z.ZodType
  ? z.input<E["query"]>
  : Record<string, never>;
/** What a client sends as the JSON body. */
export type TBodyInput<E extends TEndpoint> = E["body"] extends z.ZodType ? z.input<E["body"]> : undefined;
/** What an endpoint answers (the JSON a client reads). */
export type TResponseOf<E extends TEndpoint> = z.output<E["response"]>;

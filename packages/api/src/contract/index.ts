/**
 * `@flint/api/contract`: every route of Flint's API as data (method, path, zod schemas of its
 * path, query, body and answer, and its access rule), keyed by route name. The server's router
 * implements these entries (packages/api/src/routes/*) and the browser's client is typed from
 * them, so a change of the API shows as a type error on both sides. Zod only: no server code.
 */
import { accountEndpoints } from "./account.js";
import { adminEndpoints } from "./admin.js";
import { catalogEndpoints } from "./catalog.js";
import { chartEndpoints } from "./charts.js";
import { checkpointEndpoints } from "./checkpoints.js";
import { commentEndpoints } from "./comments.js";
import { communityEndpoints } from "./community.js";
import type { TBodyInput, TEndpoint, TParamsInput, TQueryInput, TResponseOf } from "./endpoint.js";
import { fileEndpoints } from "./files.js";
import { healthEndpoints } from "./health.js";
import { memberEndpoints } from "./members.js";
import { notebookEndpoints } from "./notebooks.js";
import { outputEndpoints } from "./outputs.js";
import { projectEndpoints } from "./projects.js";
import { runEndpoints } from "./run.js";

/** Every route of the API, by name. */
export const contract = {
  ...healthEndpoints,
  ...accountEndpoints,
  ...adminEndpoints,
  ...projectEndpoints,
  ...memberEndpoints,
  ...notebookEndpoints,
  ...checkpointEndpoints,
  ...runEndpoints,
  ...outputEndpoints,
  ...chartEndpoints,
  ...commentEndpoints,
  ...communityEndpoints,
  ...catalogEndpoints,
  ...fileEndpoints,
} satisfies Record<string, TEndpoint>;

/** The contract's type. */
export type TContract = typeof contract;
/** A route's name. */
export type TRouteName = keyof TContract;
/** What route `N` answers (the parsed JSON). */
export type TResponse<N extends TRouteName> = TResponseOf<TContract[N]>;
/** The path parameters route `N` takes. */
export type TParams<N extends TRouteName> = TParamsInput<TContract[N]>;
/** The query parameters route `N` takes. */
export type TQuery<N extends TRouteName> = TQueryInput<TContract[N]>;
/** The JSON body route `N` takes (`undefined`: none). */
export type TBody<N extends TRouteName> = TBodyInput<TContract[N]>;
/** Everything a call of route `N` sends, as one object; absent parts are left out. */
export type TRequest<N extends TRouteName> = (TContract[N] extends { params: unknown }
  ? { params: TParams<N> }
  : { params?: never }) &
  (TContract[N] extends { query: unknown } ? { query?: TQuery<N> } : { query?: never }) &
  (TContract[N] extends { body: unknown } ? { body: TBody<N> } : { body?: never });

/** Fills a path template (`/api/v1/projects/{id}`) with its parameters, percent-encoded. */
export function buildPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`Missing path parameter ${name} for ${template}.`);
    return encodeURIComponent(value);
  });
}

export {
  ABILITIES,
  describePermissions,
  PERMISSIONS,
  PROJECT_ROLES,
  type TAbility,
  TOKEN_SCOPES,
  type TPermission,
  type TPermissions,
  type TProjectRole,
  type TTokenScope,
} from "../permissions.js";
export * from "./account.js";
export * from "./admin.js";
export * from "./charts.js";
export * from "./checkpoints.js";
export * from "./comments.js";
export { type TPermissionsDocument, ZPermissions } from "./common.js";
export * from "./community.js";
export * from "./endpoint.js";
export * from "./files.js";
export * from "./health.js";
export * from "./members.js";
export * from "./notebooks.js";
export * from "./projects.js";
export * from "./run.js";

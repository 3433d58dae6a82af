/**
 * `@flint/api/contract`: every route of Flint's API as data (method, path, zod schemas of its
 * path, query, body and answer, and its access rule), keyed by route name. The server's router
 * implements these entries (packages/api/src/routes/*) and the browser's client is typed from
 * them, so a change of the API shows as a type error on both sides. Zod only: no server code.
 */
import { accountEndpoints } from "./account";
import { adminEndpoints } from "./admin";
import { batchScoreEndpoints } from "./batch-scores";
import { catalogEndpoints } from "./catalog";
import { chartEndpoints } from "./charts";
import { checkpointEndpoints } from "./checkpoints";
import { commentEndpoints } from "./comments";
import { communityEndpoints } from "./community";
import { deploymentEndpoints } from "./deployments";
import type { TBodyInput, TEndpoint, TParamsInput, TQueryInput, TResponseOf } from "./endpoint";
import { fileEndpoints } from "./files";
import { healthEndpoints } from "./health";
import { jobEndpoints } from "./jobs";
import { memberEndpoints } from "./members";
import { modelEndpoints } from "./models";
import { notebookEndpoints } from "./notebooks";
import { outputEndpoints } from "./outputs";
import { projectEndpoints } from "./projects";
import { runEndpoints } from "./run";
import { sparkEndpoints } from "./spark";

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
  ...sparkEndpoints,
  ...outputEndpoints,
  ...chartEndpoints,
  ...commentEndpoints,
  ...communityEndpoints,
  ...catalogEndpoints,
  ...fileEndpoints,
  ...jobEndpoints,
  ...modelEndpoints,
  ...deploymentEndpoints,
  ...batchScoreEndpoints,
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
} from "../permissions";
export * from "./account";
export * from "./admin";
export * from "./charts";
export * from "./checkpoints";
export * from "./comments";
export { type TPermissionsDocument, ZPermissions } from "./common";
export * from "./community";
export * from "./endpoint";
export * from "./files";
export * from "./health";
export * from "./jobs";
export * from "./members";
export * from "./notebooks";
export * from "./projects";
export * from "./run";
export * from "./spark";

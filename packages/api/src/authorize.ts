/**
 * The one authorization choke point (STYLE.md habit 3). Every route handler and every WebSocket
 * command calls `authorize` with a named permission; resources are loaded with a `where` that
 * includes the caller's membership, and ids outside the caller's projects answer 404. Site-wide
 * permissions (administration) go through it too, with the target `{ kind: "site" }`.
 */
import type { PrismaClient } from "@flint/db";
import type { TAccessCache } from "./access-cache.js";
import { AppError, notFound } from "./errors.js";
import {
  hasPermission,
  hasSitePermission,
  scopeAllows,
  type TAccessRole,
  TOKEN_SCOPES,
  type TPermission,
  type TProjectRole,
  type TSitePermission,
  type TSiteRole,
  type TTokenScope,
} from "./permissions.js";

/** Who is calling: a signed-in user (cookie session) or a personal access token. */
export interface TActor {
  userId: string;
  email: string;
  name: string;
  via: "session" | "token";
  /** What the credential may do: a token's scope; a session has the user's full rights (`admin`). */
  scope: TTokenScope;
}

/** What a permission is checked on. */
export type TTarget =
  | { kind: "project"; id: string }
  | { kind: "notebook"; id: string }
  | { kind: "chart"; id: string }
  | { kind: "comment"; id: string }
  | { kind: "asset"; id: string }
  | { kind: "connection"; id: string }
  | { kind: "job"; id: string }
  | { kind: "jobRun"; id: string };

/** The whole site, for site-wide permissions such as `site.users`. */
export type TSiteTarget = { kind: "site" };

/**
 * The database, and optionally a memory of access facts (access-cache.ts): the notebook socket
 * passes one so its commands do not read PostgreSQL each time. The decision is made here either
 * way, from the same facts.
 */
export type TAccessSource = PrismaClient | CachedAccess;

/** The database with a memory of access facts in front of it (see {@link TAccessSource}). */
export class CachedAccess {
  constructor(
    readonly prisma: PrismaClient,
    readonly accessCache: TAccessCache,
  ) {}
}

/** The result of a successful check: the project the target belongs to and the caller's role. */
export interface TGrant {
  projectId: string;
  role: TAccessRole;
}

/** The result of a successful site-wide check: the caller's site role. */
export interface TSiteGrant {
  role: TSiteRole;
}

const LABEL = {
  project: "Project",
  notebook: "Notebook",
  chart: "Chart",
  comment: "Comment",
  asset: "Asset",
  connection: "Connection",
  job: "Job",
  jobRun: "Job run",
} as const;

/** Finds the project of a target and whether the target is published to the community. */
async function locate(
  prisma: PrismaClient,
  target: TTarget,
): Promise<{ projectId: string; isPublished: boolean; isTrashed?: boolean } | null> {
  switch (target.kind) {
    case "project": {
      const row = await prisma.project.findUnique({ where: { id: target.id }, select: { id: true } });
      return row ? { projectId: row.id, isPublished: false } : null;
    }
    case "notebook": {
      const row = await prisma.notebook.findUnique({
        where: { id: target.id },
        select: { projectId: true, publishedAt: true, deletedAt: true },
      });
      if (!row) return null;
      // A notebook in the trash is published to nobody while it is there (restoring brings the
      // public page back as it was).
      const isTrashed = row.deletedAt !== null;
      return { projectId: row.projectId, isPublished: row.publishedAt !== null && !isTrashed, isTrashed };
    }
    case "chart": {
      const row = await prisma.chart.findUnique({
        where: { id: target.id },
        select: { projectId: true, publishedAt: true },
      });
      return row ? { projectId: row.projectId, isPublished: row.publishedAt !== null } : null;
    }
    case "comment": {
      const row = await prisma.comment.findUnique({ where: { id: target.id }, select: { projectId: true } });
      return row ? { projectId: row.projectId, isPublished: false } : null;
    }
    case "asset": {
      const row = await prisma.catalogAsset.findUnique({
        where: { id: target.id },
        select: { projectId: true },
      });
      return row ? { projectId: row.projectId, isPublished: false } : null;
    }
    case "connection": {
      const row = await prisma.catalogConnection.findUnique({
        where: { id: target.id },
        select: { projectId: true },
      });
      return row ? { projectId: row.projectId, isPublished: false } : null;
    }
    case "job": {
      const row = await prisma.job.findUnique({ where: { id: target.id }, select: { projectId: true } });
      return row ? { projectId: row.projectId, isPublished: false } : null;
    }
    case "jobRun": {
      const row = await prisma.jobRun.findUnique({
        where: { id: target.id },
        select: { job: { select: { projectId: true } } },
      });
      return row ? { projectId: row.job.projectId, isPublished: false } : null;
    }
  }
}

/**
 * Checks that `actor` (null: an anonymous visitor) holds `permission` on `target`.
 * Published notebooks and charts are readable by anyone ("public" role); everything else needs
 * a project membership. Site permissions need the site role that holds them.
 * @throws AppError 404 when the target does not exist or the caller may not know it exists,
 *   401 when an anonymous caller needs to sign in, 403 when a member's role (or a user's site
 *   role) lacks the permission.
 */
export async function authorize(
  source: TAccessSource,
  actor: TActor | null,
  target: TSiteTarget,
  permission: TSitePermission,
): Promise<TSiteGrant>;
export async function authorize(
  source: TAccessSource,
  actor: TActor | null,
  target: TTarget,
  permission: TPermission,
): Promise<TGrant>;
export async function authorize(
  source: TAccessSource,
  actor: TActor | null,
  target: TTarget | TSiteTarget,
  permission: TPermission | TSitePermission,
): Promise<TGrant | TSiteGrant> {
  // The token's scope is checked after the role, so ids outside the caller's projects still
  // answer 404 whatever the token.
  const prisma = source instanceof CachedAccess ? source.prisma : source;
  const cache = source instanceof CachedAccess ? source.accessCache : null;
  const grant =
    target.kind === "site"
      ? await authorizeSite(prisma, actor, permission as TSitePermission)
      : await authorizeInProject(prisma, cache, actor, target, permission as TPermission);
  if (actor) requireScope(actor, permission);
  return grant;
}

/**
 * Refuses a credential whose scope is too weak for `permission`.
 * @throws AppError 403 naming the scope it has and the ones that would do.
 */
export function requireScope(actor: TActor, permission: TPermission | TSitePermission): void {
  if (scopeAllows(actor.scope, permission)) return;
  const enough = TOKEN_SCOPES.filter((scope) => scopeAllows(scope, permission)).join(", ");
  throw new AppError(
    "forbidden",
    `This access token's scope is ${actor.scope}; ${permission} needs a token with scope ${enough}. Create one in Settings → Access tokens.`,
  );
}

async function authorizeSite(
  prisma: PrismaClient,
  actor: TActor | null,
  permission: TSitePermission,
): Promise<TSiteGrant> {
  if (!actor)
    throw new AppError(
      "unauthorized",
      "Sign in or send a personal access token (Authorization: Bearer ...).",
    );
  // Read at every call, so a demoted administrator loses the right at once.
  const user = await prisma.user.findUnique({ where: { id: actor.userId }, select: { isAdmin: true } });
  const role: TSiteRole = user?.isAdmin ? "admin" : "user";
  if (!hasSitePermission(role, permission)) {
    throw new AppError(
      "forbidden",
      `Administration (${permission}) needs a site administrator; whoever runs this Flint can make you one with \`npm run flint -- user promote EMAIL\`.`,
    );
  }
  return { role };
}

/** What a project check is decided from: where the target lives and the caller's membership. */
interface TAccessFacts {
  located: { projectId: string; isPublished: boolean; isTrashed?: boolean };
  memberRole: TProjectRole | null;
}

async function loadFacts(
  prisma: PrismaClient,
  actor: TActor | null,
  target: TTarget,
): Promise<TAccessFacts | null> {
  const located = await locate(prisma, target);
  if (!located) return null;
  const membership = actor
    ? await prisma.projectMember.findUnique({
        where: { projectId_userId: { projectId: located.projectId, userId: actor.userId } },
        select: { role: true },
      })
    : null;
  return { located, memberRole: membership?.role ?? null };
}

async function authorizeInProject(
  prisma: PrismaClient,
  cache: TAccessCache | null,
  actor: TActor | null,
  target: TTarget,
  permission: TPermission,
): Promise<TGrant> {
  const facts = cache
    ? await cache.remember(`facts ${target.kind} ${target.id} ${actor?.userId ?? "-"}`, () =>
        loadFacts(prisma, actor, target),
      )
    : await loadFacts(prisma, actor, target);
  const located = facts?.located;
  if (!located) {
    if (!actor)
      throw new AppError(
        "unauthorized",
        "Sign in or send a personal access token (Authorization: Bearer ...).",
      );
    throw notFound(LABEL[target.kind]);
  }
  const role: TAccessRole | null = facts.memberRole ?? (located.isPublished ? "public" : null);
  if (!role) {
    if (!actor)
      throw new AppError(
        "unauthorized",
        "Sign in or send a personal access token (Authorization: Bearer ...).",
      );
    throw notFound(LABEL[target.kind]);
  }
  if (located.isTrashed && permission !== "notebook.delete") {
    // Every route and socket command on a trashed notebook stops here, save restore and delete
    // forever; members learn where it went, anyone else the usual 404.
    if (role === "public") throw notFound(LABEL[target.kind]);
    throw new AppError(
      "not_found",
      "This notebook is in the project's trash. Restore it from the project's Trash tab to open it.",
      { inTrash: true },
    );
  }
  if (!hasPermission(role, permission)) {
    if (role === "public") {
      // Outsiders may read a published item, nothing more; they learn nothing else about it.
      if (!actor) throw new AppError("unauthorized", "Sign in to do more than read this published item.");
      throw new AppError(
        "forbidden",
        `This item is published read-only; ${permission} needs project membership.`,
      );
    }
    throw new AppError(
      "forbidden",
      `Your role in this project is ${role}; ${permission} needs one of: ${describeRoles(permission)}.`,
    );
  }
  return { projectId: located.projectId, role };
}

function describeRoles(permission: TPermission): string {
  return hasPermission("runner", permission)
    ? "runner, editor, admin"
    : hasPermission("editor", permission)
      ? "editor, admin"
      : "admin";
}

/** The member role of a grant on a project (projects are never public, so this always holds). */
export function memberRole(grant: TGrant): TProjectRole {
  if (grant.role === "public") throw new AppError("internal", "A project grant cannot be public.");
  return grant.role;
}

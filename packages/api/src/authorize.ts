/**
 * The one authorization choke point (STYLE.md habit 3). Every route handler and every WebSocket
 * command calls `authorize` with a named permission; resources are loaded with a `where` that
 * includes the caller's membership, and ids outside the caller's projects answer 404.
 */
import type { PrismaClient } from "@flint/db";
import { AppError, notFound } from "./errors.js";
import { hasPermission, type TPermission, type TProjectRole } from "./permissions.js";

/** Who is calling: a signed-in user (cookie session) or a personal access token. */
export interface TActor {
  userId: string;
  email: string;
  name: string;
  via: "session" | "token";
}

/** What a permission is checked on. */
export type TTarget = { kind: "project"; id: string } | { kind: "notebook"; id: string };

/** The result of a successful check: the project the target belongs to and the caller's role. */
export interface TGrant {
  projectId: string;
  role: TProjectRole;
}

/**
 * Checks that `actor` holds `permission` on `target`.
 * @throws AppError 401 without an actor, 404 when the target does not exist or the actor is not a
 *   member of its project (so ids cannot be probed), 403 when a member's role lacks the permission.
 */
export async function authorize(
  prisma: PrismaClient,
  actor: TActor | null,
  target: TTarget,
  permission: TPermission,
): Promise<TGrant> {
  if (!actor)
    throw new AppError(
      "unauthorized",
      "Sign in or send a personal access token (Authorization: Bearer ...).",
    );
  const membership =
    target.kind === "project"
      ? await prisma.projectMember.findFirst({
          where: { projectId: target.id, userId: actor.userId },
          select: { projectId: true, role: true },
        })
      : await prisma.projectMember.findFirst({
          where: { userId: actor.userId, project: { notebooks: { some: { id: target.id } } } },
          select: { projectId: true, role: true },
        });
  if (!membership) throw notFound(target.kind === "project" ? "Project" : "Notebook");
  if (!hasPermission(membership.role, permission)) {
    throw new AppError(
      "forbidden",
      `Your role in this project is ${membership.role}; ${permission} needs one of: ${describeRoles(permission)}.`,
    );
  }
  return { projectId: membership.projectId, role: membership.role };
}

function describeRoles(permission: TPermission): string {
  return hasPermission("runner", permission)
    ? "runner, editor, admin"
    : hasPermission("editor", permission)
      ? "editor, admin"
      : "admin";
}

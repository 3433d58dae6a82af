/**
 * Site users as administrators see them, and the two switches they hold: disabled and admin.
 * The Administration page and `npm run flint -- user ...` both go through these functions, so a
 * user disabled either way loses the same things.
 */
import type { PrismaClient } from "@flint/db";
import { accessChanged } from "../access-cache.js";
import type { TSiteUser } from "../contract/admin.js";

const SITE_USER_SELECT = {
  id: true,
  name: true,
  email: true,
  createdAt: true,
  disabledAt: true,
  isAdmin: true,
} as const;

function toSiteUser(row: {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
  disabledAt: Date | null;
  isAdmin: boolean;
}): TSiteUser {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    disabledAt: row.disabledAt?.toISOString() ?? null,
  };
}

/** Every user, oldest first. */
export async function listUsers(prisma: PrismaClient): Promise<TSiteUser[]> {
  const rows = await prisma.user.findMany({ orderBy: { createdAt: "asc" }, select: SITE_USER_SELECT });
  return rows.map(toSiteUser);
}

/**
 * Disables or enables a user. Disabling ends their sessions at once; their access tokens and
 * notebook tokens are refused while `disabledAt` is set (tokens.ts, @flint/catalog), and
 * better-auth's session hook refuses new sign-ins (auth.ts). Enabling gives the tokens back.
 * @returns the user, or null when there is no user with that id.
 */
export async function setUserDisabled(
  prisma: PrismaClient,
  userId: string,
  isDisabled: boolean,
): Promise<TSiteUser | null> {
  const exists = await prisma.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!exists) return null;
  const [user] = await prisma.$transaction([
    prisma.user.update({
      where: { id: userId },
      data: { disabledAt: isDisabled ? new Date() : null },
      select: SITE_USER_SELECT,
    }),
    ...(isDisabled ? [prisma.session.deleteMany({ where: { userId } })] : []),
  ]);
  accessChanged();
  return toSiteUser(user);
}

/**
 * Makes a user a site administrator or takes it away (`flint user promote|demote`).
 * @returns the user, or null when there is no user with that id.
 */
export async function setUserAdmin(
  prisma: PrismaClient,
  userId: string,
  isAdmin: boolean,
): Promise<TSiteUser | null> {
  const result = await prisma.user.updateMany({ where: { id: userId }, data: { isAdmin } });
  if (result.count !== 1) return null;
  return toSiteUser(await prisma.user.findUniqueOrThrow({ where: { id: userId }, select: SITE_USER_SELECT }));
}

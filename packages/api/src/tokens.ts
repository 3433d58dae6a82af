/**
 * Personal access tokens. The secret is 32 random bytes shown once; only its SHA-256 is stored,
 * which is enough for a high-entropy secret (no password hashing is needed, or done, here).
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@flint/db";

const TOKEN_PREFIX = "flint_pat_";

/** Hashes a token secret for storage and lookup. */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** A token as users see it in their settings: never the secret. */
export interface TTokenSummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const SUMMARY_SELECT = { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true } as const;

/** Creates a token for `userId`; returns the secret once. */
export async function createToken(
  prisma: PrismaClient,
  userId: string,
  name: string,
  secret: string = TOKEN_PREFIX + randomBytes(32).toString("base64url"),
): Promise<{ token: TTokenSummary; secret: string }> {
  const token = await prisma.apiToken.create({
    data: { userId, name, tokenHash: hashToken(secret), prefix: secret.slice(0, TOKEN_PREFIX.length + 4) },
    select: SUMMARY_SELECT,
  });
  return { token, secret };
}

/** Lists a user's tokens that are not revoked. */
export async function listTokens(prisma: PrismaClient, userId: string): Promise<TTokenSummary[]> {
  return await prisma.apiToken.findMany({
    where: { userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: SUMMARY_SELECT,
  });
}

/** Revokes one of a user's tokens; false when the user has no such token. */
export async function revokeToken(prisma: PrismaClient, userId: string, tokenId: string): Promise<boolean> {
  const result = await prisma.apiToken.updateMany({
    where: { id: tokenId, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return result.count === 1;
}

/** Resolves a bearer secret to its user, or null for unknown, revoked tokens and disabled users. */
export async function findUserByToken(
  prisma: PrismaClient,
  secret: string,
): Promise<{ id: string; email: string; name: string } | null> {
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(secret) },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      user: { select: { id: true, email: true, name: true, disabledAt: true } },
    },
  });
  if (!row || row.revokedAt || row.user.disabledAt) return null;
  // Writing on every request would turn reads into writes; a minute's precision is enough.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { id: row.user.id, email: row.user.email, name: row.user.name };
}

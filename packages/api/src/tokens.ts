/**
 * Personal access tokens. The secret is 32 random bytes shown once; only its SHA-256 is stored,
 * which is enough for a high-entropy secret (no password hashing is needed, or done, here).
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@flint/db";
import { accessChanged } from "./access-cache.js";
import type { TTokenScope } from "./permissions.js";

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
  scope: TTokenScope;
  /** Null: never expires. */
  expiresAt: Date | null;
}

const SUMMARY_SELECT = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  scope: true,
  expiresAt: true,
} as const;

/** What a new token may do and until when (default: `admin`, the user's full rights, no expiry). */
export interface TTokenOptions {
  scope?: TTokenScope;
  expiresAt?: Date | null;
  /** A fixed secret (FLINT_DEMO_TOKEN, `flint user add --token`); default: 32 random bytes. */
  secret?: string;
}

/** Creates a token for `userId`; returns the secret once. */
export async function createToken(
  prisma: PrismaClient,
  userId: string,
  name: string,
  options: TTokenOptions = {},
): Promise<{ token: TTokenSummary; secret: string }> {
  const secret = options.secret ?? TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const token = await prisma.apiToken.create({
    data: {
      userId,
      name,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 4),
      scope: options.scope ?? "admin",
      expiresAt: options.expiresAt ?? null,
    },
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
  accessChanged();
  return result.count === 1;
}

/**
 * Resolves a bearer secret to its user and the token's scope, or null for unknown, revoked and
 * expired tokens and disabled users.
 */
export async function findUserByToken(
  prisma: PrismaClient,
  secret: string,
): Promise<{ id: string; email: string; name: string; scope: TTokenScope } | null> {
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(secret) },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      scope: true,
      expiresAt: true,
      user: { select: { id: true, email: true, name: true, disabledAt: true } },
    },
  });
  if (!row || row.revokedAt || row.user.disabledAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  // Writing on every request would turn reads into writes; a minute's precision is enough.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { id: row.user.id, email: row.user.email, name: row.user.name, scope: row.scope };
}

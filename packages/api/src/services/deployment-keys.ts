/**
 * Deployment keys (docs/models.md): what an application sends to a deployment's predict route.
 * Like personal access tokens, the key is 32 random bytes shown once and only its SHA-256 is
 * stored. {@link resolveDeploymentKey} is the one check of these keys; only the router calls it,
 * for routes whose access rule is `deploymentKey`.
 */
import { randomBytes } from "node:crypto";
import type { PrismaClient } from "@flint/db";
import { AppError, notFound } from "../errors.js";
import { hashToken } from "../tokens.js";

const KEY_PREFIX = "flint_dk_";

/** The deployment a key opened, handed to the route's handler. */
export interface TDeploymentCaller {
  id: string;
  name: string;
  projectId: string;
  keyId: string;
}

/** A key as the deployment page lists it: never the secret. */
export interface TDeploymentKeySummary {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const KEY_MESSAGE =
  "Send a deployment key: Authorization: Bearer flint_dk_... (create one on the deployment's page in Flint).";

/**
 * Resolves the request's deployment key for the deployment named `name`.
 * @throws AppError 401 for a missing, unknown or revoked key; 404 when the key is valid but not
 *   for this deployment, or the deployment does not exist (the same answer, so a key of one
 *   deployment does not reveal another's name).
 */
export async function resolveDeploymentKey(
  prisma: PrismaClient,
  request: Request,
  name: string,
): Promise<TDeploymentCaller> {
  const header = request.headers.get("authorization") ?? "";
  const secret = /^Bearer\s+(flint_dk_\S+)$/i.exec(header)?.[1];
  if (!secret) throw new AppError("unauthorized", KEY_MESSAGE);
  const key = await prisma.deploymentKey.findUnique({
    where: { keyHash: hashToken(secret) },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      deployment: { select: { id: true, name: true, projectId: true } },
    },
  });
  if (!key || key.revokedAt)
    throw new AppError("unauthorized", `This deployment key is unknown or was revoked. ${KEY_MESSAGE}`);
  if (key.deployment.name !== name) throw notFound("Deployment");
  // Writing on every call would make each prediction a database write; a minute's precision will do.
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
    await prisma.deploymentKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
  return { ...key.deployment, keyId: key.id };
}

/** Creates a key for a deployment; returns the secret once. */
export async function createDeploymentKey(
  prisma: PrismaClient,
  deploymentId: string,
  name: string,
  createdById: string,
): Promise<{ key: TDeploymentKeySummary; secret: string }> {
  const secret = KEY_PREFIX + randomBytes(32).toString("base64url");
  const key = await prisma.deploymentKey.create({
    data: {
      deploymentId,
      name,
      keyHash: hashToken(secret),
      prefix: secret.slice(0, KEY_PREFIX.length + 4),
      createdById,
    },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true },
  });
  return { key, secret };
}

/** Revokes a key of a deployment; 404 when the deployment has no such key (or it is revoked). */
export async function revokeDeploymentKey(
  prisma: PrismaClient,
  deploymentId: string,
  keyId: string,
): Promise<void> {
  const result = await prisma.deploymentKey.updateMany({
    where: { id: keyId, deploymentId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count !== 1) throw notFound("Deployment key");
}

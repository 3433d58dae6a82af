/**
 * Deployment keys (docs/models.md): what an application sends to a deployment's predict route.
 * Like personal access tokens, the key is 32 random bytes shown once and only its SHA-256 is
 * stored. {@link resolveDeploymentKey} is the one check of these keys; only the router calls it
 * (through {@link createDeploymentKeyGate}, which caches what it verified and counts each key's
 * requests), for routes whose access rule is `deploymentKey`.
 */
import { randomBytes } from "node:crypto";
import { driverDb, listenDb, type PrismaClient, type TDbListener } from "@flint/db";
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
  const { caller, lastUsedAt } = await findKey(prisma, hashOf(request));
  if (caller.name !== name) throw notFound("Deployment");
  noteUse(prisma, caller.keyId, lastUsedAt);
  return caller;
}

/** The SHA-256 of the request's deployment key; 401 when it sends none. */
function hashOf(request: Request): string {
  const header = request.headers.get("authorization") ?? "";
  const secret = /^Bearer\s+(flint_dk_\S+)$/i.exec(header)?.[1];
  if (!secret) throw new AppError("unauthorized", KEY_MESSAGE);
  return hashToken(secret);
}

/** The key with this hash and its deployment; 401 when it is unknown or revoked. */
async function findKey(
  prisma: PrismaClient,
  hash: string,
): Promise<{ caller: TDeploymentCaller; lastUsedAt: Date | null }> {
  const key = await prisma.deploymentKey.findUnique({
    where: { keyHash: hash },
    select: {
      id: true,
      revokedAt: true,
      lastUsedAt: true,
      deployment: { select: { id: true, name: true, projectId: true } },
    },
  });
  if (!key || key.revokedAt)
    throw new AppError("unauthorized", `This deployment key is unknown or was revoked. ${KEY_MESSAGE}`);
  return { caller: { ...key.deployment, keyId: key.id }, lastUsedAt: key.lastUsedAt };
}

/** Writing on every call would make each prediction a database write; a minute's precision will do. */
function noteUse(prisma: PrismaClient, keyId: string, lastUsedAt: Date | null): Date | null {
  if (lastUsedAt && Date.now() - lastUsedAt.getTime() <= 60_000) return lastUsedAt;
  const now = new Date();
  // Not awaited: the caller's answer does not depend on it, and a failed write only loses a date.
  prisma.deploymentKey.update({ where: { id: keyId }, data: { lastUsedAt: now } }).catch(() => undefined);
  return now;
}

/** The channel on which revocations reach every Flint server of the database. */
const REVOKED_CHANNEL = "flint_deployment_keys";

/** Tells every server (their {@link createDeploymentKeyGate}) that a key or a deployment's keys are gone. */
async function announceRevocation(prisma: PrismaClient, what: { keyId: string } | { deploymentId: string }) {
  const payload = "keyId" in what ? `key:${what.keyId}` : `deployment:${what.deploymentId}`;
  await driverDb(prisma).$executeRawUnsafe("SELECT pg_notify($1, $2)", REVOKED_CHANNEL, payload);
}

/** Options of {@link createDeploymentKeyGate}. */
export interface TDeploymentKeyGateOptions {
  /** Requests per key per minute (0: no limit). */
  ratePerMinute: number;
  /** How long a verified key is trusted without asking the database again. Default 30 s. */
  cacheMs?: number;
  /** Listen for revocations from other servers (default true; tests of one server may skip it). */
  isListening?: boolean;
}

/** The deployment keys' check as the router uses it; see {@link createDeploymentKeyGate}. */
export interface TDeploymentKeyGate {
  /** {@link resolveDeploymentKey}, cached, then the key's rate limit (429 with `retryAfter`). */
  resolve(request: Request, name: string): Promise<TDeploymentCaller>;
  /** Drops a revoked key (or every key of a deleted deployment) from this server's cache. */
  forget(what: { keyId: string } | { deploymentId: string }): void;
  /** Starts listening for revocations (else the first prediction does) and resolves once it listens. */
  listening(): Promise<void>;
  close(): Promise<void>;
}

type TCachedKey = { caller: TDeploymentCaller; lastUsedAt: Date | null; expiresAt: number };

const MAX_CACHED_KEYS = 10_000;

/**
 * The predict route's key check with a short-lived cache of verified keys, and a per-key request
 * limit counted in PostgreSQL (`rate_limit`, the table sign-in limits use), so every server of
 * the database shares one count.
 *
 * The cache is why a prediction needs no key lookup (docs/models.md, "Where the time goes"). It
 * never outlives a revocation: revoking clears the entry on this server before the revoke route
 * answers, and a `NOTIFY` clears it on the others. A lookup that raced a revocation is not cached
 * (a generation counter), and while the LISTEN connection is down nothing is cached and the
 * cache is emptied: a notification may have been missed. Only valid keys are cached; unknown keys
 * go to the database each time (they are answered 401 either way).
 */
export function createDeploymentKeyGate(
  prisma: PrismaClient,
  options: TDeploymentKeyGateOptions,
): TDeploymentKeyGate {
  const cacheMs = options.cacheMs ?? 30_000;
  const cache = new Map<string, TCachedKey>();
  /** Bumped by every revocation heard: a lookup that started before one is not cached. */
  let generation = 0;
  const forget = (what: { keyId: string } | { deploymentId: string }) => {
    generation += 1;
    for (const [hash, entry] of cache) {
      const isGone =
        "keyId" in what ? entry.caller.keyId === what.keyId : entry.caller.id === what.deploymentId;
      if (isGone) cache.delete(hash);
    }
  };
  const clear = () => {
    generation += 1;
    cache.clear();
  };
  // Opened at the first prediction: a server (or a test) that never serves one holds no connection.
  let listener: TDbListener | null = null;
  let isClosed = false;
  let markListening = () => {};
  const isListeningNow = new Promise<void>((resolve) => {
    markListening = resolve;
  });
  const listen = () => {
    if (listener || isClosed || options.isListening === false) return;
    listener = listenDb(prisma, REVOKED_CHANNEL, {
      onNotify: (payload) => {
        const [kind, id = ""] = payload.split(":", 2);
        if (kind === "key") forget({ keyId: id });
        else if (kind === "deployment") forget({ deploymentId: id });
        else clear();
      },
      onLost: clear,
      onListening: () => markListening(),
    });
  };
  const canCache = () => (options.isListening === false ? true : listener?.isListening === true);

  /**
   * This server's share of each key's minute: requests it may admit without asking PostgreSQL,
   * until `endsAt` (this server's clock, from the database's answer).
   */
  const budgets = new Map<string, { remaining: number; endsAt: number; isExhausted: boolean }>();
  // Claimed a chunk at a time: one statement per `chunk` predictions instead of one per prediction
  // (it cost ~1 ms of a 5 ms prediction in bench/models). Across servers the sum of claims never
  // exceeds the limit; a server's unused share of a minute is lost, so with several servers a key
  // may be refused up to (servers − 1) × chunk requests early. Small limits claim one at a time.
  const chunk = Math.max(1, Math.min(100, Math.floor(options.ratePerMinute / 50)));

  /** Claims up to `chunk` requests of `keyId`'s current minute; see the module's `rate_limit` use. */
  const claim = async (keyId: string) => {
    // One statement, atomic under concurrent servers: `count` is what was claimed in the window,
    // which starts at the first claim after the previous one ended. Times are the database's clock.
    const rows = await driverDb(prisma).$queryRawUnsafe<{ count: number; wait_ms: string }[]>(
      `WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms)
       INSERT INTO rate_limit (id, key, count, "lastRequest")
       SELECT $1, $1, $2, now.ms FROM now
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limit."lastRequest" <= (SELECT ms FROM now) - 60000 THEN $2 ELSE rate_limit.count + $2 END,
         "lastRequest" = CASE WHEN rate_limit."lastRequest" <= (SELECT ms FROM now) - 60000 THEN (SELECT ms FROM now) ELSE rate_limit."lastRequest" END
       RETURNING count, (rate_limit."lastRequest" + 60000 - (SELECT ms FROM now))::text AS wait_ms`,
      `deployment-key:${keyId}`,
      chunk,
    );
    const row = rows[0];
    if (!row) throw new Error("the rate_limit upsert returned no row");
    const claimedBefore = row.count - chunk;
    const granted = Math.max(0, Math.min(chunk, options.ratePerMinute - claimedBefore));
    const budget = budgets.get(keyId);
    const endsAt = Date.now() + Number(row.wait_ms);
    // A claim that came back short used the minute up: no more claims until it ends.
    const isExhausted = granted < chunk;
    // Claims made concurrently by this server add up within one window.
    if (budget && budget.endsAt > Date.now() && Math.abs(budget.endsAt - endsAt) < 1_000) {
      budget.remaining += granted;
      budget.isExhausted ||= isExhausted;
    } else budgets.set(keyId, { remaining: granted, endsAt, isExhausted });
  };

  /** One more request of `keyId` in its current minute; 429 past the limit. */
  const countRequest = async (keyId: string) => {
    if (options.ratePerMinute <= 0) return;
    let budget = budgets.get(keyId);
    if (!budget || budget.endsAt <= Date.now() || (budget.remaining <= 0 && !budget.isExhausted)) {
      await claim(keyId);
      budget = budgets.get(keyId);
    }
    if (budget && budget.remaining > 0) {
      budget.remaining -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil(((budget?.endsAt ?? Date.now()) - Date.now()) / 1000));
    throw new AppError(
      "too_many_requests",
      `This deployment key sent more than ${options.ratePerMinute} requests in a minute; try again in ${retryAfter} s (the limit is FLINT_DEPLOYMENT_KEY_RATE, per key).`,
      { retryAfter },
    );
  };
  return {
    async resolve(request, name) {
      const hash = hashOf(request);
      listen();
      let caller: TDeploymentCaller;
      const cached = cache.get(hash);
      if (cached && cached.expiresAt > Date.now() && canCache()) {
        if (cached.caller.name !== name) throw notFound("Deployment");
        cached.lastUsedAt = noteUse(prisma, cached.caller.keyId, cached.lastUsedAt);
        caller = cached.caller;
      } else {
        if (cached) cache.delete(hash);
        const startedAt = generation;
        const found = await findKey(prisma, hash);
        caller = found.caller;
        const lastUsedAt = noteUse(prisma, caller.keyId, found.lastUsedAt);
        if (startedAt === generation && canCache()) {
          if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
          cache.set(hash, { caller, lastUsedAt, expiresAt: Date.now() + cacheMs });
        }
        if (caller.name !== name) throw notFound("Deployment");
      }
      await countRequest(caller.keyId);
      return caller;
    },
    forget,
    listening() {
      if (options.isListening === false) return Promise.resolve();
      listen();
      return isListeningNow;
    },
    async close() {
      isClosed = true;
      clear();
      await listener?.close();
    },
  };
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
  await announceRevocation(prisma, { keyId });
}

/** After a deployment was deleted (its keys with it): tells every server to forget its keys. */
export async function announceDeploymentDeleted(prisma: PrismaClient, deploymentId: string): Promise<void> {
  await announceRevocation(prisma, { deploymentId });
}

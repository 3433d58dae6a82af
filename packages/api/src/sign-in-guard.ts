/**
 * The per-account sign-in limit (SECURITY.md case 31). better-auth limits sign-ins per client
 * address; this limits them per e-mail address, whatever address they come from, so guessing one
 * person's password from many addresses (or through many forwarded headers) is slow too.
 *
 * After `freeFailures` failed sign-ins in a row for one e-mail, every further failure locks it for
 * `baseDelayMs * 2^(failures - freeFailures)`, capped at `maxDelayMs`; while locked, sign-ins
 * for it are refused without checking the password, with the time to retry. A success ends it.
 *
 * So an attacker cannot lock the owner out for good, an address the account has signed in from
 * successfully (within `knownAddressMs`) is not held by the account-wide lock: it has its own
 * counter with the same backoff. The owner keeps signing in from home or the office while
 * someone guesses from elsewhere; a first sign-in from a new address waits out the lock (15
 * minutes at most, and only while someone keeps failing). See docs/architecture.md.
 *
 * The state is in PostgreSQL (`sign_in_counter`, `sign_in_known_address`), so every web server
 * on the database counts the same guesses and a restart forgets nothing (docs/deployment.md,
 * "Several web servers"). Each failure is one atomic upsert: two servers counting the same
 * account at once both count. Times are the database's clock unless `now` is given (tests).
 */
import type { PrismaClient } from "@flint/db";

/** Options of {@link createSignInGuard}; the defaults are the production values. */
export interface TSignInGuardOptions {
  /** Failures in a row allowed before the first lock. */
  freeFailures?: number;
  /** The first lock; each further failure doubles it. */
  baseDelayMs?: number;
  /** The longest lock. */
  maxDelayMs?: number;
  /** Failures older than this are forgotten. */
  forgetAfterMs?: number;
  /** How long a successful sign-in makes its address a known one for the account. */
  knownAddressMs?: number;
  /** How often forgotten rows are deleted (at most; done on the way of a sign-in). */
  pruneEveryMs?: number;
  /** The clock in ms since 1970; default the database's `now()`, the same for every server. */
  now?: () => number;
}

/** What {@link TSignInGuard.check} answers for a sign-in that must wait. */
export interface TSignInLock {
  /** When the e-mail may try again. */
  retryAt: Date;
  /** Whole seconds until then (at least 1). */
  retryAfterSeconds: number;
}

/** The per-account limit; see the module comment. */
export interface TSignInGuard {
  /** Null when a sign-in for `email` from `address` may go ahead, else when to retry. */
  check: (email: string, address: string) => Promise<TSignInLock | null>;
  /** Counts a wrong password (or unknown e-mail: both count, so the answer reveals nothing). */
  recordFailure: (email: string, address: string) => Promise<void>;
  /** A successful sign-in: clears the counter it passed and remembers the address. */
  recordSuccess: (email: string, address: string) => Promise<void>;
}

/** E-mails are compared as better-auth stores them: trimmed and lower-case. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The instant a statement works at, as the `timestamp(3)` columns hold it (UTC): `$1` in ms, or the
 * database's clock when `$1` is null. Every statement below passes the clock as `$1`.
 */
const AT = `COALESCE(to_timestamp($1::float8 / 1000) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`;
const ms = (parameter: string) => `make_interval(secs => ${parameter}::float8 / 1000)`;

/** Creates a guard over the database's tables; it holds no state of its own but the prune time. */
export function createSignInGuard(prisma: PrismaClient, options: TSignInGuardOptions = {}): TSignInGuard {
  const freeFailures = options.freeFailures ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
  const forgetAfterMs = options.forgetAfterMs ?? 24 * 60 * 60_000;
  const knownAddressMs = options.knownAddressMs ?? 30 * 24 * 60 * 60_000;
  const pruneEveryMs = options.pruneEveryMs ?? 10 * 60_000;
  const clock = () => (options.now ? options.now() : null);
  let prunedAt = Number.NEGATIVE_INFINITY;

  /** Whether `$2` (an `e-mail\naddress` key) signed in successfully within `$3` ms. */
  const isKnownSql = `EXISTS (SELECT 1 FROM sign_in_known_address k WHERE k.key = $2 AND k."signedInAt" > ${AT} - ${ms("$3")})`;

  // One statement per key: the counter restarts when its last failure is forgotten, and the lock
  // follows the new count (the exponent is capped so 2^n stays a finite double).
  const failures = `CASE WHEN c."lastFailureAt" < ${AT} - ${ms("$3")} THEN 1 ELSE c.failures + 1 END`;
  const lockFor = (count: string) =>
    `CASE WHEN ${count} >= $4 THEN ${AT} + ${ms(`LEAST($5 * power(2, LEAST(${count} - $4, 60)), $6)`)} ELSE NULL END`;
  const fail = (key: string, at: number | null) =>
    prisma.$executeRawUnsafe(
      `INSERT INTO sign_in_counter AS c (key, failures, "lastFailureAt", "lockedUntil")
       VALUES ($2, 1, ${AT}, ${lockFor("1")})
       ON CONFLICT (key) DO UPDATE SET
         failures = ${failures},
         "lastFailureAt" = ${AT},
         "lockedUntil" = ${lockFor(`(${failures})`)}`,
      at,
      key,
      forgetAfterMs,
      freeFailures,
      baseDelayMs,
      maxDelayMs,
    );

  /** Deletes forgotten counters and addresses, at most once per `pruneEveryMs` per process. */
  const prune = async (at: number | null) => {
    const nowMs = at ?? Date.now();
    if (nowMs - prunedAt < pruneEveryMs) return;
    prunedAt = nowMs;
    await prisma.$executeRawUnsafe(
      `DELETE FROM sign_in_counter WHERE "lastFailureAt" < ${AT} - ${ms("$2")}`,
      at,
      forgetAfterMs,
    );
    await prisma.$executeRawUnsafe(
      `DELETE FROM sign_in_known_address WHERE "signedInAt" < ${AT} - ${ms("$2")}`,
      at,
      knownAddressMs,
    );
  };

  return {
    check: async (email, address) => {
      const at = clock();
      const account = normalizeEmail(email);
      // A known address is judged by its own counter only, any other by the account's.
      const [row] = await prisma.$queryRawUnsafe<{ retryAtMs: number; remainingMs: number }[]>(
        `SELECT (EXTRACT(EPOCH FROM c."lockedUntil") * 1000)::float8 AS "retryAtMs",
                (EXTRACT(EPOCH FROM (c."lockedUntil" - ${AT})) * 1000)::float8 AS "remainingMs"
         FROM sign_in_counter c
         WHERE c.key = CASE WHEN ${isKnownSql} THEN $2 ELSE $4 END
           AND c."lastFailureAt" >= ${AT} - ${ms("$5")}
           AND c."lockedUntil" > ${AT}`,
        at,
        `${account}\n${address}`,
        knownAddressMs,
        account,
        forgetAfterMs,
      );
      if (!row) return null;
      return {
        retryAt: new Date(row.retryAtMs),
        retryAfterSeconds: Math.max(1, Math.ceil(row.remainingMs / 1000)),
      };
    },
    recordFailure: async (email, address) => {
      const at = clock();
      const account = normalizeEmail(email);
      await fail(account, at);
      await fail(`${account}\n${address}`, at);
      await prune(at);
    },
    recordSuccess: async (email, address) => {
      const at = clock();
      const account = normalizeEmail(email);
      const pairKey = `${account}\n${address}`;
      await prisma.$transaction([
        // Through the account-wide lock only when it was not in force for this address: a known
        // address signing in during someone else's guessing leaves their counter running.
        prisma.$executeRawUnsafe(
          `DELETE FROM sign_in_counter c WHERE c.key = $4 AND NOT (
             c."lastFailureAt" >= ${AT} - ${ms("$5")} AND COALESCE(c."lockedUntil" > ${AT}, false) AND ${isKnownSql})`,
          at,
          pairKey,
          knownAddressMs,
          account,
          forgetAfterMs,
        ),
        prisma.$executeRawUnsafe(`DELETE FROM sign_in_counter WHERE key = $1`, pairKey),
        prisma.$executeRawUnsafe(
          `INSERT INTO sign_in_known_address (key, "signedInAt") VALUES ($2, ${AT})
           ON CONFLICT (key) DO UPDATE SET "signedInAt" = EXCLUDED."signedInAt"`,
          at,
          pairKey,
        ),
      ]);
      await prune(at);
    },
  };
}

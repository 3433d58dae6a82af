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
 * The state is in this process's memory: a restart forgets it, and several web servers behind a
 * balancer would each count on their own (each still caps guesses; see the docs).
 */

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
  /** Entries kept at most (oldest dropped first), so a flood of e-mails cannot fill memory. */
  maxEntries?: number;
  now?: () => number;
}

interface TCounter {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
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
  check: (email: string, address: string) => TSignInLock | null;
  /** Counts a wrong password (or unknown e-mail: both count, so the answer reveals nothing). */
  recordFailure: (email: string, address: string) => void;
  /** A successful sign-in: clears the counter it passed and remembers the address. */
  recordSuccess: (email: string, address: string) => void;
}

/** E-mails are compared as better-auth stores them: trimmed and lower-case. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Creates a guard with its own in-memory state. */
export function createSignInGuard(options: TSignInGuardOptions = {}): TSignInGuard {
  const freeFailures = options.freeFailures ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
  const forgetAfterMs = options.forgetAfterMs ?? 24 * 60 * 60_000;
  const knownAddressMs = options.knownAddressMs ?? 30 * 24 * 60 * 60_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // Keyed by e-mail (the account-wide counter) and by `e-mail\naddress` (a known address's own).
  const counters = new Map<string, TCounter>();
  // `e-mail\naddress` → when that address last signed in successfully.
  const knownAddresses = new Map<string, number>();

  const trim = <V>(map: Map<string, V>) => {
    // Maps keep insertion order; re-inserting on update makes the first key the oldest.
    while (map.size > maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest === undefined) break;
      map.delete(oldest);
    }
  };
  const isKnown = (pairKey: string, at: number) => {
    const since = knownAddresses.get(pairKey);
    return since !== undefined && at - since < knownAddressMs;
  };
  const current = (key: string, at: number): TCounter | null => {
    const counter = counters.get(key);
    if (!counter) return null;
    if (at - counter.lastFailureAt > forgetAfterMs) {
      counters.delete(key);
      return null;
    }
    return counter;
  };
  const fail = (key: string, at: number) => {
    const counter = current(key, at) ?? { failures: 0, lastFailureAt: at, lockedUntil: 0 };
    counter.failures += 1;
    counter.lastFailureAt = at;
    if (counter.failures >= freeFailures)
      counter.lockedUntil = at + Math.min(baseDelayMs * 2 ** (counter.failures - freeFailures), maxDelayMs);
    counters.delete(key);
    counters.set(key, counter);
    trim(counters);
  };

  return {
    check: (email, address) => {
      const at = now();
      const account = normalizeEmail(email);
      const pairKey = `${account}\n${address}`;
      const counter = current(isKnown(pairKey, at) ? pairKey : account, at);
      if (!counter || counter.lockedUntil <= at) return null;
      return {
        retryAt: new Date(counter.lockedUntil),
        retryAfterSeconds: Math.max(1, Math.ceil((counter.lockedUntil - at) / 1000)),
      };
    },
    recordFailure: (email, address) => {
      const at = now();
      const account = normalizeEmail(email);
      fail(account, at);
      fail(`${account}\n${address}`, at);
    },
    recordSuccess: (email, address) => {
      const at = now();
      const account = normalizeEmail(email);
      const pairKey = `${account}\n${address}`;
      // Through the account-wide lock only when it was not in force for this address: a known
      // address signing in during someone else's guessing leaves their counter running.
      const accountCounter = current(account, at);
      if (!accountCounter || accountCounter.lockedUntil <= at || !isKnown(pairKey, at))
        counters.delete(account);
      counters.delete(pairKey);
      knownAddresses.delete(pairKey);
      knownAddresses.set(pairKey, at);
      trim(knownAddresses);
    },
  };
}

/**
 * A short-lived memory of access facts for the notebook socket's commands (issue 23): whether a
 * socket's credentials still sign someone in, and where a notebook lives and the caller's role
 * there. Reading these from PostgreSQL on every command was most of Flint's run round trip.
 *
 * Only facts are remembered, never a yes: `authorize` still decides every command from them, so
 * there is one choke point (docs/security-model.md, "Socket commands from memory"). A fact leaves
 * the memory
 * - at once on this server when Flint itself changes access here ({@link accessChanged}: role
 *   change, member removal, account disabled, token revoked, any sign-out, session revocation or
 *   password change through better-auth);
 * - when PostgreSQL notifies a change made anywhere (another web server, the CLI, a hand-run SQL
 *   statement): triggers on the access tables `NOTIFY flint_access` (migration
 *   `20261226000000_access_notify`) and {@link listenForAccessChanges} empties the memory;
 * - after {@link ACCESS_TTL_MS} in any case, the backstop for a notification that never came.
 * While the listening connection is down nothing is remembered at all.
 */
import { listenForNotifications } from "@flint/db";

/** How long a fact is trusted without a notification: the backstop. */
export const ACCESS_TTL_MS = 60_000;
/** The PostgreSQL channel the access triggers notify on. */
export const ACCESS_CHANNEL = "flint_access";
// A bound on memory: past it the memory starts again empty (a refill is one check per socket).
const MAX_ENTRIES = 20_000;

/** Remembered access facts of one server. */
export interface TAccessCache {
  /**
   * The fact under `key` while it is fresh, else `load()`'s. A null or a thrown error is never
   * remembered, and neither is a fact whose load overlapped an invalidation.
   */
  remember<T>(key: string, load: () => Promise<T | null>): Promise<T | null>;
  /** Forgets every fact (an access change somewhere). */
  invalidate(): void;
  /** Turns remembering on or off (off while change notifications cannot arrive); forgets all. */
  setEnabled(isEnabled: boolean): void;
  /** Whether facts are remembered now. */
  readonly isEnabled: boolean;
  /** Resolves at the next invalidation: lets a test wait for a notification from PostgreSQL. */
  nextInvalidation(): Promise<void>;
  /** Stops this cache from taking part in {@link accessChanged}. */
  dispose(): void;
}

const liveCaches = new Set<TAccessCache>();

/**
 * Tells every access cache of this process that access changed (call it after the write that
 * changed it). The notification from PostgreSQL follows for the other servers; this makes the
 * change apply to this server's very next command, without waiting for it.
 */
export function accessChanged(): void {
  for (const cache of liveCaches) cache.invalidate();
}

/** Creates an access cache, off until {@link TAccessCache.setEnabled} turns it on. */
export function createAccessCache(options: { ttlMs?: number; now?: () => number } = {}): TAccessCache {
  const ttlMs = options.ttlMs ?? ACCESS_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: unknown; at: number }>();
  // Bumped by every invalidation: a load that started under an older generation may have read
  // the database before the change, so its fact is not kept.
  let generation = 0;
  let isEnabled = false;
  let waiters: (() => void)[] = [];
  const invalidate = () => {
    generation += 1;
    entries.clear();
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const cache: TAccessCache = {
    async remember<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
      if (isEnabled) {
        const entry = entries.get(key);
        if (entry && now() - entry.at < ttlMs) return entry.value as T;
      }
      const started = generation;
      const value = await load();
      if (value !== null && isEnabled && started === generation) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, { value, at: now() });
      }
      return value;
    },
    invalidate,
    setEnabled(next: boolean) {
      isEnabled = next;
      invalidate();
    },
    get isEnabled() {
      return isEnabled;
    },
    nextInvalidation: () => new Promise<void>((resolve) => waiters.push(resolve)),
    dispose() {
      liveCaches.delete(cache);
      isEnabled = false;
      invalidate();
    },
  };
  liveCaches.add(cache);
  return cache;
}

/**
 * Keeps `cache` in step with access changes anywhere: LISTENs on {@link ACCESS_CHANNEL} over
 * its own connection to `databaseUrl` and forgets everything on each notification. The cache is
 * on only while the connection listens (a lost connection turns it off until it is back).
 * @returns a function that stops listening and turns the cache off.
 */
export async function listenForAccessChanges(
  databaseUrl: string,
  cache: TAccessCache,
  log: (message: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const listener = await listenForNotifications(databaseUrl, ACCESS_CHANNEL, {
    onNotification: () => cache.invalidate(),
    onListening: (isListening) => {
      if (!isListening && cache.isEnabled)
        log("access cache off: the database connection for change notifications was lost");
      cache.setEnabled(isListening);
    },
  });
  return async () => {
    cache.dispose();
    await listener.stop();
  };
}

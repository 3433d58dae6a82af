/**
 * This web server's identity among several on one database (docs/deployment.md, "Several web
 * servers"): a row in `flint_server` with a new id per process and a heartbeat, which also renews
 * the notebook leases the server holds. A server whose heartbeat is older than the lease time is
 * gone: any live server then ends the cells and profiling runs it left running (their kernels and
 * Spark jobs went with it) and drops its row, which frees its leases.
 *
 * Times are the database's clock (`now()`), never a server's: servers on different machines
 * agree on when a lease expires even when their clocks do not.
 */
import { randomUUID } from "node:crypto";
import { failProfileRunsOf } from "@flint/catalog";
import type { PrismaClient } from "@flint/db";
import { endInterruptedRuns } from "../services/cell-run-store.js";

/** `now()` as the `timestamp(3)` columns Prisma writes hold it (UTC). */
export const DB_NOW = `(now() AT TIME ZONE 'UTC')`;

/** Options of {@link registerServer}. */
export interface TServerRegistryOptions {
  /** Stable across restarts (FLINT_SERVER_NAME): an earlier process with this name and `internalUrl` is gone. */
  name: string;
  /** Where the other servers reach this one. */
  internalUrl: string;
  /** A server that missed heartbeats this long is gone, and its leases may be taken. */
  leaseMs: number;
  log: (message: string) => void;
  /** This process's id, when it must be known before registering ({@link newServerId}); default a new one. */
  id?: string;
}

/** A new id for {@link registerServer} (one per process). */
export function newServerId(): string {
  return `srv_${randomUUID()}`;
}

/** A registered server; see the module comment. */
export interface TServerIdentity {
  /** This process's id (`flint_server.id`). */
  readonly id: string;
  readonly leaseMs: number;
  /** Notebooks whose lease this server lost at the last heartbeat (another server took them). */
  onLeasesLost: (listener: (notebookIds: string[]) => void) => void;
  /** Notes a lease this server took, so the heartbeat can tell when it is lost. */
  trackLease: (notebookId: string) => void;
  /** Ends the runs of servers that are gone (also run by the heartbeat). */
  sweep: () => Promise<void>;
  /**
   * Stops the heartbeat and, unless `abrupt`, removes the row and frees the leases (a clean
   * stop: the other servers take its notebooks at once). `abrupt` is what a crash leaves (tests).
   */
  stop: (options?: { abrupt?: boolean }) => Promise<void>;
}

/**
 * Registers this process, ends what earlier processes of the same name and gone servers left
 * running (only theirs: other live servers' cells and profiles are untouched), and starts the
 * heartbeat.
 */
export async function registerServer(
  prisma: PrismaClient,
  options: TServerRegistryOptions,
): Promise<TServerIdentity> {
  const id = options.id ?? newServerId();
  const leaseSeconds = options.leaseMs / 1000;
  await prisma.$executeRawUnsafe(
    `INSERT INTO flint_server (id, name, "internalUrl", "startedAt", "heartbeatAt") VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW})`,
    id,
    options.name,
    options.internalUrl,
  );
  const lostListeners: ((notebookIds: string[]) => void)[] = [];
  const owned = new Set<string>();

  /** Ends the work of `serverIds` (gone) and removes them; with `includeUnowned`, runs of no server too. */
  const endWorkOf = async (serverIds: string[], includeUnowned: boolean) => {
    if (serverIds.length === 0 && !includeUnowned) return;
    const ended = await endInterruptedRuns(prisma, { serverIds, includeUnowned });
    const failed = await failProfileRunsOf(prisma, serverIds, includeUnowned);
    if (serverIds.length > 0) await prisma.flintServer.deleteMany({ where: { id: { in: serverIds } } });
    if (serverIds.length > 0 || ended.died + ended.cancelled + failed > 0)
      options.log(
        `ended the work of ${serverIds.length > 0 ? `stopped server(s) ${serverIds.join(", ")}` : "the last stop"}: ${ended.died} running cell(s) marked died, ${ended.cancelled} queued cancelled, ${failed} profile(s) failed`,
      );
  };

  const goneServers = async (): Promise<string[]> => {
    const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM flint_server WHERE id <> $1 AND "heartbeatAt" < ${DB_NOW} - make_interval(secs => $2)`,
      id,
      leaseSeconds,
    );
    return rows.map((row) => row.id);
  };

  /**
   * Earlier processes of this server: same name and same internal address (this process holds
   * that address now, so nothing else serves there), however fresh their heartbeat, so a crash
   * and a quick restart end the crashed process's cells at once. A live server of the same name
   * elsewhere is a misconfiguration (FLINT_SERVER_NAME shared by several servers), not a
   * predecessor: ending its cells would break its users' work, so it is only reported.
   */
  const predecessors = async (): Promise<string[]> => {
    const rows = await prisma.flintServer.findMany({
      where: { id: { not: id }, name: options.name },
      select: { id: true, internalUrl: true },
    });
    const others = rows.filter((row) => row.internalUrl !== options.internalUrl);
    if (others.length > 0)
      options.log(
        `another server is registered under the name ${options.name} at ${others.map((row) => row.internalUrl).join(", ")}: give each server its own FLINT_SERVER_NAME. Its work is left alone unless its heartbeat stops.`,
      );
    return rows.filter((row) => row.internalUrl === options.internalUrl).map((row) => row.id);
  };

  // Runs of no server were left by a Flint from before server ids (or a single-server start).
  await endWorkOf([...new Set([...(await goneServers()), ...(await predecessors())])], true);

  let isBeating = false;
  const sweep = async () => endWorkOf(await goneServers(), false);
  const beat = async () => {
    if (isBeating) return;
    isBeating = true;
    try {
      // An upsert: a server that stalled past the lease time was taken for gone (its row removed,
      // its runs ended); it comes back as a live server with no leases.
      await prisma.$executeRawUnsafe(
        `INSERT INTO flint_server (id, name, "internalUrl", "startedAt", "heartbeatAt") VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW})
         ON CONFLICT (id) DO UPDATE SET "heartbeatAt" = EXCLUDED."heartbeatAt"`,
        id,
        options.name,
        options.internalUrl,
      );
      const renewed = await prisma.$queryRawUnsafe<{ notebookId: string }[]>(
        `UPDATE notebook_lease SET "expiresAt" = ${DB_NOW} + make_interval(secs => $2) WHERE "serverId" = $1 RETURNING "notebookId"`,
        id,
        leaseSeconds,
      );
      const held = new Set(renewed.map((row) => row.notebookId));
      const lost = [...owned].filter((notebookId) => !held.has(notebookId));
      owned.clear();
      for (const notebookId of held) owned.add(notebookId);
      if (lost.length > 0) for (const listener of lostListeners) listener(lost);
      await sweep();
    } catch (error) {
      options.log(`heartbeat failed: ${String(error)}`);
    } finally {
      isBeating = false;
    }
  };
  // Three beats per lease: one late beat (a slow query, a GC pause) does not lose the leases.
  const timer = setInterval(() => void beat(), Math.max(500, Math.floor(options.leaseMs / 3)));
  timer.unref();

  return {
    id,
    leaseMs: options.leaseMs,
    onLeasesLost: (listener) => lostListeners.push(listener),
    trackLease: (notebookId) => owned.add(notebookId),
    sweep,
    stop: async ({ abrupt = false } = {}) => {
      clearInterval(timer);
      if (abrupt) return;
      await prisma.flintServer.deleteMany({ where: { id } }).catch(() => undefined);
    },
  };
}

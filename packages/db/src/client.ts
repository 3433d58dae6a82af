/**
 * The one Prisma client of a Flint process, through the pg driver adapter (no native engine).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "../generated/client/index.js";

// `Prisma` is a value too: `Prisma.DbNull` is how a nullable JSON column is set to SQL NULL.
export { Prisma, PrismaClient };

const GLOBAL_KEY = Symbol.for("flint.db.prisma");
type TGlobalWithPrisma = typeof globalThis & { [GLOBAL_KEY]?: PrismaClient };

/** The pg pool under each client (see {@link withDriverTransaction}). */
const pools = new WeakMap<PrismaClient, pg.Pool>();

/** Creates a Prisma client for `databaseUrl`. Prefer {@link getPrisma} in app code. */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/** Raw statements on one connection: the part of Prisma's client that raw SQL code uses. */
export interface TDriverDb {
  /** Runs a statement with `$1`… parameters. @returns the number of rows it touched. */
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
  /** Runs a query with `$1`… parameters. @returns its rows (int8 as strings, as pg reads them). */
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
}

/** Parameters as the driver wants them: BigInts as text (pg does not serialise them). */
function driverValues(list: unknown[]): unknown[] {
  return list.map((value) =>
    typeof value === "bigint"
      ? value.toString()
      : Array.isArray(value)
        ? value.map((item) => (typeof item === "bigint" ? item.toString() : item))
        : value,
  );
}

const TIMESTAMP_OID = 1114;
/**
 * Type parsers of driver reads: Prisma's `DateTime` columns are `timestamp` without a time zone
 * and hold UTC, which pg would otherwise read as the machine's local time.
 */
const DRIVER_TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID
      ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** One statement on `client` (a pool or a connection) with the driver types above. */
async function driverQuery(client: pg.Pool | pg.PoolClient, sql: string, list: unknown[]) {
  return await client.query({ text: sql, values: driverValues(list), types: DRIVER_TYPES });
}

function poolOf(prisma: PrismaClient, caller: string): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error(`${caller} needs a client made by createPrismaClient.`);
  return pool;
}

/**
 * Runs `work` in one transaction on the pg driver under `prisma` (same pool, same database),
 * for writes with large parameters: Prisma's raw queries copy each parameter through its query
 * engine, which costs ~35 ms per MB (a 5,000-asset catalog batch is ~6 MB), where the driver
 * sends it as is. BigInt parameters are sent as text.
 */
export async function withDriverTransaction<T>(
  prisma: PrismaClient,
  work: (db: TDriverDb) => Promise<T>,
): Promise<T> {
  const connection = await poolOf(prisma, "withDriverTransaction").connect();
  const db: TDriverDb = {
    $executeRawUnsafe: async (sql, ...list) => (await driverQuery(connection, sql, list)).rowCount ?? 0,
    $queryRawUnsafe: async <R>(sql: string, ...list: unknown[]) =>
      (await driverQuery(connection, sql, list)).rows as R,
  };
  let isBroken = false;
  try {
    await connection.query("begin");
    const result = await work(db);
    await connection.query("commit");
    return result;
  } catch (error) {
    try {
      await connection.query("rollback");
    } catch {
      isBroken = true;
    }
    throw error;
  } finally {
    // A connection that could not even roll back is closed rather than reused.
    connection.release(isBroken);
  }
}

/**
 * Raw statements straight on the pg pool under `prisma`, each on its own (no transaction): for
 * latency-bound reads such as catalog search, which makes five queries per request. Prisma's raw
 * path adds about a millisecond to each (in bench/catalog: search p50 16.6 → 12.2 ms for exact
 * names at 100k assets). Rows come as pg reads them: int8 as strings, timestamps as UTC dates.
 */
export function driverDb(prisma: PrismaClient): TDriverDb {
  const pool = poolOf(prisma, "driverDb");
  return {
    $executeRawUnsafe: async (sql, ...list) => (await driverQuery(pool, sql, list)).rowCount ?? 0,
    $queryRawUnsafe: async <R>(sql: string, ...list: unknown[]) =>
      (await driverQuery(pool, sql, list)).rows as R,
  };
}

/** A `LISTEN` on its own connection; see {@link listenDb}. */
export interface TDbListener {
  /** Whether the connection is up and listening now (notifications may have been missed otherwise). */
  readonly isListening: boolean;
  /** Closes the connection; no reconnect. */
  close(): Promise<void>;
}

/**
 * Listens to PostgreSQL notifications on `channel` (`NOTIFY` / `pg_notify`), on a connection of
 * its own (a LISTEN cannot share the pool: a pooled connection serves other queries and is
 * released). When the connection drops, `onLost` runs at once (the caller must assume it missed
 * notifications) and it reconnects every second until it listens again, then `onListening` runs.
 */
export function listenDb(
  prisma: PrismaClient,
  channel: string,
  handlers: { onNotify: (payload: string) => void; onLost?: () => void; onListening?: () => void },
): TDbListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  const options = poolOf(prisma, "listenDb").options;
  let client: pg.Client | null = null;
  let isListening = false;
  let isClosed = false;
  let retry: NodeJS.Timeout | null = null;
  const lost = () => {
    const was = isListening;
    isListening = false;
    // A late 'error' of the dropped connection must not go unhandled.
    client?.removeAllListeners().on("error", () => undefined);
    client?.end().catch(() => undefined);
    client = null;
    if (was) handlers.onLost?.();
    if (!isClosed && !retry) retry = setTimeout(connect, 1_000).unref();
  };
  const connect = () => {
    retry = null;
    if (isClosed) return;
    const next = new pg.Client({ connectionString: options.connectionString });
    client = next;
    next.on("notification", (message) => {
      if (message.channel === channel) handlers.onNotify(message.payload ?? "");
    });
    next.on("error", lost);
    next.on("end", lost);
    next
      .connect()
      .then(() => next.query(`LISTEN ${channel}`))
      .then(() => {
        if (client !== next || isClosed) return;
        isListening = true;
        handlers.onListening?.();
      })
      .catch(lost);
  };
  connect();
  return {
    get isListening() {
      return isListening;
    },
    async close() {
      isClosed = true;
      isListening = false;
      if (retry) clearTimeout(retry);
      const current = client;
      client = null;
      current?.removeAllListeners().on("error", () => undefined);
      await current?.end().catch(() => undefined);
    },
  };
}

/**
 * The process-wide client, created on first use for `url` (the server passes its configured
 * or embedded database; the CLI leaves it to `DATABASE_URL`). Kept on globalThis so that code
 * bundled twice (Next.js pages and the custom server) shares one pool.
 */
export function getPrisma(url: string | undefined = process.env.DATABASE_URL): PrismaClient {
  const store = globalThis as TGlobalWithPrisma;
  if (!store[GLOBAL_KEY]) {
    if (!url) throw new Error("DATABASE_URL is not set: the database has not been started yet.");
    store[GLOBAL_KEY] = createPrismaClient(url);
  }
  return store[GLOBAL_KEY];
}

/** Closes the process-wide client if it was created. */
export async function disconnectPrisma(): Promise<void> {
  const store = globalThis as TGlobalWithPrisma;
  await store[GLOBAL_KEY]?.$disconnect();
  delete store[GLOBAL_KEY];
}

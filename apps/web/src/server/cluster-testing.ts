// For this folder's several-servers tests: starts a test Flint (test-server-main.ts) in its own
// process group on a given database, so a test can kill it as a crash does. Not used by the product.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../../..");

/** A test Flint in its own process. */
export type TClusterServer = { name: string; child: ChildProcess; baseUrl: string; serverId: string };

/**
 * Starts a test Flint named `name` on `databaseUrl` with the data folder `dataDir` and the shared
 * cluster settings `env`; resolves once it prints that it is ready.
 */
export function startClusterServer(options: {
  name: string;
  databaseUrl: string;
  dataDir: string;
  env: Record<string, string>;
}): Promise<TClusterServer> {
  const child = spawn(path.join(root, "node_modules/.bin/tsx"), [path.join(here, "test-server-main.ts")], {
    cwd: root,
    detached: true,
    env: {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      FLINT_TEST_DATA_DIR: options.dataDir,
      FLINT_SERVER_NAME: options.name,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
    if (process.env.FLINT_TEST_VERBOSE) process.stderr.write(String(chunk));
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
      const match = /FLINT_TEST_READY (\S+) (\S+)/.exec(stdout);
      if (match?.[1] && match[2])
        resolve({ name: options.name, child, baseUrl: match[1], serverId: match[2] });
    });
    child.on("exit", (code) =>
      reject(new Error(`server ${options.name} exited (${code}): ${stderr.slice(-2000)}`)),
    );
  });
}

/** Kills a test server and everything it started (SIGKILL, as a crash). */
export function killClusterServer(server: TClusterServer): void {
  try {
    if (server.child.pid) process.kill(-server.child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Waits until `check` gives a value (polling every 100 ms), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

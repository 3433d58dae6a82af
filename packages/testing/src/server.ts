import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** What the last few KB of a child's output said, for error messages. */
export type TLogTail = () => string;

/** Collects a child's stdout and stderr; `echo` also copies them to this process's stderr. */
export function keepLogs(child: ChildProcess, echo = false): TLogTail {
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (echo) process.stderr.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => logs.join("").slice(-4000);
}

/**
 * Polls `url` until it answers 2xx. Fails early when `child` exits, and after `timeoutMs`; the
 * error carries the child's last output when `logs` is given.
 */
export async function waitForOk(
  url: string,
  timeoutMs: number,
  child?: ChildProcess,
  logs?: TLogTail,
): Promise<void> {
  const tail = () => (logs ? `\n${logs()}` : "");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${url}: the server exited with ${child.exitCode}${tail()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s${tail()}`);
}

/** Stops a child with SIGTERM (SIGKILL after `graceMs`) and resolves when it has exited. */
export function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Options of {@link startBuiltFlint}. */
export type TFlintServerOptions = {
  /** The repository's root (holds `apps/web`). */
  root: string;
  port: number;
  /** The Python environment with Jupyter and the Flint kernel (default: the checkout's). */
  pythonEnv?: string;
  /** Default: a new temporary directory, so every start has its own database. */
  dataDir?: string;
  /** The demo user's password and API token (`FLINT_DEMO_PASSWORD`, `FLINT_DEMO_TOKEN`). */
  demo: { password: string; token: string };
  /** More environment for the server (e.g. `FLINT_WARM_KERNELS`). */
  env?: Record<string, string>;
  /** Copy the server's output to stderr as it comes. */
  verbose?: boolean;
  timeoutMs?: number;
};

/** A Flint server started by {@link startBuiltFlint}. */
export type TFlintServer = {
  url: string;
  dataDir: string;
  child: ChildProcess;
  logs: TLogTail;
  stop: () => Promise<void>;
};

/**
 * Starts the built web app (`pnpm --filter @flint/web build`) as `npm start` serves it, with
 * sign-in rate limits off, and waits for `/api/health`. Browser tests and benchmarks use this so
 * they measure and test the production server.
 */
export async function startBuiltFlint(options: TFlintServerOptions): Promise<TFlintServer> {
  const webDir = path.join(options.root, "apps/web");
  if (!existsSync(path.join(webDir, ".next/BUILD_ID")))
    throw new Error("The web app is not built: run `pnpm --filter @flint/web build` first.");
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "flint-test-"));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(webDir, "server.ts")], {
    cwd: webDir,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(options.port),
      FLINT_DATA_DIR: dataDir,
      FLINT_PYTHON_ENV:
        options.pythonEnv ?? process.env.FLINT_PYTHON_ENV ?? path.join(options.root, ".flint/python"),
      FLINT_DEMO_PASSWORD: options.demo.password,
      FLINT_DEMO_TOKEN: options.demo.token,
      FLINT_AUTH_RATE_LIMIT: "off",
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs = keepLogs(child, options.verbose);
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForOk(`${url}/api/health`, options.timeoutMs ?? 180_000, child, logs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, dataDir, child, logs, stop: () => stopChild(child) };
}

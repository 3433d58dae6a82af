// Starts one Flint server for the end-to-end run, the way `npm start` does, with a fresh data
// directory (the Python environment is shared with the checkout's). Returns its teardown.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const E2E_DEMO_PASSWORD = "demo-password-for-e2e";
export const E2E_DEMO_TOKEN = "flint_pat_e2e_demo_token_0123456789";

export async function waitForHealth(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`Flint exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Flint did not answer ${url}/api/health within ${timeoutMs} ms`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const port = process.env.FLINT_E2E_PORT ?? "3300";
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-e2e-"));
  process.env.FLINT_E2E_DATA_DIR = dataDir;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "apps/web/server.ts")], {
    cwd: path.join(root, "apps/web"),
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: port,
      FLINT_DATA_DIR: dataDir,
      FLINT_PYTHON_ENV: process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python"),
      FLINT_DEMO_PASSWORD: E2E_DEMO_PASSWORD,
      FLINT_DEMO_TOKEN: E2E_DEMO_TOKEN,
      FLINT_AUTH_RATE_LIMIT: "off",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (process.env.FLINT_E2E_VERBOSE) process.stdout.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, 180_000, child);
  } catch (error) {
    child.kill("SIGTERM");
    throw new Error(`${(error as Error).message}\nserver output:\n${logs.join("").slice(-4000)}`);
  }
  return async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  };
}

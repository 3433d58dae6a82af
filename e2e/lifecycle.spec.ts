// `npm start` then Ctrl-C: every process Flint started is gone, and a second start keeps the data.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitForOk } from "@flint/testing";
import { expect, test } from "@playwright/test";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOKEN = "flint_pat_lifecycle_test_token_000000000";

/** All descendants of `pid`, from the kernel's process table. */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of table) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startFlint(dataDir: string, port: number) {
  // Like a terminal: its own process group, which Ctrl-C signals as a whole.
  const child = spawn("npm", ["start"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      FLINT_DATA_DIR: dataDir,
      FLINT_PYTHON_ENV: process.env.FLINT_PYTHON_ENV ?? path.join(root, ".flint/python"),
      FLINT_DEMO_PASSWORD: "lifecycle-password",
      FLINT_DEMO_TOKEN: TOKEN,
    },
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/api/health`, 240_000, child);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${output.join("").slice(-3000)}`);
  }
  return { child, url, output };
}

test("Ctrl-C stops every process Flint started; a second start keeps the data", async () => {
  test.setTimeout(600_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "flint-lifecycle-"));
  const port = 3900 + Math.floor(Math.random() * 90);

  const first = await startFlint(dataDir, port);
  const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const created = await fetch(`${first.url}/api/v1/projects`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ name: "Survives restarts" }),
  });
  expect(created.status).toBe(201);
  const started = descendants(first.child.pid!);
  expect(started.length).toBeGreaterThan(2);
  expect(first.output.join("")).toContain(`http://127.0.0.1:${port}`);

  process.kill(-first.child.pid!, "SIGINT");
  await new Promise((resolve) => first.child.once("exit", resolve));
  await expect.poll(() => started.filter(isAlive), { timeout: 30_000 }).toEqual([]);

  const second = await startFlint(dataDir, port);
  const projects = (await (await fetch(`${second.url}/api/v1/projects`, { headers: auth })).json()) as {
    projects: { name: string }[];
  };
  expect(projects.projects.map((project) => project.name)).toContain("Survives restarts");
  const again = descendants(second.child.pid!);
  process.kill(-second.child.pid!, "SIGINT");
  await new Promise((resolve) => second.child.once("exit", resolve));
  await expect.poll(() => again.filter(isAlive), { timeout: 30_000 }).toEqual([]);
});

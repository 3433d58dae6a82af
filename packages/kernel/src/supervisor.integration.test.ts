/**
 * The Jupyter Server supervisor with a real server, real kernels and their Spark JVMs: crash and
 * restart, clean stop, the token kept out of argv, environment and logs, and an external server.
 */

import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExecutionBroker } from "./broker";
import { createKernelRuntime } from "./index";
import { KernelPool } from "./kernels";
import { findMarkedProcesses, readProcessName, signalProcessGroup } from "./process-tree";
import { JupyterSupervisor } from "./supervisor";
import { describeOutputs, MemoryCellRunStore, NotebookMirror, waitFor } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv, TEST_KERNEL_ENV } from "./testing/runtime";

// Generous: the machine is small and shared.
const SLOW_TEST_MS = 400_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Names of the live processes carrying `marker`. */
async function listProcessNames(marker: string): Promise<string[]> {
  const processes = await findMarkedProcesses(marker);
  const names = await Promise.all(processes.map((p) => readProcessName(p.pid)));
  return names.filter((name): name is string => name !== null).sort();
}

describe("Jupyter Server supervisor (real server, kernels, Spark)", () => {
  it(
    "restarts a crashed server, ends its orphaned kernels and JVMs, and stops cleanly",
    async () => {
      const dataDir = createTestDataDir();
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const logs = createLogCollector();
      const supervisor = new JupyterSupervisor({
        pythonEnv: findTestPythonEnv(),
        dataDir,
        env: TEST_KERNEL_ENV,
        log: logs.log,
        restartDelayMs: 200,
      });
      cleanups.push(() => supervisor.stop());
      const pool = new KernelPool(supervisor, { warmPoolSize: 0, log: logs.log });
      const store = new MemoryCellRunStore();
      const broker = new ExecutionBroker({ store, kernels: pool, log: logs.log });
      cleanups.push(() => broker.stop());

      supervisor.start();
      expect(supervisor.status()).toBe("starting");
      const first = await supervisor.ready();
      expect(supervisor.status()).toBe("running");
      const marker = supervisor.processMarker;

      // The token is in neither the server's argv nor its environment (kernels inherit that).
      const serverPid = supervisor.pid!;
      const token = first.settings.token;
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(readFileSync(`/proc/${serverPid}/cmdline`, "latin1")).not.toContain(token);
      expect(readFileSync(`/proc/${serverPid}/environ`, "latin1")).not.toContain(token);
      expect(readFileSync(`/proc/${serverPid}/environ`, "latin1")).not.toMatch(/DATABASE_URL/);
      // ...nor in a config file left on disk.
      expect(() => readFileSync(join(dataDir, "jupyter", "config", "jupyter_server_config.json"))).toThrow();

      // A notebook runs a long cell; its kernel's Spark JVM is up.
      const [sleeper, after, sparkAfter] = store.setNotebook("nb", [
        "spark.range(10).count()\nimport time\nprint('working', flush=True)\ntime.sleep(600)",
        "1+1",
        "spark.range(5).count()",
      ]);
      const view = new NotebookMirror();
      broker.subscribe("nb", view.apply);
      await broker.run("nb", [sleeper!]);
      await waitFor("the cell to print", () => view.text(sleeper!).includes("working"), 180_000);
      const before = await listProcessNames(`${marker}1`);
      expect(before).toContain("java");
      expect(before.filter((name) => name.startsWith("python")).length).toBeGreaterThanOrEqual(2);

      // Kill the server outright: its kernel (own session) and JVM would survive as orphans.
      const lost: string[] = [];
      supervisor.onLost((_launch, reason) => lost.push(reason));
      signalProcessGroup(serverPid, "SIGKILL");

      await waitFor("the running cell to be marked died", () => view.status.get(sleeper!) === "died", 30_000);
      expect(view.text(sleeper!)).toContain("working");
      expect(view.text(sleeper!)).toMatch(/The kernel died while running this cell \(Jupyter Server stopped/);
      expect(lost).toHaveLength(1);
      await waitFor(
        "orphans of launch 1 gone",
        async () => (await listProcessNames(`${marker}1`)).length === 0,
        30_000,
      );

      // The server comes back (launch 2) and the notebook runs again on a new kernel.
      const second = await supervisor.ready(120_000);
      expect(second.launch).toBe(2);
      expect(supervisor.pid).not.toBe(serverPid);
      const [result] = await broker.runAndWait("nb", [after!], 180_000);
      expect(result).toMatchObject({ status: "ok", executionCount: 1 });
      expect(describeOutputs(result!.outputs)).toBe("2");
      // Spark starts at its first use in the new kernel.
      const [counted] = await broker.runAndWait("nb", [sparkAfter!], 240_000);
      expect(describeOutputs(counted!.outputs)).toContain("5");
      await waitFor(
        "a Spark JVM under launch 2",
        async () => (await listProcessNames(`${marker}2`)).includes("java"),
        120_000,
      );

      // stop(): nothing of any launch is left, JVMs included.
      await broker.stop();
      await pool.stop(false);
      await supervisor.stop();
      expect(await findMarkedProcesses(marker)).toEqual([]);
      expect(supervisor.status()).toBe("not started");

      // The token never reached the log.
      const log = readFileSync(supervisor.logPath, "utf8");
      expect(log).toContain("Jupyter Server");
      expect(log).not.toContain(token);
      expect(logs.lines.join("\n")).not.toContain(token);
    },
    SLOW_TEST_MS,
  );

  it(
    "leaves nothing behind when Flint itself is killed with SIGKILL",
    async () => {
      const dataDir = createTestDataDir();
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          join(import.meta.dirname, "testing", "orphan-child.ts"),
          dataDir,
          findTestPythonEnv(),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      cleanups.push(() => void child.kill("SIGKILL"));
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const marker = await waitFor("the child runtime", () => /READY (\S+)/.exec(output)?.[1], 150_000, 100);
      const names = await listProcessNames(marker);
      expect(names.filter((name) => name.startsWith("python")).length).toBeGreaterThanOrEqual(2);

      child.kill("SIGKILL");
      // The server sees its parent gone, stops itself and shuts its kernel down.
      await waitFor(
        "the orphaned server and kernel to stop",
        async () => (await listProcessNames(marker)).length === 0,
        30_000,
        250,
      );
    },
    SLOW_TEST_MS,
  );

  it(
    "reports a broken Python environment as a clear error, quickly",
    async () => {
      const dataDir = createTestDataDir();
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const logs = createLogCollector();
      const runtime = createKernelRuntime({
        pythonEnv: join(dataDir, "no-such-env"),
        dataDir,
        store: new MemoryCellRunStore(),
        warmPoolSize: 0,
        log: logs.log,
      });
      cleanups.push(() => runtime.stop());
      await runtime.start();
      await expect(runtime.ready(60_000)).rejects.toThrow(/no Python at/);
      expect(runtime.status().jupyter).toMatchObject({
        status: "down",
        error: expect.stringMatching(/no Python/),
      });
    },
    SLOW_TEST_MS,
  );

  it(
    "uses an external Jupyter Server (JUPYTER_URL + token) and starts none",
    async () => {
      const dataDir = createTestDataDir();
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const token = "external-test-token-0123456789";
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      // Started by the test like an operator would; the token in argv is acceptable here.
      const server = spawn(
        join(findTestPythonEnv(), "bin", "python"),
        [
          "-m",
          "jupyter_server",
          "--ServerApp.ip=127.0.0.1",
          `--ServerApp.port=${port}`,
          "--ServerApp.port_retries=0",
          `--IdentityProvider.token=${token}`,
          "--ServerApp.open_browser=False",
          `--ServerApp.root_dir=${dataDir}`,
          "--ServerApp.allow_root=True",
        ],
        {
          detached: true,
          stdio: "ignore",
          env: { ...process.env, JUPYTER_RUNTIME_DIR: join(dataDir, "rt") },
        },
      );
      cleanups.push(() => {
        if (server.pid) signalProcessGroup(server.pid, "SIGTERM");
      });
      const store = new MemoryCellRunStore();
      const runtime = createKernelRuntime({
        pythonEnv: "/nonexistent",
        dataDir,
        store,
        jupyterUrl: `http://127.0.0.1:${port}/`,
        jupyterToken: token,
        warmPoolSize: 0,
        // The plain ipykernel spec: this test is about the connection, not Spark.
        kernelName: "python3",
        log: () => undefined,
      });
      cleanups.push(() => runtime.stop());
      await runtime.start();
      expect(runtime.status().jupyter.status).toBe("external");
      await waitFor(
        "the external server",
        () =>
          runtime.ready(5_000).then(
            () => true,
            () => false,
          ),
        60_000,
        500,
      );
      const [cell] = store.setNotebook("ext", ["import sys; sys.version_info.major"]);
      const [result] = await runtime.broker.runAndWait("ext", [cell!], 120_000);
      expect(describeOutputs(result!.outputs)).toBe("3");
      const kernelId = runtime.broker.kernelIdOf("ext");
      expect(kernelId).toBeTruthy();
      // Stopping Flint shuts its kernels on the external server down (and leaves the server).
      await runtime.stop();
      const response = await fetch(`http://127.0.0.1:${port}/api/kernels`, {
        headers: { Authorization: `token ${token}` },
      });
      const kernels = (await response.json()) as Array<{ id: string }>;
      expect(kernels.map((k) => k.id)).not.toContain(kernelId);
    },
    SLOW_TEST_MS,
  );
});

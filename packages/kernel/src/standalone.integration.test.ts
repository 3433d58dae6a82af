/**
 * A real Spark standalone cluster: a master and one worker started from the installed pyspark
 * (`spark-class`, as ARCHITECTURE.md describes), and a notebook cell whose job must run on the
 * worker's executor — the master's JSON must list the kernel's application with cores in use.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKernelRuntime, type TKernelRuntime } from "./index";
import { MemoryCellRunStore, waitFor } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv } from "./testing/runtime";

const pythonEnv = findTestPythonEnv();
const cluster: ChildProcess[] = [];
let runtime: TKernelRuntime;
let store: MemoryCellRunStore;
let dataDir: string;
let masterUi: string;
let masterUrl: string;

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function startDaemon(sparkClass: string, args: string[]): ChildProcess {
  // Own process group, so the JVM and its children stop together in afterAll.
  const child = spawn(sparkClass, args, {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, SPARK_LOCAL_IP: "127.0.0.1", SPARK_NO_DAEMONIZE: "1" },
  });
  cluster.push(child);
  return child;
}

async function masterState(): Promise<{
  workers: { state: string }[];
  activeapps: { id: string; name: string; cores: number }[];
}> {
  const response = await fetch(`${masterUi}/json/`);
  return (await response.json()) as {
    workers: { state: string }[];
    activeapps: { id: string; name: string; cores: number }[];
  };
}

beforeAll(async () => {
  const pysparkDir = execFileSync(
    path.join(pythonEnv, "bin", "python"),
    ["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"],
    {
      encoding: "utf8",
    },
  ).trim();
  const sparkClass = path.join(pysparkDir, "bin", "spark-class");
  const [port, uiPort, workerUiPort] = [await freePort(), await freePort(), await freePort()];
  masterUrl = `spark://127.0.0.1:${port}`;
  masterUi = `http://127.0.0.1:${uiPort}`;
  startDaemon(sparkClass, [
    "org.apache.spark.deploy.master.Master",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--webui-port",
    String(uiPort),
  ]);
  await waitFor(
    "the Spark master",
    async () => (await masterState().catch(() => null)) !== null,
    120_000,
    500,
  );
  startDaemon(sparkClass, [
    "org.apache.spark.deploy.worker.Worker",
    masterUrl,
    "--host",
    "127.0.0.1",
    "--cores",
    "1",
    "--memory",
    "1g",
    "--webui-port",
    String(workerUiPort),
  ]);
  await waitFor(
    "a live Spark worker",
    async () => (await masterState()).workers.some((worker) => worker.state === "ALIVE"),
    120_000,
  );
  dataDir = createTestDataDir("flint-standalone-test-");
  store = new MemoryCellRunStore();
  runtime = createKernelRuntime({
    pythonEnv,
    dataDir,
    store,
    warmPoolSize: 0,
    env: {
      SPARK_MASTER: masterUrl,
      PYSPARK_SUBMIT_ARGS: "--driver-memory 512m --executor-memory 512m pyspark-shell",
    },
    log: createLogCollector().log,
    // Sandboxed as users' kernels are: with a cluster, on the host's network (the executors
    // connect back to the driver), still as the project's own user.
    sandbox: { mode: "bwrap", apiPort: 39_997, projectOf: async () => "cluster-project" },
  });
  await runtime.start();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  for (const child of cluster) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("Spark standalone cluster", () => {
  it("runs a notebook cell's job on the worker's executor", async () => {
    expect(runtime.status().sandbox).toMatchObject({ mode: "bwrap", user: "project", network: "host" });
    const [master, count] = store.setNotebook("cluster", [
      "print(sc.master, sc.applicationId)",
      "spark.range(100000).selectExpr('sum(id) as s').collect()[0].s",
    ]);
    const results = await runtime.broker.runAndWait("cluster", [master!, count!], 280_000);
    expect(results.map((result) => result.status)).toEqual(["ok", "ok"]);
    const printed = JSON.stringify(results[0]?.outputs);
    expect(printed).toContain(masterUrl);
    const applicationId = /(app-[0-9-]+)/.exec(printed)?.[1];
    expect(applicationId).toBeDefined();
    expect(JSON.stringify(results[1]?.outputs)).toContain("4999950000");
    // The master lists the kernel's application, with the worker's core given to its executor.
    const state = await masterState();
    const app = state.activeapps.find((entry) => entry.id === applicationId);
    expect(app).toBeDefined();
    expect(app?.cores).toBeGreaterThan(0);
  }, 300_000);
});

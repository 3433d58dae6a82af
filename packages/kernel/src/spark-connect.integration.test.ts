/**
 * The projects' shared Spark (issue 17): a real Spark Connect server per project, started on
 * demand inside the project's bubblewrap sandbox, reached by the project's sandboxed kernels
 * through their forwarded port, out of reach of another project's kernels, and stopped when idle.
 */

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKernelRuntime, type TKernelRuntime } from "./index";
import { MemoryCellRunStore, runCellText } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv, TEST_KERNEL_ENV } from "./testing/runtime";

const SLOW_TEST_MS = 600_000;
const PROJECTS: Record<string, string> = { "nb-a": "projA", "nb-a2": "projA", "nb-b": "projB" };
const IDLE_MS = 20_000;

let runtime: TKernelRuntime;
let store: MemoryCellRunStore;
let dataDir: string;
const logs = createLogCollector();

const run = (notebookId: string, code: string) =>
  runCellText(runtime.broker, store, notebookId, code, 300_000);

/** A cell that opens its own session on `url` and counts, or prints why it could not. */
function countOn(url: string): string {
  return [
    "from pyspark.sql.connect.session import SparkSession as _S",
    "try:",
    `    _s = _S.builder.remote(${JSON.stringify(url)}).create()`,
    "    _s.range(5).createOrReplaceTempView('mine')",
    "    print('count', _s.sql('select count(*) from mine').first()[0])",
    "except Exception as error:",
    "    print('failed', type(error).__name__)",
  ].join("\n");
}

beforeAll(async () => {
  dataDir = createTestDataDir("flint-spark-connect-test-");
  store = new MemoryCellRunStore();
  runtime = createKernelRuntime({
    pythonEnv: findTestPythonEnv(),
    dataDir,
    store,
    warmPoolSize: 0,
    env: TEST_KERNEL_ENV,
    log: logs.log,
    sparkConnect: { idleMs: IDLE_MS, memoryMb: 768 },
    sandbox: { mode: "bwrap", apiPort: 39_998, projectOf: async (id) => PROJECTS[id] ?? null },
  });
  await runtime.start();
  await runtime.ready();
}, SLOW_TEST_MS);

/** The processes of `leader`'s session (the server's sandbox, JVM and workers), with their nice values. */
function sessionProcesses(leader: number): { pid: number; name: string; nice: number }[] {
  const found: { pid: number; name: string; nice: number }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After the name: state, ppid, pgrp, session (3), ..., nice (16).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) !== leader) continue;
      found.push({
        pid: Number(entry),
        name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
        nice: Number(fields[16]),
      });
    } catch {
      // Ended meanwhile.
    }
  }
  return found;
}

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("shared Spark per project", () => {
  it(
    "starts on demand in the project's sandbox, is shared by its notebooks, unreachable from another project, and stops when idle",
    async () => {
      expect(runtime.status().sandbox.mode).toBe("bwrap");
      expect(runtime.sparkConnect.running()).toEqual([]);
      const [first, again] = await Promise.all([
        runtime.sparkConnect.ensure("projA"),
        runtime.sparkConnect.ensure("projA"),
      ]);
      expect(first.url).toBe("sc://127.0.0.1:15002");
      expect(again).toEqual(first);
      expect(runtime.sparkConnect.running()).toEqual(["projA"]);
      const pid = runtime.sparkConnect.pidOf("projA");

      // Background work: the server's JVM runs at a lower CPU priority than the kernels, and so
      // does its session's autogroup (flint.priority; default FLINT_BACKGROUND_NICE 5).
      const jvm = sessionProcesses(pid!).find((process) => process.name === "java");
      expect(jvm?.nice).toBe(5);
      if (existsSync(`/proc/${pid}/autogroup`))
        expect(readFileSync(`/proc/${pid}/autogroup`, "utf8").trim()).toMatch(/ nice 5$/);
      // It maps the Spark class archive setup built (flint.spark_archive: Spark's classes ready
      // made, a start about twice as fast), which the sandbox sees in the Python environment.
      expect(readFileSync(`/proc/${jvm!.pid}/maps`, "utf8")).toContain("spark-class-archive.jsa");

      // Two notebooks of the project: one server, a session each (temp views their own).
      expect(await run("nb-a", countOn(first.url))).toContain("count 5");
      expect(await run("nb-a2", countOn(first.url))).toContain("count 5");
      expect(
        await run("nb-a2", "print(sorted(r.viewName for r in _s.sql('show views').collect()))"),
      ).toContain("['mine']");
      expect((await runtime.sparkConnect.ensure("projA")).url).toBe(first.url);
      expect(runtime.sparkConnect.pidOf("projA")).toBe(pid);

      // Another project's kernel: the same address leads to its own project's (absent) server,
      // and project A's socket folder is not in its sandbox.
      // (A raw HTTP/2 preface: gRPC's client would retry an unreachable server for minutes.)
      const probe = [
        "import socket",
        "try:",
        "    c = socket.create_connection(('127.0.0.1', 15002), timeout=10)",
        "    c.sendall(b'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n' + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))",
        "    print('answer', len(c.recv(100)))",
        "except Exception as error:",
        "    print('failed', type(error).__name__)",
      ].join("\n");
      expect(await run("nb-a", probe)).toMatch(/answer [1-9]/);
      expect(await run("nb-b", probe)).toMatch(/answer 0|failed/);
      const folder = `${dataDir}/sandbox/spark/projA`;
      expect(existsSync(`${folder}/connect.sock`)).toBe(true);
      expect(await run("nb-b", `import os\nprint(os.path.exists(${JSON.stringify(folder)}))`)).toContain(
        "False",
      );

      // No traffic for the idle time: the server stops; the next ensure starts a new one.
      const deadline = Date.now() + IDLE_MS * 4;
      while (runtime.sparkConnect.running().length > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(runtime.sparkConnect.running()).toEqual([]);
      expect(logs.lines.some((line) => line.includes("projA (idle)"))).toBe(true);
    },
    SLOW_TEST_MS,
  );
});

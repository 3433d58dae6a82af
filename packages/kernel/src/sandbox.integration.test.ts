/**
 * Tenant isolation with real sandboxed kernels (bubblewrap, a real Jupyter Server, real Spark):
 * a kernel of project A tries each escape of SECURITY.md cases 26-28, and each fails with the
 * specific error that its protection gives. Were a protection removed, the read, write, kill or
 * connection would succeed and the test would fail on the missing error. The same kernels still
 * run Spark, write files in their project and `%pip install` into their project's layer.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKernelRuntime, MASKED_TOKEN, type TKernelRuntime } from "./index";
import { describeOutputs, MemoryCellRunStore, runCellText } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv, TEST_KERNEL_ENV } from "./testing/runtime";

const SLOW_TEST_MS = 300_000;
const PROJECTS: Record<string, string> = {
  "nb-a": "projA",
  "nb-a2": "projA",
  "nb-b": "projB",
  "nb-big": "projC",
};
const MEMORY_BYTES = 1536 * 1024 ** 2;

let runtime: TKernelRuntime;
let store: MemoryCellRunStore;
let dataDir: string;
let loopbackService: Server;
let loopbackPort: number;
const logs = createLogCollector();

const run = (notebookId: string, code: string) =>
  runCellText(runtime.broker, store, notebookId, code, 240_000);

/** Python that tries `attempt` and prints `ok` or the exception's class and message. */
function tryIt(attempt: string): string {
  return [
    "try:",
    `    ${attempt}`,
    "    print('ok')",
    "except Exception as error:",
    "    print(type(error).__name__, error)",
  ].join("\n");
}

/** Host pids of the kernels of `project` (found as root through their environment). */
function kernelPids(project: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (environ.includes(`FLINT_PROJECT_ID=${project}`) && cmdline.includes("ipykernel_launcher"))
        pids.push(Number(entry));
    } catch {
      // Gone, or not readable: not one of ours.
    }
  }
  return pids;
}

beforeAll(async () => {
  dataDir = createTestDataDir("flint-sandbox-test-");
  // What a kernel must never reach: Flint's secrets, the database's files, another project's
  // upload, the output spool.
  for (const [file, text] of [
    ["secrets/catalog-key", "the catalog key"],
    ["postgres/.flint-password", "the database password"],
    ["storage/projects/projB/uploads/b.csv", "x\n1\n"],
    ["outputs/spool.txt", "someone's output"],
  ] as const) {
    mkdirSync(join(dataDir, file, ".."), { recursive: true });
    writeFileSync(join(dataDir, file), text);
  }
  // A loopback service standing in for the embedded PostgreSQL (and any other on 127.0.0.1).
  loopbackService = createServer((socket) => socket.end("hello\n"));
  await new Promise<void>((resolve) => loopbackService.listen(0, "127.0.0.1", resolve));
  loopbackPort = (loopbackService.address() as { port: number }).port;
  store = new MemoryCellRunStore();
  runtime = createKernelRuntime({
    pythonEnv: findTestPythonEnv(),
    dataDir,
    store,
    warmPoolSize: 0,
    env: TEST_KERNEL_ENV,
    log: logs.log,
    sandbox: {
      mode: "bwrap",
      apiPort: 39_999,
      memoryBytes: MEMORY_BYTES,
      projectOf: async (id) => PROJECTS[id] ?? null,
    },
  });
  await runtime.start();
  await runtime.ready();
}, SLOW_TEST_MS);

afterAll(async () => {
  await runtime?.stop();
  loopbackService?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("kernel sandboxes (SECURITY.md 26-28)", () => {
  it(
    "runs sandboxed as a project user, and says so in health",
    async () => {
      const status = runtime.status().sandbox;
      expect(status.mode).toBe("bwrap");
      expect(status.user).toBe("project");
      expect(status.network).toBe("isolated");
      const a = await run("nb-a", "import os; print(os.getuid(), os.getcwd())");
      const [uid, cwd] = a.trim().split(" ");
      expect(Number(uid)).toBeGreaterThanOrEqual(200_000);
      expect(cwd).toBe(join(dataDir, "storage", "projects", "projA"));
      const b = await run("nb-b", "import os; print(os.getuid())");
      expect(Number(b.trim())).not.toBe(Number(uid));
    },
    SLOW_TEST_MS,
  );

  it(
    "cannot read Flint's secrets, database files, another project's upload or the output spool",
    async () => {
      for (const file of [
        "secrets/catalog-key",
        "postgres/.flint-password",
        "storage/projects/projB/uploads/b.csv",
        "outputs/spool.txt",
      ]) {
        const output = await run("nb-a", tryIt(`open(${JSON.stringify(join(dataDir, file))}).read()`));
        expect(output, file).toMatch(/^FileNotFoundError/);
      }
    },
    SLOW_TEST_MS,
  );

  it(
    "cannot read the Jupyter server's info file or another kernel's connection file",
    async () => {
      await run("nb-b", "1");
      const runtimeDir = join(dataDir, "jupyter", "runtime");
      const serverFiles = readdirSync(runtimeDir).filter((name) => name.startsWith("jpserver-"));
      expect(serverFiles.length).toBeGreaterThan(0);
      for (const name of serverFiles) {
        const output = await run("nb-a", tryIt(`open(${JSON.stringify(join(runtimeDir, name))}).read()`));
        expect(output, name).toMatch(/^FileNotFoundError/);
      }
      const own = (
        await run("nb-a", "import os; print(os.path.dirname(os.path.abspath(os.environ['TMPDIR'])))")
      ).trim();
      const kernelsDir = join(dataDir, "sandbox", "kernels");
      const others = readdirSync(kernelsDir)
        .map((id) => join(kernelsDir, id, "connection.json"))
        .filter((file) => !file.startsWith(`${own}/`));
      expect(others.length).toBeGreaterThan(0);
      for (const file of others) {
        const output = await run("nb-a", tryIt(`open(${JSON.stringify(file)}).read()`));
        expect(output, file).toMatch(/^FileNotFoundError/);
      }
    },
    SLOW_TEST_MS,
  );

  it(
    "cannot write into the shared Python environment",
    async () => {
      const output = await run(
        "nb-a",
        tryIt(
          "import sysconfig; open(sysconfig.get_paths()['purelib'] + '/sitecustomize.py', 'w').write('x')",
        ),
      );
      expect(output).toMatch(/^OSError \[Errno 30\] Read-only file system/);
    },
    SLOW_TEST_MS,
  );

  it(
    "cannot signal another kernel or read its (or Flint's) /proc/<pid>/environ",
    async () => {
      await run("nb-b", "1");
      const [otherPid] = kernelPids("projB");
      expect(otherPid).toBeGreaterThan(0);
      for (const pid of [otherPid!, process.pid]) {
        const read = await run("nb-a", tryIt(`open('/proc/${pid}/environ').read()`));
        expect(read, `environ of ${pid}`).toMatch(/^FileNotFoundError/);
      }
      const kill = await run("nb-a", tryIt(`import os, signal; os.kill(${otherPid}, signal.SIGKILL)`));
      expect(kill).toMatch(/^ProcessLookupError/);
      expect(await run("nb-b", "print(40 + 2)")).toContain("42");
    },
    SLOW_TEST_MS,
  );

  it(
    "cannot connect to loopback services (the database) or private addresses",
    async () => {
      const tcp = await run(
        "nb-a",
        tryIt(`import socket; socket.create_connection(('127.0.0.1', ${loopbackPort}), timeout=5)`),
      );
      expect(tcp).toMatch(/^ConnectionRefusedError/);
      const proxied = await run(
        "nb-a",
        tryIt(
          "import urllib.request; urllib.request.urlopen('http://169.254.169.254/latest/meta-data', timeout=10)",
        ),
      );
      expect(proxied).toMatch(/^HTTPError HTTP Error 403/);
    },
    SLOW_TEST_MS,
  );

  it(
    "still runs Spark and writes files that belong to its project",
    async () => {
      expect(await run("nb-a", "print(spark.range(1000).count())")).toContain("1000");
      await run("nb-a", "open('result.txt', 'w').write('from the kernel')");
      const written = join(dataDir, "storage", "projects", "projA", "result.txt");
      expect(readFileSync(written, "utf8")).toBe("from the kernel");
      expect(statSync(written).uid).toBeGreaterThanOrEqual(200_000);
    },
    SLOW_TEST_MS,
  );

  it(
    "masks a notebook token that reaches an output before it is saved",
    async () => {
      const output = await run(
        "nb-a",
        "import os\nos.environ['FLINT_API_TOKEN'] = 'flint_nbk_' + 'Q' * 43\nprint(dict(os.environ)['FLINT_API_TOKEN'])",
      );
      expect(output).not.toContain("Q".repeat(43));
      expect(output).toContain(MASKED_TOKEN);
      const saved = store.writes
        .filter((write) => write.notebookId === "nb-a")
        .map((write) => JSON.stringify(write.update));
      expect(saved.join("\n")).not.toContain("Q".repeat(43));
    },
    SLOW_TEST_MS,
  );

  it(
    "%pip installs into the project's layer: the project's next kernel has it, another project's not",
    async () => {
      const install = await run("nb-a", "%pip install --quiet pyjokes==0.8.3");
      expect(install).not.toMatch(/ERROR/);
      const layer = join(dataDir, "sandbox", "packages", "projA");
      expect(
        execFileSync("find", [layer, "-maxdepth", "4", "-name", "pyjokes"], { encoding: "utf8" }),
      ).toContain("pyjokes");
      // A new notebook of the same project gets a new kernel, which finds the package.
      expect(await run("nb-a2", "import pyjokes; print(pyjokes.__file__)")).toContain(layer);
      expect(await run("nb-b", tryIt("import pyjokes"))).toMatch(/^ModuleNotFoundError/);
    },
    SLOW_TEST_MS,
  );

  it(
    "stops a kernel that goes over its memory limit, and says the kernel died",
    async () => {
      expect(runtime.status().sandbox.memoryBytes).toBe(MEMORY_BYTES);
      // 3 GiB written byte by byte (not lazily mapped zeros): fine on this 24 GiB machine without
      // the limit, fatal for the kernel with it; other kernels are untouched.
      const [cellId] = store.setNotebook("nb-big", ["x = b'x' * (3 * 1024 ** 3)\nprint('allocated')"]);
      const [result] = await runtime.broker.runAndWait("nb-big", [cellId!], 240_000);
      expect(result!.status).toBe("died");
      expect(describeOutputs(result!.outputs)).not.toContain("allocated");
      expect(describeOutputs(result!.outputs)).toContain("used more than its memory limit of 1536 MiB");
      expect(await run("nb-b", "print(6 * 7)")).toContain("42");
    },
    SLOW_TEST_MS,
  );
});

/**
 * Kernel connections against a real Jupyter Server, with the plain `python3` kernelspec (no Spark
 * needed): the guards that keep a misbehaving kernel or a library timer from ending Node.
 */

import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionBroker } from "./broker";
import { type KernelHandle, KernelPool } from "./kernels";
import { JupyterSupervisor } from "./supervisor";
import { describeOutputs, MemoryCellRunStore, waitFor } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv } from "./testing/runtime";

const logs = createLogCollector();
let dataDir: string;
let supervisor: JupyterSupervisor;
let pool: KernelPool;

beforeAll(async () => {
  dataDir = createTestDataDir();
  supervisor = new JupyterSupervisor({ pythonEnv: findTestPythonEnv(), dataDir, log: logs.log });
  pool = new KernelPool(supervisor, { kernelName: "python3", warmPoolSize: 0, log: logs.log });
  supervisor.start();
  pool.start();
  await supervisor.ready();
});

afterAll(async () => {
  await pool?.stop(false);
  await supervisor?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("kernel connections", () => {
  it("survives a reconnect scheduled by services just before Flint closes the connection", async () => {
    const handle = await pool.acquire();
    const connection = handle.connection;
    const socket = (connection as unknown as { _ws: { close(code: number): void } | null })._ws;
    expect(socket).toBeTruthy();
    const reconnecting = new Promise<void>((resolve) => {
      connection.connectionStatusChanged.connect((_, status) => {
        // services has just scheduled `_createSocket` on a timer: close the connection now.
        if (status === "connecting") {
          handle.markDead("closed by the test");
          resolve();
        }
      });
    });
    socket!.close(4001);
    await reconnecting;
    // Unguarded, the timer throws "Kernel connection is disposed" here and the run fails.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(connection.isDisposed).toBe(true);
    pool.release(handle);
  });

  it("drops a malformed message from the kernel instead of crashing", async () => {
    const store = new MemoryCellRunStore();
    const broker = new ExecutionBroker({ store, kernels: pool, log: logs.log });
    try {
      const [cell] = store.setNotebook("nb", [
        [
          "k = get_ipython().kernel",
          "k.session.send(k.iopub_socket, 'stream', {'name': 'stdout', 'text': 5}, parent=k.get_parent())",
          "print('still fine')",
        ].join("\n"),
      ]);
      const [result] = await broker.runAndWait("nb", [cell!], 60_000);
      expect(result?.status).toBe("ok");
      expect(describeOutputs(result!.outputs)).toBe("still fine\n");
      await waitFor("the log line", () => logs.lines.some((line) => /malformed kernel message/.test(line)));
    } finally {
      await broker.stop();
    }
  });

  it("refuses a kernel past the per-person limit, saying what to do, and not another person's", async () => {
    const store = new MemoryCellRunStore();
    const broker = new ExecutionBroker({ store, kernels: pool, log: logs.log, maxKernelsPerUser: 2 });
    try {
      const run = async (notebookId: string, userId: string) => {
        const [cell] = store.setNotebook(notebookId, ["print(6 * 7)"]);
        const [result] = await broker.runAndWait(notebookId, [cell!], 60_000, { userId, userName: userId });
        return result!;
      };
      expect((await run("ada-1", "ada")).status).toBe("ok");
      expect((await run("ada-2", "ada")).status).toBe("ok");
      const third = await run("ada-3", "ada");
      expect(third.status).toBe("error");
      expect(describeOutputs(third.outputs)).toMatch(
        /as many as one person may have at once \(2\).*Shut down/,
      );
      // The limit is per person: someone else still gets a kernel, and Ada's own notebooks run on.
      expect((await run("bob-1", "bob")).status).toBe("ok");
      expect((await run("ada-1", "ada")).status).toBe("ok");
      // Once Ada shuts one down, her third notebook runs.
      await broker.session("ada-2").shutdown();
      expect((await run("ada-3", "ada")).status).toBe("ok");
    } finally {
      await broker.stop();
    }
  });

  it("keeps its warm kernel for a busy project while other projects start kernels", async () => {
    // Kernels start in their project's folder under Jupyter's root.
    for (const project of ["alpha", "beta"])
      mkdirSync(path.join(dataDir, "jupyter", "root", project), { recursive: true });
    const projectOf: Record<string, string> = { "a-1": "alpha", "a-2": "alpha", "b-1": "beta" };
    const placed = new KernelPool(supervisor, {
      kernelName: "python3",
      warmPoolSize: 1,
      log: logs.log,
      placeKernel: async (notebookId) => {
        const project = projectOf[notebookId];
        return project ? { key: project, path: project } : null;
      },
    });
    placed.start();
    try {
      const first = await placed.acquire("a-1");
      const warm = await waitFor("a warm kernel for alpha", () => placed.warmKernelIds()[0] ?? null, 120_000);
      // Another project asks right after: it gets a kernel of its own, alpha keeps the warm one.
      const other = await placed.acquire("b-1");
      expect(other.id).not.toBe(warm);
      expect(placed.warmKernelIds()).toEqual([warm]);
      // alpha's next notebook takes that warm kernel.
      const second = await placed.acquire("a-2");
      expect(second.id).toBe(warm);
      for (const handle of [first, other, second]) placed.release(handle);
    } finally {
      await placed.stop(true);
    }
  });

  it("keeps a warm kernel with its own warm-up for a project whose Spark runs, while the pool follows another", async () => {
    for (const project of ["sparky", "plain"])
      mkdirSync(path.join(dataDir, "jupyter", "root", project), { recursive: true });
    const projectOf: Record<string, string> = { "s-1": "sparky", "s-2": "sparky", "p-1": "plain" };
    const placed = new KernelPool(supervisor, {
      kernelName: "python3",
      warmPoolSize: 1,
      // Follow a new project at once, so that the kept kernel is what serves sparky's next notebook.
      warmStickyMs: 0,
      log: logs.log,
      placeKernel: async (notebookId) => {
        const project = projectOf[notebookId];
        return project ? { key: project, path: project } : null;
      },
      warmUpCode: (key) => `WARMED_FOR = ${JSON.stringify(key)}`,
    });
    placed.start();
    const said = async (handle: KernelHandle, code: string) => {
      const future = handle.connection.requestExecute({ code });
      let text = "";
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === "stream") text += (msg.content as { text: string }).text;
      };
      await future.done;
      return text.trim();
    };
    try {
      const first = await placed.acquire("s-1");
      placed.keepWarmFor("sparky", true);
      const kept = await waitFor(
        "a warm kernel for sparky",
        () => placed.warmKernelIds()[0] ?? null,
        120_000,
      );
      // The pool moves to another project; sparky keeps one warm kernel of its own.
      const other = await placed.acquire("p-1");
      await waitFor(
        "warm kernels for both projects",
        () => placed.warmKernelIds().length === 2 || null,
        120_000,
      );
      const second = await placed.acquire("s-2");
      expect(second.id).toBe(kept);
      expect(await said(second, "print(WARMED_FOR)")).toBe("sparky");
      // Its Spark stopped: sparky's kept kernel is not replaced (the pool follows sparky again
      // only because s-2 just asked, so one warm kernel stays, sparky's own).
      placed.keepWarmFor("sparky", false);
      await waitFor("one warm kernel", () => placed.warmKernelIds().length === 1 || null, 120_000);
      for (const handle of [first, other, second]) placed.release(handle);
    } finally {
      await placed.stop(true);
    }
  });
});

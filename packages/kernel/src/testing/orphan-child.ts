/**
 * A Flint-like process for the test that kills Flint with SIGKILL: starts a kernel runtime with
 * one warm kernel, prints `READY <marker>` and waits to be killed. Run with `node --import tsx`.
 */

import { createKernelRuntime, type JupyterSupervisor } from "../index";
import { MemoryCellRunStore, waitFor } from "./memory-store";

const [dataDir, pythonEnv] = process.argv.slice(2);
if (!dataDir || !pythonEnv) throw new Error("usage: orphan-child.ts <dataDir> <pythonEnv>");
const runtime = createKernelRuntime({
  pythonEnv,
  dataDir,
  store: new MemoryCellRunStore(),
  warmPoolSize: 1,
  kernelName: "python3",
  log: () => undefined,
});
await runtime.start();
await waitFor("a warm kernel", () => runtime.kernels.warmKernelIds().length > 0, 120_000, 100);
process.stdout.write(`READY ${(runtime.jupyter as JupyterSupervisor).processMarker}\n`);
setInterval(() => undefined, 60_000);

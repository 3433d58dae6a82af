/**
 * Jupyter Enterprise Gateway as the kernels' back end (`JUPYTER_URL`): a real gateway (3.3, in an
 * environment of its own that `npm test` installs: it pins jupyter_server 1.x), serving Flint's
 * kernelspec, started as this machine's user. Its default `EG_UNAUTHORIZED_USERS` is `root`, and a
 * start request without `KERNEL_USERNAME` is made in its process user's name: Flint must say whose
 * kernel it is, or a gateway run as root refuses every kernel with 403.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKernelRuntime, type TKernelRuntime } from "./index";
import { gatewayKernelEnv } from "./kernels";
import { findGatewayEnv, startTestGateway, type TTestGateway } from "./testing/gateway";
import { MemoryCellRunStore } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv } from "./testing/runtime";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pythonEnv = findTestPythonEnv();
let gateway: TTestGateway;
let runtime: TKernelRuntime;
let store: MemoryCellRunStore;
let dataDir: string;

beforeAll(async () => {
  gateway = await startTestGateway(findGatewayEnv(root), pythonEnv);
  dataDir = createTestDataDir("flint-gateway-test-");
  store = new MemoryCellRunStore();
  runtime = createKernelRuntime({
    pythonEnv,
    dataDir,
    store,
    warmPoolSize: 0,
    jupyterUrl: gateway.url,
    jupyterToken: gateway.token,
    log: createLogCollector().log,
    sandbox: { mode: "off", apiPort: 0, projectOf: async () => "Gateway_Project" },
  });
  await runtime.start();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  gateway?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("Jupyter Enterprise Gateway", () => {
  it("names the kernel's user after its project, in the form gateways and Kubernetes accept", () => {
    expect(gatewayKernelEnv("Gateway_Project")).toEqual({
      KERNEL_USERNAME: "flint-gateway-project",
      KERNEL_LAUNCH_TIMEOUT: "180",
    });
  });

  it("says in health that the gateway's kernels decide where Spark runs", () => {
    expect(runtime.status().spark.master).toContain("JUPYTER_URL");
  });

  it("refuses a start request that does not say whose kernel it is (as root, here)", async () => {
    const response = await fetch(`${gateway.url}/api/kernels`, {
      method: "POST",
      headers: { authorization: `token ${gateway.token}` },
      body: JSON.stringify({ name: "flint-spark" }),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("KERNEL_USERNAME");
  });

  it("starts Flint's kernel for the project's user and runs a cell through it", async () => {
    const [cell] = store.setNotebook("through-gateway", ["import os\nos.environ.get('KERNEL_USERNAME')"]);
    const results = await runtime.broker.runAndWait("through-gateway", [cell!], 240_000);
    expect(results[0]?.status, gateway.logs().slice(-3000)).toBe("ok");
    // The gateway hands the kernel the KERNEL_* variables of the start request.
    expect(JSON.stringify(results[0]?.outputs)).toContain("flint-gateway-project");
  });
});

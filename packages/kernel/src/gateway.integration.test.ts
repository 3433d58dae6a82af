/**
 * Jupyter Enterprise Gateway as the kernels' back end (`JUPYTER_URL`): a real gateway (3.3, in an
 * environment of its own that `npm test` installs: it pins jupyter_server 1.x), serving Flint's
 * kernelspec, started as this machine's user. Its default `EG_UNAUTHORIZED_USERS` is `root`, and a
 * start request without `KERNEL_USERNAME` is made in its process user's name: Flint must say whose
 * kernel it is, or a gateway run as root refuses every kernel with 403.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKernelRuntime, type TKernelRuntime } from "./index";
import { gatewayKernelEnv } from "./kernels";
import { MemoryCellRunStore, waitFor } from "./testing/memory-store";
import { createLogCollector, createTestDataDir, findTestPythonEnv } from "./testing/runtime";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pythonEnv = findTestPythonEnv();
const gatewayEnv = process.env.FLINT_GATEWAY_ENV ?? path.join(root, ".flint/gateway");
const TOKEN = "gateway-test-token";
let gateway: ChildProcess | null = null;
let gatewayLog = "";
let url = "";
let runtime: TKernelRuntime;
let store: MemoryCellRunStore;
let dataDir: string;

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(gatewayEnv, "bin", "jupyter-enterprisegateway")))
    throw new Error(
      `No Enterprise Gateway in ${gatewayEnv}: \`npm test\` installs it there (or set FLINT_GATEWAY_ENV).`,
    );
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = spawn(
    path.join(gatewayEnv, "bin", "jupyter-enterprisegateway"),
    ["--ip=127.0.0.1", `--port=${port}`, "--port_retries=0", `--EnterpriseGatewayApp.auth_token=${TOKEN}`],
    {
      // Flint's kernelspec (and its Python) is what the gateway launches.
      env: { ...process.env, JUPYTER_PATH: path.join(pythonEnv, "share", "jupyter") },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const keep = (chunk: Buffer) => {
    gatewayLog = (gatewayLog + chunk.toString()).slice(-20_000);
  };
  gateway.stdout?.on("data", keep);
  gateway.stderr?.on("data", keep);
  await waitFor(
    "the gateway to answer",
    async () =>
      (await fetch(`${url}/api`, { headers: { authorization: `token ${TOKEN}` } }).catch(() => null))?.ok ===
      true,
    120_000,
    500,
  );
  dataDir = createTestDataDir("flint-gateway-test-");
  store = new MemoryCellRunStore();
  runtime = createKernelRuntime({
    pythonEnv,
    dataDir,
    store,
    warmPoolSize: 0,
    jupyterUrl: url,
    jupyterToken: TOKEN,
    log: createLogCollector().log,
    sandbox: { mode: "off", apiPort: 0, projectOf: async () => "Gateway_Project" },
  });
  await runtime.start();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  if (gateway?.pid) {
    try {
      process.kill(-gateway.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
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
    const response = await fetch(`${url}/api/kernels`, {
      method: "POST",
      headers: { authorization: `token ${TOKEN}` },
      body: JSON.stringify({ name: "flint-spark" }),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("KERNEL_USERNAME");
  });

  it("starts Flint's kernel for the project's user and runs a cell through it", async () => {
    const [cell] = store.setNotebook("through-gateway", ["import os\nos.environ.get('KERNEL_USERNAME')"]);
    const results = await runtime.broker.runAndWait("through-gateway", [cell!], 240_000);
    expect(results[0]?.status, gatewayLog.slice(-3000)).toBe("ok");
    // The gateway hands the kernel the KERNEL_* variables of the start request.
    expect(JSON.stringify(results[0]?.outputs)).toContain("flint-gateway-project");
  });
});

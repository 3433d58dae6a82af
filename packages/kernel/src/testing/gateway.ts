/**
 * A real Jupyter Enterprise Gateway for tests and benchmarks: started from its own environment
 * (`npm test` installs it in `.flint/gateway`: it pins jupyter_server 1.x), serving Flint's
 * kernelspecs from `pythonEnv`, on a free loopback port with a token.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { waitFor } from "./memory-store";

/** A running gateway; `stop` ends it and its kernels. */
export type TTestGateway = { url: string; token: string; logs: () => string; stop: () => void };

/** Where `npm test` installs the gateway, unless `FLINT_GATEWAY_ENV` says otherwise. */
export function findGatewayEnv(root: string): string {
  return process.env.FLINT_GATEWAY_ENV ?? path.join(root, ".flint", "gateway");
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a gateway and waits until it answers. */
export async function startTestGateway(gatewayEnv: string, pythonEnv: string): Promise<TTestGateway> {
  const program = path.join(gatewayEnv, "bin", "jupyter-enterprisegateway");
  if (!existsSync(program))
    throw new Error(
      `No Enterprise Gateway in ${gatewayEnv}: \`npm test\` installs it there (or set FLINT_GATEWAY_ENV).`,
    );
  const port = await freePort();
  const token = `gateway-${Math.random().toString(36).slice(2)}`;
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(
    program,
    ["--ip=127.0.0.1", `--port=${port}`, "--port_retries=0", `--EnterpriseGatewayApp.auth_token=${token}`],
    {
      // Flint's kernelspecs (and their Python) are what the gateway launches.
      env: { ...process.env, JUPYTER_PATH: path.join(pythonEnv, "share", "jupyter") },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so stopping it stops the kernels it launched too.
      detached: true,
    },
  );
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  try {
    await waitFor(
      "the gateway to answer",
      async () =>
        (await fetch(`${url}/api`, { headers: { authorization: `token ${token}` } }).catch(() => null))
          ?.ok === true,
      120_000,
      500,
    );
  } catch (error) {
    stop();
    throw new Error(`${(error as Error).message}\n${log.slice(-3000)}`);
  }
  return { url, token, logs: () => log, stop };
}

// Starts one Flint server for the end-to-end run, the way `npm start` does, with a fresh data
// directory (the Python environment is shared with the checkout's). Returns its teardown.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBuiltFlint } from "@flint/testing";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const E2E_DEMO_PASSWORD = "demo-password-for-e2e";
export const E2E_DEMO_TOKEN = "flint_pat_e2e_demo_token_0123456789";

export default async function globalSetup(): Promise<() => Promise<void>> {
  const server = await startBuiltFlint({
    root,
    port: Number(process.env.FLINT_E2E_PORT ?? "3300"),
    demo: { password: E2E_DEMO_PASSWORD, token: E2E_DEMO_TOKEN },
    // The specs run dozens of notebooks as the demo user, one after the other, and each keeps
    // its kernel until it idles out: the per-person limit (default 5, tested with real kernels in
    // packages/kernel/src/kernels.integration.test.ts) would refuse the sixth.
    // catalog-connection.spec.ts connects to this server's embedded PostgreSQL on loopback, which
    // connections reach only when the administrator allows it (SECURITY.md case 32).
    env: { FLINT_KERNELS_PER_USER: "0", FLINT_CONNECTION_ALLOW: "127.0.0.1" },
    verbose: Boolean(process.env.FLINT_E2E_VERBOSE),
  });
  process.env.FLINT_E2E_DATA_DIR = server.dataDir;
  return server.stop;
}

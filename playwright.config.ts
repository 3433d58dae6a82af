// End-to-end tests in a real Chromium (Debian's, never a downloaded browser) against a real
// Flint server started by e2e/global-setup.ts with its own data directory.
import { CHROMIUM_LAUNCH_OPTIONS } from "@flint/testing";
import { defineConfig } from "@playwright/test";

// Set once in the main process; workers inherit the environment, so all agree on the port.
process.env.FLINT_E2E_PORT ??= String(3200 + Math.floor(Math.random() * 700));
const baseURL = `http://127.0.0.1:${process.env.FLINT_E2E_PORT}`;

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: CHROMIUM_LAUNCH_OPTIONS,
    trace: "off",
  },
});

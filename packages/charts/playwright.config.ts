// Browser tests of the renderer: every Vega-Lite example spec and SECURITY.md cases 11-14, in
// Debian's Chromium (never a downloaded browser), against the harness server each test file
// starts. Kept apart from the root e2e config, which runs against a full Flint server.
import { CHROMIUM_LAUNCH_OPTIONS } from "@flint/testing";
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "test",
  testMatch: "*.spec.ts",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: CHROMIUM_LAUNCH_OPTIONS,
    trace: "off",
  },
});

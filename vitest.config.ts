import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "docker/*.test.ts"],
    globalSetup: ["./packages/db/src/testing/global-setup.ts"],
    // Integration tests start real PostgreSQL, Jupyter and Spark on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});

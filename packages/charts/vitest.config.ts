// Unit tests of the pure modules (no database, no browser): `pnpm --filter @flint/charts test`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

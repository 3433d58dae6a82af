// Vitest global setup: one embedded PostgreSQL for the whole test run, in a temporary directory.
// Each test file makes its own database from it (see test-database.ts), so files never share data.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type TEmbeddedPostgres } from "../embedded.js";
import "./provided-context.js";

let server: TEmbeddedPostgres | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), "flint-test-pg-"));
  server = await startEmbeddedPostgres({ dir, database: "postgres" });
  project.provide("flintTestDatabaseUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

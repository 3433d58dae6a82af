/**
 * Test helper: a fresh database with every migration applied, on the embedded PostgreSQL that
 * the vitest global setup started. Real PostgreSQL, never a mock.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { inject } from "vitest";
import { createPrismaClient, type PrismaClient } from "../client.js";
import { applyMigrations } from "../migrate.js";
import "./provided-context.js";

/** The repository's `prisma/migrations` folder. */
export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../prisma/migrations",
);

/** Creates an empty database named `flint_test_<random>` and returns its URL. */
export async function createEmptyDatabase(): Promise<string> {
  const serverUrl = inject("flintTestDatabaseUrl");
  const name = `flint_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A migrated test database and its Prisma client. */
export async function createTestDatabase(): Promise<{
  url: string;
  prisma: PrismaClient;
  close: () => Promise<void>;
}> {
  const url = await createEmptyDatabase();
  await applyMigrations(url, MIGRATIONS_DIR);
  const prisma = createPrismaClient(url);
  return { url, prisma, close: () => prisma.$disconnect() };
}

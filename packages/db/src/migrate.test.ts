import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { applyMigrations, listMigrations } from "./migrate.js";
import { createEmptyDatabase, MIGRATIONS_DIR } from "./testing/test-database.js";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("applyMigrations", () => {
  it("applies the project's migrations once and records them like Prisma does", async () => {
    const url = await createEmptyDatabase();
    const first = await applyMigrations(url, MIGRATIONS_DIR);
    expect(first.applied).toEqual(listMigrations(MIGRATIONS_DIR));
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await applyMigrations(url, MIGRATIONS_DIR);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const rows = await query<{ migration_name: string; checksum: string }>(
      url,
      `select migration_name, checksum from "_prisma_migrations"`,
    );
    expect(rows.map((row) => row.migration_name)).toEqual(first.applied);
    expect(rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    const tables = await query<{ tablename: string }>(
      url,
      "select tablename from pg_tables where schemaname = 'public'",
    );
    expect(tables.map((row) => row.tablename)).toEqual(
      expect.arrayContaining(["user", "project", "notebook", "cell_output"]),
    );
  });

  it("rolls a failing migration back, names it, and keeps the earlier ones", async () => {
    const url = await createEmptyDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), "flint-migrations-"));
    mkdirSync(path.join(dir, "001_ok"));
    writeFileSync(path.join(dir, "001_ok", "migration.sql"), "create table kept (id int);");
    mkdirSync(path.join(dir, "002_broken"));
    writeFileSync(
      path.join(dir, "002_broken", "migration.sql"),
      "create table half (id int);\nselect * from no_such_table;",
    );
    await expect(applyMigrations(url, dir)).rejects.toThrow(
      /Migration 002_broken failed and was rolled back: .*no_such_table/,
    );
    const tables = await query<{ tablename: string }>(
      url,
      "select tablename from pg_tables where schemaname = 'public'",
    );
    const names = tables.map((row) => row.tablename);
    expect(names).toContain("kept");
    expect(names).not.toContain("half");
    const rows = await query<{ migration_name: string }>(
      url,
      `select migration_name from "_prisma_migrations"`,
    );
    expect(rows.map((row) => row.migration_name)).toEqual(["001_ok"]);
  });
});

/**
 * Flint's migration runner. Prisma's `migrate deploy` cannot run through the pg driver adapter on
 * these machines (prisma issue 27403), so this runner applies `prisma/migrations/*` itself while
 * keeping Prisma's folder format and `_prisma_migrations` table, so `prisma migrate status` agrees.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";

/** What one run of the migration runner did. */
export interface TMigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

// Any constant works: it only has to be the same for every Flint process sharing a database.
const MIGRATION_LOCK_KEY = 72_19_4_2026;

/** Lists migration folder names in the order they must run. */
export function listMigrations(migrationsDir: string): string[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, "migration.sql")),
    )
    .map((entry) => entry.name)
    .sort();
}

/**
 * Applies every migration not applied yet, each inside its own transaction, under an advisory
 * lock so that two Flint processes starting together do not race. Idempotent.
 * @throws Error naming the migration and PostgreSQL's message when one fails; that migration's
 *   transaction is rolled back, so the database stays at the previous migration.
 */
export async function applyMigrations(databaseUrl: string, migrationsDir: string): Promise<TMigrationResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const result: TMigrationResult = { applied: [], alreadyApplied: [] };
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(`create table if not exists "_prisma_migrations" (
      "id" varchar(36) primary key not null,
      "checksum" varchar(64) not null,
      "finished_at" timestamptz,
      "migration_name" varchar(255) not null,
      "logs" text,
      "rolled_back_at" timestamptz,
      "started_at" timestamptz not null default now(),
      "applied_steps_count" integer not null default 0
    )`);
    const done = await client.query<{ migration_name: string }>(
      `select migration_name from "_prisma_migrations" where finished_at is not null and rolled_back_at is null`,
    );
    const appliedNames = new Set(done.rows.map((row) => row.migration_name));
    for (const name of listMigrations(migrationsDir)) {
      if (appliedNames.has(name)) {
        result.alreadyApplied.push(name);
        continue;
      }
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      try {
        await client.query("begin");
        await client.query(sql);
        await client.query(
          `insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           values ($1, $2, now(), $3, 1)`,
          [randomUUID(), checksum, name],
        );
        await client.query("commit");
        result.applied.push(name);
      } catch (error) {
        await client.query("rollback").catch(() => undefined);
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(
          `Migration ${name} failed and was rolled back: ${message}. ` +
            `The database is unchanged since the previous migration; fix prisma/migrations/${name}/migration.sql and start again.`,
        );
      }
    }
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
  return result;
}

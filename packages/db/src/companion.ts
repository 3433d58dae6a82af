/**
 * Databases that live next to Flint's own in the same PostgreSQL cluster: the MLflow tracking
 * server's backend store (docs/models.md) keeps its tables apart from Flint's schema, so its
 * Alembic migrations and Prisma's never meet.
 */
import pg from "pg";

/**
 * The URL of the database `<flint database>_<suffix>` on the same server and with the same
 * credentials as `databaseUrl`, created first when it does not exist.
 * @throws with what to do when the role may not create databases.
 */
export async function ensureCompanionDatabase(databaseUrl: string, suffix: string): Promise<string> {
  const url = new URL(databaseUrl);
  const base = decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres";
  const name = `${base}_${suffix}`.replace(/[^A-Za-z0-9_]/g, "_");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`create database "${name}"`);
      } catch (error) {
        // Two starts racing create it once; anything else is a real refusal.
        if ((error as { code?: string }).code !== "42P04") {
          throw new Error(
            `Could not create the database ${name} next to ${base}: ${(error as Error).message}. Create it (or give the role CREATEDB), or set FLINT_MLFLOW_DATABASE_URL.`,
          );
        }
      }
    }
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

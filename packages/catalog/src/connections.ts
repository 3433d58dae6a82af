/**
 * Saved PostgreSQL connections of a project and what is read through them on the server:
 * table lists, column metadata, and row streams. The password is decrypted only here and in
 * the profiler, and is never part of an answer.
 */
import type { PrismaClient } from "@flint/db";
import pg from "pg";
import { checkConnectionHost, type TConnectionPolicy } from "./connection-guard.js";
import { CatalogError } from "./errors.js";
import type { TConnection, TCreateConnectionRequest } from "./schemas.js";
import { decryptSecret, encryptSecret } from "./secrets.js";
import { isUniqueViolation } from "./sql.js";

/** The fields of a connection row the API may show (the encrypted password is not among them). */
const PUBLIC_SELECT = {
  id: true,
  projectId: true,
  name: true,
  kind: true,
  host: true,
  port: true,
  database: true,
  username: true,
  createdAt: true,
  passwordEncrypted: false,
} as const;

type TPublicRow = {
  id: string;
  projectId: string;
  name: string;
  kind: string;
  host: string;
  port: number;
  database: string;
  username: string;
  createdAt: Date;
};

function toConnection(row: TPublicRow, hasPassword: boolean): TConnection {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    kind: "postgresql",
    host: row.host,
    port: row.port,
    database: row.database,
    username: row.username,
    hasPassword,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Everything needed to open a connection; lives only in server memory. */
export interface TConnectionSecret {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

/** Quotes a PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Splits `schema.table` (schema defaults to `public`). */
export function splitTableName(table: string): { schema: string; table: string } {
  const [first, second] = table.split(".");
  return second ? { schema: first!, table: second } : { schema: "public", table: first! };
}

/**
 * The JDBC URL of a connection (no credentials in it: they travel as separate properties). Give it
 * the address from {@link resolveConnectionAddress} as `host`, so Spark connects where was checked.
 */
export function jdbcUrl(secret: Pick<TConnectionSecret, "host" | "port" | "database">): string {
  const host = secret.host.includes(":") ? `[${secret.host}]` : secret.host;
  return `jdbc:postgresql://${host}:${secret.port}/${encodeURIComponent(secret.database)}`;
}

/**
 * The address to open a connection to: the host resolved and checked against `policy` (see
 * `connection-guard.ts`). Connecting to this address, not to the name, keeps a second DNS answer
 * from leading elsewhere.
 * @throws CatalogError 400 when the host resolves to an address that is not allowed.
 */
export async function resolveConnectionAddress(
  secret: Pick<TConnectionSecret, "host" | "port" | "database" | "username">,
  policy: TConnectionPolicy,
): Promise<string> {
  const target = await checkConnectionHost(secret.host, policy);
  if (!target.ok) {
    throw new CatalogError(
      "bad_request",
      `Could not connect to PostgreSQL at ${secret.host}:${secret.port}/${secret.database}: ${target.reason}.`,
    );
  }
  return target.address;
}

/**
 * The one answer for every failed connection: refused, timed out, wrong password, no such database
 * or not PostgreSQL at all. Telling them apart would tell a caller what listens at an address; the
 * server's own words go to the log.
 */
function couldNotConnect(
  secret: TConnectionSecret,
  address: string,
  error: unknown,
  policy: TConnectionPolicy,
) {
  policy.log?.(
    `connection to ${secret.host} (${address}):${secret.port}/${secret.database} as ${secret.username} failed: ${describePgError(error)}`,
  );
  return new CatalogError(
    "bad_request",
    `Could not connect to PostgreSQL at ${secret.host}:${secret.port}/${secret.database} as ${secret.username}. Check the host, port, database, user name and password, and that the server accepts connections from Flint.`,
  );
}

/**
 * Runs `work` with a client connected to the source database (at the checked address); the client
 * is always closed.
 */
export async function withSourceClient<T>(
  secret: TConnectionSecret,
  policy: TConnectionPolicy,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const address = await resolveConnectionAddress(secret, policy);
  const client = new pg.Client({
    host: address,
    port: secret.port,
    database: secret.database,
    user: secret.username,
    password: secret.password,
    connectionTimeoutMillis: 8_000,
    statement_timeout: 60_000,
    application_name: "flint-catalog",
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw couldNotConnect(secret, address, error, policy);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A PostgreSQL error message without anything secret (pg never echoes the password). */
function describePgError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split("\n")[0]!.slice(0, 300);
}

/**
 * Saves a connection after checking that it works; the password is stored encrypted.
 * @throws CatalogError 400 when the database cannot be reached, 409 for a duplicate name.
 */
export async function createConnection(
  prisma: PrismaClient,
  key: Buffer,
  policy: TConnectionPolicy,
  userId: string,
  input: TCreateConnectionRequest,
): Promise<TConnection> {
  const secret: TConnectionSecret = {
    host: input.host,
    port: input.port,
    database: input.database,
    username: input.username,
    password: input.password,
  };
  await withSourceClient(secret, policy, async (client) => client.query("select 1"));
  try {
    const row = await prisma.catalogConnection.create({
      data: {
        projectId: input.projectId,
        name: input.name,
        host: input.host,
        port: input.port,
        database: input.database,
        username: input.username,
        passwordEncrypted: encryptSecret(key, input.password),
        createdById: userId,
      },
      select: PUBLIC_SELECT,
    });
    return toConnection(row, input.password !== "");
  } catch (error) {
    if (isUniqueViolation(error))
      throw new CatalogError("conflict", `The project already has a connection named ${input.name}.`);
    throw error;
  }
}

/** A project's connections, without passwords. */
export async function listConnections(prisma: PrismaClient, projectId: string): Promise<TConnection[]> {
  const rows = await prisma.catalogConnection.findMany({
    where: { projectId },
    orderBy: { name: "asc" },
    select: { ...PUBLIC_SELECT },
  });
  return rows.map((row) => toConnection(row, true));
}

/** One connection, without its password. */
export async function getConnection(prisma: PrismaClient, connectionId: string): Promise<TConnection> {
  const row = await prisma.catalogConnection.findUnique({
    where: { id: connectionId },
    select: PUBLIC_SELECT,
  });
  if (!row) throw new CatalogError("not_found", "Connection not found, or you do not have access to it.");
  return toConnection(row, true);
}

/** Deletes a connection. @throws CatalogError 409 while assets still use it. */
export async function deleteConnection(prisma: PrismaClient, connectionId: string): Promise<void> {
  const used = await prisma.catalogAsset.count({ where: { connectionId } });
  if (used > 0)
    throw new CatalogError("conflict", `${used} asset(s) read through this connection; delete them first.`);
  await prisma.catalogConnection.delete({ where: { id: connectionId } });
}

/** Loads and decrypts a connection for server-side use only. */
export async function loadConnectionSecret(
  prisma: PrismaClient,
  key: Buffer,
  connectionId: string,
): Promise<TConnectionSecret & { projectId: string }> {
  const row = await prisma.catalogConnection.findUnique({
    where: { id: connectionId },
    select: {
      projectId: true,
      host: true,
      port: true,
      database: true,
      username: true,
      passwordEncrypted: true,
    },
  });
  if (!row) throw new CatalogError("not_found", "Connection not found, or you do not have access to it.");
  let password: string;
  try {
    password = decryptSecret(key, row.passwordEncrypted);
  } catch {
    throw new CatalogError(
      "unavailable",
      "The connection's password cannot be decrypted with this server's key (was the data directory's secrets folder replaced?). Save the connection again.",
    );
  }
  return {
    projectId: row.projectId,
    host: row.host,
    port: row.port,
    database: row.database,
    username: row.username,
    password,
  };
}

/** Tables and views a connection's user can see (system schemas left out). */
export async function listSourceTables(
  secret: TConnectionSecret,
  policy: TConnectionPolicy,
): Promise<{ schema: string; table: string; kind: "table" | "view" }[]> {
  return await withSourceClient(secret, policy, async (client) => {
    const result = await client.query<{ table_schema: string; table_name: string; table_type: string }>(
      `select table_schema, table_name, table_type from information_schema.tables
       where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg_toast%'
       order by table_schema, table_name limit 2000`,
    );
    return result.rows.map((row) => ({
      schema: row.table_schema,
      table: row.table_name,
      kind: row.table_type === "VIEW" ? ("view" as const) : ("table" as const),
    }));
  });
}

/** Columns, estimated row count and size of a source table. @throws CatalogError 400 if it is not there. */
export async function describeSourceTable(
  secret: TConnectionSecret,
  policy: TConnectionPolicy,
  schema: string,
  table: string,
): Promise<{
  columns: { name: string; dataType: string; nullable: boolean; description: string }[];
  rowEstimate: number | null;
  sizeBytes: number | null;
}> {
  return await withSourceClient(secret, policy, async (client) => {
    const columns = await client.query<{
      column_name: string;
      data_type: string;
      is_nullable: string;
      description: string | null;
    }>(
      `select c.column_name, c.data_type, c.is_nullable,
         col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) as description
       from information_schema.columns c where c.table_schema = $1 and c.table_name = $2 order by c.ordinal_position`,
      [schema, table],
    );
    if (columns.rowCount === 0) {
      throw new CatalogError(
        "bad_request",
        `No table ${schema}.${table} that ${secret.username} can read in ${secret.database}.`,
      );
    }
    const stats = await client.query<{ estimate: string | null; size: string | null }>(
      `select case when c.reltuples >= 0 then c.reltuples::bigint end as estimate,
         pg_total_relation_size(c.oid) as size
       from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2`,
      [schema, table],
    );
    const stat = stats.rows[0];
    return {
      columns: columns.rows.map((row) => ({
        name: row.column_name,
        dataType: row.data_type,
        nullable: row.is_nullable === "YES",
        description: row.description ?? "",
      })),
      rowEstimate: stat?.estimate ? Number(stat.estimate) : null,
      sizeBytes: stat?.size ? Number(stat.size) : null,
    };
  });
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? Buffer.isBuffer(value)
          ? value.toString("base64")
          : JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) || text === "" ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Streams a source table as CSV with a header, through a server-side cursor (constant memory).
 * This is how kernels read connection tables: the credentials never leave the server.
 */
export function streamSourceTableCsv(
  secret: TConnectionSecret,
  policy: TConnectionPolicy,
  schema: string,
  table: string,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let client: pg.Client | null = null;
  let isHeaderSent = false;
  const close = async () => {
    const current = client;
    client = null;
    if (current) {
      await current.query("rollback").catch(() => undefined);
      await current.end().catch(() => undefined);
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!client) {
          const address = await resolveConnectionAddress(secret, policy);
          client = new pg.Client({
            host: address,
            port: secret.port,
            database: secret.database,
            user: secret.username,
            password: secret.password,
            connectionTimeoutMillis: 8_000,
            application_name: "flint-catalog",
            // Values as PostgreSQL prints them: the CSV carries text, Spark applies the schema.
            types: { getTypeParser: () => (value: string) => value },
          });
          try {
            await client.connect();
          } catch (error) {
            throw couldNotConnect(secret, address, error, policy);
          }
          await client.query("begin read only");
          await client.query(
            `declare flint_rows no scroll cursor for select * from ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`,
          );
        }
        const batch = await client.query({ text: "fetch 2000 from flint_rows", rowMode: "array" });
        if (!isHeaderSent) {
          isHeaderSent = true;
          controller.enqueue(
            encoder.encode(`${batch.fields.map((field) => csvField(field.name)).join(",")}\n`),
          );
        }
        if (batch.rows.length === 0) {
          await close();
          controller.close();
          return;
        }
        const lines = (batch.rows as unknown[][]).map((row) => row.map(csvField).join(",")).join("\n");
        controller.enqueue(encoder.encode(`${lines}\n`));
      } catch (error) {
        await close();
        const reason = error instanceof CatalogError ? error.message : describePgError(error);
        controller.error(new Error(`Reading ${schema}.${table} failed: ${reason}`));
      }
    },
    async cancel() {
      await close();
    },
  });
}

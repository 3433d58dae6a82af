/**
 * Helpers for the catalog's raw SQL (full-text search, bulk writes, vocabulary upkeep), which
 * Prisma's query API cannot express. Every value goes in as a numbered parameter; only
 * constant SQL text is ever concatenated.
 */
import { randomBytes } from "node:crypto";
import type { TDriverDb } from "@flint/db";

/**
 * Where raw SQL runs: a Prisma client, an interactive transaction's client, or a driver
 * transaction (withDriverTransaction, for bulk writes). int8 values come back as bigint from
 * Prisma and as text from the driver: read them with {@link toNumber}.
 */
export type TDb = TDriverDb;

/** Collects parameter values and hands out their `$n` placeholders. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Adds a value; returns its placeholder, e.g. `$3`. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Adds a fragment's values; returns its text with their placeholders. */
  embed(fragment: SqlFragment): string {
    let text = fragment.strings[0] ?? "";
    fragment.values.forEach((value, index) => {
      text += this.add(value) + (fragment.strings[index + 1] ?? "");
    });
    return text;
  }
}

/**
 * A piece of SQL and its parameter values, made with the {@link sql} tag: interpolated values
 * become parameters, interpolated fragments are spliced in. Only {@link rawSql} puts text into
 * the SQL itself, and only for constants of the code (scores, limits, sort orders).
 */
export class SqlFragment {
  /** Text around the values: one more than there are values. */
  readonly strings: readonly string[];
  readonly values: readonly unknown[];

  constructor(strings: readonly string[], values: readonly unknown[]) {
    this.strings = strings;
    this.values = values;
  }
}

/** Tags SQL text: `sql\`a.kind = any(${kinds}::text[])\`` (values as parameters, fragments inline). */
export function sql(strings: TemplateStringsArray | readonly string[], ...values: unknown[]): SqlFragment {
  const outStrings: string[] = [strings[0] ?? ""];
  const outValues: unknown[] = [];
  values.forEach((value, index) => {
    const after = strings[index + 1] ?? "";
    if (value instanceof SqlFragment) {
      outStrings[outStrings.length - 1] += value.strings[0] ?? "";
      value.values.forEach((inner, innerIndex) => {
        outValues.push(inner);
        outStrings.push(value.strings[innerIndex + 1] ?? "");
      });
      outStrings[outStrings.length - 1] += after;
    } else {
      outValues.push(value);
      outStrings.push(after);
    }
  });
  return new SqlFragment(outStrings, outValues);
}

/** SQL text of the code itself (a constant number or clause), never a value from a request. */
export function rawSql(text: string | number): SqlFragment {
  return new SqlFragment([String(text)], []);
}

/** Joins fragments with constant text (`" and "`, `",\n"`). */
export function joinSql(fragments: readonly SqlFragment[], separator: string): SqlFragment {
  return (
    fragments.reduce<SqlFragment | null>(
      (joined, fragment) => (joined ? sql`${joined}${rawSql(separator)}${fragment}` : fragment),
      null,
    ) ?? rawSql("")
  );
}

/** Runs a fragment as one query (numbered parameters). */
export function queryFragment<T>(db: TDb, fragment: SqlFragment): Promise<T> {
  const params = new SqlParams();
  return db.$queryRawUnsafe<T>(params.embed(fragment), ...params.values);
}

/** Who is looking: a user, and for a notebook token the projects it is limited to. */
export interface TViewer {
  userId: string;
  /**
   * Set for kernel (notebook) tokens: only these projects' assets exist for them, the
   * notebook's own project first, then those of the notebooks it was forked from (nearest
   * first; see `notebookReadScope`). Membership is required in each all the same.
   */
  projectScope?: readonly string[] | null;
}

/**
 * The SQL condition "asset `alias` is in a project the viewer is a member of" (and in the
 * token's projects). Every catalog query that lists or counts assets includes it, so nothing
 * of another project is ever counted or returned.
 */
export function visibleProjectsCondition(params: SqlParams, viewer: TViewer, alias = "a"): string {
  return params.embed(visibleProjects(viewer, alias));
}

/** {@link visibleProjectsCondition} as a fragment. */
export function visibleProjects(viewer: TViewer, alias = "a"): SqlFragment {
  const projectId = rawSql(`${alias}."projectId"`);
  const member = sql`${projectId} in (select pm."projectId" from project_member pm where pm."userId" = ${viewer.userId})`;
  return viewer.projectScope
    ? sql`${member} and ${projectId} = any(${[...viewer.projectScope]}::text[])`
    : member;
}

/** A new row id: time-ordered prefix plus 64 random bits (like Prisma's cuid, URL-safe). */
export function createId(): string {
  return `c${Date.now().toString(36)}${randomBytes(8).toString("hex")}`;
}

/** Converts a bigint/number/null column value to a number (counts, sizes) or null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === "bigint" ? Number(value) : Number(value);
}

/** PostgreSQL's unique-violation error, as surfaced through Prisma's driver adapter. */
export function isUniqueViolation(error: unknown): boolean {
  const text = `${(error as { code?: string })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /P2002|23505|unique constraint/i.test(text);
}

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
  const member = `${alias}."projectId" in (select pm."projectId" from project_member pm where pm."userId" = ${params.add(viewer.userId)})`;
  return viewer.projectScope
    ? `${member} and ${alias}."projectId" = any(${params.add([...viewer.projectScope])}::text[])`
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

/**
 * Assets: creating (one or in bulk), reading, documenting, re-schematizing and deleting them,
 * with their search text and the per-project vocabulary kept in the same transaction, so an
 * asset is searchable the moment its write commits.
 */
import { type Prisma, type PrismaClient, withDriverTransaction } from "@flint/db";
import { z } from "zod";
import { assetNotFound, CatalogError } from "./errors.js";
import type { TAssetSummary, TColumn, TUpdateAssetRequest } from "./schemas.js";
import {
  createId,
  isUniqueViolation,
  SqlParams,
  type TDb,
  type TViewer,
  toNumber,
  visibleProjectsCondition,
} from "./sql.js";
import { isVocabularyWord, splitIdentifier, unique } from "./tokenize.js";

/** A column as it is written. */
export interface TNewColumn {
  name: string;
  dataType: string;
  nullable?: boolean;
  description?: string;
}

/**
 * catalog_asset.columns as stored: the columns in order, `nullable` only when false and
 * `description` only when written, since a bulk load sends and parses every byte of them.
 * Parsed on every read: the database is a boundary too.
 */
const ZStoredColumns = z.array(
  z.object({
    name: z.string(),
    dataType: z.string(),
    nullable: z.boolean().optional(),
    description: z.string().optional(),
  }),
);
type TStoredColumn = z.infer<typeof ZStoredColumns>[number];

/** The columns of a stored asset (`catalog_asset.columns`). */
export function parseStoredColumns(value: unknown): TColumn[] {
  return ZStoredColumns.parse(value).map((column) => ({
    name: column.name,
    dataType: column.dataType,
    nullable: column.nullable ?? true,
    description: column.description ?? "",
  }));
}

/** The two column fields of an asset row: the stored array and the lower-case names. */
function storedColumnsOf(columns: TNewColumn[]): { stored: TStoredColumn[]; names: string[] } {
  return {
    stored: columns.map((column) => ({
      name: column.name,
      dataType: column.dataType,
      ...(column.nullable === false ? { nullable: false } : {}),
      ...(column.description ? { description: column.description } : {}),
    })),
    names: columnNamesOf(columns),
  };
}

/** The distinct lower-case column names: what column search and the column vocabulary hold. */
function columnNamesOf(columns: Pick<TNewColumn, "name">[]): string[] {
  return unique(columns.map((column) => column.name.toLowerCase()).filter(Boolean));
}

/** An asset as it is written. */
export interface TNewAsset {
  id?: string;
  projectId: string;
  name: string;
  qualifiedName: string;
  kind: "file" | "table" | "spark_table";
  format: "csv" | "json" | "parquet" | "jdbc" | "spark";
  location: string;
  connectionId?: string | null;
  description?: string;
  ownerId: string | null;
  tags?: string[];
  rowCount?: number | null;
  sizeBytes?: number | null;
  columns?: TNewColumn[];
  profileStatus?: "none" | "queued";
  /** For generated corpora (benchmarks, samples): usage counters and percentile popularity. */
  usage30d?: number;
  popularity?: number;
}

/** Splits identifiers into words (see {@link splitIdentifier}). */
type TSplitter = (text: string) => string[];

/**
 * A {@link splitIdentifier} that remembers its answers: a bulk batch repeats the same column
 * names thousands of times, and each is needed for search text, column tokens and vocabulary.
 */
function createSplitter(): TSplitter {
  return memoize(splitIdentifier);
}

/** The words of `texts` without duplicates, space-separated. */
function tokensOf(split: TSplitter, texts: string[]): string {
  return unique(texts.flatMap(split)).join(" ");
}

/** The app-computed search text of an asset (read by the generated tsvector columns). */
export function searchTextOf(
  asset: Pick<TNewAsset, "name" | "qualifiedName" | "tags">,
  columns: Pick<TNewColumn, "name" | "description">[],
  split: TSplitter = splitIdentifier,
): { nameTokens: string; columnText: string; columnDesc: string; tagsText: string } {
  return {
    nameTokens: tokensOf(split, [asset.name]),
    columnText: tokensOf(
      split,
      columns.map((column) => column.name),
    ),
    columnDesc: columns
      .map((column) => column.description ?? "")
      .filter(Boolean)
      .join(" ")
      .slice(0, 20_000),
    // Tags and the qualified name's parts (database, schema, folders) weigh B, after the name.
    tagsText: unique([...(asset.tags ?? []).flatMap(split), ...split(asset.qualifiedName)]).join(" "),
  };
}

/** Remembers a function's answers per text (a bulk batch repeats the same column names). */
function memoize<T>(compute: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let value = cache.get(text);
    if (value === undefined) {
      value = compute(text);
      cache.set(text, value);
    }
    return value;
  };
}

/** The words typo correction may suggest for an asset. */
function vocabularyOf(
  asset: { name: string; tags?: string[] },
  columns: Pick<TNewColumn, "name" | "description">[],
  split: TSplitter = splitIdentifier,
): string[] {
  const words = new Set<string>();
  // Names, tags and column names: what people type and misspell. Description words would
  // multiply the table (Zipf tail) and slow every correction for little gain.
  for (const text of [asset.name, ...(asset.tags ?? []), ...columns.map((column) => column.name)]) {
    for (const word of split(text)) words.add(word);
  }
  for (const word of words) if (!isVocabularyWord(word)) words.delete(word);
  return [...words];
}

type TDelta = Map<string, Map<string, number>>;

function addToDelta(delta: TDelta, projectId: string, values: string[], sign: 1 | -1): void {
  let perProject = delta.get(projectId);
  if (!perProject) {
    perProject = new Map();
    delta.set(projectId, perProject);
  }
  for (const value of values) perProject.set(value, (perProject.get(value) ?? 0) + sign);
}

/**
 * Applies counted changes to the word vocabulary in one statement for every project (a bulk
 * batch spans many), and adds new words to catalog_word. Rows are sorted by project and word
 * so that concurrent writers lock them in the same order (no deadlocks); rows that reach zero
 * are removed.
 */
async function applyVocabularyDelta(db: TDb, delta: TDelta): Promise<void> {
  const projects: string[] = [];
  const keys: string[] = [];
  const changes: number[] = [];
  const lowered: { projects: string[]; keys: string[] } = { projects: [], keys: [] };
  // Code-unit order, not localeCompare: only consistency between writers matters, and it is
  // many times faster on a batch's ~7k entries.
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const projectId of [...delta.keys()].sort(byCodeUnit)) {
    const entries = [...delta.get(projectId)!.entries()]
      .filter(([, change]) => change !== 0)
      .sort(([a], [b]) => byCodeUnit(a, b));
    for (const [value, change] of entries) {
      projects.push(projectId);
      keys.push(value);
      changes.push(change);
      if (change < 0) {
        lowered.projects.push(projectId);
        lowered.keys.push(value);
      }
    }
  }
  if (keys.length === 0) return;
  // New words also go to catalog_word (typo correction's trigram index); existing ones cost a
  // primary-key probe and no write.
  await db.$executeRawUnsafe(
    `with upserted as (
       insert into catalog_vocab ("projectId", word, ndoc)
       select t.p, t.k, t.c from unnest($1::text[], $2::text[], $3::int[]) as t(p, k, c)
       on conflict (word, "projectId") do update set ndoc = catalog_vocab.ndoc + excluded.ndoc
       returning 1)
     insert into catalog_word (word)
     select distinct t.k from unnest($2::text[], $3::int[]) as t(k, c) where t.c > 0
     order by t.k on conflict do nothing`,
    projects,
    keys,
    changes,
  );
  if (lowered.keys.length > 0) {
    await db.$executeRawUnsafe(
      `delete from catalog_vocab v using unnest($1::text[], $2::text[]) as t(p, k)
       where v."projectId" = t.p and v.word = t.k and v.ndoc <= 0`,
      lowered.projects,
      lowered.keys,
    );
  }
}

/**
 * Inserts assets with their columns and vocabulary in one statement per table: the path of
 * single registrations and of bulk loads (benchmarks, samples) alike. Run it in a
 * withDriverTransaction: a batch's parameters are megabytes, which Prisma copies slowly.
 * @returns the new ids, in input order.
 * @throws CatalogError 409 when a name or qualified name is already used in the project.
 */
export async function insertAssets(db: TDb, assets: TNewAsset[]): Promise<string[]> {
  if (assets.length === 0) return [];
  const ids = assets.map((asset) => asset.id ?? createId());
  const split = createSplitter();
  const texts = assets.map((asset) => searchTextOf(asset, asset.columns ?? [], split));
  // One JSON document per batch, read by json_to_recordset: arrays of JSON texts (the columns)
  // as `text[]` parameters cost ~5× more to quote and parse than the same data as one document.
  const rows = assets.map((asset, index) => {
    const columns = storedColumnsOf(asset.columns ?? []);
    const text = texts[index]!;
    return {
      id: ids[index],
      project: asset.projectId,
      name: asset.name,
      qn: asset.qualifiedName,
      kind: asset.kind,
      format: asset.format,
      location: asset.location,
      connection: asset.connectionId ?? null,
      description: asset.description ?? "",
      owner: asset.ownerId,
      tags: asset.tags ?? [],
      rows: asset.rowCount ?? null,
      size: asset.sizeBytes ?? null,
      nt: text.nameTokens,
      ct: text.columnText,
      cd: text.columnDesc,
      tt: text.tagsText,
      usage: asset.usage30d ?? 0,
      popularity: asset.popularity ?? 0,
      status: asset.profileStatus ?? "none",
      cols: columns.stored,
      cnames: columns.names,
    };
  });
  try {
    await db.$executeRawUnsafe(
      `insert into catalog_asset (id, "projectId", name, "qualifiedName", kind, format, location, "connectionId",
         description, "ownerId", tags, "rowCount", "sizeBytes", "nameTokens", "columnText", "columnDesc", "tagsText",
         "usage30d", popularity, "profileStatus", columns, "columnNames", "createdAt", "updatedAt")
       select t.id, t.project, t.name, t.qn, t.kind, t.format, t.location, t.connection, t.description, t.owner,
         t.tags, round(t.rows)::bigint, round(t.size)::bigint, t.nt, t.ct, t.cd, t.tt, t.usage, t.popularity, t.status,
         t.cols, t.cnames, now(), now()
       from json_to_recordset($1::json) as t(id text, project text, name text, qn text, kind text, format text,
         location text, connection text, description text, owner text, tags text[], rows float8, size float8,
         nt text, ct text, cd text, tt text, usage int, popularity float8, status text, cols jsonb, cnames text[])`,
      JSON.stringify(rows),
    );
  } catch (error) {
    if (isUniqueViolation(error)) {
      const names = assets
        .map((asset) => asset.name)
        .slice(0, 3)
        .join(", ");
      throw new CatalogError(
        "conflict",
        `An asset named ${names} (or with the same location) is already in the project.`,
      );
    }
    throw error;
  }
  const words: TDelta = new Map();
  for (const asset of assets)
    addToDelta(words, asset.projectId, vocabularyOf(asset, asset.columns ?? [], split), 1);
  await applyVocabularyDelta(db, words);
  return ids;
}

/** Creates one asset in a transaction. @returns its id. */
export async function createAsset(prisma: PrismaClient, asset: TNewAsset): Promise<string> {
  const [id] = await withDriverTransaction(prisma, async (db) => await insertAssets(db, [asset]));
  return id!;
}

interface TAssetState {
  id: string;
  projectId: string;
  name: string;
  qualifiedName: string;
  description: string;
  tags: string[];
  columns: TColumn[];
}

async function loadState(db: Prisma.TransactionClient, assetId: string): Promise<TAssetState> {
  const asset = await db.catalogAsset.findUnique({
    where: { id: assetId },
    select: {
      id: true,
      projectId: true,
      name: true,
      qualifiedName: true,
      description: true,
      tags: true,
      columns: true,
    },
  });
  if (!asset) throw assetNotFound();
  return { ...asset, columns: parseStoredColumns(asset.columns) };
}

/** Rewrites columns, search text and vocabulary after a change from `before` to `after`. */
async function reindex(
  db: TDb,
  before: TAssetState,
  after: Omit<TAssetState, "id" | "projectId">,
  assetId: string,
): Promise<void> {
  const split = createSplitter();
  const text = searchTextOf(after, after.columns, split);
  const stored = storedColumnsOf(after.columns);
  await db.$executeRawUnsafe(
    `update catalog_asset set "nameTokens" = $2, "columnText" = $3, "columnDesc" = $4, "tagsText" = $5,
       columns = $6::jsonb, "columnNames" = $7::text[], "updatedAt" = now() where id = $1`,
    assetId,
    text.nameTokens,
    text.columnText,
    text.columnDesc,
    text.tagsText,
    JSON.stringify(stored.stored),
    stored.names,
  );
  await updateVocabulary(db, before, after);
}

/** Moves the vocabulary counts of an asset from its `before` words to its `after` words. */
async function updateVocabulary(
  db: TDb,
  before: TAssetState,
  after: Omit<TAssetState, "id" | "projectId">,
): Promise<void> {
  const words: TDelta = new Map();
  addToDelta(words, before.projectId, vocabularyOf(before, before.columns), -1);
  addToDelta(words, before.projectId, vocabularyOf(after, after.columns), 1);
  await applyVocabularyDelta(db, words);
}

/** Edits an asset's description, tags and column descriptions. */
export async function updateAssetDocumentation(
  prisma: PrismaClient,
  assetId: string,
  patch: TUpdateAssetRequest,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const before = await loadState(tx, assetId);
    const descriptions = new Map((patch.columns ?? []).map((column) => [column.name, column.description]));
    const unknown = [...descriptions.keys()].filter(
      (name) => !before.columns.some((column) => column.name === name),
    );
    if (unknown.length > 0) {
      throw new CatalogError(
        "bad_request",
        `No column named ${unknown.slice(0, 3).join(", ")} in this asset.`,
      );
    }
    const columns = before.columns.map((column) => ({
      ...column,
      description: descriptions.get(column.name) ?? column.description,
    }));
    const after = {
      name: before.name,
      qualifiedName: before.qualifiedName,
      description: patch.description ?? before.description,
      tags: patch.tags ? unique(patch.tags) : before.tags,
      columns,
    };
    await tx.catalogAsset.update({
      where: { id: assetId },
      data: { description: after.description, tags: after.tags },
    });
    await reindex(tx, before, after, assetId);
  });
}

/**
 * Replaces an asset's columns with a newly inferred schema, keeping the descriptions people
 * wrote for columns that still exist (by name).
 */
export async function replaceColumns(
  prisma: PrismaClient,
  assetId: string,
  schema: { name: string; dataType: string; nullable: boolean }[],
  extra: { rowCount?: number | null; sizeBytes?: number | null } = {},
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const before = await loadState(tx, assetId);
    const descriptions = new Map(before.columns.map((column) => [column.name, column.description]));
    const columns = schema.map((column) => ({ ...column, description: descriptions.get(column.name) ?? "" }));
    await tx.catalogAsset.update({
      where: { id: assetId },
      data: {
        ...(extra.rowCount !== undefined
          ? { rowCount: extra.rowCount === null ? null : BigInt(extra.rowCount) }
          : {}),
        ...(extra.sizeBytes !== undefined && extra.sizeBytes !== null
          ? { sizeBytes: BigInt(extra.sizeBytes) }
          : {}),
      },
    });
    await reindex(tx, before, { ...before, columns }, assetId);
  });
}

/** Deletes an asset and its profile runs, usage and lineage; returns what it was. */
export async function deleteAsset(
  prisma: PrismaClient,
  assetId: string,
): Promise<{ projectId: string; kind: string; location: string }> {
  return await prisma.$transaction(async (tx) => {
    const before = await loadState(tx, assetId);
    const row = await tx.catalogAsset.delete({
      where: { id: assetId },
      select: { projectId: true, kind: true, location: true },
    });
    await updateVocabulary(tx, before, { ...before, name: "", description: "", tags: [], columns: [] });
    return row;
  });
}

/** SQL that selects asset summaries (alias `a`), joined with project and owner names. */
export const SUMMARY_SELECT = `select a.id, a."projectId", p.name as "projectName", a.name, a."qualifiedName", a.kind,
  a.format, a.description, a."ownerId", u.name as "ownerName", a.tags, a."rowCount", a."sizeBytes",
  jsonb_array_length(a.columns) as "columnCount", a."profileStatus",
  a.popularity, a."usage30d", a."createdAt", a."updatedAt"
  from catalog_asset a join project p on p.id = a."projectId" left join "user" u on u.id = a."ownerId"`;

/** A row of {@link SUMMARY_SELECT}. */
export interface TSummaryRow {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  qualifiedName: string;
  kind: string;
  format: string;
  description: string;
  ownerId: string | null;
  ownerName: string | null;
  tags: string[];
  rowCount: bigint | null;
  sizeBytes: bigint | null;
  columnCount: number;
  profileStatus: string;
  popularity: number;
  usage30d: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Converts a summary row to its API shape. */
export function toSummary(row: TSummaryRow): TAssetSummary {
  return {
    id: row.id,
    projectId: row.projectId,
    projectName: row.projectName,
    name: row.name,
    qualifiedName: row.qualifiedName,
    kind: row.kind as TAssetSummary["kind"],
    format: row.format as TAssetSummary["format"],
    description: row.description,
    owner: row.ownerId ? { id: row.ownerId, name: row.ownerName ?? "" } : null,
    tags: row.tags,
    rowCount: toNumber(row.rowCount),
    sizeBytes: toNumber(row.sizeBytes),
    columnCount: toNumber(row.columnCount) ?? 0,
    profileStatus: row.profileStatus as TAssetSummary["profileStatus"],
    popularity: row.popularity,
    usage30d: row.usage30d,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Summaries of `ids` in the given order; ids the viewer may not see are left out. */
export async function loadSummaries(db: TDb, ids: string[], viewer: TViewer): Promise<TAssetSummary[]> {
  if (ids.length === 0) return [];
  const params = new SqlParams();
  const rows = await db.$queryRawUnsafe<TSummaryRow[]>(
    `${SUMMARY_SELECT} where a.id = any(${params.add(ids)}::text[]) and ${visibleProjectsCondition(params, viewer)}`,
    ...params.values,
  );
  const byId = new Map(rows.map((row) => [row.id, toSummary(row)]));
  return ids.flatMap((id) => {
    const summary = byId.get(id);
    return summary ? [summary] : [];
  });
}

/** The assets of one project, most recently updated first (the caller has authorized the project). */
export async function listProjectAssets(
  db: TDb,
  viewer: TViewer,
  projectId: string,
  limit = 200,
): Promise<TAssetSummary[]> {
  const params = new SqlParams();
  const rows = await db.$queryRawUnsafe<TSummaryRow[]>(
    `${SUMMARY_SELECT} where a."projectId" = ${params.add(projectId)} and ${visibleProjectsCondition(params, viewer)}
     order by a."updatedAt" desc limit ${params.add(limit)}`,
    ...params.values,
  );
  return rows.map(toSummary);
}

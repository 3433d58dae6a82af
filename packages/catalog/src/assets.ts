/**
 * Assets: creating (one or in bulk), reading, documenting, re-schematizing and deleting them,
 * with their search text and the per-project vocabulary kept in the same transaction, so an
 * asset is searchable the moment its write commits.
 */
import type { Prisma, PrismaClient } from "@flint/db";
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

/** The words typo correction may suggest for an asset, and its column names. */
function vocabularyOf(
  asset: { name: string; tags?: string[] },
  columns: Pick<TNewColumn, "name" | "description">[],
  split: TSplitter = splitIdentifier,
): { words: string[]; columnNames: string[] } {
  const words = new Set<string>();
  // Names, tags and column names: what people type and misspell. Description words would
  // multiply the table (Zipf tail) and slow every correction for little gain.
  for (const text of [asset.name, ...(asset.tags ?? []), ...columns.map((column) => column.name)]) {
    for (const word of split(text)) words.add(word);
  }
  for (const word of words) if (!isVocabularyWord(word)) words.delete(word);
  return {
    words: [...words],
    columnNames: unique(columns.map((column) => column.name.toLowerCase()).filter(Boolean)),
  };
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
 * Applies counted changes to a vocabulary table in one statement for every project (a bulk
 * batch spans many), and adds new words to catalog_word. Rows are sorted by project and word
 * so that concurrent writers lock them in the same order (no deadlocks); rows that reach zero
 * are removed.
 */
async function applyVocabularyDelta(db: TDb, table: "words" | "columns", delta: TDelta): Promise<void> {
  const [name, key, count] =
    table === "words" ? ["catalog_vocab", "word", "ndoc"] : ["catalog_column_vocab", "name", "nassets"];
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
  const upsert = `insert into ${name} ("projectId", ${key}, ${count})
    select t.p, t.k, t.c from unnest($1::text[], $2::text[], $3::int[]) as t(p, k, c)
    on conflict ("projectId", ${key}) do update set ${count} = ${name}.${count} + excluded.${count}`;
  if (table === "words") {
    // New words also go to catalog_word (typo correction's trigram index); existing ones cost
    // a primary-key probe and no write.
    await db.$executeRawUnsafe(
      `with upserted as (${upsert} returning 1)
       insert into catalog_word (word)
       select distinct t.k from unnest($2::text[], $3::int[]) as t(k, c) where t.c > 0
       order by t.k on conflict do nothing`,
      projects,
      keys,
      changes,
    );
  } else {
    await db.$executeRawUnsafe(upsert, projects, keys, changes);
  }
  if (lowered.keys.length > 0) {
    await db.$executeRawUnsafe(
      `delete from ${name} v using unnest($1::text[], $2::text[]) as t(p, k)
       where v."projectId" = t.p and v.${key} = t.k and v.${count} <= 0`,
      lowered.projects,
      lowered.keys,
    );
  }
}

/**
 * Inserts assets with their columns and vocabulary in one statement per table: the path of
 * single registrations and of bulk loads (benchmarks, samples) alike.
 * @returns the new ids, in input order.
 * @throws CatalogError 409 when a name or qualified name is already used in the project.
 */
export async function insertAssets(db: TDb, assets: TNewAsset[]): Promise<string[]> {
  if (assets.length === 0) return [];
  const ids = assets.map((asset) => asset.id ?? createId());
  const split = createSplitter();
  const texts = assets.map((asset) => searchTextOf(asset, asset.columns ?? [], split));
  try {
    await db.$executeRawUnsafe(
      `insert into catalog_asset (id, "projectId", name, "qualifiedName", kind, format, location, "connectionId",
         description, "ownerId", tags, "rowCount", "sizeBytes", "nameTokens", "columnText", "columnDesc", "tagsText",
         "usage30d", popularity, "profileStatus", "createdAt", "updatedAt")
       select t.id, t.project, t.name, t.qn, t.kind, t.format, t.location, t.connection, t.description, t.owner,
         array(select jsonb_array_elements_text(t.tags::jsonb)), t.rows, t.size, t.nt, t.ct, t.cd, t.tt,
         t.usage, t.popularity, t.status, now(), now()
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[],
         $17::text[], $18::int[], $19::float8[], $20::text[])
         as t(id, project, name, qn, kind, format, location, connection, description, owner, tags, rows, size, nt, ct,
              cd, tt, usage, popularity, status)`,
      ids,
      assets.map((asset) => asset.projectId),
      assets.map((asset) => asset.name),
      assets.map((asset) => asset.qualifiedName),
      assets.map((asset) => asset.kind),
      assets.map((asset) => asset.format),
      assets.map((asset) => asset.location),
      assets.map((asset) => asset.connectionId ?? null),
      assets.map((asset) => asset.description ?? ""),
      assets.map((asset) => asset.ownerId),
      assets.map((asset) => JSON.stringify(asset.tags ?? [])),
      assets.map((asset) => ((asset.rowCount ?? null) === null ? null : BigInt(Math.round(asset.rowCount!)))),
      assets.map((asset) =>
        (asset.sizeBytes ?? null) === null ? null : BigInt(Math.round(asset.sizeBytes!)),
      ),
      texts.map((text) => text.nameTokens),
      texts.map((text) => text.columnText),
      texts.map((text) => text.columnDesc),
      texts.map((text) => text.tagsText),
      assets.map((asset) => asset.usage30d ?? 0),
      assets.map((asset) => asset.popularity ?? 0),
      assets.map((asset) => asset.profileStatus ?? "none"),
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
  const columnRows = assets.flatMap((asset, index) =>
    (asset.columns ?? []).map((column, ordinal) => ({ assetId: ids[index]!, ordinal, ...column })),
  );
  await insertColumns(db, columnRows, split);
  const words: TDelta = new Map();
  const columnNames: TDelta = new Map();
  for (const asset of assets) {
    const vocabulary = vocabularyOf(asset, asset.columns ?? [], split);
    addToDelta(words, asset.projectId, vocabulary.words, 1);
    addToDelta(columnNames, asset.projectId, vocabulary.columnNames, 1);
  }
  await applyVocabularyDelta(db, "words", words);
  await applyVocabularyDelta(db, "columns", columnNames);
  return ids;
}

async function insertColumns(
  db: TDb,
  rows: ({ assetId: string; ordinal: number } & TNewColumn)[],
  split: TSplitter = createSplitter(),
): Promise<void> {
  if (rows.length === 0) return;
  // ~17 rows per asset with a few hundred distinct names per batch: tokenize each name once.
  const tokensOfName = memoize((name) => tokensOf(split, [name]));
  await db.$executeRawUnsafe(
    `insert into catalog_column ("assetId", ordinal, name, "nameTokens", "dataType", nullable, description)
     select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])`,
    rows.map((row) => row.assetId),
    rows.map((row) => row.ordinal),
    rows.map((row) => row.name),
    rows.map((row) => tokensOfName(row.name)),
    rows.map((row) => row.dataType),
    rows.map((row) => row.nullable ?? true),
    rows.map((row) => row.description ?? ""),
  );
}

/** Creates one asset in a transaction. @returns its id. */
export async function createAsset(prisma: PrismaClient, asset: TNewAsset): Promise<string> {
  const [id] = await prisma.$transaction(async (tx) => await insertAssets(tx, [asset]));
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
      columns: {
        orderBy: { ordinal: "asc" },
        select: { name: true, dataType: true, nullable: true, description: true },
      },
    },
  });
  if (!asset) throw assetNotFound();
  return asset;
}

/** Rewrites search text and vocabulary after a change from `before` to `after`. */
async function reindex(
  db: TDb,
  before: TAssetState,
  after: Omit<TAssetState, "id" | "projectId">,
  assetId: string,
): Promise<void> {
  const text = searchTextOf(after, after.columns);
  await db.$executeRawUnsafe(
    `update catalog_asset set "nameTokens" = $2, "columnText" = $3, "columnDesc" = $4, "tagsText" = $5,
       "updatedAt" = now() where id = $1`,
    assetId,
    text.nameTokens,
    text.columnText,
    text.columnDesc,
    text.tagsText,
  );
  await updateVocabulary(db, before, after);
}

/** Moves the vocabulary counts of an asset from its `before` words to its `after` words. */
async function updateVocabulary(
  db: TDb,
  before: TAssetState,
  after: Omit<TAssetState, "id" | "projectId">,
): Promise<void> {
  const old = vocabularyOf(before, before.columns);
  const next = vocabularyOf(after, after.columns);
  const words: TDelta = new Map();
  const columns: TDelta = new Map();
  addToDelta(words, before.projectId, old.words, -1);
  addToDelta(words, before.projectId, next.words, 1);
  addToDelta(columns, before.projectId, old.columnNames, -1);
  addToDelta(columns, before.projectId, next.columnNames, 1);
  await applyVocabularyDelta(db, "words", words);
  await applyVocabularyDelta(db, "columns", columns);
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
    for (const [name, description] of descriptions) {
      await tx.catalogColumn.updateMany({ where: { assetId, name }, data: { description } });
    }
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
    await tx.catalogColumn.deleteMany({ where: { assetId } });
    await insertColumns(
      tx,
      columns.map((column, ordinal) => ({ assetId, ordinal, ...column })),
    );
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

/** Deletes an asset and its columns, runs, usage and lineage; returns what it was. */
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
  (select count(*) from catalog_column c where c."assetId" = a.id) as "columnCount", a."profileStatus",
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
  columnCount: bigint;
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

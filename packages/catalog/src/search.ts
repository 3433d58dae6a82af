/**
 * Catalog search on PostgreSQL: full-text search over identifier-aware text plus pg_trgm, with
 * the staged ranking of the research notes (§5.3): exact name / qualified name first, then name
 * matches, column matches, descriptions; a capped popularity boost; typo correction through the
 * per-project vocabulary; `col:` column search; filters and facets over a capped candidate set.
 * Every query carries the viewer's membership condition, so nothing of another project is
 * counted, suggested or returned.
 */
import { loadSummaries, parseStoredColumns } from "./assets.js";
import { parseSearchQuery, type TParsedQuery } from "./query.js";
import type { TColumn, TFacetValue, TSearchResponse } from "./schemas.js";
import {
  joinSql,
  queryFragment,
  rawSql,
  type SqlFragment,
  SqlParams,
  sql,
  type TDb,
  type TViewer,
  toNumber,
  visibleProjects,
  visibleProjectsCondition,
} from "./sql.js";
import { isVocabularyWord, nameTokens, unique } from "./tokenize.js";

/** Matches ranked and faceted per query; beyond it the total reads "1000+". */
export const CANDIDATE_CAP = 1000;
/** Candidates per stage, chosen by the cheap part of the score: enough to fill the cap twice. */
const PRESELECT = 2 * (CANDIDATE_CAP + 1);
/**
 * Candidates beyond the page end, in the cheap order, that are ranked in full. The full rank
 * (ts_rank over the name and the whole text, microseconds per row) only reorders assets whose
 * cheap scores are close; ranking every candidate of a broad query ("customer": ~1,000) was
 * most of its time.
 */
const REFINE = 200;
/** Scores of the ranking stages (see module comment). Exact beats any sum of the others. */
const SCORE = {
  exact: 200,
  nameAll: 20,
  /** Every query word is a whole word of the name (`nuvo` beats `nuvokar` for "nuvo"). */
  nameWords: 6,
  nameRank: 10,
  nameAnyRank: 8,
  fullRank: 5,
  column: 15,
} as const;

interface TSearchOptions {
  limit: number;
  offset: number;
}

/** Typo corrections of query words: misspelled word → the vocabulary words it may stand for. */
export type TCorrections = Map<string, string[]>;

/** What the viewer's vocabulary says about the query words. */
export interface TWordAnalysis {
  /** Words that some asset the viewer may see has in a name, tag or column name. */
  known: Set<string>;
  corrections: TCorrections;
  /**
   * Set for an identifier-like query (`fact_cust_daily`): every known word is matched whole, as
   * the user typed a name. (`cust:*` alone reads the postings of every `customer` at 100k.)
   */
  isIdentifier?: boolean;
}

/** Known words at least this long are matched whole: shorter ones may be abbreviations (`cust`). */
const MIN_WHOLE_WORD_LENGTH = 5;

/**
 * A tsquery text: every word as a prefix (`cust:* & ord:*`), or as a whole word, joined by `&`
 * or `|`. A corrected word also matches its corrections: `(custmer:* | customer) & ord:*`.
 * Words are letters and digits only (see splitIdentifier), safe in tsquery syntax.
 */
function prefixQuery(
  words: string[],
  operator: "&" | "|",
  analysis: TWordAnalysis = { known: new Set(), corrections: new Map() },
  isPrefix = true,
): string {
  const { known, corrections } = analysis;
  return words
    .map((word) => {
      // A whole known word needs no prefix match (stemming still finds `orders` for `order`),
      // and GIN answers whole words far faster: a prefix reads every matching posting list
      // in full (36 ms for `fact:* & customer:* & order:*` at 100k), a word can skip.
      const isWhole =
        known.has(word) && (word.length >= MIN_WHOLE_WORD_LENGTH || analysis.isIdentifier === true);
      const term = isPrefix && !isWhole && word.length >= 2 ? `${word}:*` : word;
      const alternatives = corrections.get(word);
      return alternatives && alternatives.length > 0 ? `(${[term, ...alternatives].join(" | ")})` : term;
    })
    .join(` ${operator} `);
}

/** The SQL conditions of the filters (AND across kinds of filter). */
function filterConditions(parsed: TParsedQuery, viewer: TViewer): SqlFragment[] {
  const { filters } = parsed;
  const conditions: SqlFragment[] = [];
  if (filters.tags.length > 0) conditions.push(sql`a.tags @> ${filters.tags}::text[]`);
  if (filters.kinds.length > 0) conditions.push(sql`a.kind = any(${filters.kinds}::text[])`);
  if (filters.formats.length > 0) conditions.push(sql`a.format = any(${filters.formats}::text[])`);
  if (filters.owners.length > 0) {
    const owners = filters.owners.map((owner) => (owner === "me" ? viewer.userId.toLowerCase() : owner));
    conditions.push(
      sql`a."ownerId" in (select u.id from "user" u where lower(u.id) = any(${owners}::text[])
         or lower(u.name) = any(${owners}::text[]) or lower(u.email) = any(${owners}::text[])
         or lower(split_part(u.email, '@', 1)) = any(${owners}::text[]))`,
    );
  }
  if (filters.projects.length > 0) {
    conditions.push(
      sql`a."projectId" in (select p.id from project p where lower(p.id) = any(${filters.projects}::text[])
         or lower(p.name) = any(${filters.projects}::text[]))`,
    );
  }
  return conditions;
}

/**
 * Column names of the viewer's projects among `names` (exact). With `rarerThan`, only names
 * that fewer than that many visible assets have: a query that merely is a column name becomes
 * a column search only when that narrows the catalog ("id" is a column of nearly every table;
 * its word still finds the tables through their column text, and `col:id` still searches).
 */
export async function knownColumnNames(
  db: TDb,
  viewer: TViewer,
  names: string[],
  rarerThan?: number,
): Promise<string[]> {
  if (names.length === 0) return [];
  const params = new SqlParams();
  const having = `a."columnNames" @> array[n.name] and ${visibleProjectsCondition(params, viewer)}`;
  // Per name, one probe of the "columnNames" GIN index, stopping at the first visible asset
  // (or at `rarerThan` of them).
  const condition =
    rarerThan === undefined
      ? `exists (select 1 from catalog_asset a where ${having})`
      : `(select count(*) from (select 1 from catalog_asset a where ${having} limit ${params.add(rarerThan)}) c)
           between 1 and ${params.add(rarerThan - 1)}`;
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(
    `select n.name from unnest(${params.add(names)}::text[]) as n(name) where ${condition}`,
    ...params.values,
  );
  return rows.map((row) => row.name);
}

/** Query words shorter than this are never corrected (`rev`, `qty`: abbreviations, not typos). */
const MIN_TYPO_LENGTH = 4;
/** Nearest trigram neighbours examined per unknown word. */
const TYPO_NEIGHBOURS = 50;
/** Corrections OR'ed into the query per unknown word. */
const MAX_CORRECTIONS = 3;

/**
 * Damerau–Levenshtein distance (optimal string alignment): a swap of two neighbouring letters
 * ("pyament") counts as one edit, as people make it.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const distance: number[] = new Array(rows * columns).fill(0);
  for (let i = 0; i < rows; i += 1) distance[i * columns] = i;
  for (let j = 0; j < columns; j += 1) distance[j] = j;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < columns; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        distance[(i - 1) * columns + j]! + 1,
        distance[i * columns + j - 1]! + 1,
        distance[(i - 1) * columns + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, distance[(i - 2) * columns + j - 2]! + 1);
      distance[i * columns + j] = best;
    }
  }
  return distance[rows * columns - 1]!;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/**
 * Every string one edit from a lowercase ASCII `word`: a deletion, a swap of neighbours, a
 * substitution or an insertion of a letter (~54n+25 strings). Trigram neighbours alone miss
 * short words whose typo breaks most of their trigrams ("dialy" shares 2 of 10 with daily,
 * and hundreds of words are nearer); these are looked up by key instead. Empty for other words.
 */
export function singleEdits(word: string): string[] {
  if (!/^[a-z]+$/.test(word)) return [];
  const edits = new Set<string>();
  for (let at = 0; at <= word.length; at += 1) {
    const head = word.slice(0, at);
    if (at < word.length) {
      edits.add(head + word.slice(at + 1));
      if (at + 1 < word.length) edits.add(head + word[at + 1] + word[at] + word.slice(at + 2));
    }
    for (const letter of LETTERS) {
      edits.add(head + letter + word.slice(at));
      if (at < word.length) edits.add(head + letter + word.slice(at + 1));
    }
  }
  edits.delete(word);
  return [...edits];
}

/**
 * Which `words` the viewer's vocabulary has, and typo corrections for those of
 * {@link MIN_TYPO_LENGTH}+ letters that no project the viewer may see uses: for each, the
 * viewer's vocabulary words at the least edit distance (1, or 2 from 8 letters on), at most
 * {@link MAX_CORRECTIONS}, nearest trigrams first. Candidates are the nearest trigram
 * neighbours in catalog_word (a GiST nearest-neighbour scan) and, for words under 8 letters,
 * every vocabulary word one edit away ({@link singleEdits}, key look-ups). The search then ORs them with the word as
 * typed, so a word that is right but rare (a description word) loses nothing. One query for
 * all words.
 */
export async function analyzeWords(db: TDb, viewer: TViewer, words: string[]): Promise<TWordAnalysis> {
  const corrections: TCorrections = new Map();
  const known = new Set<string>();
  const candidates = unique(words.filter(isVocabularyWord));
  if (candidates.length === 0) return { known, corrections };
  const params = new SqlParams();
  const list = params.add(candidates);
  const visible = visibleProjectsCondition(params, viewer, "v");
  const minLength = params.add(MIN_TYPO_LENGTH);
  // Only short words: from 8 letters on, one edit leaves most trigrams intact and the
  // neighbour scan finds the word (and the ~54n key probes would cost more).
  const edits = candidates
    .filter((word) => word.length >= MIN_TYPO_LENGTH && word.length < 8)
    .flatMap((word) => singleEdits(word).map((edit) => [word, edit] as const));
  const rows = await db.$queryRawUnsafe<{ word: string; isKnown: boolean; candidate: string | null }[]>(
    `with q as (
       select w, exists (select 1 from catalog_vocab v where v.word = w and ${visible}) as known
       from unnest(${list}::text[]) as w)
     select word, "isKnown", candidate from (
       select q.w as word, q.known as "isKnown", n.word as candidate, n.word <-> q.w as distance
       from q left join lateral (
         select cw.word from catalog_word cw
         where not q.known and length(q.w) >= ${minLength}
           and exists (select 1 from catalog_vocab v where v.word = cw.word and ${visible})
         order by cw.word <-> q.w
         limit ${params.add(TYPO_NEIGHBOURS)}) n on true
       union
       select q.w, false, e.edit, e.edit <-> q.w
       from unnest(${params.add(edits.map(([word]) => word))}::text[],
         ${params.add(edits.map(([, edit]) => edit))}::text[]) as e(w, edit)
       join q on q.w = e.w and not q.known
       join catalog_word cw on cw.word = e.edit
       where exists (select 1 from catalog_vocab v where v.word = e.edit and ${visible})) c
     order by word, distance, candidate`,
    ...params.values,
  );
  const neighbours = new Map<string, string[]>();
  for (const row of rows) {
    if (row.isKnown) {
      known.add(row.word);
      continue;
    }
    const list = neighbours.get(row.word) ?? [];
    if (row.candidate && !list.includes(row.candidate)) list.push(row.candidate);
    neighbours.set(row.word, list);
  }
  for (const [word, list] of neighbours) {
    const allowed = word.length >= 8 ? 2 : 1;
    const scored = list
      .map((candidate) => ({ candidate, distance: editDistance(word, candidate) }))
      .filter((entry) => entry.distance > 0 && entry.distance <= allowed);
    if (scored.length === 0) continue;
    const least = Math.min(...scored.map((entry) => entry.distance));
    // Neighbour order (trigram distance) breaks ties between equally distant words.
    corrections.set(
      word,
      scored
        .filter((entry) => entry.distance === least)
        .slice(0, MAX_CORRECTIONS)
        .map((entry) => entry.candidate),
    );
  }
  return { known, corrections };
}

interface TRankedRow {
  page: { id: string; score: number }[] | null;
  /** The stored columns of the page's assets, by id (for matched columns). */
  pageColumns: Record<string, unknown> | null;
  total: bigint;
  originalTotal: bigint;
  kinds: { value: string; label: string; count: number }[] | null;
  formats: { value: string; label: string; count: number }[] | null;
  tags: { value: string; label: string; count: number }[] | null;
  owners: { value: string; label: string; count: number }[] | null;
  projects: { value: string; label: string; count: number }[] | null;
}

/** Where a column search looks: assets with a column of one of the names. */
interface TColumnMatch {
  /** On the asset row `a`: "columnNames" holds its lower-case column names (GIN answers `&&`). */
  clause: SqlFragment;
  /** The ids of such assets, for a union driven by that index. */
  ids: SqlFragment;
}

function columnMatch(columnNames: string[]): TColumnMatch | null {
  if (columnNames.length === 0) return null;
  return {
    clause: sql`a."columnNames" && ${columnNames}::text[]`,
    ids: sql`select x.id from catalog_asset x where x."columnNames" && ${columnNames}::text[]`,
  };
}

/**
 * The ranking of one query, in two parts. `base` (exact name, all words in the name, whole
 * words, column) is cheap and decides the order almost alone; `ranks` (ts_rank over the name,
 * ts_rank_cd over the whole text) refines it, and costs microseconds per row, so it only runs on
 * the best candidates by `base` near the page (see REFINE). Name stage (`nameMatch`): matches in
 * the name (or exact, or by column). Text stage (`textMatch`): matches only in tags, columns or
 * descriptions, which always rank below name matches (at most ~10 < 20).
 */
interface TRanking {
  /** The tsqueries the stages refer to (`qa`, `qo`, `qe`), joined to `catalog_asset a`. */
  tsqueries: SqlFragment;
  nameMatch: SqlFragment;
  textMatch: SqlFragment | null;
  base: SqlFragment;
  ranks: SqlFragment;
  /** The score of a relevance: boosted by popularity (and a description, with words). */
  score: (relevance: SqlFragment) => SqlFragment;
  /** The order of the cheap score. */
  cheapOrder: SqlFragment;
  /** Whether a row matches the query as typed (without typo corrections). */
  original: SqlFragment;
}

const POPULARITY_BOOST = rawSql("(1 + 0.5 * least(greatest(a.popularity, 0), 1))");
const CHEAP_ORDER = rawSql("cheap desc, popularity desc, name, id");
const POPULARITY_ORDER = rawSql("popularity desc, name, id");

/** The ranking of a query with words (and maybe columns). */
function wordRanking(parsed: TParsedQuery, analysis: TWordAnalysis, columns: TColumnMatch | null): TRanking {
  const words = parsed.words;
  const exact = parsed.text.toLowerCase();
  const allWords = prefixQuery(words, "&", analysis);
  const tsqueries = sql`, to_tsquery('english', ${allWords}) qa,
      to_tsquery('english', ${prefixQuery(words, "|", analysis)}) qo,
      to_tsquery('english', ${prefixQuery(words, "&", analysis, false)}) qe`;
  const isExact = sql`(lower(a.name) = ${exact} or lower(a."qualifiedName") = ${exact})`;
  let original = rawSql("true");
  if (analysis.corrections.size > 0) {
    const asTyped = { known: analysis.known, corrections: new Map() };
    original = sql`(a.search @@ to_tsquery('english', ${prefixQuery(words, "&", asTyped)}) or ${isExact})`;
  }
  const isInferredColumnSearch = parsed.columns.length === 0;
  const inName = sql`(a."nameTsv" @@ qa or ${isExact})`;
  // A query that merely is a column name matches either way; `col:x` plus words needs both.
  // The "either" is one id set, each side from its own index: the same OR over the asset row
  // (with a subquery) cannot use an index and scanned every asset.
  const nameMatch = columns
    ? isInferredColumnSearch
      ? sql`a.id in (select x.id from catalog_asset x where x."nameTsv" @@ to_tsquery('english', ${allWords})
             or lower(x.name) = ${exact} or lower(x."qualifiedName") = ${exact} union ${columns.ids})`
      : sql`(${inName} and ${columns.clause})`
    : inName;
  const alsoColumns = columns && !isInferredColumnSearch ? sql` and ${columns.clause}` : rawSql("");
  const columnScore = columns
    ? sql`+ (case when ${columns.clause} then ${rawSql(SCORE.column)} else 0 end)`
    : rawSql("");
  return {
    tsqueries,
    nameMatch,
    textMatch: sql`a.search @@ qa and not ${nameMatch}${alsoColumns}`,
    base: sql`(case when ${isExact} then ${rawSql(SCORE.exact)} else 0 end)
      + (case when a."nameTsv" @@ qa then ${rawSql(SCORE.nameAll)} else 0 end)
      + (case when a."nameTsv" @@ qe then ${rawSql(SCORE.nameWords)} else 0 end)
      ${columnScore}`,
    ranks:
      rawSql(`${SCORE.nameRank} * ts_rank(a."nameTsv", qa) + ${SCORE.nameAnyRank} * ts_rank(a."nameTsv", qo)
      + ${SCORE.fullRank} * ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', a.search, qa, 32)`),
    // Popularity (a percentile, 0..1) and a description lift the score by at most ×1.65 together.
    score: (relevance) =>
      sql`(${relevance}) * ${POPULARITY_BOOST} * (case when a.description <> '' then 1.1 else 1 end)`,
    cheapOrder: CHEAP_ORDER,
    original,
  };
}

/**
 * The ranking of a column search without words (`col:id`). The cheap score is then popularity
 * alone: ordered as the popularity index is, `col:id` (a column of nearly every asset) reads the
 * most popular matches and stops.
 */
function columnRanking(columns: TColumnMatch): TRanking {
  return {
    tsqueries: rawSql(""),
    nameMatch: columns.clause,
    textMatch: null,
    base: rawSql(SCORE.column),
    ranks: rawSql("0"),
    score: (relevance) => sql`(${relevance}) * ${POPULARITY_BOOST}`,
    cheapOrder: POPULARITY_ORDER,
    original: rawSql("true"),
  };
}

/** No words and no column: browsing by popularity (served by the popularity index). */
function popularityRanking(): TRanking {
  return {
    tsqueries: rawSql(""),
    nameMatch: rawSql("true"),
    textMatch: null,
    base: rawSql("0"),
    ranks: rawSql("0"),
    score: () => rawSql("a.popularity"),
    cheapOrder: POPULARITY_ORDER,
    original: rawSql("true"),
  };
}

/**
 * The candidate stages, `named` and (with a text stage) `ranked_text` and `any_text`, and the
 * relation that unites them. Each stage reads its rows once, with what the facets and the cheap
 * order need: the candidates are never fetched again, and only the few that may reach the page
 * are ranked in full (see REFINE).
 */
function candidateStages(
  ranking: TRanking,
  scope: SqlFragment,
  pageEnd: SqlFragment,
): { stages: SqlFragment; candidates: SqlFragment } {
  const { tsqueries, nameMatch, textMatch, base, score, cheapOrder, original } = ranking;
  const preselect = sql`select a.id, a.kind, a.format, a.tags, a."ownerId", a."projectId", a.popularity, a.name,
      ${score(base)}::float8 as cheap, ${original} as original
    from catalog_asset a${tsqueries}`;
  const stages = [
    sql`named as materialized (${preselect} where ${scope} and ${nameMatch}
       order by ${cheapOrder} limit ${rawSql(PRESELECT)})`,
  ];
  if (!textMatch) return { stages: stages[0]!, candidates: rawSql("named") };
  // Text-only matches rank below every name match. Ranked, only the few that complete the
  // page are needed: their cheap score is the same for all but popularity, so the popularity
  // index finds them without reading every match ("address product" matches ~30k assets
  // through columns and descriptions). Any others do to count the total and the facets up
  // to the cap: that scan stops there.
  stages.push(
    sql`ranked_text as materialized (${preselect} where (select count(*) from named) < ${pageEnd}
         and ${scope} and ${textMatch} order by a.popularity desc, a.name, a.id limit ${pageEnd})`,
    sql`any_text as materialized (${preselect} where (select count(*) from named) <= ${rawSql(CANDIDATE_CAP)}
         and ${scope} and ${textMatch} limit ${rawSql(CANDIDATE_CAP + 1)})`,
  );
  return {
    stages: joinSql(stages, ",\n"),
    candidates:
      rawSql(`(select distinct on (id) * from (select * from named union all select * from ranked_text
         union all select * from any_text) u)`),
  };
}

/** The facet columns of the answer, counted over the capped matches `m`. */
const FACETS =
  rawSql(`(select json_agg(f) from (select kind as value, kind as label, count(*) as count from m group by kind
         order by count desc, kind) f) as kinds,
      (select json_agg(f) from (select format as value, format as label, count(*) as count from m group by format
         order by count desc, format) f) as formats,
      (select json_agg(f) from (select t as value, t as label, count(*) as count from m, unnest(m.tags) t group by t
         order by count desc, t limit 30) f) as tags,
      (select json_agg(f) from (select u.id as value, u.name as label, count(*) as count from m
         join "user" u on u.id = m."ownerId" group by u.id, u.name order by count desc, u.name limit 30) f) as owners,
      (select json_agg(f) from (select p.id as value, p.name as label, count(*) as count from m
         join project p on p.id = m."projectId" group by p.id, p.name order by count desc, p.name limit 30) f) as projects`);

/**
 * Runs one ranked search and returns ids with scores, total and facets, and how many of the
 * (capped) matches the query as typed matches, without its typo corrections.
 */
async function rankedSearch(
  db: TDb,
  viewer: TViewer,
  parsed: TParsedQuery,
  columnNames: string[],
  analysis: TWordAnalysis,
  options: TSearchOptions,
): Promise<{
  hits: { id: string; score: number }[];
  /** The columns of each hit, in order. */
  columns: Map<string, TColumn[]>;
  total: number;
  originalTotal: number;
  facets: TSearchResponse["facets"];
}> {
  const scope = joinSql([visibleProjects(viewer), ...filterConditions(parsed, viewer)], " and ");
  const columns = columnMatch(columnNames);
  const ranking =
    parsed.words.length > 0
      ? wordRanking(parsed, analysis, columns)
      : columns
        ? columnRanking(columns)
        : popularityRanking();
  const { limit, offset } = options;
  const pageEnd = sql`(${offset}::bigint + ${limit}::bigint)`;
  const { stages, candidates } = candidateStages(ranking, scope, pageEnd);
  const { tsqueries, base, ranks, score, cheapOrder } = ranking;
  const query = sql`with ${stages},
    m as materialized (
      select c.id, c.kind, c.format, c.tags, c."ownerId", c."projectId", c.original,
        row_number() over (order by ${cheapOrder}) as rank
      from ${candidates} c
      order by rank limit ${rawSql(CANDIDATE_CAP + 1)}),
    page as (
      select a.id, ${score(sql`${base} + ${ranks}`)}::float8 as score, a.popularity, a.name
      from catalog_asset a${tsqueries}
      where a.id in (select id from m where rank <= ${pageEnd} + ${rawSql(REFINE)})
      order by score desc, a.popularity desc, a.name, a.id offset ${offset} limit ${limit})
    select
      (select json_agg(json_build_object('id', id, 'score', score)
         order by score desc, popularity desc, name, id) from page) as page,
      (select json_object_agg(a.id, a.columns) from catalog_asset a where a.id in (select id from page))
        as "pageColumns",
      (select count(*) from m) as total,
      (select count(*) from m where original) as "originalTotal",
      ${FACETS}`;
  const [row] = await queryFragment<TRankedRow[]>(db, query);
  const facet = (values: TFacetValue[] | null | undefined) =>
    (values ?? []).map((value) => ({ value: value.value, label: value.label, count: Number(value.count) }));
  return {
    hits: row?.page ?? [],
    columns: new Map(
      Object.entries(row?.pageColumns ?? {}).map(([id, columns]) => [id, parseStoredColumns(columns)]),
    ),
    total: toNumber(row?.total) ?? 0,
    originalTotal: toNumber(row?.originalTotal) ?? 0,
    facets: {
      kind: facet(row?.kinds),
      format: facet(row?.formats),
      tag: facet(row?.tags),
      owner: facet(row?.owners),
      project: facet(row?.projects),
    },
  };
}

/**
 * The columns of each hit that the query matched: by exact name, or a query word in the name
 * (identifier-aware words, stemmed and as prefixes, as in the ranked query).
 */
async function matchedColumns(
  db: TDb,
  hitColumns: Map<string, TColumn[]>,
  columnNames: string[],
  words: string[],
): Promise<Map<string, { name: string; dataType: string }[]>> {
  const result = new Map<string, { name: string; dataType: string }[]>();
  if (columnNames.length === 0 && words.length === 0) return result;
  const exact = new Set(columnNames);
  const isExact = (name: string) => exact.has(name.toLowerCase());
  // PostgreSQL's stemmer decides for the few hundred distinct names of a page.
  const byWords = new Set<string>();
  const names = unique([...hitColumns.values()].flat().map((column) => column.name));
  if (words.length > 0 && names.length > 0) {
    const matched = await db.$queryRawUnsafe<{ name: string }[]>(
      `select t.name from unnest($1::text[], $2::text[]) as t(name, tokens)
       where to_tsvector('english', t.tokens) @@ to_tsquery('english', $3)`,
      names,
      names.map((name) => nameTokens(name)),
      prefixQuery(words, "|"),
    );
    for (const row of matched) byWords.add(row.name);
  }
  for (const [assetId, columns] of hitColumns) {
    const hits = columns.filter((column) => isExact(column.name) || byWords.has(column.name));
    // Exact names first, then the table's order (the sort is stable); at most 8 per asset.
    hits.sort((a, b) => Number(isExact(b.name)) - Number(isExact(a.name)));
    if (hits.length > 0) {
      result.set(
        assetId,
        hits.slice(0, 8).map((column) => ({ name: column.name, dataType: column.dataType })),
      );
    }
  }
  return result;
}

/**
 * Searches the assets `viewer` may see.
 * Query words that no visible asset uses are typo candidates: their closest vocabulary words
 * are OR'ed into the one ranked query, so a typo costs no second search. When only the
 * corrections match, the response reports the corrected query.
 */
export async function searchAssets(
  db: TDb,
  viewer: TViewer,
  query: string,
  options: TSearchOptions = { limit: 20, offset: 0 },
): Promise<TSearchResponse> {
  const parsed = parseSearchQuery(query);
  // `col:name`, or a one-word query that is a column name of some visible asset: column search.
  const isColumnCandidate = parsed.columns.length === 0 && parsed.text !== "" && !/\s/.test(parsed.text);
  // Column names are corrected word by word (`col:custmer_email` → customer_email).
  const columnParts = parsed.columns.flatMap((column) => column.split("_"));
  const [inferredColumns, knownColumns, analysis] = await Promise.all([
    isColumnCandidate
      ? knownColumnNames(db, viewer, [parsed.text.toLowerCase()], CANDIDATE_CAP)
      : Promise.resolve([]),
    knownColumnNames(db, viewer, parsed.columns),
    analyzeWords(db, viewer, [...parsed.words, ...columnParts]),
  ]);
  const corrections = analysis.corrections;
  let columnNames = isColumnCandidate ? inferredColumns : parsed.columns;
  const correctedColumns = new Map<string, string>();
  for (const column of parsed.columns) {
    if (knownColumns.includes(column)) continue;
    const better = column
      .split("_")
      .map((part) => corrections.get(part)?.[0] ?? part)
      .join("_");
    if (better !== column) correctedColumns.set(column, better);
  }
  if (correctedColumns.size > 0) {
    const existing = await knownColumnNames(db, viewer, [...correctedColumns.values()]);
    for (const [column, better] of correctedColumns)
      if (!existing.includes(better)) correctedColumns.delete(column);
    columnNames = unique([...columnNames, ...correctedColumns.values()]);
  }
  const wordCorrections: TCorrections = new Map(
    [...corrections].filter(([word]) => parsed.words.includes(word)),
  );
  const ranked = await rankedSearch(
    db,
    viewer,
    parsed,
    columnNames,
    { known: analysis.known, corrections: wordCorrections, isIdentifier: parsed.isIdentifier },
    options,
  );
  let correctedQuery: string | null = null;
  const isCorrected = wordCorrections.size > 0 || correctedColumns.size > 0;
  // Column corrections replace a column name no visible asset has: nothing matched it as typed.
  if (isCorrected && ranked.total > 0 && (wordCorrections.size === 0 || ranked.originalTotal === 0)) {
    const correctedText = parsed.text
      ? nameTokens(parsed.text)
          .split(" ")
          .map((word) => wordCorrections.get(word)?.[0] ?? word)
          .join(" ")
      : "";
    correctedQuery = [
      correctedText,
      ...parsed.columns.map((column) => `col:${correctedColumns.get(column) ?? column}`),
    ]
      .filter(Boolean)
      .join(" ");
  }
  const ids = ranked.hits.map((hit) => hit.id);
  const highlightWords = unique([...parsed.words, ...[...wordCorrections.values()].flat()]);
  const [summaries, columns] = await Promise.all([
    loadSummaries(db, ids, viewer),
    matchedColumns(db, ranked.columns, columnNames, highlightWords),
  ]);
  const scores = new Map(ranked.hits.map((hit) => [hit.id, hit.score]));
  return {
    items: summaries.map((summary) => ({
      ...summary,
      score: Math.round((scores.get(summary.id) ?? 0) * 1000) / 1000,
      matchedColumns: columns.get(summary.id) ?? [],
    })),
    total: Math.min(ranked.total, CANDIDATE_CAP),
    isTotalCapped: ranked.total > CANDIDATE_CAP,
    facets: ranked.facets,
    correctedQuery,
    columnSearch: columnNames,
  };
}

/** One autocomplete suggestion. */
export interface TSuggestion {
  id: string;
  name: string;
  qualifiedName: string;
  kind: "file" | "table" | "spark_table";
  projectName: string;
}

/**
 * Autocomplete: assets whose name starts with the typed text or whose name words start with
 * the typed words (`cu` → customers, `fact_sa` → fact_sales_daily), exact first, then popular.
 */
export async function autocompleteAssets(
  db: TDb,
  viewer: TViewer,
  prefix: string,
  limit = 8,
): Promise<TSuggestion[]> {
  const parsed = parseSearchQuery(prefix);
  const text = parsed.text.toLowerCase();
  if (!text) return [];
  const params = new SqlParams();
  const visible = visibleProjectsCondition(params, viewer);
  const exact = params.add(text);
  const like = params.add(`${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
  const count = params.add(limit);
  const isNameMatch = `(lower(a.name) like ${like} or lower(a."qualifiedName") = ${exact})`;
  // Two stages in order: names that start with the text (a range scan of the lower(name)
  // text_pattern_ops btree), then names whose words start with the query words. The second
  // runs only when the first leaves room: `union all` under a limit stops once it has enough,
  // and the word stage (prefix terms such as `fact:*` match a tenth of all names) is the slow one.
  const wordStage =
    parsed.words.length > 0
      ? `union all
        (select a.id, a.name, a."qualifiedName", a.kind, a."projectId", 2 as stage, a.popularity
         from catalog_asset a
         where ${visible} and a."nameTsv" @@ to_tsquery('english', ${params.add(prefixQuery(parsed.words, "&"))})
           and not ${isNameMatch}
         order by a.popularity desc, length(a.name), a.name limit ${count})`
      : "";
  const rows = await db.$queryRawUnsafe<TSuggestion[]>(
    `select s.id, s.name, s."qualifiedName", s.kind, p.name as "projectName"
     from (
       (select a.id, a.name, a."qualifiedName", a.kind, a."projectId",
          case when lower(a.name) = ${exact} or lower(a."qualifiedName") = ${exact} then 0 else 1 end as stage,
          a.popularity
        from catalog_asset a
        where ${visible} and ${isNameMatch}
        order by stage, a.popularity desc, length(a.name), a.name limit ${count})
       ${wordStage}
       limit ${count}) s
     join project p on p.id = s."projectId"
     order by s.stage, s.popularity desc, length(s.name), s.name`,
    ...params.values,
  );
  return rows;
}

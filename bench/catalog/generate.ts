// A deterministic synthetic catalog for the search benchmark (research notes §5.5): snake_case
// names with dim_/fact_/stg_ prefixes and _daily/_v2 suffixes, abbreviations (cust, acct, txn),
// Zipf word frequencies over a ~20k-word vocabulary, ~17 columns per asset, 25% without a
// description, Zipf usage with 45% unused, 1% PII-tagged, prod/staging near-duplicates, and a
// labelled query set whose expected answers come from the generator itself.
import type { TNewAsset } from "../../packages/catalog/src/index.js";

/** A seeded PRNG (mulberry32): the same seed gives the same corpus on every machine. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DOMAIN_WORDS = `customer order payment invoice revenue sales product inventory shipment supplier account
transaction refund discount campaign click impression session user event device region country store
warehouse employee payroll ledger budget forecast churn cohort funnel conversion subscription plan
price margin cost tax currency exchange rate balance loan credit debit card merchant fraud risk score
claim policy premium patient visit diagnosis prescription lab result sensor reading telemetry metric
latency error request response page view search query ticket incident alert deployment release build
commit repository issue review feedback survey rating review vendor contract lead opportunity pipeline
quota territory partner channel affiliate coupon basket cart checkout delivery route driver vehicle
trip fare station schedule booking reservation room hotel flight passenger seat airport carrier
parcel tracking return exchange warranty repair asset maintenance energy meter consumption tariff
weather forecast temperature humidity station household member address contact email phone profile
preference consent segment audience attribution touchpoint spend bid auction keyword creative`
  .split(/\s+/)
  .filter(Boolean);

/** Abbreviations that real catalogs are full of, used in some names instead of the full word. */
export const ABBREVIATIONS: Record<string, string> = {
  customer: "cust",
  account: "acct",
  transaction: "txn",
  order: "ord",
  product: "prod",
  inventory: "inv",
  payment: "pmt",
  revenue: "rev",
  session: "sess",
  subscription: "sub",
  employee: "emp",
  warehouse: "wh",
  address: "addr",
  quantity: "qty",
};

const REAL_COLUMNS = `id ds created_at updated_at email phone name first_name last_name status amount currency
country region city zip_code user_id customer_id order_id product_id account_id session_id event_time
event_type price quantity discount tax total is_active is_deleted source channel device_type browser
ip_address latitude longitude category subcategory sku description notes score rank label version`
  .split(/\s+/)
  .filter(Boolean);

const PREFIXES = ["dim_", "fact_", "stg_", "raw_", "agg_", "", "", ""];
const SUFFIXES = ["_daily", "_v2", "_hist", "_monthly", "_snapshot", "", "", "", "", ""];
const TAGS = ["certified", "finance", "marketing", "product", "ops", "gold", "silver", "deprecated"];
const TYPES = ["int", "bigint", "string", "double", "date", "timestamp", "boolean", "decimal(18,2)"];

/** ~20k words: the domain words first (most frequent under Zipf), then pronounceable made-up ones. */
function buildVocabulary(random: () => number, size: number): string[] {
  const syllables =
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi vo za ze zi zo".split(
      " ",
    );
  const words = new Set(DOMAIN_WORDS);
  while (words.size < size) {
    const count = 2 + Math.floor(random() * 3);
    let word = "";
    for (let index = 0; index < count; index += 1) word += syllables[Math.floor(random() * syllables.length)];
    words.add(word + (random() < 0.3 ? "r" : ""));
  }
  return [...words];
}

/** Samples ranks 0..n-1 with probability ∝ 1/(rank+1)^s (inverse-CDF over precomputed weights). */
function createZipf(random: () => number, n: number, s: number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1) ** s;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** A query with the answer the generator knows is right. */
export interface TLabelledQuery {
  kind: "exact" | "partial" | "column" | "typo" | "prefix" | "filtered" | "pathological";
  q: string;
  /** The asset (by name) that should be found; null for filtered and pathological queries. */
  expected: string | null;
  /** For filtered queries: every hit must carry this tag. */
  tag?: string;
  /**
   * For typo queries: the same query spelled right (it identifies the target by construction).
   * Its top-3 rate is the ceiling of the typo figure.
   */
  spelledRight?: string;
}

/** A generated corpus: assets per project (the bench user is a member of all but `hiddenProjects`). */
export interface TCorpus {
  assets: TNewAsset[];
  queries: TLabelledQuery[];
}

/**
 * Introduces one edit into a word of 5+ letters: a deletion, a transposition of neighbours or
 * a substitution, never at the first letter (people rarely get that wrong). Retries until the
 * result is a non-word (not the word itself, not another word of the corpus vocabulary): a
 * real-word error ("form" for "from") is a different problem from a typo.
 */
function misspell(random: () => number, word: string, isWord: (value: string) => boolean): string {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const at = 1 + Math.floor(random() * (word.length - 2));
    const kind = Math.floor(random() * 3);
    let typo: string;
    if (kind === 0) typo = word.slice(0, at) + word.slice(at + 1);
    else if (kind === 1) typo = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
    else {
      const letters = "aeioustrnl";
      const replacement = letters[Math.floor(random() * letters.length)]!;
      typo = word.slice(0, at) + (replacement === word[at] ? "x" : replacement) + word.slice(at + 1);
    }
    if (typo !== word && !isWord(typo)) return typo;
  }
  return `${word.slice(0, 1)}x${word.slice(2)}`;
}

/** Layer prefixes: a modelling convention, not words people search a table by. */
const LAYER_WORDS = new Set(PREFIXES.map((prefix) => prefix.replace("_", "")).filter(Boolean));

/**
 * The words a user looking for a table types, taken from its name: its `_`-separated parts
 * in order, as written (abbreviations included), without the layer prefix (dim, fact, ...)
 * and without parts with digits (versions like v2, de-duplication counters).
 * `fact_customer_monthly_revenue` → customer monthly revenue.
 */
export function searchWordsOf(name: string): string[] {
  return name
    .toLowerCase()
    .split("_")
    .filter((part, index) => part && !/\d/.test(part) && !(index === 0 && LAYER_WORDS.has(part)));
}

/**
 * Generates `size` assets over `projectIds` (the last `hiddenProjects` of them are not the bench
 * user's: 5% of assets, which must never appear in results) and the labelled queries.
 */
export function generateCorpus(options: {
  size: number;
  projectIds: string[];
  hiddenProjects: number;
  ownerIds: string[];
  seed?: number;
}): TCorpus {
  const random = createRandom(options.seed ?? 20_261_124);
  const vocabulary = buildVocabulary(random, 20_000);
  const zipf = createZipf(random, vocabulary.length, 1.1);
  const word = () => vocabulary[zipf()]!;
  const visibleProjects = options.projectIds.slice(0, options.projectIds.length - options.hiddenProjects);
  const hiddenProjects = options.projectIds.slice(options.projectIds.length - options.hiddenProjects);
  const names = new Map<string, Set<string>>();
  const assets: TNewAsset[] = [];
  const usage: number[] = [];
  const wordsOf: string[][] = [];
  for (let index = 0; index < options.size; index += 1) {
    const isHidden = random() < 0.05 && hiddenProjects.length > 0;
    const pool = isHidden ? hiddenProjects : visibleProjects;
    const projectId = pool[Math.floor(random() * pool.length)]!;
    const isDuplicate = index > 0 && random() < 0.1;
    let name: string;
    let words: string[];
    if (isDuplicate) {
      // A staging copy of an earlier asset, in another project: same name, fewer uses.
      const original = assets[Math.floor(random() * assets.length)]!;
      name = original.name;
      words = wordsOf[assets.indexOf(original)]!;
    } else {
      const count = 1 + Math.floor(random() * 3);
      words = Array.from({ length: count }, word);
      const parts = words.map((value) =>
        ABBREVIATIONS[value] && random() < 0.3 ? ABBREVIATIONS[value]! : value,
      );
      name = `${PREFIXES[Math.floor(random() * PREFIXES.length)]}${parts.join("_")}${SUFFIXES[Math.floor(random() * SUFFIXES.length)]}`;
    }
    const taken = names.get(projectId) ?? new Set<string>();
    if (taken.has(name.toLowerCase())) name = `${name}_${index}`;
    taken.add(name.toLowerCase());
    names.set(projectId, taken);
    const columnCount = 5 + Math.floor(random() * 25);
    const columns = new Map<string, { name: string; dataType: string }>();
    while (columns.size < columnCount) {
      const column =
        random() < 0.6
          ? REAL_COLUMNS[Math.floor(random() * REAL_COLUMNS.length)]!
          : `${word()}_${random() < 0.5 ? word() : "id"}`;
      columns.set(column, { name: column, dataType: TYPES[Math.floor(random() * TYPES.length)]! });
    }
    const tags: string[] = [];
    if (random() < 0.4) tags.push(TAGS[Math.floor(random() * TAGS.length)]!);
    if (random() < 0.2) tags.push(TAGS[Math.floor(random() * TAGS.length)]!);
    if (random() < 0.01) tags.push("pii");
    const description =
      random() < 0.25
        ? ""
        : `${words.join(" ")} ${Array.from({ length: 6 + Math.floor(random() * 14) }, word).join(" ")}`;
    const uses = random() < 0.45 ? 0 : Math.floor(1 / (random() + 0.001) ** 0.8);
    usage.push(isDuplicate ? Math.floor(uses / 4) : uses);
    wordsOf.push(words);
    assets.push({
      projectId,
      name,
      qualifiedName: `s3://lake/${projectId}/${name}`,
      kind: random() < 0.5 ? "table" : "file",
      format: random() < 0.5 ? "parquet" : "csv",
      location: `lake/${name}`,
      description,
      ownerId: options.ownerIds[Math.floor(random() * options.ownerIds.length)]!,
      tags: [...new Set(tags)],
      rowCount: Math.floor(random() * 1e7),
      sizeBytes: Math.floor(random() * 1e9),
      columns: [...columns.values()],
    });
  }
  // Popularity: the percentile of use among used assets (what refreshPopularity computes).
  const used = usage.map((value, index) => ({ value, index })).filter((entry) => entry.value > 0);
  used.sort((a, b) => a.value - b.value);
  used.forEach((entry, rank) => {
    assets[entry.index]!.usage30d = entry.value;
    assets[entry.index]!.popularity = 0.1 + (0.9 * rank) / Math.max(1, used.length - 1);
  });
  const known = new Set([...vocabulary, ...Object.values(ABBREVIATIONS)]);
  return {
    assets,
    queries: buildQueries(random, assets, wordsOf, visibleProjects, (value) => known.has(value)),
  };
}

function buildQueries(
  random: () => number,
  assets: TNewAsset[],
  wordsOf: string[][],
  visibleProjects: string[],
  isWord: (value: string) => boolean,
): TLabelledQuery[] {
  const visible = new Set(visibleProjects);
  const nameCount = new Map<string, number>();
  for (const asset of assets) nameCount.set(asset.name, (nameCount.get(asset.name) ?? 0) + 1);
  // Targets: visible assets whose name is unique in the corpus, so the right answer is one asset.
  const targets = assets
    .map((asset, index) => ({ asset, words: wordsOf[index]! }))
    .filter(({ asset }) => visible.has(asset.projectId) && nameCount.get(asset.name) === 1);
  const pick = () => targets[Math.floor(random() * targets.length)]!;
  const queries: TLabelledQuery[] = [];
  for (let index = 0; index < 50; index += 1) {
    const { asset } = pick();
    queries.push({ kind: "exact", q: asset.name, expected: asset.name });
  }
  // Partial queries: the target's name words without prefix and suffix, some abbreviated the way
  // people type them. As for typos (below), the rule is fixed before looking at any result: no
  // other asset of the corpus (any project) may have exactly these words (fact_phone_campaign
  // and dim_phone_campaign_daily share "phone campaign"), so that there is one right answer
  // for MRR to look for.
  const byCoreWords = new Map<string, number>();
  const coreKey = (words: string[]) => [...words].sort().join(" ");
  for (const words of wordsOf) byCoreWords.set(coreKey(words), (byCoreWords.get(coreKey(words)) ?? 0) + 1);
  for (let made = 0, tries = 0; made < 40 && tries < 10_000; tries += 1) {
    const { asset, words } = pick();
    if (words.length < 2 || byCoreWords.get(coreKey(words)) !== 1) continue;
    const q = words
      .map((value) => (ABBREVIATIONS[value] && random() < 0.5 ? ABBREVIATIONS[value]! : value))
      .join(" ");
    queries.push({ kind: "partial", q, expected: asset.name });
    made += 1;
  }
  const columnOwners = new Map<string, string[]>();
  for (const asset of assets) {
    if (!visible.has(asset.projectId)) continue;
    for (const column of asset.columns ?? []) {
      const owners = columnOwners.get(column.name) ?? [];
      owners.push(asset.name);
      columnOwners.set(column.name, owners);
    }
  }
  const rareColumns = [...columnOwners.entries()].filter(
    ([column, owners]) => owners.length === 1 && column.includes("_"),
  );
  for (let index = 0; index < 40 && rareColumns.length > 0; index += 1) {
    const [column, owners] = rareColumns[Math.floor(random() * rareColumns.length)]!;
    queries.push({ kind: "column", q: index % 2 === 0 ? `col:${column}` : column, expected: owners[0]! });
  }
  // Typo queries, by a rule fixed before looking at any search result: the query is what a
  // user looking for the target types (its name's words, see searchWordsOf) with one typo
  // (misspell) in one word of 5+ letters, chosen at random. The target must be the only asset
  // of the corpus (any project) whose name has exactly these words, so that the query spelled
  // right identifies it; targets without a 5+ letter word are skipped. `spelledRight` keeps
  // the correct spelling, whose top-3 rate the bench reports as the ceiling of the figure.
  const byWords = new Map<string, number>();
  const keyOf = (words: string[]) => [...words].sort().join(" ");
  for (const asset of assets) {
    const key = keyOf(searchWordsOf(asset.name));
    byWords.set(key, (byWords.get(key) ?? 0) + 1);
  }
  for (let made = 0, tries = 0; made < 40 && tries < 10_000; tries += 1) {
    const { asset } = pick();
    const words = searchWordsOf(asset.name);
    const long = words.flatMap((value, index) => (value.length >= 5 ? [index] : []));
    if (long.length === 0 || byWords.get(keyOf(words)) !== 1) continue;
    const at = long[Math.floor(random() * long.length)]!;
    queries.push({
      kind: "typo",
      q: words.map((value, index) => (index === at ? misspell(random, value, isWord) : value)).join(" "),
      expected: asset.name,
      spelledRight: words.join(" "),
    });
    made += 1;
  }
  for (let index = 0; index < 40; index += 1) {
    const { asset } = pick();
    // What people type before picking from the list: the first word and a bit of the next (`fact_sal`).
    const parts = asset.name.split("_");
    const q = parts.length >= 2 ? `${parts[0]}_${parts[1]!.slice(0, 3)}` : asset.name.slice(0, 5);
    queries.push({ kind: "prefix", q, expected: asset.name });
  }
  for (let index = 0; index < 30; index += 1) {
    const tag = TAGS[index % TAGS.length]!;
    queries.push({ kind: "filtered", q: `${DOMAIN_WORDS[index % 20]} tag:${tag}`, expected: null, tag });
  }
  for (const q of [
    "id",
    "data",
    "a",
    "customer",
    "fact",
    "_",
    "*",
    "select * from x",
    `${"fact_customer_order_payment_".repeat(3)}daily`,
  ]) {
    queries.push({ kind: "pathological", q, expected: null });
  }
  return queries;
}

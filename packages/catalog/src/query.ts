/**
 * Parses a catalog search query: free text plus `tag:`, `owner:`, `kind:`, `format:`,
 * `project:` filters and `col:` column searches; values may be quoted (`tag:"gold tier"`).
 */
import { splitIdentifier, unique } from "./tokenize.js";

/** Filters a query can carry, each a list of accepted values (OR within, AND across). */
export interface TSearchFilters {
  tags: string[];
  owners: string[];
  kinds: string[];
  formats: string[];
  projects: string[];
}

/** A parsed search query. */
export interface TParsedQuery {
  /** The free text without filters, trimmed (for exact name matching). */
  text: string;
  /** Words of the free text, identifier-aware, lowercase. */
  words: string[];
  filters: TSearchFilters;
  /** Column names asked for with `col:` (lowercase). */
  columns: string[];
  /**
   * True for a quoted query or a single identifier-like token (`fact_sales`, `a.b`): the user
   * means one asset, so exact matches are all that is searched first (DataHub's rule).
   */
  isIdentifier: boolean;
}

const FILTER_KEYS = {
  tag: "tags",
  owner: "owners",
  kind: "kinds",
  format: "formats",
  project: "projects",
} as const;

/** Longest query processed; beyond it the rest is ignored (a 60-char identifier must stay fast). */
export const MAX_QUERY_LENGTH = 200;
/** At most this many words are searched. */
const MAX_WORDS = 8;

/** Parses `input` into free text, words, filters and column searches. */
export function parseSearchQuery(input: string): TParsedQuery {
  const filters: TSearchFilters = { tags: [], owners: [], kinds: [], formats: [], projects: [] };
  const columns: string[] = [];
  const free: string[] = [];
  let isQuoted = false;
  const pattern = /(\w+):(?:"([^"]*)"|(\S+))|"([^"]*)"|(\S+)/g;
  for (const match of input.slice(0, MAX_QUERY_LENGTH).matchAll(pattern)) {
    const [, key, quotedValue, plainValue, phrase, word] = match;
    if (key) {
      const value = (quotedValue ?? plainValue ?? "").trim();
      const lower = key.toLowerCase();
      if (lower === "col" || lower === "column") {
        if (value) columns.push(value.toLowerCase());
        continue;
      }
      if (lower in FILTER_KEYS) {
        if (value) filters[FILTER_KEYS[lower as keyof typeof FILTER_KEYS]].push(value.toLowerCase());
        continue;
      }
      // Not a known filter (`s3://bucket`, `12:30`): keep it as text.
      free.push(match[0]);
      continue;
    }
    if (phrase !== undefined) {
      isQuoted = true;
      if (phrase.trim()) free.push(phrase.trim());
      continue;
    }
    if (word) free.push(word);
  }
  const text = free.join(" ").trim();
  const words = unique(free.flatMap(splitIdentifier)).slice(0, MAX_WORDS);
  const isIdentifier = isQuoted || (free.length === 1 && /[_./-]/.test(free[0] ?? ""));
  for (const key of Object.keys(filters) as (keyof TSearchFilters)[]) filters[key] = unique(filters[key]);
  return { text, words, filters, columns: unique(columns), isIdentifier };
}

/** True when the query has no filter at all. */
export function hasFilters(filters: TSearchFilters): boolean {
  return Object.values(filters).some((values) => values.length > 0);
}

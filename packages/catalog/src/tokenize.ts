/**
 * Identifier-aware tokenization. Catalog names are identifiers (`fact_salesOrder_daily`,
 * `sales_2026.csv`): whole identifiers would score identically in full-text search, so names
 * are split on `_ . - /`, camelCase and letter/digit boundaries (the notes' lesson from
 * Amundsen's char-group tokenizer and DataHub PR 8043). The raw name is kept for exact matching.
 */

/** Longest word kept: longer "words" are hashes or base64 blobs, useless for search. */
const MAX_WORD_LENGTH = 40;

/**
 * Splits an identifier or free text into lowercase words.
 * `fact_salesOrder_daily` → `fact sales order daily`; `HTTPServer2` → `http server 2`.
 */
export function splitIdentifier(text: string): string[] {
  // Nearly every catalog name is ASCII: a hand-written scan gives the same words as the Unicode
  // path below about ten times faster, which is most of a bulk ingest's client time.
  if (ASCII.test(text)) return splitAscii(text);
  const words: string[] = [];
  for (const part of text.normalize("NFKC").split(/[^\p{L}\p{N}]+/u)) {
    if (!part) continue;
    const pieces = part
      // lower→upper (salesOrder), acronym→word (HTTPServer), letter↔digit (v2, 2026q1)
      .replace(/(\p{Ll})(\p{Lu})/gu, "$1 $2")
      .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
      .replace(/(\p{L})(\p{N})/gu, "$1 $2")
      .replace(/(\p{N})(\p{L})/gu, "$1 $2")
      .split(" ");
    for (const piece of pieces) {
      const word = piece.toLowerCase();
      if (word && word.length <= MAX_WORD_LENGTH) words.push(word);
    }
  }
  return words;
}

const ASCII = /^\p{ASCII}*$/u;

/** Character classes of ASCII codes: 0 other (separator), 1 lower, 2 upper, 3 digit. */
function asciiClass(code: number): 0 | 1 | 2 | 3 {
  if (code >= 97 && code <= 122) return 1;
  if (code >= 65 && code <= 90) return 2;
  if (code >= 48 && code <= 57) return 3;
  return 0;
}

/**
 * {@link splitIdentifier} for ASCII text: breaks at separators, lower→upper (`salesOrder`),
 * acronym→word (`HTTPServer`: before the last capital of a run followed by a lowercase letter)
 * and letter↔digit boundaries.
 */
function splitAscii(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  const push = (end: number) => {
    if (start >= 0 && end - start <= MAX_WORD_LENGTH) words.push(text.slice(start, end).toLowerCase());
    start = -1;
  };
  for (let index = 0; index < text.length; index += 1) {
    const kind = asciiClass(text.charCodeAt(index));
    if (kind === 0) {
      push(index);
      continue;
    }
    if (start >= 0) {
      const previous = asciiClass(text.charCodeAt(index - 1));
      const isBoundary =
        (previous === 1 && kind === 2) ||
        (previous === 2 && kind === 2 && asciiClass(text.charCodeAt(index + 1)) === 1) ||
        (previous !== 3 && kind === 3) ||
        (previous === 3 && kind !== 3);
      if (isBoundary) push(index);
    }
    if (start < 0) start = index;
  }
  push(text.length);
  return words;
}

/** The search text of a name: its words, space-separated. */
export function nameTokens(...names: string[]): string {
  return unique(names.flatMap(splitIdentifier)).join(" ");
}

/**
 * The words of an asset that typo correction may suggest: letters only, at least 3 long
 * (digits and short words are matched exactly or by prefix, never "corrected").
 */
export function vocabularyWords(texts: string[]): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    for (const word of splitIdentifier(text)) {
      if (isVocabularyWord(word)) words.add(word);
    }
  }
  return [...words].sort();
}

/** True for a word typo correction may suggest or correct: letters only, at least 3 long. */
export function isVocabularyWord(word: string): boolean {
  return word.length >= 3 && (/^[a-z]+$/.test(word) || /^\p{L}+$/u.test(word));
}

/** Removes duplicates, keeping the first occurrence's order. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

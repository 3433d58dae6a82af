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
      if (word.length >= 3 && /^\p{L}+$/u.test(word)) words.add(word);
    }
  }
  return [...words].sort();
}

/** Removes duplicates, keeping the first occurrence's order. */
export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

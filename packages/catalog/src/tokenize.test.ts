import { describe, expect, it } from "vitest";
import { parseSearchQuery } from "./query.js";
import { nameTokens, splitIdentifier, vocabularyWords } from "./tokenize.js";

describe("identifier tokenization", () => {
  it("splits snake_case, camelCase, acronyms, digits and dots", () => {
    expect(splitIdentifier("fact_salesOrder_daily")).toEqual(["fact", "sales", "order", "daily"]);
    expect(splitIdentifier("HTTPServer2.logs-v2")).toEqual(["http", "server", "2", "logs", "v", "2"]);
    expect(nameTokens("sales_2026", "sales_2026.csv")).toBe("sales 2026 csv");
  });

  it("splits ASCII on its fast path exactly as the Unicode path does", () => {
    const samples = [
      "fact_salesOrder_daily",
      "HTTPServer2.logs-v2",
      "ABCdEFg",
      "aBCd",
      "x1y22Z",
      "__a__",
      "",
    ];
    for (const sample of samples) {
      // A non-ASCII word sends the text down the Unicode path; it adds only itself.
      expect([...splitIdentifier(sample), "é"]).toEqual(splitIdentifier(`${sample} é`));
    }
  });

  it("keeps only letter words of 3+ for typo correction", () => {
    expect(vocabularyWords(["customer_id", "a_b_cd", "2026q1"])).toEqual(["customer"]);
  });
});

describe("query parsing", () => {
  it("separates words, filters and column searches", () => {
    const parsed = parseSearchQuery('daily revenue tag:Gold owner:me col:email project:"Team A" s3://x');
    expect(parsed.words).toEqual(["daily", "revenue", "s", "3", "x"]);
    expect(parsed.filters).toMatchObject({ tags: ["gold"], owners: ["me"], projects: ["team a"] });
    expect(parsed.columns).toEqual(["email"]);
    expect(parsed.isIdentifier).toBe(false);
  });

  it("treats one token with _ . / - as an identifier, and bounds long input", () => {
    expect(parseSearchQuery("fact_sales_daily").isIdentifier).toBe(true);
    expect(parseSearchQuery('"sales daily"').isIdentifier).toBe(true);
    expect(parseSearchQuery("x".repeat(10_000)).text.length).toBeLessThanOrEqual(200);
    expect(parseSearchQuery("a b c d e f g h i j k").words).toHaveLength(8);
  });
});

/**
 * "Insert into notebook" code for an asset. Every snippet goes through `flint.catalog`, so the
 * read is checked against the user's rights, counted for popularity and recorded as lineage,
 * and connection passwords never appear in a notebook.
 */
import type { TSnippets } from "./schemas.js";

/** A Python string literal for `value` (JSON string syntax is valid Python for these). */
function pythonString(value: string): string {
  return JSON.stringify(value);
}

/** A temporary view name derived from an asset name (`sales-2026.v2` → `sales_2026_v2`). */
export function viewNameOf(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^(\d)/, "_$1");
  return cleaned || "asset";
}

/** Snippets that load `name` into Spark, pandas, or a SQL view. */
export function buildSnippets(name: string): TSnippets {
  const literal = pythonString(name);
  const view = viewNameOf(name);
  return {
    spark: `from flint import catalog\n\ndf = catalog.load(${literal})\ndf.show(5)`,
    pandas: `from flint import catalog\n\npdf = catalog.load_pandas(${literal}, limit=100_000)\npdf.head()`,
    sql: `from flint import catalog\n\ncatalog.load(${literal}).createOrReplaceTempView(${pythonString(view)})\nspark.sql("SELECT * FROM ${view} LIMIT 100").show()`,
  };
}

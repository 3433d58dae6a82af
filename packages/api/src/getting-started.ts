/**
 * The "Getting started" notebook the seed gives the demo user: a short tour of what Flint does.
 * Each capability adds its cells here, so a newcomer sees everything in one place.
 */

interface TTourCell {
  cell_type: "markdown" | "code";
  source: string;
}

/** The tour's cells, in order. */
export const GETTING_STARTED_CELLS: TTourCell[] = [
  {
    cell_type: "markdown",
    source:
      "# Welcome to Flint\n\nThis notebook runs on **Apache Spark**. Each code cell runs in a Jupyter kernel where `spark` " +
      "(a SparkSession) and `sc` are ready. Press **Shift+Enter** to run a cell.",
  },
  {
    cell_type: "code",
    source: "# Spark is started in the background; the first use waits for it.\nspark.range(10**6).count()",
  },
  {
    cell_type: "markdown",
    source:
      "## DataFrames render as tables\n\nSpark and pandas DataFrames show their first rows, and say when they are cut.",
  },
  {
    cell_type: "code",
    source:
      "from pyspark.sql import functions as F\n\n" +
      'df = spark.range(1, 101).withColumn("square", F.col("id") * F.col("id"))\n' +
      "df",
  },
  {
    cell_type: "markdown",
    source: "## Spark SQL\n\n`%%sql` runs a query; `%%sql -o name` also keeps the result as a DataFrame.",
  },
  {
    cell_type: "code",
    source: "%%sql -o evens\nSELECT id, id * 2 AS doubled FROM range(10) WHERE id % 2 = 0",
  },
  {
    cell_type: "markdown",
    source:
      "## Charts in one line\n\n`%chart` draws a Vega-Lite chart of a pandas or Spark DataFrame, in the spirit of DSX's " +
      "`%brunel`. For Spark DataFrames the aggregation runs in Spark and only the chart's rows come back.",
  },
  {
    cell_type: "code",
    source: [
      "import pandas as pd",
      "",
      "# Books by author: the DSX %brunel example.",
      "df = pd.DataFrame({",
      '    "VOLUME": [412, 388, 295, 510, 620, 701, 455, 380, 330, 590, 640, 275],',
      '    "WEIGHT": [1.2, 1.1, 0.8, 1.6, 1.9, 2.2, 1.3, 1.0, 0.9, 1.7, 2.0, 0.7],',
      '    "AUTH": ["Austen"] * 3 + ["Dickens"] * 3 + ["Eliot"] * 3 + ["Tolstoy"] * 3,',
      "})",
      "%chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)",
    ].join("\n"),
  },
  { cell_type: "code", source: '%chart data(df) bar x(AUTH) y(sum(VOLUME)) title("Pages per author")' },
  {
    cell_type: "markdown",
    source:
      "## The data catalog\n\nThis project's datasets are in the catalog: search it from the top bar. " +
      "`flint.catalog.load` reads one into Spark by name, checked against your rights and recorded as lineage.",
  },
  {
    cell_type: "code",
    source: [
      "import flint",
      "from pyspark.sql import functions as F",
      "",
      'sales = flint.catalog.load("sales_2026")',
      'sales.groupBy("country").agg(F.round(F.sum("revenue"), 2).alias("revenue")).orderBy("country")',
    ].join("\n"),
  },
];

/** The tour as nbformat 4.5 JSON (no outputs yet). */
export function buildGettingStartedNotebook(): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" },
      language_info: { name: "python" },
    },
    cells: GETTING_STARTED_CELLS.map((cell, index) => ({
      id: `tour-${index + 1}`,
      cell_type: cell.cell_type,
      metadata: {},
      source: cell.source,
      ...(cell.cell_type === "code" ? { outputs: [], execution_count: null } : {}),
    })),
  };
}

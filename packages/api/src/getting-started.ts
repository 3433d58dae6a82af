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
  return toNotebook(GETTING_STARTED_CELLS, "tour");
}

function toNotebook(cells: TTourCell[], idPrefix: string): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "flint-spark", display_name: "Python 3 (Spark)", language: "python" },
      language_info: { name: "python" },
    },
    cells: cells.map((cell, index) => ({
      id: `${idPrefix}-${index + 1}`,
      cell_type: cell.cell_type,
      metadata: {},
      source: cell.source,
      ...(cell.cell_type === "code" ? { outputs: [], execution_count: null } : {}),
    })),
  };
}

/**
 * "Customer segments": from the catalog's sample to a scoring endpoint an application calls
 * (docs/models.md). The data scientist's part runs here; deploying is a click on the project's
 * Deployments page, as an application developer would be handed it.
 */
export const CUSTOMER_SEGMENTS_CELLS: TTourCell[] = [
  {
    cell_type: "markdown",
    source:
      "# Customer segments\n\nGroup the customers of the sample `sales_2026` by how they buy, keep the model with " +
      "**MLflow** (built into Flint: `import mlflow` needs no set-up), deploy it, and call it as an application would.",
  },
  {
    cell_type: "code",
    source: [
      "import flint",
      "from pyspark.sql import functions as F",
      "",
      "# One row per customer: how often, how much and how big their orders are.",
      'sales = flint.catalog.load("sales_2026")',
      "customers = (",
      '    sales.groupBy("customer_id")',
      "    .agg(",
      '        F.count("order_id").cast("double").alias("orders"),',
      '        F.round(F.sum("revenue"), 2).alias("revenue"),',
      '        F.round(F.avg("quantity"), 2).alias("avg_quantity"),',
      "    )",
      '    .orderBy("customer_id")',
      "    .toPandas()",
      ")",
      "customers.head()",
    ].join("\n"),
  },
  {
    cell_type: "markdown",
    source:
      "## Train, log and register\n\nA scikit-learn pipeline (scaler + k-means) on the three features. " +
      "`registered_model_name` registers it in this project's models; the alias `champion` is what the deployment serves.",
  },
  {
    cell_type: "code",
    source: [
      "import mlflow",
      "from sklearn.cluster import KMeans",
      "from sklearn.pipeline import make_pipeline",
      "from sklearn.preprocessing import StandardScaler",
      "",
      'features = customers[["orders", "revenue", "avg_quantity"]]',
      'mlflow.set_experiment("customer segments")',
      'with mlflow.start_run(run_name="kmeans-4"):',
      "    model = make_pipeline(StandardScaler(), KMeans(n_clusters=4, n_init=10, random_state=7)).fit(features)",
      '    mlflow.log_param("n_clusters", 4)',
      '    mlflow.log_metric("inertia", model[-1].inertia_)',
      "    info = mlflow.sklearn.log_model(",
      '        model, name="model", registered_model_name="customer_segments", input_example=features.head(3)',
      "    )",
      'mlflow.MlflowClient().set_registered_model_alias("customer_segments", "champion", info.registered_model_version)',
      'customers["segment"] = model.predict(features)',
      'customers.groupby("segment")[["orders", "revenue", "avg_quantity"]].mean().round(2)',
    ].join("\n"),
  },
  {
    cell_type: "markdown",
    source:
      "## Deploy it\n\nOpen this project's **Deployments** page (the link next to the project's name), click " +
      "**Deploy** next to `customer_segments`, name it `customer-segments` and keep `@champion`. When it runs, " +
      "**Create key** and paste the key below. The page also shows the same call as curl and Python, for the " +
      "application's developers.",
  },
  {
    cell_type: "code",
    source: [
      "import os, requests",
      "",
      'KEY = "paste the deployment key here"',
      "# Inside a kernel, Flint's API is at FLINT_API_URL; an application uses Flint's address.",
      'url = os.environ["FLINT_API_URL"].rstrip("/") + "/api/v1/deployments/customer-segments/predict"',
      'rows = features.head(3).to_dict(orient="records")',
      'answer = requests.post(url, headers={"Authorization": f"Bearer {KEY}"}, json={"rows": rows}, timeout=10)',
      "answer.raise_for_status()",
      'print("endpoint:", answer.json()["predictions"])',
      'print("notebook:", model.predict(features.head(3)).tolist())',
    ].join("\n"),
  },
];

/** "Customer segments" as nbformat 4.5 JSON (no outputs yet). */
export function buildCustomerSegmentsNotebook(): Record<string, unknown> {
  return toNotebook(CUSTOMER_SEGMENTS_CELLS, "segments");
}

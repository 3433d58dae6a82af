"""Batch scoring (docs/models.md): a model applied to a catalog asset as a Spark job.

Flint runs this in a kernel of its own in the project's sandbox (``flint-spark-dedicated``: a
classic Spark session in the kernel, because ``mlflow.spark`` models cannot load over Spark
Connect). Flint hands over files and paths only, no credential: the model's files (copied out of
MLflow by Flint), how Spark reads the input asset, and the folder to write the output to. Flint
registers the output as a catalog asset once this returns.

The job prints machine-readable lines the server reads from the cell's output:
``FLINT_BATCH_PROGRESS {...}`` (Spark's task counts, every few seconds) and, last,
``FLINT_BATCH_RESULT {...}`` (rows written and the output's columns).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from flint.catalog import _written_files, written_files_problem

PROGRESS_PREFIX = "FLINT_BATCH_PROGRESS "
RESULT_PREFIX = "FLINT_BATCH_RESULT "
#: Seconds between progress lines: often enough to see it move, rarely enough not to fill the output.
PROGRESS_INTERVAL = 2.0


class BatchScoreError(Exception):
    """The job could not score the asset; the message says why and what to do."""

    def _render_traceback_(self) -> list[str]:
        # Shown as one line in the kernel's output: the reason is the message, not the frames.
        return [f"BatchScoreError: {self}"]


def model_flavor(model_dir: str) -> str:
    """``spark`` for a Spark ML model (``mlflow.spark``), else ``pyfunc``, read from its ``MLmodel``."""
    import yaml  # noqa: PLC0415 - mlflow's dependency; only needed here

    path = os.path.join(model_dir, "MLmodel")
    if not os.path.isfile(path):
        raise BatchScoreError("The model's files have no MLmodel file: log the model with mlflow.<flavor>.log_model.")
    with open(path, encoding="utf-8") as handle:
        flavors = (yaml.safe_load(handle) or {}).get("flavors") or {}
    if "spark" in flavors:
        return "spark"
    if "python_function" in flavors:
        return "pyfunc"
    raise BatchScoreError(
        f"The model has flavors {sorted(flavors)} and none Spark can apply (spark or python_function)."
    )


def _free_name(base: str, taken: list[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def apply_model(df: Any, model_dir: str, flavor: str, spark: Any) -> Any:
    """``df`` with the model's outputs added as columns (vectors turned into arrays of doubles)."""
    from pyspark.sql import functions as F  # noqa: PLC0415 - pyspark is heavy; import on use

    if flavor == "spark":
        import mlflow.spark  # noqa: PLC0415
        from pyspark.ml.functions import vector_to_array  # noqa: PLC0415
        from pyspark.ml.linalg import VectorUDT  # noqa: PLC0415

        model = mlflow.spark.load_model(model_dir)
        scored = model.transform(df)
        added = [field for field in scored.schema.fields if field.name not in df.columns]
        # Parquet stores Spark ML vectors as an opaque struct; an array reads everywhere (pandas too).
        return scored.select(
            *[F.col(name) for name in df.columns],
            *[
                vector_to_array(F.col(field.name)).alias(field.name)
                if isinstance(field.dataType, VectorUDT)
                else F.col(field.name)
                for field in added
            ],
        )
    import mlflow.pyfunc  # noqa: PLC0415

    model = mlflow.pyfunc.load_model(model_dir)
    schema = model.metadata.get_input_schema()
    names = schema.input_names() if schema is not None and schema.has_input_names() else list(df.columns)
    missing = [name for name in names if name not in df.columns]
    if missing:
        raise BatchScoreError(
            f"The asset has no column {', '.join(repr(name) for name in missing)}, which the model takes"
            f" (its input columns: {', '.join(names)}). Score an asset with those columns."
        )
    # env_manager="local": the kernel's environment is the model's (no virtualenv built per run).
    predict = mlflow.pyfunc.spark_udf(spark, model_dir, env_manager="local")
    column = _free_name("prediction", list(df.columns))
    return df.withColumn(column, predict(F.struct(*[F.col(name) for name in names])))


class _ProgressReporter:
    """Prints Spark's task counts of the running stages every few seconds, on a daemon thread."""

    def __init__(self, spark: Any) -> None:
        self._stop = threading.Event()
        try:
            self._tracker = spark.sparkContext.statusTracker()
        except Exception:  # noqa: BLE001 - a Connect session has no status tracker: no progress lines
            self._tracker = None
        self._thread = threading.Thread(target=self._run, name="flint-batch-progress", daemon=True)

    def __enter__(self) -> _ProgressReporter:
        if self._tracker is not None:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()

    def _run(self) -> None:
        last = ""
        while not self._stop.wait(PROGRESS_INTERVAL):
            try:
                stages = [self._tracker.getStageInfo(s) for s in self._tracker.getActiveStageIds()]
            except Exception:  # noqa: BLE001 - the context is stopping
                return
            stages = [stage for stage in stages if stage is not None]
            if not stages:
                continue
            line = json.dumps(
                {
                    "done": sum(stage.numCompletedTasks for stage in stages),
                    "total": sum(stage.numTasks for stage in stages),
                    "stages": len(stages),
                }
            )
            if line != last:
                print(PROGRESS_PREFIX + line, flush=True)
                last = line


def score_asset(spec: dict[str, Any], spark: Any) -> dict[str, Any]:
    """Scores the asset ``spec`` names with its model and writes the result; prints the result line.

    ``spec``: ``modelDir`` (the model's files), ``flavor`` (``spark`` or ``pyfunc``), ``input``
    (``format``, ``path``, ``options``: how Spark reads the asset) and ``outputPath`` (a folder
    Flint chose under the project's datasets; the output is Parquet).
    """
    read = spec["input"]
    df = spark.read.format(read["format"]).options(**(read.get("options") or {})).load(read["path"])
    flavor = spec.get("flavor") or model_flavor(spec["modelDir"])
    print(f"scoring {read['path'].rsplit('/', 1)[-1]} with a {flavor} model", flush=True)
    scored = apply_model(df, spec["modelDir"], flavor, spark)
    output = spec["outputPath"]
    with _ProgressReporter(spark):
        scored.write.mode("overwrite").parquet(output)
    problem = written_files_problem(_written_files(scored, output), "parquet")
    if problem:
        raise BatchScoreError(f"The output was not written completely: {problem}.")
    written = spark.read.parquet(output)
    result = {
        "rows": written.count(),
        "columns": [
            {"name": field.name, "dataType": field.dataType.simpleString(), "nullable": bool(field.nullable)}
            for field in written.schema.fields
        ],
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return result

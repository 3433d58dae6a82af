"""The bare side of bench/models' batch half: the same Spark ML model files and the same input
Parquet scored with ``model.transform`` in a plain pyspark process (``local[*]``, the settings
Flint's kernels use), written as Parquet. Prints the seconds spent in the process's stages as JSON.

Usage: bare-batch.py MODEL_DIR INPUT_PARQUET OUTPUT_FOLDER
"""

import json
import sys
import time

# Timed from here: importing pyspark and MLflow is part of a bare process's start, as of a kernel's.
started = time.perf_counter()
import mlflow.spark
from pyspark.sql import SparkSession

spark = (
    SparkSession.builder.master("local[*]")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.shuffle.partitions", "8")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
ready = time.perf_counter()
model = mlflow.spark.load_model(sys.argv[1])
df = spark.read.parquet(sys.argv[2])
model.transform(df).write.mode("overwrite").parquet(sys.argv[3])
rows = spark.read.parquet(sys.argv[3]).count()
done = time.perf_counter()
print(
    json.dumps({"start": ready - started, "score": done - ready, "rows": rows}),
    flush=True,
)
spark.stop()

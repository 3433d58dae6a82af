"""Profile one catalog asset with Spark: row count, per-column statistics and a preview.

Flint's server runs this as ``python -m flint.profile`` (one job at a time) and sends the job as
JSON on stdin, so a connection password never appears in a process listing::

    {"source": {"type": "file", "format": "csv", "path": "/…/sales.csv", "options": {"header": "true"}},
     "output": "/…/result.json", "maxRows": 1000000, "master": "local[2]"}

    {"source": {"type": "jdbc", "url": "jdbc:postgresql://h:5432/db", "table": "\\"public\\".\\"t\\"",
                "user": "u", "password": "…"}, "jdbcPackage": "org.postgresql:postgresql:42.7.14", …}

Progress goes to stdout as ``FLINT_PROGRESS {"progress": 0.4, "message": "…"}`` lines, the
result to ``output`` as JSON (see ``ZProfileResult`` in packages/catalog), and a failure to
stderr as one ``FLINT_ERROR <message>`` line with exit code 1.

``python -m flint.profile --serve`` keeps one SparkSession warm for many jobs (a JVM takes
seconds to start, a small file a fraction of one to profile): it reads one job per line on
stdin, built into its session by the first job (the server starts a new process for a job that
needs other Spark settings, e.g. the JDBC driver), and ends each with a ``FLINT_END ok`` or
``FLINT_END error <message>`` line on stdout. It exits when stdin closes.

:func:`profile_dataframe` is the same computation on any DataFrame; a kernel can call it too.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from flint.priority import lower_priority

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_KEYS = ("p05", "p25", "p50", "p75", "p95")
NUMERIC_TYPES = ("byte", "short", "int", "bigint", "long", "float", "double", "decimal", "tinyint", "smallint")
#: Columns beyond this many get counts only: histograms and top values cost one Spark job each.
MAX_DETAILED_COLUMNS = 60
MAX_VALUE_CHARS = 200


def report(progress: float, message: str) -> None:
    """Writes one progress line for the server."""
    print("FLINT_PROGRESS " + json.dumps({"progress": round(progress, 3), "message": message}), flush=True)


def _is_numeric(type_name: str) -> bool:
    return type_name.split("(")[0] in NUMERIC_TYPES


def _is_simple(type_name: str) -> bool:
    return not type_name.startswith(("array", "map", "struct", "binary", "variant"))


def _json_number(value: Any) -> float | int | None:
    """A finite JSON number or None (NaN and infinities are not JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """A value as short display text (None stays None)."""
    if value is None:
        return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        text = value.isoformat()
    elif isinstance(value, (bytes, bytearray)):
        text = bytes(value[:48]).hex()
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _bound(value: Any, numeric: bool) -> float | int | str | None:
    return _json_number(value) if numeric else _text(value)


def profile_dataframe(
    df: Any,
    *,
    max_rows: int = 1_000_000,
    preview_rows: int = 20,
    bins: int = 10,
    top_values: int = 10,
    on_progress: Any = report,
) -> dict[str, Any]:
    """Computes the profile of ``df``; statistics use a sample of about ``max_rows`` rows when larger."""
    from pyspark.sql import functions as F

    on_progress(0.15, "Counting rows")
    row_count = df.count()
    is_sampled = row_count > max_rows
    if is_sampled:
        data = df.sample(withReplacement=False, fraction=max_rows / row_count, seed=42).cache()
        profiled_rows = data.count()
    else:
        data = df.cache()
        profiled_rows = row_count

    fields = [(f.name, f.dataType.simpleString(), f.nullable) for f in df.schema.fields]
    on_progress(0.3, f"Computing statistics of {len(fields)} columns")
    aggregations = []
    for index, (name, type_name, _nullable) in enumerate(fields):
        column = F.col(f"`{name.replace('`', '``')}`")
        aggregations.append(F.count(column).alias(f"n{index}"))
        if not _is_simple(type_name):
            continue
        aggregations.append(F.approx_count_distinct(column).alias(f"d{index}"))
        if _is_numeric(type_name):
            as_double = column.cast("double")
            aggregations += [
                F.min(as_double).alias(f"lo{index}"),
                F.max(as_double).alias(f"hi{index}"),
                F.mean(as_double).alias(f"mean{index}"),
                F.stddev(as_double).alias(f"sd{index}"),
                F.percentile_approx(as_double, list(QUANTILES), 1000).alias(f"q{index}"),
            ]
        elif not type_name.startswith("boolean"):
            aggregations += [F.min(column).alias(f"lo{index}"), F.max(column).alias(f"hi{index}")]
    stats = data.agg(*aggregations).collect()[0].asDict() if aggregations else {}

    columns: list[dict[str, Any]] = []
    detailed = 0
    for index, (name, type_name, _nullable) in enumerate(fields):
        non_null = int(stats.get(f"n{index}") or 0)
        null_count = profiled_rows - non_null
        numeric = _is_numeric(type_name)
        entry: dict[str, Any] = {
            "name": name,
            "dataType": type_name,
            "nullCount": null_count,
            "nullFraction": (null_count / profiled_rows) if profiled_rows else 0.0,
            "distinctCount": _json_number(stats.get(f"d{index}")),
            "min": _bound(stats.get(f"lo{index}"), numeric),
            "max": _bound(stats.get(f"hi{index}"), numeric),
            "mean": _json_number(stats.get(f"mean{index}")) if numeric else None,
            "stddev": _json_number(stats.get(f"sd{index}")) if numeric else None,
            "quantiles": None,
            "histogram": None,
            "topValues": None,
        }
        quantiles = stats.get(f"q{index}")
        if numeric and quantiles and all(_json_number(q) is not None for q in quantiles):
            entry["quantiles"] = dict(zip(QUANTILE_KEYS, (_json_number(q) for q in quantiles), strict=False))
        if _is_simple(type_name) and non_null > 0 and detailed < MAX_DETAILED_COLUMNS:
            detailed += 1
            on_progress(0.35 + 0.5 * index / max(1, len(fields)), f"Distribution of {name}")
            column = F.col(f"`{name.replace('`', '``')}`")
            low, high = entry["min"], entry["max"]
            if numeric and isinstance(low, (int, float)) and isinstance(high, (int, float)):
                entry["histogram"] = _histogram(data, column, float(low), float(high), bins)
            elif not numeric:
                rows = (
                    data.where(column.isNotNull())
                    .groupBy(column.alias("value"))
                    .count()
                    .orderBy(F.desc("count"), F.asc("value"))
                    .limit(top_values)
                    .collect()
                )
                entry["topValues"] = [{"value": _text(row["value"]), "count": int(row["count"])} for row in rows]
        columns.append(entry)

    on_progress(0.9, "Reading a preview")
    preview = df.limit(preview_rows).collect()
    data.unpersist()
    return {
        "rowCount": row_count,
        "profiledRows": profiled_rows,
        "isSampled": is_sampled,
        "schema": [{"name": n, "dataType": t, "nullable": bool(nl)} for n, t, nl in fields],
        "columns": columns,
        "preview": {
            "columns": [name for name, _t, _n in fields],
            "rows": [[_text(value) for value in row] for row in preview],
        },
    }


def _histogram(data: Any, column: Any, low: float, high: float, bins: int) -> dict[str, list[float]]:
    """Equal-width histogram between ``low`` and ``high`` (one bin when they are equal)."""
    from pyspark.sql import functions as F

    if high <= low:
        count = data.where(column.isNotNull()).count()
        return {"edges": [low, high], "counts": [count]}
    width = (high - low) / bins
    bucket = F.least(F.floor((column.cast("double") - F.lit(low)) / F.lit(width)), F.lit(bins - 1)).cast("int")
    counts = [0] * bins
    for row in data.where(column.isNotNull()).groupBy(bucket.alias("b")).count().collect():
        if row["b"] is not None and 0 <= row["b"] < bins:
            counts[row["b"]] = int(row["count"])
    return {"edges": [low + width * i for i in range(bins)] + [high], "counts": counts}


def build_session(job: dict[str, Any]) -> Any:
    """A small local SparkSession for one profiling job."""
    from pyspark.sql import SparkSession

    from flint.kernel.session import driver_java_options

    builder = (
        SparkSession.builder.appName("Flint catalog profiler")
        .master(job.get("master") or "local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", job.get("driverMemory") or "768m")
        .config("spark.sql.session.timeZone", "UTC")
    )
    builder = builder.config("spark.driver.extraJavaOptions", driver_java_options())
    # The storage's settings (s3a:// jars and endpoint, docs/deployment.md); credentials come from
    # the environment.
    for key, value in (job.get("sparkConf") or {}).items():
        builder = builder.config(key, value)
    if job["source"]["type"] == "jdbc" and job.get("jdbcPackage"):
        builder = builder.config("spark.jars.packages", job["jdbcPackage"])
        if job.get("ivyDir"):
            builder = builder.config("spark.jars.ivy", job["ivyDir"])
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_source(spark: Any, source: dict[str, Any]) -> Any:
    """The DataFrame of a job's source: a file (csv/json/parquet) or a JDBC table."""
    if source["type"] == "file":
        reader = spark.read.format(source["format"])
        for key, value in (source.get("options") or {}).items():
            reader = reader.option(key, value)
        return reader.load(source["path"])
    if source["type"] == "jdbc":
        return (
            spark.read.format("jdbc")
            .option("url", source["url"])
            .option("dbtable", source["table"])
            .option("user", source["user"])
            .option("password", source.get("password") or "")
            .option("driver", "org.postgresql.Driver")
            .option("fetchsize", "5000")
            .load()
        )
    raise ValueError(f"unknown source type {source['type']!r}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return type(error).__name__


def run_job(spark: Any, job: dict[str, Any]) -> None:
    """Profiles one job's source with ``spark`` and writes the result to the job's ``output``."""
    output = Path(job["output"])
    report(0.1, "Reading the data")
    df = read_source(spark, job["source"])
    result = profile_dataframe(
        df,
        max_rows=int(job.get("maxRows") or 1_000_000),
        preview_rows=int(job.get("previewRows") or 20),
    )
    temporary = output.with_suffix(".tmp")
    temporary.write_text(json.dumps(result, allow_nan=False))
    os.replace(temporary, output)
    report(1.0, "Done")


def main() -> int:
    """Runs the job read from stdin."""
    job = json.loads(sys.stdin.read())
    try:
        report(0.02, "Starting Spark")
        spark = build_session(job)
        run_job(spark, job)
        spark.stop()
        return 0
    except Exception as error:  # noqa: BLE001 - every failure becomes one readable line for the server
        print("FLINT_ERROR " + _first_line(error), file=sys.stderr, flush=True)
        return 1


def serve() -> int:
    """Runs jobs, one JSON object per stdin line, on one warm SparkSession, until stdin closes."""
    spark = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            if spark is None:
                report(0.02, "Starting Spark")
                spark = build_session(job)
            run_job(spark, job)
            print("FLINT_END ok", flush=True)
        except Exception as error:  # noqa: BLE001 - a failed job must not end the others
            print("FLINT_END error " + _first_line(error), flush=True)
        finally:
            if spark is not None:
                # Nothing of one asset stays in memory for the next.
                spark.catalog.clearCache()
    if spark is not None:
        spark.stop()
    return 0


if __name__ == "__main__":
    # Profiles are background work: people's cells get the CPU first (see flint.priority).
    lower_priority()
    sys.exit(serve() if "--serve" in sys.argv[1:] else main())

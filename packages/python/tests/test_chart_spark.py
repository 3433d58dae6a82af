"""%chart over Spark DataFrames: the work runs in Spark and only the chart's rows reach the driver.

One SparkSession (local[2]) for the module; the same data as pandas checks that both backends agree.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from test_chart_pandas import assert_valid_vegalite

from flint.chart import ChartError, build_chart


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    session = (
        SparkSession.builder.master("local[2]")
        .appName("flint-chart-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def ns(spark: SparkSession) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    sales_pd = pd.DataFrame(
        {
            "region": rng.choice(["EU", "US", "APAC", "LATAM"], 500),
            "amount": rng.gamma(2.0, 50.0, 500).round(2),
            "year": rng.choice([2022, 2023, 2024], 500).astype("int32"),
        }
    )
    sales = spark.createDataFrame(sales_pd)
    big = spark.range(12_000).select(
        F.col("id"),
        F.randn(seed=1).alias("x"),
        F.randn(seed=2).alias("y"),
        F.when(F.col("id") % 3 == 0, "a").otherwise("b").alias("kind"),
    )
    stamps = pd.DataFrame(
        {
            "ts": pd.date_range("2023-11-01", periods=3000, freq="3h13min"),
            "latency": rng.gamma(3.0, 10.0, 3000),
            "service": rng.choice(["api", "db", "cache"], 3000),
        }
    )
    events = spark.createDataFrame(stamps)
    return {
        "sales": sales,
        "sales_pd": sales_pd,
        "big": big,
        "events": events,
        "events_pd": stamps,
        "million": spark.range(1_000_000).select((F.col("id") % 7).alias("k"), F.col("id").alias("v")),
    }


def values(result: Any) -> list[dict[str, Any]]:
    return result.spec["data"]["values"]


def meta(result: Any) -> dict[str, Any]:
    return result.spec["usermeta"]["flint"]


def test_sum_by_group_equals_a_direct_group_by(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) bar x(region) y(sum(amount)) color(year)", ns)
    assert_valid_vegalite(result.spec)
    expected = {
        (r["region"], r["year"]): r["s"]
        for r in ns["sales"].groupBy("region", "year").agg(F.sum("amount").alias("s")).collect()
    }
    got = {(r["region"], r["year"]): r["sum_amount"] for r in values(result)}
    assert got == pytest.approx(expected)
    assert meta(result)["kind"] == "spark" and meta(result)["rowsIn"] == 500
    assert meta(result)["rowsOut"] == len(expected) == len(values(result))
    assert "Aggregate" in meta(result)["sparkPlan"]  # the grouping ran in Spark
    assert "aggregate" not in json.dumps(result.spec["encoding"])


def test_only_aggregated_rows_reach_the_spec(ns: dict[str, Any]) -> None:
    result = build_chart("data(million) bar x(k) y(sum(v))", ns)
    rows = values(result)
    assert len(rows) == 7 and meta(result)["rowsIn"] == 1_000_000 and not meta(result)["sampled"]
    assert sum(r["sum_v"] for r in rows) == sum(range(1_000_000))
    assert result.spec["encoding"]["x"]["type"] == "ordinal"  # 7 integer keys on a bar chart


def test_pushed_down_aggregates_agree_with_pandas(ns: dict[str, Any]) -> None:
    for agg in ("count", "mean", "min", "max", "distinct", "stdev", "variance", "median"):
        spark_rows = values(build_chart(f"data(sales) bar x(region) y({agg}(amount))", ns))
        pandas_rows = values(build_chart(f"data(sales_pd) bar x(region) y({agg}(amount))", ns))
        assert [r["region"] for r in spark_rows] == [r["region"] for r in pandas_rows]
        assert [r[f"{agg}_amount"] for r in spark_rows] == pytest.approx([r[f"{agg}_amount"] for r in pandas_rows]), agg


def test_scatter_of_12000_rows_is_sampled_in_spark(ns: dict[str, Any]) -> None:
    result = build_chart("data(big) x(x) y(y) color(kind)", ns)
    assert_valid_vegalite(result.spec)
    assert len(values(result)) == 5000
    assert meta(result)["sampled"] is True and meta(result)["rowsIn"] == 12_000 and meta(result)["rowsOut"] == 5000
    assert result.spec["title"]["subtitle"] == "showing a sample of 5,000 of 12,000 rows"
    assert "SAMPLE 5,000 OF 12,000 ROWS" in meta(result)["query"]
    assert "Sample" in meta(result)["sparkPlan"]
    assert values(build_chart("data(big) x(x) y(y) color(kind)", ns)) == values(result)  # seeded


def test_limit_raises_the_cap(ns: dict[str, Any]) -> None:
    result = build_chart("data(big) x(x) y(y) limit(20000)", ns)
    assert len(values(result)) == 12_000 and meta(result)["sampled"] is False and "title" not in result.spec


def test_bins_agree_with_pandas(ns: dict[str, Any]) -> None:
    spark_result = build_chart("data(big) x(bin(x, 30)) y(count())", ns)
    assert_valid_vegalite(spark_result.spec)
    pdf = ns["big"].select("x").toPandas()
    pandas_result = build_chart("data(p) x(bin(x, 30)) y(count())", {"p": pdf})
    assert values(spark_result) == values(pandas_result)
    assert spark_result.spec["encoding"]["x"]["bin"] == pandas_result.spec["encoding"]["x"]["bin"]
    assert sum(r["count"] for r in values(spark_result)) == 12_000


def test_time_units_agree_with_pandas(ns: dict[str, Any], spark: SparkSession) -> None:
    for unit in (
        "year",
        "quarter",
        "month",
        "week",
        "day",
        "date",
        "dayofyear",
        "hours",
        "minutes",
        "yearquarter",
        "yearmonth",
        "yearmonthdate",
        "yearmonthdatehours",
        "monthdate",
        "hoursminutes",
    ):
        command = f"bar x({unit}(ts)) y(count()) limit(20000)"
        spark_rows = values(build_chart(f"data(events) {command}", ns))
        pandas_rows = values(build_chart(f"data(events_pd) {command}", ns))
        assert spark_rows == pandas_rows, unit


def test_time_units_on_dates_and_strings(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [(dt.date(2024, 3, 5), "2024-03-05 13:45:00"), (dt.date(2024, 3, 9), "garbage")], "d date, s string"
    )
    space = {"t": frame}
    assert [r["month_d"] for r in values(build_chart("data(t) x(month(d)) y(count())", space))] == [
        "2012-03-01T00:00:00"
    ]
    rows = values(build_chart("data(t) x(hours(s)) y(count())", space))
    assert [r["hours_s"] for r in rows] == ["2012-01-01T13:00:00", None]  # unparsable strings are null


def test_filter_runs_in_spark(ns: dict[str, Any]) -> None:
    result = build_chart(
        "data(sales) bar x(region) y(count()) filter(amount > 100 and region in ('EU', 'US') or year == 2022)", ns
    )
    df = ns["sales"]
    expected = df.where(((F.col("amount") > 100) & F.col("region").isin("EU", "US")) | (F.col("year") == 2022))
    assert meta(result)["rowsIn"] == expected.count()
    by_region = {r["region"]: r["count"] for r in expected.groupBy("region").count().collect()}
    assert {r["region"]: r["count"] for r in values(result)} == by_region


def test_filter_is_part_of_the_spark_plan(ns: dict[str, Any]) -> None:
    result = build_chart("data(million) bar x(k) y(count()) filter(v < 700 and k != 3)", ns)
    assert "Filter" in meta(result)["sparkPlan"]
    assert sum(r["count"] for r in values(result)) == meta(result)["rowsIn"] == 600


def test_filter_values_are_literals_not_sql(ns: dict[str, Any]) -> None:
    # A value that looks like SQL is compared as a string; nothing is executed.
    result = build_chart("data(sales) bar x(region) y(count()) filter(region == \"EU' OR '1'='1\")", ns)
    assert values(result) == [] or all(r["count"] == 0 for r in values(result))


def test_boxplot_in_spark(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) boxplot x(region) y(amount)", ns)
    assert_valid_vegalite(result.spec)
    pdf = ns["sales_pd"]
    for row in values(result):
        group = pdf[pdf["region"] == row["region"]]["amount"]
        assert row["lower_amount"] == group.min() and row["upper_amount"] == group.max()
        assert row["count_amount"] == len(group)
        # percentile_approx returns a value of the group near the exact quantile.
        for stat, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
            assert group.quantile(q - 0.02) <= row[f"{stat}_amount"] <= group.quantile(q + 0.02), stat
    assert "approximate quartiles" in meta(result)["query"]


def test_groups_over_the_limit_are_cut_with_a_note(ns: dict[str, Any]) -> None:
    result = build_chart("data(million) bar x(k) y(count()) sort(-y) limit(3)", ns)
    assert len(values(result)) == 3
    assert result.spec["title"]["subtitle"] == "showing the first 3 of 7 groups"
    assert meta(result)["rowsIn"] == 1_000_000 and meta(result)["groupsCut"] is True


def test_columns_with_dots_and_spaces(spark: SparkSession) -> None:
    frame = spark.createDataFrame([(1, 2.0), (1, 3.0), (2, 4.0)], "`a.b` int, `total amount` double")
    result = build_chart("data(t) bar x(`a.b`) y(sum(`total amount`))", {"t": frame})
    assert values(result) == [{"a.b": 1, "sum_total amount": 5.0}, {"a.b": 2, "sum_total amount": 4.0}]
    assert result.spec["encoding"]["x"]["field"] == "a\\.b"


def test_errors_use_the_spark_schema(ns: dict[str, Any], spark: SparkSession) -> None:
    with pytest.raises(ChartError, match=r"unknown column 'amout' in data\(sales\); did you mean 'amount'\?"):
        build_chart("data(sales) x(amout)", ns)
    arrays = spark.createDataFrame([([1, 2],)], "tags array<int>")
    with pytest.raises(ChartError, match=r"column 'tags' has type array<int>, which cannot be charted"):
        build_chart("data(t) x(tags)", {"t": arrays})

"""Live tables: pages of pandas and Spark DataFrames, sorted and filtered in the kernel, and chart
previews; plus the bar-over-numbers rule of ``%chart`` that the builder's preview relies on.

pandas and Spark run in this process (Spark on local[2]); the last tests go through a real
flint-spark kernel with the silent execute the broker sends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from conftest import TABLE_MIME, KernelDriver
from pyspark.sql import SparkSession

from flint.chart import build_chart
from flint.kernel import live
from flint.kernel.tables import pandas_mimebundle


def page(table_id: str, **request: Any) -> dict[str, Any]:
    """What the broker's silent execute gets back for a page request."""
    answer = live.answer(json.dumps({"kind": "tablePage", "tableId": table_id, **request}))
    return answer._repr_mimebundle_()["application/json"]


@pytest.fixture()
def people() -> pd.DataFrame:
    # 1,000 rows: n is 0..999, name "p<n>", city cycles through four, score = n % 7 (ties).
    n = list(range(1000))
    return pd.DataFrame(
        {
            "n": n,
            "name": [f"p{i}" for i in n],
            "city": [["Oslo", "Lima", "Pune", "Kyiv"][i % 4] for i in n],
            "score": [float(i % 7) if i % 50 else None for i in n],
        }
    )


def test_pandas_output_carries_a_table_id_and_pages_from_it(people: pd.DataFrame) -> None:
    table = pandas_mimebundle(people)[TABLE_MIME]
    assert table["totalRows"] == 1000 and len(table["rows"]) == 50
    last = page(table["tableId"], offset=950, limit=50)
    assert last["status"] == "ok" and last["totalRows"] == 1000 and last["hasMore"] is False
    assert [row[0] for row in last["rows"]] == list(range(950, 1000))
    assert last["columns"][3] == {"name": "score", "type": "float64"}


def test_pandas_sort_both_ways_with_missing_values_last(people: pd.DataFrame) -> None:
    table_id = live.register_table(people)
    descending = page(table_id, offset=0, limit=5, sort={"column": 3, "descending": True})
    assert [row[3] for row in descending["rows"]] == [6.0] * 5
    ascending = page(table_id, offset=0, limit=3, sort={"column": 1, "descending": False})
    assert [row[1] for row in ascending["rows"]] == ["p0", "p1", "p10"]
    tail = page(table_id, offset=990, limit=10, sort={"column": 3, "descending": False})
    assert all(row[3] is None for row in tail["rows"])  # n % 50 == 0 has no score: last either way


def test_pandas_filters_text_numbers_and_everywhere(people: pd.DataFrame) -> None:
    table_id = live.register_table(people)
    oslo = page(table_id, offset=0, limit=500, filters=[{"column": 2, "text": "osl"}])
    assert oslo["totalRows"] == 250 and {row[2] for row in oslo["rows"]} == {"Oslo"}
    big = page(table_id, offset=0, limit=10, filters=[{"column": 0, "text": ">= 995"}])
    assert [row[0] for row in big["rows"]] == [995, 996, 997, 998, 999]
    both = page(
        table_id,
        offset=0,
        limit=50,
        filters=[{"column": 2, "text": "Kyiv"}, {"column": None, "text": "p99"}],
        sort={"column": 0, "descending": True},
    )
    # Kyiv is n % 4 == 3; "p99" is in p99 and p990..p999: of those, 999, 995, 991 and 99.
    assert [row[0] for row in both["rows"]] == [999, 995, 991, 99]
    assert both["totalRows"] == 4


def test_pandas_meaningful_index_pages_as_leading_columns() -> None:
    df = pd.DataFrame({"v": range(100)}, index=pd.Index([f"k{i}" for i in range(100)], name="key"))
    table_id = live.register_table(df)
    result = page(table_id, offset=98, limit=10)
    assert [c["name"] for c in result["columns"]] == ["key", "v"]
    assert result["rows"] == [["k98", 98], ["k99", 99]]


def test_unknown_table_says_to_run_again_and_bad_requests_are_errors(people: pd.DataFrame) -> None:
    gone = page("0" * 32, offset=0, limit=50)
    assert gone == {"status": "gone", "message": live.GONE_MESSAGE}
    table_id = live.register_table(people)
    bad = page(table_id, offset=0, limit=5, sort={"column": 9, "descending": False})
    assert bad["status"] == "error" and "no column 9" in bad["message"]


def test_the_oldest_tables_are_let_go() -> None:
    live.forget_tables()
    first = live.register_table(pd.DataFrame({"a": [1]}))
    for _ in range(live.MAX_LIVE_TABLES):
        live.register_table(pd.DataFrame({"a": [2]}))
    assert page(first, offset=0, limit=1)["status"] == "gone"


# ---------------------------------------------------------------------------------------------
# Spark


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    session = (
        SparkSession.builder.master("local[2]")
        .appName("flint-live-table-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_pages_sort_filter_in_spark_and_count_only_when_asked(spark: SparkSession) -> None:
    # Two columns named "v": positions, not names, address them.
    df = spark.range(1000).selectExpr("id", "id % 7 AS v", "concat('row ', id) AS v")
    table_id = live.register_table(df)
    first = page(table_id, offset=0, limit=50)
    assert first["totalRows"] is None and first["hasMore"] is True
    assert [c["name"] for c in first["columns"]] == ["id", "v", "v"]
    counted = page(table_id, offset=0, limit=50, countRows=True)
    assert counted["totalRows"] == 1000
    last = page(table_id, offset=950, limit=50, sort={"column": 0, "descending": False})
    assert [row[0] for row in last["rows"]] == list(range(950, 1000)) and last["hasMore"] is False
    assert last["totalRows"] == 1000  # the end was reached: known without a count
    top = page(table_id, offset=0, limit=3, sort={"column": 0, "descending": True})
    assert [row[0] for row in top["rows"]] == [999, 998, 997]
    filtered = page(
        table_id,
        offset=0,
        limit=100,
        filters=[{"column": 1, "text": "=6"}, {"column": 2, "text": "ROW 9"}],
        sort={"column": 0, "descending": True},
    )
    ids = [row[0] for row in filtered["rows"]]
    assert ids == sorted((i for i in range(1000) if i % 7 == 6 and str(i).startswith("9")), reverse=True)
    assert filtered["totalRows"] == len(ids)


def test_spark_query_errors_come_back_as_messages(spark: SparkSession) -> None:
    df = spark.sql("SELECT assert_true(id < 5) AS ok FROM range(10)")
    table_id = live.register_table(df)
    result = page(table_id, offset=0, limit=50)
    assert result["status"] == "error" and result["message"]


# ---------------------------------------------------------------------------------------------
# Bars over numeric x


def test_bar_over_a_few_numbers_is_ordinal_and_over_many_is_binned() -> None:
    df = pd.DataFrame({"rating": [1.0, 2.0, 2.0, 3.5] * 50, "price": [i * 1.5 for i in range(200)]})
    few = build_chart("data(df) bar x(rating) y(count())", {"df": df}).spec
    assert few["encoding"]["x"]["type"] == "ordinal"
    many = build_chart("data(df) bar x(price) y(count())", {"df": df}).spec
    assert many["encoding"]["x"]["bin"]["binned"] is True and "x2" in many["encoding"]
    assert len(many["data"]["values"]) <= 40
    raw = build_chart("data(df) bar x(price) y(rating)", {"df": df}).spec  # not aggregated: summed per bin
    assert raw["encoding"]["x"]["bin"]["binned"] is True
    assert sum(row[raw["encoding"]["y"]["field"]] for row in raw["data"]["values"]) == pytest.approx(df["rating"].sum())
    explicit = build_chart("data(df) bar x(price:q) y(rating)", {"df": df}).spec  # as written
    assert explicit["encoding"]["x"]["type"] == "quantitative" and "bin" not in explicit["encoding"]["x"]


def test_spark_bar_over_many_numbers_is_binned_in_spark(spark: SparkSession) -> None:
    df = spark.range(1000).selectExpr("id * 0.5 AS x", "id % 3 AS g")
    spec = build_chart("data(df) bar x(x) y(count())", {"df": df}).spec
    assert spec["encoding"]["x"]["bin"]["binned"] is True
    assert sum(row[spec["encoding"]["y"]["field"]] for row in spec["data"]["values"]) == 1000


# ---------------------------------------------------------------------------------------------
# Through a real kernel, as the broker asks


def silent(kernel: KernelDriver, request: dict[str, Any]) -> dict[str, Any]:
    """The broker's request: a silent execute whose user expression calls ``flint.kernel.live``."""
    literal = json.dumps(json.dumps(request))
    expression = f"__import__('flint.kernel.live', fromlist=['answer']).answer({literal})"
    msg_id = kernel.client.execute("", silent=True, store_history=False, user_expressions={"flint": expression})
    reply = kernel.client.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.client.get_shell_msg(timeout=120)
    value = reply["content"]["user_expressions"]["flint"]
    assert value["status"] == "ok", value
    return value["data"]["application/json"]


def test_kernel_pages_a_spark_table_silently_and_previews_a_chart(kernel: KernelDriver) -> None:
    shown = kernel.execute("%%sql -o evens\nSELECT id, id % 10 AS digit FROM range(0, 2000, 2)")
    table = shown.result[TABLE_MIME]
    assert table["variable"] == "evens" and len(table["rows"]) == 50 and table["tableId"]
    count_before = shown.reply["execution_count"]
    result = silent(kernel, {"kind": "tablePage", "tableId": table["tableId"], "offset": 990, "limit": 50})
    assert [row[0] for row in result["rows"]] == list(range(1980, 2000, 2))
    preview = silent(kernel, {"kind": "chartPreview", "command": "%chart data(evens) bar x(digit) y(count())"})
    assert preview["status"] == "ok" and preview["spec"]["encoding"]["x"]["type"] == "ordinal"
    bad = silent(kernel, {"kind": "chartPreview", "command": "%chart data(evens) bar x(digits) y(count())"})
    assert bad["status"] == "error" and "did you mean 'digit'" in bad["message"]
    # Nothing of this shows in the notebook: the next cell's count follows the last cell's.
    assert kernel.execute("1").reply["execution_count"] == count_before + 1

"""%chart over pandas DataFrames: results checked against pandas itself and specs against Vega-Lite's schema."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import altair
import jsonschema
import numpy as np
import pandas as pd
import pytest

from flint.chart import CHART_MIME, VEGALITE_MIME, ChartError, ChartSettings, build_chart


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    # The Vega-Lite v6 JSON schema that Altair 6 ships.
    path = Path(altair.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def assert_valid_vegalite(spec: dict[str, Any]) -> None:
    """The spec is valid Vega-Lite v6 and survives a JSON round trip (what the kernel sends)."""
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    errors = sorted(_validator().iter_errors(json.loads(json.dumps(spec, allow_nan=False))), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:3]]


def values(result: Any) -> list[dict[str, Any]]:
    return result.spec["data"]["values"]


def flint_meta(result: Any) -> dict[str, Any]:
    return result.spec["usermeta"]["flint"]


@pytest.fixture(scope="module")
def ns() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    n = 12_000
    sales = pd.DataFrame(
        {
            "region": rng.choice(["EU", "US", "APAC", "LATAM"], 400),
            "amount": rng.gamma(2.0, 50.0, 400).round(2),
            "year": rng.choice([2022, 2023, 2024], 400),
        }
    )
    sales.loc[::37, "amount"] = np.nan
    events = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=2000, freq="5h"),
            "latency": rng.gamma(3.0, 10.0, 2000),
            "service": rng.choice(["api", "db", "cache"], 2000),
        }
    )
    return {
        "df": pd.DataFrame(
            {"VOLUME": rng.random(300), "WEIGHT": rng.random(300), "AUTH": rng.choice(list("abc"), 300)}
        ),
        "sales": sales,
        "trips": pd.DataFrame({"distance": rng.exponential(4.0, n)}),
        "events": events,
        "big": pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)}),
        "not_a_frame": [1, 2, 3],
    }


def test_scatter_keeps_rows_and_types(ns: dict[str, Any]) -> None:
    result = build_chart("data(df) x(VOLUME) y(WEIGHT) color(AUTH)", ns)
    assert_valid_vegalite(result.spec)
    enc = result.spec["encoding"]
    assert (enc["x"]["type"], enc["y"]["type"], enc["color"]["type"]) == ("quantitative", "quantitative", "nominal")
    assert result.spec["mark"]["type"] == "point"
    assert len(values(result)) == 300
    assert flint_meta(result) | {"query": None} == {
        "source": "df",
        "kind": "pandas",
        "query": None,
        "rowsIn": 300,
        "rowsOut": 300,
        "sampled": False,
        "groupsCut": False,
    }
    assert "title" not in result.spec


def test_sum_by_group_matches_pandas(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) bar x(region) y(sum(amount)) color(year)", ns)
    assert_valid_vegalite(result.spec)
    expected = ns["sales"].groupby(["region", "year"])["amount"].sum()
    got = {(r["region"], r["year"]): r["sum_amount"] for r in values(result)}
    assert got.keys() == set(expected.index)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)
    enc = result.spec["encoding"]
    assert enc["y"] == {"field": "sum_amount", "type": "quantitative", "title": "sum(amount)"}
    assert "aggregate" not in json.dumps(result.spec["encoding"])  # pre-aggregated: Vega does not aggregate
    assert enc["color"]["type"] == "ordinal"  # three years read as categories, not a gradient
    assert flint_meta(result)["rowsIn"] == 400


@pytest.mark.parametrize(
    ("agg", "pandas_agg"),
    [
        ("count", "count"),
        ("mean", "mean"),
        ("median", "median"),
        ("min", "min"),
        ("max", "max"),
        ("distinct", "nunique"),
        ("stdev", "std"),
        ("variance", "var"),
    ],
)
def test_aggregates_match_pandas(ns: dict[str, Any], agg: str, pandas_agg: str) -> None:
    result = build_chart(f"data(sales) bar x(region) y({agg}(amount))", ns)
    expected = getattr(ns["sales"].groupby("region")["amount"], pandas_agg)()
    got = {r["region"]: r[f"{agg}_amount"] for r in values(result)}
    assert got == pytest.approx(expected.to_dict())


def test_count_rows_and_no_grouping(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) bar y(count()) x(count(amount))", ns)
    assert values(result) == [{"count": 400, "count_amount": int(ns["sales"]["amount"].notna().sum())}]


def test_histogram_bins_match_numpy(ns: dict[str, Any]) -> None:
    result = build_chart("data(trips) x(bin(distance, 30)) y(count())", ns)
    assert_valid_vegalite(result.spec)
    assert result.spec["mark"]["type"] == "bar"  # an aggregate over bins defaults to bars
    x = result.spec["encoding"]["x"]
    step = x["bin"]["step"]
    assert x["bin"]["binned"] is True and result.spec["encoding"]["x2"] == {"field": "bin_distance_end"}
    rows = values(result)
    starts = [r["bin_distance"] for r in rows]
    assert starts == sorted(starts) and len(rows) <= 30
    edges = [*starts, rows[-1]["bin_distance_end"]]
    assert all(b["bin_distance_end"] == pytest.approx(b["bin_distance"] + step) for b in rows)
    distance = ns["trips"]["distance"]
    # Same edges as numpy (its last bin is closed, like Vega's); all rows counted.
    counts, _ = np.histogram(distance, bins=np.arange(starts[0], edges[-1] + step / 2, step))
    got = dict(zip(starts, (r["count"] for r in rows), strict=True))
    nonzero = {round(starts[0] + i * step, 6): int(c) for i, c in enumerate(counts) if c}
    assert {round(k, 6): v for k, v in got.items()} == nonzero
    assert sum(r["count"] for r in rows) == len(distance)


def test_vega_like_nice_bins() -> None:
    from flint.chart.binning import nice_bins

    # Values Vega's bin transform gives for these extents.
    assert nice_bins(0.0, 100.0, 10) == nice_bins(0.0, 100.0, 10)
    p = nice_bins(0.3, 97.2, 10)
    assert (p.start, p.stop, p.step) == (0.0, 100.0, 10.0)
    p = nice_bins(1.0, 9.0, 30)
    assert p.step == 0.5 and p.start == 1.0 and p.stop == 9.0
    p = nice_bins(5.0, 5.0, 10)
    assert p.stop > p.start
    assert nice_bins(0.0, 10.0, 10).bin_of(10.0) == 9.0  # the maximum goes into the last bin


def test_time_units(ns: dict[str, Any]) -> None:
    frame = pd.DataFrame({"ts": pd.to_datetime(["2024-03-05 13:45:10", "2024-03-09 08:00:00", "2023-12-31 23:59:00"])})
    space = {"t": frame}

    def first(unit: str) -> list[str]:
        result = build_chart(f"data(t) x({unit}(ts)) y(count())", space)
        assert_valid_vegalite(result.spec)
        return [r[f"{unit}_ts" if unit not in ("hour",) else "hours_ts"] for r in values(result)]

    assert first("year") == ["2023-01-01T00:00:00", "2024-01-01T00:00:00"]
    assert first("yearmonth") == ["2023-12-01T00:00:00", "2024-03-01T00:00:00"]
    assert first("month") == ["2012-03-01T00:00:00", "2012-12-01T00:00:00"]
    assert first("quarter") == ["2012-01-01T00:00:00", "2012-10-01T00:00:00"]
    # 2024-03-05 is a Tuesday, 2024-03-09 a Saturday, 2023-12-31 a Sunday; 2012-01-01 is a Sunday.
    assert first("day") == ["2012-01-01T00:00:00", "2012-01-03T00:00:00", "2012-01-07T00:00:00"]
    assert first("date") == ["2012-01-05T00:00:00", "2012-01-09T00:00:00", "2012-01-31T00:00:00"]
    assert first("hour") == ["2012-01-01T08:00:00", "2012-01-01T13:00:00", "2012-01-01T23:00:00"]
    # Weeks start on Sunday: Tuesday 5 March and Saturday 9 March are in the week of Sunday 3 March.
    assert first("week") == ["2023-12-31T00:00:00", "2024-03-03T00:00:00"]
    assert first("yearmonthdate") == ["2023-12-31T00:00:00", "2024-03-05T00:00:00", "2024-03-09T00:00:00"]
    result = build_chart("data(t) bar x(month(ts)) y(count())", space)
    assert result.spec["encoding"]["x"]["timeUnit"] == "month"
    week = build_chart("data(t) x(week(ts)) y(count())", space)
    assert week.spec["encoding"]["x"]["timeUnit"] == "yearweek"


def test_time_unit_line_with_facet(ns: dict[str, Any]) -> None:
    result = build_chart("data(events) line x(month(ts)) y(mean(latency)) facet(service)", ns)
    assert_valid_vegalite(result.spec)
    events = ns["events"]
    expected = events.groupby([events["ts"].dt.month, "service"])["latency"].mean()
    got = {(int(r["month_ts"][5:7]), r["service"]): r["mean_latency"] for r in values(result)}
    assert got == pytest.approx(expected.to_dict())
    assert result.spec["encoding"]["facet"]["field"] == "service"
    assert result.spec["width"] == 220  # facets have a fixed cell width; "container" is for single views


def test_time_units_on_strings(ns: dict[str, Any]) -> None:
    space = {"t": pd.DataFrame({"day": ["2024-01-05", "2024-02-10", "not a date"]})}
    result = build_chart("data(t) bar x(yearmonth(day)) y(count())", space)
    assert [(r["yearmonth_day"], r["count"]) for r in values(result)] == [
        ("2024-01-01T00:00:00", 1),
        ("2024-02-01T00:00:00", 1),
        (None, 1),
    ]


def test_scatter_over_the_cap_is_sampled_and_says_so(ns: dict[str, Any]) -> None:
    result = build_chart("data(big) x(x) y(y)", ns)
    assert_valid_vegalite(result.spec)
    assert len(values(result)) == 5000
    assert flint_meta(result)["sampled"] is True and flint_meta(result)["rowsIn"] == 12_000
    assert result.spec["title"]["subtitle"] == "showing a sample of 5,000 of 12,000 rows"
    again = build_chart("data(big) x(x) y(y)", ns)
    assert values(again) == values(result)  # seeded: the same command shows the same points
    assert "showing a sample of 5,000 of 12,000 rows" in result.text()


def test_limit_and_settings_raise_the_cap(ns: dict[str, Any]) -> None:
    result = build_chart("data(big) x(x) y(y) limit(20000)", ns)
    assert len(values(result)) == 12_000 and not result.sampled and "title" not in result.spec
    custom = build_chart("data(big) x(x) y(y)", ns, config=ChartSettings(max_rows=1000))
    assert len(values(custom)) == 1000 and custom.spec["title"]["subtitle"].startswith("showing a sample of 1,000 ")
    with pytest.raises(ChartError, match="limit must be from 1 to 200,000 rows"):
        build_chart("data(big) x(x) y(y) limit(1000000)", ns)


def test_too_many_groups_are_cut_visibly(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) bar x(region) y(sum(amount)) sort(-y) limit(2)", ns)
    rows = values(result)
    expected = ns["sales"].groupby("region")["amount"].sum().sort_values(ascending=False)
    assert [r["region"] for r in rows] == list(expected.index[:2])  # the largest groups are kept
    assert result.spec["title"]["subtitle"] == "showing the first 2 of 4 groups"
    assert result.spec["encoding"]["x"]["sort"] == "-y"


def test_filter_with_sql_null_semantics() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": ["x", None, "y", "x"]})
    space = {"t": frame}

    def kept(condition: str) -> list[Any]:
        result = build_chart(f"data(t) x(a) y(b) filter({condition}) limit(100)", space)
        return [r["a"] for r in values(result)]

    assert kept("a > 1") == [2.0, 4.0]
    assert kept("a != 2") == [1.0, 4.0]  # null is neither equal nor unequal
    assert kept("not (a > 1)") == [1.0]  # not unknown is unknown
    assert kept("b == 'x' or a >= 4") == [1.0, 4.0]
    assert kept("b in ('x', 'y')") == [1.0, None, 4.0]
    assert kept("b not in ('x')") == [None]
    assert kept("a is null") == [None]
    assert kept("b is not null and a < 2") == [1.0]


def test_filter_on_timestamps(ns: dict[str, Any]) -> None:
    result = build_chart("data(events) x(ts) y(latency) filter(ts >= '2024-03-01' and service == 'api')", ns)
    events = ns["events"]
    expected = events[(events["ts"] >= "2024-03-01") & (events["service"] == "api")]
    assert flint_meta(result)["rowsIn"] == len(expected)
    assert "WHERE ts >= '2024-03-01' and service == 'api'" in flint_meta(result)["query"]


def test_boxplot_statistics(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales) boxplot x(region) y(amount)", ns)
    assert_valid_vegalite(result.spec)
    assert [layer["mark"]["type"] for layer in result.spec["layer"]] == ["rule", "bar", "tick"]
    stats = ns["sales"].groupby("region")["amount"]
    for row in values(result):
        group = stats.get_group(row["region"]).dropna()
        assert row["lower_amount"] == group.min() and row["upper_amount"] == group.max()
        assert row["q1_amount"] == pytest.approx(group.quantile(0.25))
        assert row["median_amount"] == pytest.approx(group.median())
        assert row["q3_amount"] == pytest.approx(group.quantile(0.75))
        assert row["count_amount"] == len(group)
    horizontal = build_chart("data(sales) boxplot y(region) x(amount) color(region)", ns)
    assert_valid_vegalite(horizontal.spec)
    assert horizontal.spec["layer"][0]["encoding"]["x"]["field"] == "lower_amount"
    faceted = build_chart("data(sales) boxplot x(region) y(amount) facet(year)", ns)
    assert_valid_vegalite(faceted.spec)
    assert faceted.spec["facet"]["field"] == "year"


@pytest.mark.parametrize(
    "command",
    [
        "data(sales) arc y(sum(amount)) color(region)",
        "data(sales) area x(year) y(mean(amount)) color(region)",
        "data(sales) rect x(region) y(year) color(mean(amount))",
        "data(sales) tick x(amount) y(region)",
        "data(df) x(bin(VOLUME)) y(bin(WEIGHT)) color(count()) rect",
        "data(df) x(VOLUME) y(WEIGHT) size(WEIGHT) shape(AUTH) opacity(VOLUME) tooltip(AUTH, VOLUME)",
        "data(events) bar x(day(ts)) y(count()) color(service) facet(service, service)",
        "data(sales) bar x(region) y(mean(amount)) color(year:n) title('Mean by region')",
        "data(sales) bar y(region) x(sum(amount)) sort(-x)",
    ],
)
def test_specs_are_valid_vegalite(ns: dict[str, Any], command: str) -> None:
    assert_valid_vegalite(build_chart(command, ns).spec)


def test_grouped_bars_for_means_and_stacks_for_sums(ns: dict[str, Any]) -> None:
    mean = build_chart("data(sales) bar x(region) y(mean(amount)) color(year)", ns).spec["encoding"]
    assert mean["y"]["stack"] is None and mean["xOffset"] == {"field": "year"}
    total = build_chart("data(sales) bar x(region) y(sum(amount)) color(year)", ns).spec["encoding"]
    assert "stack" not in total["y"] and "xOffset" not in total


def test_arc_uses_theta(ns: dict[str, Any]) -> None:
    spec = build_chart("data(sales) arc y(sum(amount)) color(region) title('Share')", ns).spec
    assert spec["encoding"]["theta"]["field"] == "sum_amount" and spec["title"] == "Share"


def test_odd_column_names_are_escaped_for_vegalite() -> None:
    frame = pd.DataFrame({"a.b": [1, 2], "c[0]": [3, 4], "sum_a.b": [0, 0]})
    result = build_chart("data(t) bar x(`a.b`:n) y(sum(`c[0]`))", {"t": frame})
    enc = result.spec["encoding"]
    assert enc["x"]["field"] == "a\\.b" and enc["y"]["field"] == "sum_c\\[0\\]"
    assert values(result)[0] == {"a.b": 1, "sum_c[0]": 3}


def test_named_index_levels_become_columns() -> None:
    frame = pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]}).groupby("k").sum()
    result = build_chart("data(t) bar x(k) y(v)", {"t": frame})
    assert values(result) == [{"k": "a", "v": 4}, {"k": "b", "v": 2}]


def test_mime_bundle(ns: dict[str, Any]) -> None:
    result = build_chart("data(sales)   bar x(region) y(sum(amount))", ns)
    bundle = result.mimebundle()
    assert set(bundle) == {VEGALITE_MIME, CHART_MIME, "text/plain"}
    assert bundle[CHART_MIME]["command"] == "%chart data(sales)   bar x(region) y(sum(amount))"
    assert bundle[CHART_MIME]["kind"] == "pandas"
    assert bundle["text/plain"] == "<bar chart of sales (pandas, 4 rows)>"
    json.dumps(bundle, allow_nan=False)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("data(df) x(VOLUMN) y(WEIGHT)", "unknown column 'VOLUMN' in data(df); did you mean 'VOLUME'?"),
        ("data(df) x(volume)", "did you mean 'VOLUME'?"),
        ("data(dff) x(VOLUME)", "name 'dff' is not defined; did you mean 'df'?"),
        ("data(not_a_frame) x(a)", "'not_a_frame' is a list, not a pandas or Spark DataFrame"),
        ("x(VOLUME)", "missing data(NAME)"),
        ("data(df) color(AUTH)", "nothing to draw"),
        ("data(df) x(sum(AUTH))", "sum(AUTH) needs a numeric column; 'AUTH' is str"),
        ("data(df) x(bin(AUTH))", "bin(AUTH) needs a numeric column"),
        ("data(df) x(month(VOLUME))", "month(VOLUME) needs a date or timestamp column"),
        ("data(df) color(bin(VOLUME)) x(VOLUME)", "bin(...) works on x(...) and y(...) only"),
        ("data(df) x(VOLUME) filter(AUTH > 3)", "'AUTH' is str; compare it with a quoted value"),
        ("data(df) x(VOLUME) filter(VOLUME > 'a')", "'VOLUME' is numeric (float64); compare it with a number"),
        ("data(df) x(VOLUME) filter(VOLUME == null)", "compare with null using 'VOLUME is null'"),
        ("data(df) x(VOLUME) filter(WEIGTH > 1)", "did you mean 'WEIGHT'?"),
        ("data(df) boxplot y(mean(VOLUME))", "a boxplot computes its statistics itself"),
        ("data(df) boxplot x(AUTH)", "a boxplot needs a numeric column"),
        ("data(df) x(AUTH) y(VOLUME) sort(-size)", "sort takes x, y, -x or -y"),
        ("data(df) x(AUTH) sort(-y)", "sort(-y) needs y(...)"),
        ("data(df) arc x(AUTH)", "an arc chart uses theta(...) (or y(...))"),
        ("data(df) x(AUTH) facet(count())", "facet(...) splits the chart by a column"),
    ],
)
def test_errors_against_the_data(ns: dict[str, Any], command: str, message: str) -> None:
    with pytest.raises(ChartError) as info:
        build_chart(command, ns)
    assert message in str(info.value)
    assert "^" in str(info.value)  # every error points at its place in the command


def test_unknown_column_lists_columns_when_nothing_is_close(ns: dict[str, Any]) -> None:
    with pytest.raises(ChartError, match=r"its columns are: VOLUME, WEIGHT, AUTH"):
        build_chart("data(df) x(zzz)", ns)

"""Carry out a :class:`~flint.chart.plan.ChartPlan` in Spark: only the chart's rows reach the driver.

Filters, bins (``floor((x - start) / step)``), time units (``date_trunc``, ``month`` ...) and
aggregates (``groupBy().agg()``) run in Spark. Rows that are not aggregated are sampled in Spark
(``sample(fraction, seed)`` then ``limit``) once there are more than the limit. Jobs:

- bins: one job for the extents of all binned columns;
- aggregates: one job that returns at most ``limit + 1`` groups (a second one counts them only
  when there are more);
- rows: ``limit + 1`` rows, and only when there are more, a count and a sample.
"""

from __future__ import annotations

import math
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from flint.chart.binning import BinParams, nice_bins
from flint.chart.grammar import BoolOp, ColumnRef, Compare, Condition, InList, IsNull, Not
from flint.chart.plan import BOOLEAN, NOMINAL, QUANTITATIVE, TEMPORAL, UNSUPPORTED, ChartPlan, ColumnInfo, Derived
from flint.chart.result import HIDDEN_ROWS, ChartData, describe, sort_order
from flint.chart.values import records

# percentile_approx accuracy: relative error about 1/10,000 of the group's row count.
PERCENTILE_ACCURACY = 10_000
MAX_PLAN_CHARS = 4000


def col(name: str) -> Column:
    """A column by its exact name: backquotes keep dots and spaces from being read as paths."""
    return F.col("`" + name.replace("`", "``") + "`")


def columns_of(df: DataFrame) -> list[ColumnInfo]:
    """The top-level columns of ``df`` with their kinds (from the schema; runs no job)."""
    out = []
    for f in df.schema.fields:
        dtype = f.dataType
        if isinstance(dtype, T.BooleanType):
            kind = BOOLEAN
        elif isinstance(dtype, T.NumericType):
            kind = QUANTITATIVE
        elif isinstance(dtype, T.DateType | T.TimestampType | T.TimestampNTZType):
            kind = TEMPORAL
        elif isinstance(dtype, T.StringType | T.CharType | T.VarcharType):
            kind = NOMINAL
        else:
            kind = UNSUPPORTED
        integer = isinstance(dtype, T.ByteType | T.ShortType | T.IntegerType | T.LongType)
        out.append(ColumnInfo(f.name, kind, dtype.simpleString(), integer=integer))
    return out


def distinct_at_most(df: DataFrame, name: str, cap: int) -> int:
    """How many distinct values column ``name`` holds, counted up to ``cap + 1`` (one small job)."""
    return df.select(col(name)).where(col(name).isNotNull()).distinct().limit(cap + 1).count()


def run(plan: ChartPlan, df: DataFrame, seed: int) -> ChartData:
    """Filter, derive, aggregate or sample ``df`` in Spark as ``plan`` says."""
    if plan.filter is not None:
        df = df.where(_condition(plan.filter))
    bins = _bin_params(plan, df)
    selected: list[Column] = []
    for d in plan.dimensions:
        selected.extend(_derive(d, bins))
    if plan.boxplot is not None:
        return _boxplot(plan, df, selected, bins)
    if plan.aggregated:
        return _aggregate(plan, df, selected, bins)

    projected = df.select(*selected)
    head = projected.limit(plan.limit + 1).collect()
    if len(head) <= plan.limit:
        return ChartData(
            rows=records(projected.columns, head),
            rows_in=len(head),
            bins=bins,
            query=describe(plan, bins, "spark"),
            spark_plan=_plan_text(projected),
        )
    total = projected.count()
    # A Bernoulli sample of `fraction` falls short of `limit` rows only with negligible chance
    # with this margin (about 10 standard deviations); the limit then cuts the few extra rows.
    expected = plan.limit + 10 * math.sqrt(plan.limit) + 50
    fraction = min(1.0, expected / total)
    sampled = projected.sample(withReplacement=False, fraction=fraction, seed=seed).limit(plan.limit)
    rows = sampled.collect()
    sample = f"SAMPLE {len(rows):,} OF {total:,} ROWS (fraction {fraction:.6g}, seed {seed})"
    return ChartData(
        rows=records(sampled.columns, rows),
        rows_in=total,
        sampled=True,
        bins=bins,
        query=describe(plan, bins, "spark", sample),
        spark_plan=_plan_text(sampled),
    )


def _bin_params(plan: ChartPlan, df: DataFrame) -> dict[str, BinParams]:
    binned = [d for d in plan.dimensions if d.op == "bin"]
    if not binned:
        return {}
    extents = df.agg(
        *[
            agg(col(d.source.name).cast("double")).alias(f"{i}_{agg.__name__}")
            for i, d in enumerate(binned)
            for agg in (F.min, F.max)
        ]
    ).collect()[0]
    params: dict[str, BinParams] = {}
    for i, d in enumerate(binned):
        lo, hi = extents[2 * i], extents[2 * i + 1]
        if lo is not None and hi is not None:
            params[d.name] = nice_bins(float(lo), float(hi), d.maxbins or 10)
    return params


def _derive(d: Derived, bins: dict[str, BinParams]) -> list[Column]:
    source = col(d.source.name)
    if d.op == "column":
        return [source.alias(d.name)]
    if d.op == "bin":
        p = bins.get(d.name)
        assert d.end_name is not None
        if p is None:  # no values at all: every bin is null
            return [F.lit(None).cast("double").alias(d.name), F.lit(None).cast("double").alias(d.end_name)]
        x = source.cast("double")
        clamped = F.least(F.greatest(x, F.lit(p.start)), F.lit(p.stop - p.step))
        start = F.lit(p.start) + F.lit(p.step) * F.floor(F.lit(1e-14) + (clamped - F.lit(p.start)) / F.lit(p.step))
        return [
            F.round(start, p.precision).alias(d.name),
            F.round(start + F.lit(p.step), p.precision).alias(d.end_name),
        ]
    return [time_unit(source, d.source, d.unit or "").alias(d.name)]


def time_unit(c: Column, info: ColumnInfo, unit: str) -> Column:
    """Floor timestamps to a time unit in Spark; units without a year map into 2012 as Vega's do."""
    if info.kind == NOMINAL:
        c = F.try_to_timestamp(c)  # unparsable strings become null instead of failing the job
    truncate = {
        "year": "year",
        "yearquarter": "quarter",
        "yearmonth": "month",
        "yearmonthdate": "day",
        "yearmonthdatehours": "hour",
        "yearmonthdatehoursminutes": "minute",
    }
    if unit in truncate:
        return F.date_trunc(truncate[unit], c)
    if unit == "week":  # weeks that start on Sunday, as Vega's (dayofweek: 1 = Sunday)
        return F.date_sub(F.to_date(c), F.dayofweek(c) - 1).cast("timestamp")
    zero = F.lit(0)

    def at(month: Any = 1, day: Any = 1, hour: Any = zero, minute: Any = zero, second: Any = zero) -> Column:
        as_col = [v if isinstance(v, Column) else F.lit(v) for v in (month, day)]
        return F.make_timestamp(F.lit(2012), as_col[0], as_col[1], hour, minute, second)

    parts = {
        "month": lambda: at(F.month(c)),
        "quarter": lambda: at((F.quarter(c) - 1) * 3 + 1),
        "monthdate": lambda: at(F.month(c), F.dayofmonth(c)),
        "date": lambda: at(1, F.dayofmonth(c)),
        "day": lambda: at(1, F.dayofweek(c)),  # 2012-01-01 is a Sunday, dayofweek(Sunday) = 1
        "dayofyear": lambda: F.date_add(F.make_date(F.lit(2012), F.lit(1), F.lit(1)), F.dayofyear(c) - 1).cast(
            "timestamp"
        ),
        "hours": lambda: at(hour=F.hour(c)),
        "minutes": lambda: at(minute=F.minute(c)),
        "seconds": lambda: at(second=F.second(c)),
        "hoursminutes": lambda: at(hour=F.hour(c), minute=F.minute(c)),
    }
    return parts[unit]()


def _measure(aggregate: str, source: Column | None) -> Column:
    if source is None:
        return F.count(F.lit(1))
    return {
        "count": F.count,
        "sum": F.sum,
        "mean": F.avg,
        "median": F.median,
        "min": F.min,
        "max": F.max,
        "distinct": F.count_distinct,
        "stdev": F.stddev_samp,
        "variance": F.var_samp,
    }[aggregate](source)


def _aggregate(plan: ChartPlan, df: DataFrame, selected: list[Column], bins: dict[str, BinParams]) -> ChartData:
    hidden: dict[str, str] = {}
    for i, m in enumerate(plan.measures):
        if m.source is not None and m.source.name not in hidden:
            hidden[m.source.name] = f"__m{i}"
    projected = df.select(*selected, *[col(name).alias(alias) for name, alias in hidden.items()])
    aggs = [
        _measure(m.aggregate, col(hidden[m.source.name]) if m.source is not None else None).alias(m.name)
        for m in plan.measures
    ]
    keys = plan.group_keys
    grouped = projected.groupBy(*[col(k) for k in keys]).agg(*aggs, F.count(F.lit(1)).alias(HIDDEN_ROWS))
    return _collect_groups(plan, grouped, bins)


def _collect_groups(plan: ChartPlan, grouped: DataFrame, bins: dict[str, BinParams]) -> ChartData:
    order = sort_order(plan)
    ordered = (
        grouped.orderBy(*[col(n).desc_nulls_last() if d else col(n).asc_nulls_last() for n, d in order])
        if order
        else grouped
    )
    rows = ordered.limit(plan.limit + 1).collect()
    names = [c for c in ordered.columns if c != HIDDEN_ROWS]
    position = ordered.columns.index(HIDDEN_ROWS)
    cut = len(rows) > plan.limit
    if cut:
        totals = grouped.agg(F.count(F.lit(1)), F.sum(col(HIDDEN_ROWS))).collect()[0]
        total_groups, rows_in = int(totals[0]), int(totals[1] or 0)
        rows = rows[: plan.limit]
    else:
        total_groups, rows_in = len(rows), sum(int(r[position]) for r in rows)
    # A global aggregate of an empty input still gives one row (count 0): it held no input rows.
    visible = [[v for i, v in enumerate(r) if i != position] for r in rows]
    return ChartData(
        rows=records(names, visible),
        rows_in=rows_in,
        groups_cut=cut,
        total_groups=total_groups,
        bins=bins,
        query=describe(plan, bins, "spark"),
        spark_plan=_plan_text(grouped),
    )


def _boxplot(plan: ChartPlan, df: DataFrame, selected: list[Column], bins: dict[str, BinParams]) -> ChartData:
    assert plan.boxplot is not None
    names = plan.boxplot.names
    projected = df.select(*selected, col(plan.boxplot.value.name).cast("double").alias("__v"))
    v = F.col("__v")
    grouped = projected.groupBy(*[col(k) for k in plan.group_keys]).agg(
        F.min(v).alias(names["lower"]),
        F.percentile_approx(v, [0.25, 0.5, 0.75], PERCENTILE_ACCURACY).alias("__q"),
        F.max(v).alias(names["upper"]),
        F.count(v).alias(names["count"]),
        F.count(F.lit(1)).alias(HIDDEN_ROWS),
    )
    q = F.col("__q")
    shaped = grouped.select(
        *[col(k) for k in plan.group_keys],
        col(names["lower"]),
        q.getItem(0).alias(names["q1"]),
        q.getItem(1).alias(names["median"]),
        q.getItem(2).alias(names["q3"]),
        col(names["upper"]),
        col(names["count"]),
        col(HIDDEN_ROWS),
    )
    return _collect_groups(plan, shaped, bins)


def _literal(value: Any) -> Column:
    return F.lit(value)


def _condition(cond: Condition) -> Column:
    """A Spark boolean column for a filter; user values only ever become literals, never SQL text."""
    if isinstance(cond, BoolOp):
        left, right = _condition(cond.left), _condition(cond.right)
        return (left & right) if cond.op == "and" else (left | right)
    if isinstance(cond, Not):
        # NOT of a comparison with null stays null (false in a filter), as in SQL.
        return ~_condition(cond.operand)
    column = col(cond.column.name)
    if isinstance(cond, IsNull):
        return column.isNotNull() if cond.negated else column.isNull()
    if isinstance(cond, InList):
        test = column.isin([v.value for v in cond.values])
        return ~test if cond.negated else test
    assert isinstance(cond, Compare)
    other = col(cond.operand.name) if isinstance(cond.operand, ColumnRef) else _literal(cond.operand.value)
    return {
        "==": column == other,
        "!=": column != other,
        "<": column < other,
        "<=": column <= other,
        ">": column > other,
        ">=": column >= other,
    }[cond.op]


def _plan_text(df: DataFrame) -> str | None:
    """Spark's optimized logical plan of the chart's query (classic Spark only; Connect has no JVM handle)."""
    try:
        text = str(df._jdf.queryExecution().optimizedPlan().toString())  # noqa: SLF001
    except Exception:  # noqa: BLE001 - Spark Connect, or a plan Spark cannot print: the plan is optional
        return None
    return text if len(text) <= MAX_PLAN_CHARS else text[: MAX_PLAN_CHARS - 1] + "\u2026"

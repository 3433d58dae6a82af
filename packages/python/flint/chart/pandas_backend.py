"""Carry out a :class:`~flint.chart.plan.ChartPlan` on a pandas DataFrame."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from flint.chart.binning import BinParams, nice_bins
from flint.chart.grammar import BoolOp, ColumnRef, Compare, Condition, InList, IsNull, Not
from flint.chart.plan import BOOLEAN, NOMINAL, QUANTITATIVE, TEMPORAL, UNSUPPORTED, ChartPlan, ColumnInfo, Derived
from flint.chart.result import ChartData, describe, sort_order
from flint.chart.values import records

REFERENCE = pd.Timestamp("2012-01-01")  # Vega's reference year for time units without a year


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Named index levels become columns (``df.groupby(...).sum()`` results chart as users expect)."""
    names = [n for n in df.index.names if n is not None and n not in df.columns]
    if names:
        df = df.reset_index(level=names)
    return df


def columns_of(df: pd.DataFrame) -> list[ColumnInfo]:
    """The columns of ``df`` with their kinds."""
    out = []
    for name, dtype in df.dtypes.items():
        if not isinstance(name, str):
            name = str(name)
        if pd.api.types.is_bool_dtype(dtype):
            kind = BOOLEAN
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
            kind = QUANTITATIVE
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = TEMPORAL
        elif pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
            kind = UNSUPPORTED
        else:
            kind = NOMINAL
        out.append(ColumnInfo(name, kind, str(dtype), integer=pd.api.types.is_integer_dtype(dtype)))
    return out


def distinct_at_most(df: pd.DataFrame, name: str, cap: int) -> int:
    """How many distinct values column ``name`` holds, counted up to ``cap + 1``."""
    column = df[name] if name in df.columns else df.rename(columns=str)[name]
    return min(int(column.nunique(dropna=True)), cap + 1)


def run(plan: ChartPlan, df: pd.DataFrame, seed: int) -> ChartData:
    """Filter, derive, aggregate or sample ``df`` as ``plan`` says."""
    df = df.rename(columns={c: str(c) for c in df.columns if not isinstance(c, str)})
    if plan.filter is not None:
        df = df[_condition(plan.filter, df).fillna(False).astype(bool)]  # unknown → dropped
    rows_in = len(df)
    out = pd.DataFrame(index=df.index)
    bins: dict[str, BinParams] = {}
    for d in plan.dimensions:
        _derive(d, df, out, bins)

    if plan.boxplot is not None:
        frame = _boxplot(plan, df, out)
        return _finish(plan, frame, rows_in, bins)
    if plan.aggregated:
        return _finish(plan, _aggregate(plan, df, out), rows_in, bins)

    sampled = len(out) > plan.limit
    frame = out.sample(n=plan.limit, random_state=seed).sort_index() if sampled else out
    sample = f"SAMPLE {plan.limit:,} OF {rows_in:,} ROWS (seed {seed})" if sampled else None
    data = ChartData(
        rows=records(list(frame.columns), frame.itertuples(index=False, name=None)),  # type: ignore[arg-type]
        rows_in=rows_in,
        sampled=sampled,
        bins=bins,
        query=describe(plan, bins, "pandas", sample),
    )
    return data


def _finish(plan: ChartPlan, frame: pd.DataFrame, rows_in: int, bins: dict[str, BinParams]) -> ChartData:
    order = [(n, d) for n, d in sort_order(plan) if n in frame.columns]
    if order:
        try:
            frame = frame.sort_values(
                [n for n, _ in order], ascending=[not d for _, d in order], na_position="last", kind="stable"
            )
        except TypeError:
            pass  # keys of mixed types (an object column of numbers and text) cannot be ordered; keep them as found
    total = len(frame)
    cut = total > plan.limit
    if cut:
        frame = frame.head(plan.limit)
    return ChartData(
        rows=records(list(frame.columns), frame.itertuples(index=False, name=None)),  # type: ignore[arg-type]
        rows_in=rows_in,
        groups_cut=cut,
        total_groups=total,
        bins=bins,
        query=describe(plan, bins, "pandas"),
    )


def _derive(d: Derived, df: pd.DataFrame, out: pd.DataFrame, bins: dict[str, BinParams]) -> None:
    source = df[d.source.name]
    if d.op == "column":
        out[d.name] = source
    elif d.op == "bin":
        values = pd.to_numeric(source, errors="coerce").astype("float64")
        lo, hi = values.min(), values.max()
        if pd.isna(lo) or pd.isna(hi):
            out[d.name] = np.nan
            out[d.end_name] = np.nan
            return
        params = nice_bins(float(lo), float(hi), d.maxbins or 10)
        bins[d.name] = params
        clamped = values.clip(lower=params.start, upper=params.stop - params.step)
        start = params.start + params.step * np.floor(1e-14 + (clamped - params.start) / params.step)
        out[d.name] = start.round(params.precision)
        out[d.end_name] = (start + params.step).round(params.precision)
    else:
        out[d.name] = time_unit(source, d.unit or "")


def time_unit(series: pd.Series, unit: str) -> pd.Series:
    """Floor timestamps to a time unit; units without a year map into 2012 as Vega's do."""
    s = series
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # keep the wall time of the column's own zone
    truncate = {"year": "Y", "yearquarter": "Q", "yearmonth": "M"}
    if unit in truncate:
        return s.dt.to_period(truncate[unit]).dt.to_timestamp()
    if unit == "week":
        return s.dt.to_period("W-SAT").dt.start_time  # weeks that start on Sunday, as Vega's
    floors = {"yearmonthdate": "D", "yearmonthdatehours": "h", "yearmonthdatehoursminutes": "min"}
    if unit in floors:
        return s.dt.floor(floors[unit])

    def days(n: pd.Series) -> pd.Series:
        return pd.to_timedelta(n, unit="D")

    if unit == "month":
        return _make_date(s.dt.month, 1)
    if unit == "quarter":
        return _make_date((s.dt.quarter - 1) * 3 + 1, 1)
    if unit == "monthdate":
        return _make_date(s.dt.month, s.dt.day)
    if unit == "date":
        return REFERENCE + days(s.dt.day - 1)
    if unit == "day":
        return REFERENCE + days((s.dt.day_of_week + 1) % 7)  # 2012-01-01 is a Sunday
    if unit == "dayofyear":
        return REFERENCE + days(s.dt.day_of_year - 1)
    if unit == "hours":
        return REFERENCE + pd.to_timedelta(s.dt.hour, unit="h")
    if unit == "minutes":
        return REFERENCE + pd.to_timedelta(s.dt.minute, unit="min")
    if unit == "seconds":
        return REFERENCE + pd.to_timedelta(s.dt.second, unit="s")
    if unit == "hoursminutes":
        return REFERENCE + pd.to_timedelta(s.dt.hour * 60 + s.dt.minute, unit="min")
    raise ValueError(f"unknown time unit {unit}")  # the parser only lets known units through


def _make_date(month: pd.Series, day: Any) -> pd.Series:
    parts = pd.DataFrame({"year": 2012, "month": month, "day": day}, index=month.index)
    return pd.to_datetime(parts, errors="coerce")


_AGG = {"mean": "mean", "median": "median", "min": "min", "max": "max", "stdev": "std", "variance": "var"}


def _aggregate(plan: ChartPlan, df: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    keys = plan.group_keys
    work = out[keys].copy() if keys else pd.DataFrame(index=out.index)
    sources: dict[str, str] = {}
    for i, m in enumerate(plan.measures):
        if m.source is not None and m.source.name not in sources:
            sources[m.source.name] = f"__m{i}"
            work[sources[m.source.name]] = df[m.source.name]
    results: dict[str, pd.Series] = {}
    if keys:
        grouped = work.groupby(keys, dropna=False, sort=False)
        size = grouped.size()
    else:
        grouped = None
        size = pd.Series([len(work)])
    for m in plan.measures:
        if m.source is None:
            results[m.name] = size
            continue
        col = sources[m.source.name]
        target = grouped[col] if grouped is not None else work[col]
        if m.aggregate == "count":
            value = target.count()
        elif m.aggregate == "distinct":
            value = target.nunique(dropna=True)
        elif m.aggregate == "sum":
            value = target.sum(min_count=1)  # all-null groups give null, as in Spark and SQL
        else:
            value = getattr(target, _AGG[m.aggregate])()
        results[m.name] = value if grouped is not None else pd.Series([value])
    if grouped is None:
        return pd.DataFrame({name: series.to_numpy() for name, series in results.items()})
    frame = pd.DataFrame(results) if results else pd.DataFrame(index=size.index)
    return frame.reset_index()


def _boxplot(plan: ChartPlan, df: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    assert plan.boxplot is not None
    names = plan.boxplot.names
    keys = plan.group_keys
    value = pd.to_numeric(df[plan.boxplot.value.name], errors="coerce")
    work = out[keys].copy() if keys else pd.DataFrame(index=out.index)
    work["__v"] = value

    def stats(v: pd.Series) -> pd.Series:
        v = v.dropna()
        if v.empty:
            return pd.Series(
                {names[k]: math.nan for k in ("lower", "q1", "median", "q3", "upper")} | {names["count"]: 0}
            )
        q = v.quantile([0.25, 0.5, 0.75])
        return pd.Series(
            {
                names["lower"]: v.min(),
                names["q1"]: q.iloc[0],
                names["median"]: q.iloc[1],
                names["q3"]: q.iloc[2],
                names["upper"]: v.max(),
                names["count"]: len(v),
            }
        )

    if not keys:
        frame = stats(work["__v"]).to_frame().T
    else:
        frame = work.groupby(keys, dropna=False, sort=False)["__v"].apply(stats).unstack().reset_index()
    frame[names["count"]] = frame[names["count"]].astype("int64")
    return frame


def _condition(cond: Condition, df: pd.DataFrame) -> pd.Series:
    """A mask for a filter with SQL's three-valued logic: a comparison with a missing value is
    unknown (``pd.NA``), ``not unknown`` stays unknown, and unknown rows are dropped at the end,
    the same rows Spark drops."""
    if isinstance(cond, BoolOp):
        left, right = _condition(cond.left, df), _condition(cond.right, df)
        return (left & right) if cond.op == "and" else (left | right)
    if isinstance(cond, Not):
        return ~_condition(cond.operand, df)
    column = df[cond.column.name]
    if isinstance(cond, IsNull):
        mask = column.isna()
        return (~mask if cond.negated else mask).astype("boolean")
    if isinstance(cond, InList):
        result = column.isin([_coerce(column, v.value) for v in cond.values]).astype("boolean")
        result[column.isna()] = pd.NA
        return ~result if cond.negated else result
    assert isinstance(cond, Compare)
    other = df[cond.operand.name] if isinstance(cond.operand, ColumnRef) else _coerce(column, cond.operand.value)
    ops = {
        "==": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    result = ops[cond.op](other).astype("boolean")
    unknown = column.isna()
    if isinstance(other, pd.Series):
        unknown |= other.isna()
    result[unknown] = pd.NA
    return result


def _coerce(column: pd.Series, value: Any) -> Any:
    # Compare timestamps with timestamps: "2024-01-01" against a datetime column.
    if isinstance(value, str) and pd.api.types.is_datetime64_any_dtype(column):
        stamp = pd.Timestamp(value)
        tz = getattr(column.dt, "tz", None)
        if tz is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(tz)
        return stamp
    return value

"""Check a parsed ``%chart`` command against a DataFrame's columns and plan the computation.

The plan is the same for pandas and Spark: filter, derive bins and time units, then either group
and aggregate (any aggregate in the command, or a boxplot) or keep rows (sampled above a cap).
:mod:`flint.chart.pandas_backend` and :mod:`flint.chart.spark_backend` carry it out, and
:mod:`flint.chart.spec` turns the result into Vega-Lite with pre-aggregated fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flint.chart.errors import ChartError, Span, did_you_mean
from flint.chart.grammar import (
    NUMERIC_AGGREGATES,
    BoolOp,
    ChartCommand,
    ColumnRef,
    Compare,
    Condition,
    FieldExpr,
    InList,
    IsNull,
    Literal,
    Not,
)

# Kinds of columns, from the DataFrame's types.
QUANTITATIVE = "quantitative"
TEMPORAL = "temporal"
NOMINAL = "nominal"
BOOLEAN = "boolean"
UNSUPPORTED = "unsupported"

# Marks whose default grouping of a number on a position axis reads better as categories.
CATEGORICAL_MARKS = ("bar", "rect", "boxplot", "tick")


@dataclass(frozen=True)
class ColumnInfo:
    """One column of the source: its name, its kind (see the constants above) and its type's name."""

    name: str
    kind: str
    dtype: str
    integer: bool = False


@dataclass(frozen=True)
class Derived:
    """A per-row field of the output: the column itself, its bin, or its time unit."""

    name: str
    op: str  # "column" | "bin" | "timeunit"
    source: ColumnInfo
    maxbins: int | None = None
    unit: str | None = None
    end_name: str | None = None  # the bin's upper bound ("bin" only)


@dataclass(frozen=True)
class Measure:
    """An aggregate of the output: ``aggregate(source)``; ``count()`` has no source."""

    name: str
    aggregate: str
    source: ColumnInfo | None


@dataclass(frozen=True)
class Encoded:
    """What one channel shows: an output field with its Vega-Lite type and title."""

    channel: str
    name: str
    vl_type: str
    title: str
    derived: Derived | None = None
    measure: Measure | None = None
    explicit_type: bool = False


@dataclass(frozen=True)
class BoxplotPlan:
    """A boxplot: statistics of ``value`` per group; ``orient`` is the axis the values run along."""

    value: ColumnInfo
    orient: str  # "y" (vertical boxes) or "x"
    names: dict[str, str]  # statistic ("lower", "q1", "median", "q3", "upper", "count") -> output field


@dataclass
class ChartPlan:
    """Everything needed to compute and draw a chart, independent of pandas or Spark."""

    command: ChartCommand
    source: str
    mark: str
    aggregated: bool
    dimensions: list[Derived]
    measures: list[Measure]
    encodings: dict[str, list[Encoded]]
    filter: Condition | None
    limit: int
    columns: dict[str, ColumnInfo]
    boxplot: BoxplotPlan | None = None
    mark_was_given: bool = True
    output_names: set[str] = field(default_factory=set)

    @property
    def group_keys(self) -> list[str]:
        """Output fields the aggregation groups by (each dimension and, for bins, its upper bound)."""
        keys: list[str] = []
        for d in self.dimensions:
            keys.append(d.name)
            if d.end_name:
                keys.append(d.end_name)
        return keys


def column_error(command: ChartCommand, ref: ColumnRef, columns: dict[str, ColumnInfo]) -> ChartError:
    """ "unknown column" with the closest names of the source's columns."""
    source = command.data.name if command.data else "the data"
    hint = did_you_mean(ref.name, columns)
    if not hint:
        shown = ", ".join(list(columns)[:12]) + (", ..." if len(columns) > 12 else "")
        hint = f"; its columns are: {shown}" if columns else "; it has no columns"
    return command.error(f"unknown column '{ref.name}' in data({source}){hint}", ref.span)


class _Planner:
    def __init__(self, command: ChartCommand, columns: list[ColumnInfo], limit: int, max_limit: int) -> None:
        self.command = command
        self.columns = {c.name: c for c in columns}
        self.limit = limit
        self.max_limit = max_limit
        self.dimensions: dict[tuple[str, str, object], Derived] = {}
        self.measures: dict[tuple[str, str | None], Measure] = {}
        self.used_names: set[str] = set()

    def column(self, ref: ColumnRef) -> ColumnInfo:
        info = self.columns.get(ref.name)
        if info is None:
            raise column_error(self.command, ref, self.columns)
        if info.kind == UNSUPPORTED:
            raise self.command.error(f"column '{ref.name}' has type {info.dtype}, which cannot be charted", ref.span)
        return info

    def unique_name(self, base: str, reserved: bool = False) -> str:
        # Output names must not collide with each other or with source columns used as fields.
        name = base
        counter = 1
        while name in self.used_names or (not reserved and name in self.columns):
            counter += 1
            name = f"{base}_{counter}"
        self.used_names.add(name)
        return name

    def plan(self) -> ChartPlan:
        cmd = self.command
        if cmd.data is None:
            raise cmd.error(
                "missing data(NAME): say which DataFrame to chart, e.g. %chart data(df) x(a) y(b)",
                Span(len(cmd.text), len(cmd.text)),
            )
        limit = self.limit if cmd.limit is None else cmd.limit
        if not 1 <= limit <= self.max_limit:
            raise cmd.error(f"limit must be from 1 to {self.max_limit:,} rows", cmd.limit_span)

        encodings = {channel: list(fields) for channel, fields in cmd.encodings.items()}
        mark = cmd.mark
        if mark == "arc":
            if "x" in encodings:
                raise cmd.error(
                    "an arc chart uses theta(...) (or y(...)) and color(...), not x(...)", cmd.channel_spans["x"]
                )
            if "y" in encodings:
                if "theta" in encodings:
                    raise cmd.error(
                        "give either theta(...) or y(...) for an arc chart, not both", cmd.channel_spans["y"]
                    )
                encodings["theta"] = encodings.pop("y")
        elif "theta" in encodings:
            raise cmd.error("theta(...) is only for arc charts: add 'arc'", cmd.channel_spans["theta"])
        if not any(ch in encodings for ch in ("x", "y", "theta")):
            raise cmd.error(
                "nothing to draw: give x(...) and/or y(...), e.g. %chart data(df) x(a) y(b)",
                Span(len(cmd.text), len(cmd.text)),
            )
        # Reserve the names of raw columns used as fields, so derived names avoid them.
        for fields in encodings.values():
            for f in fields:
                if f.column is not None and f.aggregate is None and f.bin is None and f.time_unit is None:
                    self.used_names.add(f.column.name)

        if mark == "boxplot":
            return self.plan_boxplot(encodings, limit)

        is_aggregated = any(f.aggregate for fields in encodings.values() for f in fields)
        planned: dict[str, list[Encoded]] = {}
        for channel, fields in encodings.items():
            planned[channel] = [self.encode(channel, f, is_aggregated) for f in fields]
        self.check_channels(planned)

        mark_was_given = mark is not None
        if mark is None:
            mark = self.default_mark(planned, is_aggregated)
        if cmd.sort is not None and cmd.sort.channel not in planned:
            raise cmd.error(
                f"sort({'-' if cmd.sort.descending else ''}{cmd.sort.channel}) needs {cmd.sort.channel}(...)",
                cmd.sort.span,
            )
        return ChartPlan(
            command=cmd,
            source=cmd.data.name,
            mark=mark,
            aggregated=is_aggregated,
            dimensions=list(self.dimensions.values()),
            measures=list(self.measures.values()),
            encodings=planned,
            filter=self.check_condition(cmd.filter) if cmd.filter is not None else None,
            limit=limit,
            columns=self.columns,
            mark_was_given=mark_was_given,
            output_names=set(self.used_names),
        )

    # -- fields -------------------------------------------------------------------------------
    def encode(self, channel: str, f: FieldExpr, is_aggregated: bool) -> Encoded:
        cmd = self.command
        if f.aggregate is not None:
            if channel == "facet":
                raise cmd.error("facet(...) splits the chart by a column; it cannot be an aggregate", f.span)
            info = self.column(f.column) if f.column is not None else None
            if f.aggregate in NUMERIC_AGGREGATES and info is not None and info.kind != QUANTITATIVE:
                raise cmd.error(
                    f"{f.aggregate}({info.name}) needs a numeric column; '{info.name}' is {info.dtype}"
                    " (count(...) and distinct(...) work with any column)",
                    f.span,
                )
            if f.aggregate in ("min", "max") and info is not None and info.kind not in (QUANTITATIVE, TEMPORAL):
                raise cmd.error(
                    f"{f.aggregate}({info.name}) needs a number or a date; '{info.name}' is {info.dtype}", f.span
                )
            measure = self.measure(f.aggregate, info)
            vl_type = f.type or (
                TEMPORAL if f.aggregate in ("min", "max") and info and info.kind == TEMPORAL else QUANTITATIVE
            )
            return Encoded(
                channel, measure.name, vl_type, f.describe(), measure=measure, explicit_type=f.type is not None
            )

        assert f.column is not None
        info = self.column(f.column)
        if f.bin is not None:
            if channel not in ("x", "y"):
                raise cmd.error("bin(...) works on x(...) and y(...) only", f.span)
            if info.kind != QUANTITATIVE:
                raise cmd.error(f"bin({info.name}) needs a numeric column; '{info.name}' is {info.dtype}", f.span)
            derived = self.dimension("bin", info, maxbins=f.bin)
            return Encoded(channel, derived.name, QUANTITATIVE, f"{info.name} (binned)", derived=derived)
        if f.time_unit is not None:
            if info.kind not in (TEMPORAL, NOMINAL):
                raise cmd.error(
                    f"{f.time_unit}({info.name}) needs a date or timestamp column; '{info.name}' is {info.dtype}",
                    f.span,
                )
            derived = self.dimension("timeunit", info, unit=f.time_unit)
            return Encoded(
                channel,
                derived.name,
                f.type or TEMPORAL,
                f.describe(),
                derived=derived,
                explicit_type=f.type is not None,
            )
        derived = self.dimension("column", info)
        default = {QUANTITATIVE: QUANTITATIVE, TEMPORAL: TEMPORAL}.get(info.kind, NOMINAL)
        if channel == "shape" and default == QUANTITATIVE:
            default = "ordinal"  # shapes are discrete
        return Encoded(
            channel, derived.name, f.type or default, info.name, derived=derived, explicit_type=f.type is not None
        )

    def dimension(self, op: str, info: ColumnInfo, maxbins: int | None = None, unit: str | None = None) -> Derived:
        key = (op, info.name, maxbins if op == "bin" else unit)
        existing = self.dimensions.get(key)
        if existing is not None:
            return existing
        if op == "column":
            derived = Derived(info.name, op, info)
        elif op == "bin":
            name = self.unique_name(f"bin_{info.name}")
            derived = Derived(name, op, info, maxbins=maxbins, end_name=self.unique_name(f"{name}_end"))
        else:
            derived = Derived(self.unique_name(f"{unit}_{info.name}"), op, info, unit=unit)
        self.dimensions[key] = derived
        return derived

    def measure(self, aggregate: str, info: ColumnInfo | None) -> Measure:
        key = (aggregate, info.name if info else None)
        existing = self.measures.get(key)
        if existing is None:
            base = aggregate if info is None else f"{aggregate}_{info.name}"
            existing = Measure(self.unique_name(base), aggregate, info)
            self.measures[key] = existing
        return existing

    def check_channels(self, planned: dict[str, list[Encoded]]) -> None:
        cmd = self.command
        if cmd.mark == "arc" and "theta" not in planned:
            raise cmd.error(
                "an arc chart needs theta(...) or y(...), e.g. arc y(sum(amount)) color(region)",
                Span(len(cmd.text), len(cmd.text)),
            )

    def default_mark(self, planned: dict[str, list[Encoded]], is_aggregated: bool) -> str:
        """point, unless the chart is an aggregate over bins or categories (bar) or over time (line)."""
        if not is_aggregated:
            return "point"
        x = planned.get("x", [None])[0]
        y = planned.get("y", [None])[0]
        for axis in (x, y):
            if axis is not None and axis.derived is not None and axis.derived.op == "bin":
                return "bar"
        if x is not None and x.derived is not None and (x.derived.op == "timeunit" or x.vl_type == TEMPORAL):
            return "line"
        for axis in (x, y):
            if axis is not None and axis.measure is None and axis.vl_type in (NOMINAL, "ordinal"):
                return "bar"
        return "point"

    # -- boxplot ------------------------------------------------------------------------------
    def plan_boxplot(self, encodings: dict[str, list[FieldExpr]], limit: int) -> ChartPlan:
        cmd = self.command
        for channel, fields in encodings.items():
            for f in fields:
                if f.aggregate is not None:
                    plain = f.column.name if f.column else "column"
                    raise cmd.error(
                        f"a boxplot computes its statistics itself: write {channel}({plain}), "
                        f"not {channel}({f.describe()})",
                        f.span,
                    )
        x = encodings.get("x", [None])[0]
        y = encodings.get("y", [None])[0]

        def is_continuous(f: FieldExpr | None) -> bool:
            return (
                f is not None
                and f.bin is None
                and f.time_unit is None
                and f.column is not None
                and self.column(f.column).kind == QUANTITATIVE
                and f.type in (None, QUANTITATIVE)
            )

        if is_continuous(y):
            orient, value_field, group_field = "y", y, x
        elif is_continuous(x):
            orient, value_field, group_field = "x", x, y
        else:
            span = (y or x).span  # type: ignore[union-attr]
            raise cmd.error("a boxplot needs a numeric column on y(...) (or on x(...) for horizontal boxes)", span)
        assert value_field is not None and value_field.column is not None
        value = self.column(value_field.column)
        planned: dict[str, list[Encoded]] = {}
        group_channel = "x" if orient == "y" else "y"
        if group_field is not None:
            enc = self.encode(group_channel, group_field, True)
            if enc.vl_type == QUANTITATIVE and (enc.derived is None or enc.derived.op != "bin"):
                enc = Encoded(enc.channel, enc.name, "ordinal", enc.title, derived=enc.derived)
            planned[group_channel] = [enc]
        for channel in ("color", "facet", "opacity", "shape", "size", "tooltip"):
            if channel in encodings:
                planned[channel] = [self.encode(channel, f, True) for f in encodings[channel]]
        names = {stat: self.unique_name(f"{stat}_{value.name}") for stat in ("lower", "q1", "median", "q3", "upper")}
        names["count"] = self.unique_name(f"count_{value.name}")
        if cmd.sort is not None:
            raise cmd.error("sort(...) is not supported for boxplots", cmd.sort.span)
        return ChartPlan(
            command=cmd,
            source=cmd.data.name,  # type: ignore[union-attr]
            mark="boxplot",
            aggregated=True,
            dimensions=list(self.dimensions.values()),
            measures=[],
            encodings=planned,
            filter=self.check_condition(cmd.filter) if cmd.filter is not None else None,
            limit=limit,
            columns=self.columns,
            boxplot=BoxplotPlan(value, orient, names),
            output_names=set(self.used_names),
        )

    # -- filter -------------------------------------------------------------------------------
    def check_condition(self, cond: Condition) -> Condition:
        if isinstance(cond, BoolOp):
            self.check_condition(cond.left)
            self.check_condition(cond.right)
        elif isinstance(cond, Not):
            self.check_condition(cond.operand)
        elif isinstance(cond, IsNull):
            self.column(cond.column)
        elif isinstance(cond, InList):
            info = self.column(cond.column)
            for value in cond.values:
                self.check_literal(info, value)
        elif isinstance(cond, Compare):
            info = self.column(cond.column)
            if isinstance(cond.operand, ColumnRef):
                self.column(cond.operand)
            else:
                if cond.operand.value is None:
                    word = "is not null" if cond.op == "!=" else "is null"
                    raise self.command.error(f"compare with null using '{cond.column.name} {word}'", cond.span)
                self.check_literal(info, cond.operand)
        return cond

    def check_literal(self, info: ColumnInfo, literal: Literal) -> None:
        value = literal.value
        if info.kind == QUANTITATIVE and isinstance(value, str):
            raise self.command.error(f"'{info.name}' is numeric ({info.dtype}); compare it with a number", literal.span)
        if info.kind in (NOMINAL, TEMPORAL) and isinstance(value, bool | int | float):
            raise self.command.error(f"'{info.name}' is {info.dtype}; compare it with a quoted value", literal.span)
        if info.kind == BOOLEAN and not isinstance(value, bool):
            raise self.command.error(f"'{info.name}' is {info.dtype}; compare it with true or false", literal.span)


def make_plan(command: ChartCommand, columns: list[ColumnInfo], limit: int, max_limit: int) -> ChartPlan:
    """Check ``command`` against ``columns`` and return the plan; raises :class:`ChartError`."""
    return _Planner(command, columns, limit, max_limit).plan()

"""``%chart``: a one-line chart of a pandas or Spark DataFrame, drawn as Vega-Lite v6.

Examples::

    %chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)
    %chart data(sales) bar x(region) y(sum(amount)) color(year)
    %chart data(trips) x(bin(distance, 30)) y(count())
    %chart data(events) line x(month(ts)) y(mean(latency)) facet(service)

The grammar is in ``packages/charts/README.md``. For a Spark DataFrame the filter, bins, time
units and aggregates run in Spark and only the chart's rows reach the kernel; rows that are not
aggregated are sampled in Spark above :attr:`ChartSettings.max_rows` (or ``limit(N)``), and the
chart says so. The output is a MIME bundle with

- ``application/vnd.vegalite.v6+json``: the spec, data inline, ``usermeta.flint`` describing
  where the rows came from;
- ``application/vnd.flint.chart+json``: ``{"command": "%chart ...", ...}`` so the UI can reopen
  the chart in its builder;
- ``text/plain``: a one-line summary.

The kernel extension calls :func:`register` (``flint.chart.register(ip)``); ``%load_ext
flint.chart`` does the same by hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flint.chart.errors import ChartError, did_you_mean
from flint.chart.grammar import ChartCommand, FieldExpr, parse
from flint.chart.plan import ChartPlan, make_plan
from flint.chart.result import ChartData
from flint.chart.spec import build_spec, notes

__all__ = [
    "CHART_MIME",
    "VEGALITE_MIME",
    "ChartError",
    "ChartResult",
    "ChartSettings",
    "build_chart",
    "load_ipython_extension",
    "parse",
    "register",
    "settings",
]

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
CHART_MIME = "application/vnd.flint.chart+json"


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class ChartSettings:
    """Module-wide settings; change ``flint.chart.settings.max_rows`` in a notebook to raise the cap."""

    #: Rows a chart that is not aggregated shows at most before it is sampled (``limit(N)`` per chart).
    max_rows: int = field(default_factory=lambda: _env_int("FLINT_CHART_MAX_ROWS", 5000))
    #: The largest ``limit(N)`` allowed: the browser refuses specs with more than 200,000 rows.
    max_limit: int = 200_000
    #: Seed of the sample, so the same command shows the same points.
    seed: int = 42


settings = ChartSettings()


@dataclass
class ChartResult:
    """A computed chart: the spec, the command it came from, and how its rows were obtained."""

    command: str
    spec: dict[str, Any]
    plan: ChartPlan
    data: ChartData
    kind: str

    @property
    def sampled(self) -> bool:
        """True when the chart shows a sample of the rows."""
        return self.data.sampled

    def chart_metadata(self) -> dict[str, Any]:
        """The ``application/vnd.flint.chart+json`` entry: enough for the UI to reopen the chart."""
        return {
            "version": 1,
            "command": self.command,
            "source": self.plan.source,
            "kind": self.kind,
            "mark": self.plan.mark,
            "rowsIn": self.data.rows_in,
            "rowsOut": self.data.rows_out,
            "sampled": self.data.sampled,
            # The source's columns and types, so the builder can reopen the chart without a table.
            "columns": [{"name": c.name, "type": c.dtype} for c in self.plan.columns.values()],
        }

    def text(self) -> str:
        """The ``text/plain`` summary."""
        rows = f"{self.data.rows_out:,} row{'s' if self.data.rows_out != 1 else ''}"
        said = notes(self.plan, self.data)
        extra = f"; {'; '.join(said)}" if said else ""
        return f"<{self.plan.mark} chart of {self.plan.source} ({self.kind}, {rows}{extra})>"

    def mimebundle(self) -> dict[str, Any]:
        """The full MIME bundle of the output."""
        return {VEGALITE_MIME: self.spec, CHART_MIME: self.chart_metadata(), "text/plain": self.text()}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.mimebundle()


def _kind_of(value: Any) -> str | None:
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            return "pandas"
    if module.startswith("pyspark"):
        from pyspark.sql import DataFrame

        if isinstance(value, DataFrame):  # classic and Spark Connect DataFrames share this base
            return "spark"
    return None


def _resolve_data(command: ChartCommand, namespace: Mapping[str, Any]) -> tuple[Any, str]:
    if command.data is None:
        end = len(command.text)
        from flint.chart.errors import Span

        raise command.error(
            "missing data(NAME): say which DataFrame to chart, e.g. %chart data(df) x(a) y(b)", Span(end, end)
        )
    name = command.data.name
    if name not in namespace:
        frames = [k for k, v in namespace.items() if not k.startswith("_") and _kind_of(v) is not None]
        hint = did_you_mean(name, frames)
        if not hint and frames:
            hint = "; DataFrames defined here: " + ", ".join(sorted(frames)[:10])
        raise command.error(f"name '{name}' is not defined{hint}", command.data.span)
    value = namespace[name]
    kind = _kind_of(value)
    if kind is None:
        raise command.error(f"'{name}' is a {type(value).__name__}, not a pandas or Spark DataFrame", command.data.span)
    return value, kind


#: A bar chart's numeric categories are bands up to this many distinct values, bins above it.
MAX_BAR_CATEGORIES = 50
#: Bins of a bar chart over a numeric axis with more distinct values than that.
BAR_BINS = 40


def _plain_numeric(f: FieldExpr | None, kinds: Mapping[str, str]) -> bool:
    return (
        f is not None
        and f.column is not None
        and f.aggregate is None
        and f.bin is None
        and f.time_unit is None
        and f.type is None
        and kinds.get(f.column.name) == "quantitative"
    )


def _bars_over_numbers(command: ChartCommand, df: Any, backend: Any, columns: list[Any]) -> ChartCommand:
    """A bar chart over a numeric column draws bands or bins, never 1-pixel bars on a continuous axis.

    On a continuous scale every bar is a few pixels wide wherever it falls, so ``bar x(price)
    y(count())`` drew hairlines. The category axis (x, or y for horizontal bars) is read as
    ordinal when it has at most :data:`MAX_BAR_CATEGORIES` distinct values (years, ratings,
    small counts), and binned into :data:`BAR_BINS` bins otherwise (a histogram); raw values
    on the other axis are then summed per bin. An explicit type (``x(year:q)``), bin or aggregate
    is left as written. The distinct values are counted before the filter (a small Spark job).
    """
    if command.mark != "bar":
        return command
    x = (command.encodings.get("x") or [None])[0]
    y = (command.encodings.get("y") or [None])[0]
    axis, other_axis = ("y", "x") if (x is None or x.aggregate is not None) and y is not None else ("x", "y")
    kinds = {c.name: c.kind for c in columns}
    field_ = (command.encodings.get(axis) or [None])[0]
    if not _plain_numeric(field_, kinds):
        return command
    assert field_ is not None and field_.column is not None
    encodings = dict(command.encodings)
    distinct = backend.distinct_at_most(df, field_.column.name, MAX_BAR_CATEGORIES)
    if distinct <= MAX_BAR_CATEGORIES:
        encodings[axis] = [replace(field_, type="ordinal"), *encodings[axis][1:]]
    else:
        encodings[axis] = [replace(field_, bin=BAR_BINS), *encodings[axis][1:]]
        other = (encodings.get(other_axis) or [None])[0]
        if _plain_numeric(other, kinds):
            encodings[other_axis] = [replace(other, aggregate="sum"), *encodings[other_axis][1:]]  # type: ignore[arg-type]
    return replace(command, encodings=encodings)


def build_chart(command: str, namespace: Mapping[str, Any], *, config: ChartSettings | None = None) -> ChartResult:
    """Parse ``command`` (the text after ``%chart``), compute the chart over ``namespace[data]``, build the spec.

    Raises :class:`ChartError` (a ``ValueError``) with the position of the problem for anything
    wrong in the command.
    """
    config = config or settings
    parsed = parse(command)
    df, kind = _resolve_data(parsed, namespace)
    if kind == "pandas":
        from flint.chart import pandas_backend as backend
    else:
        from flint.chart import spark_backend as backend  # type: ignore[no-redef]
    if kind == "pandas":
        df = backend.prepare(df)  # type: ignore[attr-defined]
    columns = backend.columns_of(df)
    parsed = _bars_over_numbers(parsed, df, backend, columns)
    plan = make_plan(parsed, columns, config.max_rows, config.max_limit)
    data = backend.run(plan, df, config.seed)
    spec = build_spec(plan, data, kind)
    return ChartResult(command=f"%chart {command.strip()}", spec=spec, plan=plan, data=data, kind=kind)


def register(ip: Any) -> None:
    """Register ``%chart`` (line) and ``%%chart`` (cell, for long commands) in the IPython shell ``ip``."""
    from flint.chart.magic import make_magic

    ip.register_magic_function(make_magic(ip), magic_kind="line_cell", magic_name="chart")


def load_ipython_extension(ip: Any) -> None:
    """IPython entry point: ``%load_ext flint.chart``."""
    register(ip)

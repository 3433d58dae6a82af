"""What a backend hands back, and the readable description of the computation (``usermeta.flint.query``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flint.chart.binning import BinParams
from flint.chart.plan import ChartPlan

HIDDEN_ROWS = "__flint_rows"  # per-group row count, used for rowsIn without another job


@dataclass
class ChartData:
    """The rows the chart shows and how they were obtained."""

    rows: list[dict[str, Any]]
    rows_in: int | None
    sampled: bool = False
    groups_cut: bool = False  # more groups than the limit: only the first ``limit`` are shown
    total_groups: int | None = None
    bins: dict[str, BinParams] = field(default_factory=dict)
    query: str = ""
    spark_plan: str | None = None

    @property
    def rows_out(self) -> int:
        """How many rows travel to the browser."""
        return len(self.rows)


def sort_order(plan: ChartPlan) -> list[tuple[str, bool]]:
    """Output fields to order rows by, as ``(name, descending)``: the sort(...) field first, then the keys.

    The order decides which groups are kept when there are more than the limit, so ``sort(-y)``
    keeps the largest ones.
    """
    order: list[tuple[str, bool]] = []
    sort = plan.command.sort
    if sort is not None and sort.channel in plan.encodings:
        order.append((plan.encodings[sort.channel][0].name, sort.descending))
    for key in plan.group_keys:
        if key not in (name for name, _ in order):
            order.append((key, False))
    return order


def describe(plan: ChartPlan, bins: dict[str, BinParams], kind: str, sample: str | None = None) -> str:
    """A SQL-like description of what was computed, for people (not meant to be run)."""
    select: list[str] = []
    for d in plan.dimensions:
        if d.op == "column":
            select.append(_quote(d.name))
        elif d.op == "bin":
            p = bins.get(d.name)
            detail = f"step {p.step:g} from {p.start:g}" if p else f"{d.maxbins} bins max"
            select.append(f"bin({_quote(d.source.name)}, {detail}) AS {_quote(d.name)}")
        else:
            select.append(f"{d.unit}({_quote(d.source.name)}) AS {_quote(d.name)}")
    for m in plan.measures:
        arg = "*" if m.source is None else _quote(m.source.name)
        select.append(f"{m.aggregate}({arg}) AS {_quote(m.name)}")
    if plan.boxplot is not None:
        value = _quote(plan.boxplot.value.name)
        quartiles = "approximate quartiles" if kind == "spark" else "quartiles"
        select.append(f"min, {quartiles}, max, count of {value}")
    lines = ["SELECT " + ", ".join(select), f"FROM {plan.source} ({kind})"]
    if plan.command.filter_text:
        lines.append(f"WHERE {plan.command.filter_text}")
    if plan.aggregated and plan.group_keys:
        lines.append("GROUP BY " + ", ".join(_quote(d.name) for d in plan.dimensions))
    order = sort_order(plan) if plan.aggregated else []
    if order:
        lines.append("ORDER BY " + ", ".join(f"{_quote(n)}{' DESC' if desc else ''}" for n, desc in order))
    if sample:
        lines.append(sample)
    else:
        lines.append(f"LIMIT {plan.limit}")
    return "\n".join(lines)


def _quote(name: str) -> str:
    return name if name.isidentifier() else "`" + name.replace("`", "``") + "`"

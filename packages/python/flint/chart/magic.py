"""The IPython ``%chart`` / ``%%chart`` magic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from flint.chart import ChartError, build_chart


def make_magic(ip: Any) -> Callable[..., None]:
    """The magic function bound to the shell ``ip`` (its namespace holds the DataFrames)."""

    def chart(line: str, cell: str | None = None) -> None:
        # %%chart lets a long command span lines; the first line may already hold part of it.
        text = line if cell is None else f"{line}\n{cell}".strip("\n")
        if not text.strip():
            raise UsageError(
                "usage: %chart data(df) [mark] x(field) y(field) [color(field)] ...\n"
                "  e.g. %chart data(sales) bar x(region) y(sum(amount))"
            )
        try:
            result = build_chart(text, ip.user_ns)
        except ChartError as error:
            # IPython shows exactly UsageError (not subclasses) as its message without a traceback:
            # the message already points at the problem in the command.
            raise UsageError(str(error)) from None
        if cell is not None:
            # One line in the output's command, so the builder can read it back.
            result.command = "%chart " + " ".join(part.strip() for part in text.splitlines() if part.strip())
        display(result.mimebundle(), raw=True)

    chart.__doc__ = (
        "Draw a chart of a pandas or Spark DataFrame.\n\n"
        "  %chart data(df) x(VOLUME) y(WEIGHT) color(AUTH)\n"
        "  %chart data(sales) bar x(region) y(sum(amount)) color(year)\n"
        "  %chart data(trips) x(bin(distance, 30)) y(count())\n"
        "  %chart data(events) line x(month(ts)) y(mean(latency)) facet(service)\n\n"
        "Marks: point (default), bar, line, area, tick, rect, arc, boxplot. Channels: x, y, color,\n"
        "size, shape, opacity, tooltip, facet, theta. Aggregates: count, sum, mean, median, min,\n"
        "max, distinct, stdev, variance. bin(col[, maxbins]); time units year ... hoursminutes.\n"
        'Also sort(-y), title("..."), filter(amount > 0 and region != "EU"), limit(20000).'
    )
    return chart

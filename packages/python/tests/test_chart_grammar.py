"""The %chart tokenizer and parser: the documented examples, filter conditions, and errors a person can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flint.chart import ChartError, parse
from flint.chart.grammar import BoolOp, ColumnRef, Compare, InList, IsNull, Not


def test_scatter_example() -> None:
    cmd = parse("data(df) x(VOLUME) y(WEIGHT) color(AUTH)")
    assert cmd.data is not None and cmd.data.name == "df"
    assert cmd.mark is None
    assert {ch: [f.describe() for f in fs] for ch, fs in cmd.encodings.items()} == {
        "x": ["VOLUME"],
        "y": ["WEIGHT"],
        "color": ["AUTH"],
    }


def test_bar_with_aggregate_example() -> None:
    cmd = parse("data(sales) bar x(region) y(sum(amount)) color(year)")
    assert cmd.mark == "bar"
    y = cmd.encodings["y"][0]
    assert (y.aggregate, y.column.name if y.column else None) == ("sum", "amount")


def test_histogram_example() -> None:
    cmd = parse("data(trips) x(bin(distance, 30)) y(count())")
    x, y = cmd.encodings["x"][0], cmd.encodings["y"][0]
    assert (x.bin, x.column.name if x.column else None) == (30, "distance")
    assert (y.aggregate, y.column) == ("count", None)


def test_time_unit_and_facet_example() -> None:
    cmd = parse("data(events) line x(month(ts)) y(mean(latency)) facet(service)")
    assert cmd.mark == "line"
    assert cmd.encodings["x"][0].time_unit == "month"
    assert cmd.encodings["y"][0].aggregate == "mean"
    assert cmd.encodings["facet"][0].describe() == "service"


def test_aliases_types_quoted_names_and_options() -> None:
    cmd = parse(
        "data(df) area x(hour(`event time`)) y(avg(`lat.ms`):q) color(code:n) tooltip(a, b, count()) "
        'sort(-y) title("Latency \\"p50\\"") limit(20000)'
    )
    assert cmd.encodings["x"][0].time_unit == "hours"
    assert cmd.encodings["x"][0].column == ColumnRef("event time", cmd.encodings["x"][0].column.span)  # type: ignore[union-attr]
    assert (cmd.encodings["y"][0].aggregate, cmd.encodings["y"][0].type) == ("mean", "quantitative")
    assert cmd.encodings["color"][0].type == "nominal"
    assert [f.describe() for f in cmd.encodings["tooltip"]] == ["a", "b", "count()"]
    assert cmd.sort is not None and (cmd.sort.channel, cmd.sort.descending) == ("y", True)
    assert cmd.title == 'Latency "p50"'
    assert cmd.limit == 20000


def test_backquote_doubling_in_names() -> None:
    cmd = parse("data(df) x(`it``s`)")
    assert cmd.encodings["x"][0].column.name == "it`s"  # type: ignore[union-attr]


def test_filter_precedence_and_forms() -> None:
    cmd = parse("data(df) x(a) filter(a > -1.5 or b == 'x' and not (c in (1, 2)) or d is not null)")
    cond = cmd.filter
    # `and` binds tighter than `or`: (a > -1.5) or ((b == 'x') and not c in ...) or (d is not null)
    assert isinstance(cond, BoolOp) and cond.op == "or"
    assert isinstance(cond.right, IsNull) and cond.right.negated
    left = cond.left
    assert isinstance(left, BoolOp) and left.op == "or"
    assert isinstance(left.left, Compare) and left.left.op == ">" and left.left.operand.value == -1.5  # type: ignore[union-attr]
    middle = left.right
    assert isinstance(middle, BoolOp) and middle.op == "and"
    assert isinstance(middle.right, Not) and isinstance(middle.right.operand, InList)
    assert [v.value for v in middle.right.operand.values] == [1, 2]
    assert cmd.filter_text == "a > -1.5 or b == 'x' and not (c in (1, 2)) or d is not null"


def test_filter_normalises_operators_and_compares_columns() -> None:
    cmd = parse("data(df) x(a) filter(a = b and c <> 'x' and d not in ('p'))")
    assert isinstance(cmd.filter, BoolOp)
    first = cmd.filter.left.left  # type: ignore[union-attr]
    assert isinstance(first, Compare) and first.op == "==" and isinstance(first.operand, ColumnRef)
    second = cmd.filter.left.right  # type: ignore[union-attr]
    assert isinstance(second, Compare) and second.op == "!="
    assert isinstance(cmd.filter.right, InList) and cmd.filter.right.negated


def error_of(text: str) -> ChartError:
    with pytest.raises(ChartError) as info:
        parse(text)
    return info.value


def caret_column(error: ChartError) -> int:
    """The column (0-based, in the shown line) of the first caret."""
    lines = str(error).splitlines()
    return lines[2].index("^") - 2


def test_error_shows_the_position_with_a_caret() -> None:
    error = error_of("data(df) x(VOLUME y(WEIGHT)")
    assert error.position == len("data(df) x(VOLUME ")
    lines = str(error).splitlines()
    assert lines[0].startswith("expected ')' to close x( opened at column 18, found 'y' (at column 26)")
    assert lines[1] == "  %chart data(df) x(VOLUME y(WEIGHT)"
    assert caret_column(error) == len("%chart data(df) x(VOLUME ")


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("data(df) colour(AUTH) x(a)", "unknown clause 'colour'; did you mean 'color'?", 9),
        ("data(df) bars x(a)", "unknown mark 'bars'; did you mean 'bar'?", 9),
        ("data(df) x(summ(a))", "unknown function 'summ'; did you mean 'sum'?", 11),
        ("data(df) x(mnth(ts))", "unknown function 'mnth'; did you mean 'month'", 11),
        ("data(df) x(a) x(b)", "x(...) given twice", 14),
        ("data(df) bar line x(a)", "two marks given: 'bar' and 'line'", 13),
        ("data(df) x(a) title(unquoted)", "title takes a quoted string", 20),
        ("data(df) x(a) title('open", "unterminated string", 20),
        ("data(df) x(bin(a, 0))", "the number of bins must be a whole number from 1 to 1000", 18),
        ("data(df) x(a) limit(1.5)", "limit takes a whole number of rows", 20),
        ("data(df) x(a) sort(z)", "sort takes x, y, -x or -y", 19),
        ("data(df) x(a:z)", "expected a type after ':'", 13),
        ("data(df) x(a) filter(a >)", "expected a value", 24),
        ("data(df) x(a) filter(a is 3)", "expected 'null' after 'is'", 26),
        ("data(df) x(a) filter(and > 1)", "expected a column name, found the keyword 'and'", 21),
        ("data(df) x(a) bar(1)", "a mark takes no arguments", 14),
        ("data(df) x(a) y(b, c)", "y(...) takes at most 1 field", 19),
        ("data(df) x(1abc)", "a name cannot start with a digit", 12),
    ],
)
def test_errors_name_the_problem_and_its_position(text: str, message: str, position: int) -> None:
    error = error_of(text)
    assert message in error.message
    assert error.position == position, str(error)
    assert caret_column(error) == len("%chart ") + position


@pytest.mark.parametrize(
    "text",
    [
        "data(df) x(__import__('os').system('id'))",
        "data(df) x(a) filter(a == 1); import os",
        "data(df) x(a) filter(a == `x` + 1)",
        "data(df) x(a) filter(exec('1'))",
        "data(df) x(a) filter((0//1/)-'\\\\\\n,eval(1))//')",
        "data(df) x(a) {{}}",
        "data(df) x(a) filter(a == [1])",
    ],
)
def test_code_is_never_accepted(text: str) -> None:
    # The filter is a small comparison grammar, not Python: these fail to parse.
    with pytest.raises(ChartError):
        parse(text)


def test_multiline_commands_report_line_and_column() -> None:
    error = error_of("data(df)\n  bar x(region)\n  y(sum(amount)")
    assert "(at line 3, column 16)" in error.message or "(at line 3, column 16)" in str(error)
    assert str(error).splitlines()[1] == "    y(sum(amount)"


# Shared with packages/charts (the TypeScript parser the chart builder uses): both must agree.
SHARED_CASES = Path(__file__).resolve().parents[2] / "charts" / "test" / "chart-commands.json"


def shared_cases() -> dict:
    return json.loads(SHARED_CASES.read_text())


@pytest.mark.parametrize("text", shared_cases()["valid"])
def test_shared_valid_commands(text: str) -> None:
    parse(text)


@pytest.mark.parametrize("case", shared_cases()["invalid"], ids=lambda c: c["command"])
def test_shared_invalid_commands(case: dict) -> None:
    assert error_of(case["command"]).position == case["position"]

"""Answers the browser asks of live outputs without running a cell: table pages and chart previews.

The broker evaluates :func:`answer` as a ``user_expressions`` entry of a *silent* execute
request, so nothing here adds an execution count, history, an output or a Spark progress bar.
The request arrives as one JSON text (the broker builds the expression; no code comes from the
browser) and the answer goes back as ``application/json``.

Tables. Every DataFrame shown as a table is kept in :data:`_tables` under a random id that the
output carries (``tableId``). A page request names that id, a page (``offset``, ``limit``), an
optional sort (a column position and a direction) and text filters (per column, or ``column:
null`` for all columns), and the kernel computes the page: pandas operations for pandas,
``filter``/``orderBy``/``offset``/``limit`` for Spark, so only one page travels. Columns are
addressed by position, because DataFrame column names may repeat. The registry is per kernel
process: after a restart every id is unknown and the answer says to run the cell again.

Spark totals are not counted unless asked (``countRows``): a count is a job over all the data.
A page then says whether there are more rows (one row past the page is fetched); a count asked
once is kept for that table and filter.

Filters: ``>5``, ``<=2.5``, ``=3``, ``!=0`` compare numbers on numeric columns; any other text
matches values whose text contains it, ignoring case.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import OrderedDict
from typing import Any

from flint.kernel.tables import _column_label, spark_type_name, to_json_value

#: Tables kept for paging; the oldest is let go past this (its output then says to run again).
MAX_LIVE_TABLES = 64
#: Most rows one page request may ask for.
MAX_PAGE_ROWS = 500
#: The message of a page request for a table this kernel does not have.
GONE_MESSAGE = "This table is no longer in the kernel; run the cell again."

_tables: OrderedDict[str, Any] = OrderedDict()
_counts: dict[tuple[str, str], int] = {}
_NUMERIC_FILTER = re.compile(r"^\s*(>=|<=|!=|>|<|=)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class _Answer:
    """What :func:`answer` returns: shown to IPython's formatter as ``application/json``."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"application/json": self.payload, "text/plain": "<flint answer>"}


def register_table(df: Any) -> str:
    """Keep ``df`` for paging and return its id (the oldest table goes past :data:`MAX_LIVE_TABLES`)."""
    table_id = uuid.uuid4().hex
    _tables[table_id] = df
    while len(_tables) > MAX_LIVE_TABLES:
        old, _ = _tables.popitem(last=False)
        for key in [k for k in _counts if k[0] == old]:
            del _counts[key]
    return table_id


def forget_tables() -> None:
    """Let go of every table (tests)."""
    _tables.clear()
    _counts.clear()


def answer(request_json: str) -> _Answer:
    """Entry point of the broker's silent execute: ``{"kind": "tablePage" | "chartPreview", ...}``."""
    try:
        request = json.loads(request_json)
        kind = request.get("kind")
        if kind == "tablePage":
            return _Answer(table_page(request))
        if kind == "chartPreview":
            return _Answer(chart_preview(str(request.get("command", ""))))
        return _Answer({"status": "error", "message": f"unknown request {kind!r}"})
    except Exception as error:  # noqa: BLE001 - the browser shows the message; the kernel carries on
        return _Answer({"status": "error", "message": f"{type(error).__name__}: {error}"})


# ---------------------------------------------------------------------------------------------
# Tables


def _filters_of(request: dict[str, Any], width: int) -> list[tuple[int | None, str]]:
    filters: list[tuple[int | None, str]] = []
    for item in request.get("filters") or []:
        text = str(item.get("text", ""))
        if not text.strip():
            continue
        column = item.get("column")
        if column is not None and not (isinstance(column, int) and 0 <= column < width):
            raise ValueError(f"no column {column}")
        filters.append((column, text))
    return filters


def _sort_of(request: dict[str, Any], width: int) -> tuple[int, bool] | None:
    sort = request.get("sort")
    if not sort:
        return None
    column = sort.get("column")
    if not (isinstance(column, int) and 0 <= column < width):
        raise ValueError(f"no column {column}")
    return column, bool(sort.get("descending"))


def table_page(request: dict[str, Any]) -> dict[str, Any]:
    """One page of a kept table, sorted and filtered as asked (see the module's docstring)."""
    table = _tables.get(str(request.get("tableId", "")))
    if table is None:
        return {"status": "gone", "message": GONE_MESSAGE}
    _tables.move_to_end(str(request["tableId"]))
    offset = max(0, int(request.get("offset", 0)))
    limit = min(MAX_PAGE_ROWS, max(1, int(request.get("limit", 50))))
    module = type(table).__module__
    if module.startswith("pandas"):
        return _pandas_page(table, request, offset, limit)
    return _spark_page(table, request, offset, limit)


def _pandas_frame(df: Any) -> Any:
    """The frame as the table shows it: a meaningful index becomes leading columns (as the preview)."""
    import pandas as pd

    index = df.index
    is_default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None
    return (df if is_default else df.reset_index()).reset_index(drop=True)


def _pandas_mask(series: Any, text: str) -> Any:
    import pandas as pd

    numeric = _NUMERIC_FILTER.match(text)
    if numeric and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        op, number = numeric.group(1), float(numeric.group(2))
        values = pd.to_numeric(series, errors="coerce")
        result = {
            ">": values > number,
            "<": values < number,
            ">=": values >= number,
            "<=": values <= number,
            "=": values == number,
            "!=": values != number,
        }[op]
        return result.fillna(False).astype(bool)
    as_text = series.astype("string")
    return as_text.str.contains(text.strip(), case=False, regex=False, na=False).astype(bool)


def _pandas_page(df: Any, request: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    frame = _pandas_frame(df)
    width = frame.shape[1]
    columns = [{"name": _column_label(label), "type": str(dtype)} for label, dtype in frame.dtypes.items()]
    for column, text in _filters_of(request, width):
        if column is None:
            mask = None
            for i in range(width):
                part = _pandas_mask(frame.iloc[:, i], text)
                mask = part if mask is None else (mask | part)
            if mask is not None:
                frame = frame[mask.to_numpy()]
        else:
            frame = frame[_pandas_mask(frame.iloc[:, column], text).to_numpy()]
    sort = _sort_of(request, width)
    if sort is not None:
        column, descending = sort
        series = frame.iloc[:, column]
        try:
            order = series.sort_values(ascending=not descending, na_position="last", kind="mergesort").index
        except TypeError:  # mixed types in an object column: order by their text
            order = series.astype(str).sort_values(ascending=not descending, kind="mergesort").index
        frame = frame.loc[order]
    total = len(frame)
    page = frame.iloc[offset : offset + limit]
    rows = [[to_json_value(v) for v in row] for row in page.itertuples(index=False, name=None)]
    return {
        "status": "ok",
        "columns": columns,
        "rows": rows,
        "offset": offset,
        "totalRows": total,
        "hasMore": offset + len(rows) < total,
    }


def _spark_condition(column: Any, data_type: Any, text: str) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    numeric = _NUMERIC_FILTER.match(text)
    if numeric and isinstance(data_type, NumericType):
        op, number = numeric.group(1), float(numeric.group(2))
        condition = {
            ">": column > number,
            "<": column < number,
            ">=": column >= number,
            "<=": column <= number,
            "=": column == number,
            "!=": column != number,
        }[op]
        return F.coalesce(condition, F.lit(False))
    needle = text.strip().lower()
    return F.coalesce(F.lower(column.cast("string")).contains(needle), F.lit(False))


def _spark_page(df: Any, request: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    fields = list(df.schema.fields)
    width = len(fields)
    columns = [{"name": f.name, "type": spark_type_name(f.dataType)} for f in fields]
    # Positional names: the DataFrame's own may repeat or need quoting.
    names = [f"_flint_c{i}" for i in range(width)]
    work = df.toDF(*names)
    filters = _filters_of(request, width)
    for column, text in filters:
        targets = range(width) if column is None else [column]
        condition = None
        for i in targets:
            part = _spark_condition(F.col(names[i]), fields[i].dataType, text)
            condition = part if condition is None else (condition | part)
        if condition is not None:
            work = work.filter(condition)
    sort = _sort_of(request, width)
    if sort is not None:
        column, descending = sort
        target = F.col(names[column])
        work = work.orderBy(target.desc_nulls_last() if descending else target.asc_nulls_last())
    try:
        fetched = work.offset(offset).limit(limit + 1).collect() if width else []
        key = (str(request["tableId"]), json.dumps(filters))
        total = _counts.get(key)
        if total is None and request.get("countRows"):
            total = work.count()
            _counts[key] = total
    except PySparkException as error:
        return {"status": "error", "message": str(error).splitlines()[0] if str(error) else type(error).__name__}
    rows = [[to_json_value(v) for v in row] for row in fetched[:limit]]
    has_more = len(fetched) > limit
    if total is None and not has_more and (rows or offset == 0):
        total = offset + len(rows)  # the end is in sight: the total is known without counting
    return {
        "status": "ok",
        "columns": columns,
        "rows": rows,
        "offset": offset,
        "totalRows": total,
        "hasMore": has_more,
    }


# ---------------------------------------------------------------------------------------------
# Chart previews


def chart_preview(command: str) -> dict[str, Any]:
    """The Vega-Lite spec of a ``%chart`` line, computed as the cell would, without any output."""
    from IPython import get_ipython

    from flint.chart import ChartError, build_chart

    text = command.strip()
    if text.startswith("%chart"):
        text = text[len("%chart") :]
    ip = get_ipython()
    namespace = ip.user_ns if ip is not None else {}
    try:
        result = build_chart(text, namespace)
    except ChartError as error:
        return {"status": "error", "message": str(error)}
    return {"status": "ok", "spec": result.spec, "rowsOut": result.data.rows_out}

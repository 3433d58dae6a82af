"""Render pandas and Spark DataFrames as tables: HTML, plain text and Flint's table MIME type.

Every table output carries three representations:

- ``text/html``: an escaped ``<table>`` of the first rows with a caption such as
  "showing 20 of 1,234 rows" (or "showing first 20 rows" when the total is unknown),
- ``text/plain``: a fixed-width rendering, for terminals and plain-text viewers,
- ``application/vnd.flint.table+json``::

      {"columns": [{"name": str, "type": str}], "rows": [[...]],
       "totalRows": int | null, "truncated": bool, "variable"?: str}

  whose values are JSON-safe (see :func:`to_json_value`); the web UI's chart builder reads it.
  ``variable`` is a name the DataFrame is bound to in the user's namespace, when there is one:
  the builder writes ``%chart data(<variable>) ...``, which must name the same object.
  ``tableId`` names the DataFrame in the kernel's registry of live tables
  (:mod:`flint.kernel.live`): the page asks for other pages, sorted and filtered, by that id.

Spark DataFrames are never counted: ``df.limit(N + 1)`` fetches one extra row to learn whether
there are more, and the total is then unknown (``totalRows: null``).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import html
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flint.kernel.errors import SparkQueryError

TABLE_MIME = "application/vnd.flint.table+json"


def _rows_from_env() -> int:
    try:
        return max(1, int(os.environ.get("FLINT_TABLE_MAX_ROWS", "50")))
    except ValueError:
        return 50  # a bad setting must not stop the extension from loading


DEFAULT_MAX_ROWS = _rows_from_env()
# A cell value longer than this is cut in every representation: tables are previews, and one
# long string must not make an output of megabytes.
MAX_CELL_CHARS = 1000
TEXT_COLUMN_WIDTH = 20


def _cut(text: str, limit: int = MAX_CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas.NA (all shown as null)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False
    if value is pd.NA or value is pd.NaT:
        return True
    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return result is True or (hasattr(result, "dtype") and result.shape == () and bool(result))


def _as_python_scalar(value: Any) -> Any:
    """numpy scalars → Python scalars (``.item()``); everything else unchanged."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == () and type(value).__module__ == "numpy":
        return item()
    return value


def to_json_value(value: Any) -> Any:
    """Convert one cell value to something ``json.dumps`` accepts without losing its meaning.

    None/NaN/NaT/NA → null; ±inf → null; datetimes, dates and times → ISO 8601 strings;
    Decimal → float; bytes → base64 string; Spark Rows and mappings → objects; sequences and
    numpy arrays → arrays; timedeltas → their string form; anything else → ``str(value)``.
    """
    value = _as_python_scalar(value)
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, decimal.Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return str(value)
    as_dict = getattr(value, "asDict", None)  # pyspark.sql.Row (a tuple subclass)
    if callable(as_dict) and isinstance(value, tuple):
        return {str(k): to_json_value(v) for k, v in as_dict().items()}
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if hasattr(value, "tolist") and type(value).__module__.startswith(("numpy", "pyarrow")):
        return to_json_value(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_value(v) for v in value]
    return _cut(str(value))


def _display_text(value: Any) -> str:
    """The text shown for a value in the HTML and plain-text tables (before escaping)."""
    value = _as_python_scalar(value)
    if _is_missing(value):
        return "null"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _cut(repr(bytes(value)))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (str, int, decimal.Decimal, dt.date, dt.time, dt.timedelta)):
        return _cut(str(value))
    converted = to_json_value(value)
    if isinstance(converted, (dict, list)):
        return _cut(json.dumps(converted, ensure_ascii=False))
    return _cut(str(converted))


def _is_numeric(value: Any) -> bool:
    value = _as_python_scalar(value)
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


@dataclass
class TablePreview:
    """The first rows of a table plus what is known about the rest.

    ``rows`` hold the original Python values; each representation converts them itself.
    ``total_rows`` is None when the total is unknown.
    """

    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    total_rows: int | None
    truncated: bool
    variable: str | None = None
    table_id: str | None = None

    def caption(self) -> str:
        """Human summary of how much is shown, e.g. "showing 20 of 1,234 rows"."""
        shown = len(self.rows)
        if self.truncated and self.total_rows is not None:
            return f"showing {shown:,} of {self.total_rows:,} rows"
        if self.truncated:
            return f"showing first {shown:,} rows"
        return f"{shown:,} row" if shown == 1 else f"{shown:,} rows"

    def to_json(self) -> dict[str, Any]:
        """The ``application/vnd.flint.table+json`` payload."""
        return {
            "columns": [{"name": name, "type": type_} for name, type_ in self.columns],
            "rows": [[to_json_value(v) for v in row] for row in self.rows],
            "totalRows": self.total_rows,
            "truncated": self.truncated,
            **({"variable": self.variable} if self.variable else {}),
            **({"tableId": self.table_id} if self.table_id else {}),
        }

    def to_html(self) -> str:
        """An HTML table; every name, type and value is escaped."""
        esc = html.escape
        parts = ['<table class="flint-table">', f"<caption>{esc(self.caption())}</caption>", "<thead><tr>"]
        for name, type_ in self.columns:
            parts.append(f'<th title="{esc(type_)}">{esc(name)}<br><span class="flint-type">{esc(type_)}</span></th>')
        parts.append("</tr></thead><tbody>")
        for row in self.rows:
            parts.append("<tr>")
            for value in row:
                if _is_missing(value):
                    parts.append('<td class="flint-null">null</td>')
                elif _is_numeric(value):
                    parts.append(f'<td class="flint-num">{esc(_display_text(value))}</td>')
                else:
                    parts.append(f"<td>{esc(_display_text(value))}</td>")
            parts.append("</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)

    def to_text(self) -> str:
        """A fixed-width table in the style of ``DataFrame.show()``, then the caption."""
        headers = [name for name, _ in self.columns]
        cells = [[_display_text(v).replace("\n", "\\n") for v in row] for row in self.rows]
        widths = []
        for i, header in enumerate(headers):
            longest = max([len(header)] + [len(row[i]) for row in cells])
            widths.append(min(max(longest, 4), TEXT_COLUMN_WIDTH))

        def fit(text: str, width: int) -> str:
            return text if len(text) <= width else text[: width - 3] + "..."

        rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        lines = [rule, "|" + "|".join(f" {fit(h, w):<{w}} " for h, w in zip(headers, widths, strict=True)) + "|", rule]
        for row in cells:
            lines.append("|" + "|".join(f" {fit(c, w):>{w}} " for c, w in zip(row, widths, strict=True)) + "|")
        lines += [rule, self.caption()]
        return "\n".join(lines) if headers else self.caption()

    def mimebundle(self, include_text: bool = True) -> dict[str, Any]:
        """The MIME bundle for IPython's display machinery."""
        bundle: dict[str, Any] = {"text/html": self.to_html(), TABLE_MIME: self.to_json()}
        if include_text:
            bundle["text/plain"] = self.to_text()
        return bundle

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.mimebundle()


def _column_label(label: Any) -> str:
    if isinstance(label, tuple):  # MultiIndex columns
        return " / ".join(str(part) for part in label)
    return str(label)


def preview_pandas(df: Any, max_rows: int = DEFAULT_MAX_ROWS) -> TablePreview:
    """Preview a pandas DataFrame: its first ``max_rows`` rows; the total is ``len(df)``.

    A meaningful index (anything but the default 0..n-1 range) is shown as leading columns.
    """
    import pandas as pd

    index = df.index
    is_default_index = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None
    head = df.head(max_rows)
    if not is_default_index:
        head = head.reset_index()
    columns = [(_column_label(label), str(dtype)) for label, dtype in head.dtypes.items()]
    rows = [list(row) for row in head.itertuples(index=False, name=None)]
    total = len(df)
    return TablePreview(columns=columns, rows=rows, total_rows=total, truncated=total > len(rows))


def spark_type_name(data_type: Any) -> str:
    """Short Spark SQL type name, e.g. ``bigint``, ``array<string>``."""
    try:
        return data_type.simpleString()
    except Exception:  # noqa: BLE001 - unusual user-defined types
        return str(data_type)


def preview_spark(df: Any, max_rows: int = DEFAULT_MAX_ROWS) -> TablePreview:
    """Preview a Spark DataFrame (classic or Connect) without counting it.

    Runs one small job, ``df.limit(max_rows + 1).collect()``: the extra row tells whether there
    are more. The total is known only when there are not.
    """
    columns = [(field.name, spark_type_name(field.dataType)) for field in df.schema.fields]
    fetched = df.limit(max_rows + 1).collect() if columns else []
    truncated = len(fetched) > max_rows
    rows = [list(row) for row in fetched[:max_rows]]
    return TablePreview(columns=columns, rows=rows, total_rows=None if truncated else len(rows), truncated=truncated)


def variable_name(value: Any) -> str | None:
    """A public name ``value`` is bound to in the IPython user namespace, or None.

    Found by identity, so ``df`` and ``display(df)`` name ``df`` while ``df.head()`` (a new
    object) names nothing. Names starting with ``_`` (IPython's output cache ``_3``, ``__``) are
    skipped: they move on with every cell, and the builder's code must keep working.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the kernel
        return None
    ip = get_ipython()
    if ip is None:
        return None
    for name, bound in list(ip.user_ns.items()):
        if bound is value and not name.startswith("_") and name.isidentifier():
            return name
    return None


def _named(preview: TablePreview, value: Any) -> TablePreview:
    """Name the preview's variable and keep the DataFrame for paging (:mod:`flint.kernel.live`)."""
    from flint.kernel.live import register_table

    preview.variable = variable_name(value)
    preview.table_id = register_table(value)
    return preview


def pandas_mimebundle(df: Any) -> dict[str, Any]:
    """IPython mimebundle formatter for pandas DataFrames (pandas keeps its own text/plain)."""
    return _named(preview_pandas(df), df).mimebundle(include_text=False)


def spark_mimebundle(df: Any) -> dict[str, Any]:
    """IPython mimebundle formatter for Spark DataFrames.

    A query that fails while fetching the preview raises :class:`SparkQueryError`: IPython then
    shows Spark's message and marks the cell as failed.
    """
    from pyspark.errors import PySparkException

    try:
        return _named(preview_spark(df), df).mimebundle()
    except PySparkException as exc:
        raise SparkQueryError.from_exception(exc) from None


def table_preview(data: Any, max_rows: int = DEFAULT_MAX_ROWS) -> TablePreview:
    """Preview a pandas or Spark DataFrame; ``display(table_preview(df, 100))`` shows 100 rows."""
    module = type(data).__module__
    if module.startswith("pandas"):
        return _named(preview_pandas(data, max_rows), data)
    if module.startswith("pyspark"):
        return _named(preview_spark(data, max_rows), data)
    raise TypeError(f"cannot preview {type(data).__name__}: expected a pandas or Spark DataFrame")


def register_table_formatters(ip: Any) -> None:
    """Make pandas and Spark DataFrames display as Flint tables in this IPython shell.

    Registered by name, so neither pandas nor pyspark is imported here; IPython matches
    subclasses too (classic and Connect DataFrames share ``pyspark.sql.dataframe.DataFrame``).
    """
    formatter = ip.display_formatter.mimebundle_formatter
    # pandas 3 reports its public classes as module "pandas"; older ones as "pandas.core.frame".
    formatter.for_type_by_name("pandas", "DataFrame", pandas_mimebundle)
    formatter.for_type_by_name("pandas.core.frame", "DataFrame", pandas_mimebundle)
    formatter.for_type_by_name("pyspark.sql.dataframe", "DataFrame", spark_mimebundle)

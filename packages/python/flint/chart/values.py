"""Turn DataFrame values into JSON values that Vega parses the way the user means them."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any


def _iso_local(value: dt.datetime) -> str:
    # Without an offset, JavaScript parses "YYYY-MM-DDTHH:MM:SS" as local time, which is how
    # Vega's (local) time units then floor and format it: a naive timestamp stays as written.
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text


def chart_value(value: Any) -> Any:
    """One value for ``data.values``.

    None/NaN/NaT/NA and ±inf → null; datetimes → ISO 8601 (naive ones without an offset, so the
    browser shows the wall time the DataFrame holds); dates → midnight local time (a bare date
    would be parsed as UTC midnight and shown as the previous day west of Greenwich); Decimal →
    float; numpy scalars → Python scalars; anything else non-JSON → ``str``.
    """
    if value is None:
        return None
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, pd.Timedelta):
            return value.total_seconds()
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.datetime64):
            import pandas as pd

            stamp = pd.Timestamp(value)
            return None if stamp is pd.NaT else _iso_local(stamp.to_pydatetime())
        if isinstance(value, np.timedelta64):
            return None if np.isnat(value) else value / np.timedelta64(1, "s")
        if getattr(value, "shape", None) == ():
            value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime):
        return _iso_local(value)
    if isinstance(value, dt.date):
        return value.isoformat() + "T00:00:00"
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def records(columns: list[str], rows: list[tuple[Any, ...]] | list[list[Any]]) -> list[dict[str, Any]]:
    """Rows as ``[{column: value}]`` with every value passed through :func:`chart_value`."""
    return [{name: chart_value(v) for name, v in zip(columns, row, strict=True)} for row in rows]

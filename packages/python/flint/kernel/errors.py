"""Errors shown to notebook users as Spark's message alone, without Python or Java frames."""

from __future__ import annotations

from typing import Any


class SparkQueryError(Exception):
    """A Spark query failed (parse, analysis or runtime error); carries Spark's own message.

    IPython renders an exception with ``_render_traceback_`` by calling it instead of printing
    the traceback. Here the frames would all be Flint's, PySpark's and Py4J's, never the user's,
    so they would only bury the message.
    """

    def __init__(self, message: str, error_class: str | None = None) -> None:
        super().__init__(message)
        self.error_class = error_class

    @classmethod
    def from_exception(cls, exc: BaseException) -> SparkQueryError:
        """Build from a PySpark exception, dropping any JVM stack trace it carries."""
        message = str(exc).split("\n\nJVM stacktrace:", 1)[0].strip()
        error_class = None
        get_condition: Any = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
        if callable(get_condition):
            try:
                error_class = get_condition()
            except Exception:  # noqa: BLE001 - the message is what matters
                error_class = None
        return cls(message, error_class)

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]

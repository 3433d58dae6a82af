"""``%%sql``: run the cell as Spark SQL and show the result as a table.

::

    %%sql -o top_cities --limit 50
    SELECT city, count(*) AS n FROM trips GROUP BY city ORDER BY n DESC

``-o NAME`` also stores the resulting Spark DataFrame in the notebook as ``NAME``;
``--limit N`` shows N rows first (default 50; the table pages through the rest in the kernel).
Errors from Spark (parse and analysis errors, runtime SQL errors) are shown as Spark's own
message, without Python or Java stack traces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from flint.kernel.errors import SparkQueryError
from flint.kernel.live import register_table
from flint.kernel.tables import DEFAULT_MAX_ROWS, preview_spark


@magics_class
class SqlMagics(Magics):
    """Registers ``%%sql``. ``get_session`` returns the SparkSession (waiting if needed)."""

    def __init__(self, shell: Any, get_session: Callable[[], Any]) -> None:
        super().__init__(shell)
        self._get_session = get_session

    @magic_arguments()
    @argument("-o", "--output", metavar="NAME", help="store the resulting Spark DataFrame in variable NAME")
    @argument("-n", "--limit", type=int, default=DEFAULT_MAX_ROWS, help=f"rows to show (default {DEFAULT_MAX_ROWS})")
    @cell_magic
    def sql(self, line: str, cell: str) -> Any:
        """Run the cell body as one Spark SQL statement and display the result."""
        args = parse_argstring(self.sql, line)
        if args.output is not None and not args.output.isidentifier():
            raise UsageError(f"%%sql -o: {args.output!r} is not a valid Python variable name")
        if args.limit < 0:
            raise UsageError("%%sql --limit must be 0 or more")
        # A trailing semicolon is habit from other SQL tools; spark.sql() rejects it.
        query = cell.strip().rstrip(";").strip()
        if not query:
            raise UsageError("%%sql needs a SQL statement in the cell body")

        from pyspark.errors import PySparkException

        spark = self._get_session()
        try:
            df = spark.sql(query)
            if args.output:
                self.shell.user_ns[args.output] = df
            if not df.columns:
                return None  # DDL and commands such as CREATE TABLE have no result to show
            preview = preview_spark(df, args.limit)
            # The table pages in the kernel, and with -o the chart builder charts it by that name.
            preview.table_id = register_table(df)
            preview.variable = args.output
            return preview
        except PySparkException as exc:
            raise SparkQueryError.from_exception(exc) from None

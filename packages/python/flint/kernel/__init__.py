"""The IPython extension that every Flint kernel loads at start (``--ext flint.kernel``).

``load_ipython_extension`` returns in milliseconds; everything slow happens in the background:

- ``spark`` and ``sc`` exist at once as proxies; the SparkSession is built on a background thread
  (:mod:`flint.kernel.session`) at their first use (or as the kernel starts, with
  ``FLINT_SPARK_START=at-start``), which waits for it with a notice, or raises
  :class:`~flint.kernel.session.SparkStartError` saying why Spark could not start. A notebook that
  never uses Spark starts no JVM.
- pandas and Spark DataFrames display as tables with ``application/vnd.flint.table+json``
  (:mod:`flint.kernel.tables`); ``%%sql`` runs Spark SQL (:mod:`flint.kernel.sql_magic`).
- each cell's Spark jobs are tagged, cancelled on interrupt and reported live as
  ``application/vnd.flint.spark-progress+json`` (:mod:`flint.kernel.cells`,
  :mod:`flint.kernel.progress`).
- Altair charts use the ``mimetype`` renderer (Altair 6: ``application/vnd.vegalite.v6.json``)
  instead of HTML that loads scripts from a CDN.
- ``input()`` fails fast with a message a notebook user understands (:mod:`flint.kernel.stdin`).
- tracebacks show the user's code and the libraries it called, not Flint's frames around it
  (:mod:`flint.kernel.tracebacks`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from typing import Any

from flint.kernel.cells import CellController
from flint.kernel.errors import SparkQueryError
from flint.kernel.idle import IdleSparkStopper
from flint.kernel.progress import METADATA_KEY, PROGRESS_MIME
from flint.kernel.session import LazyProxy, SparkStarter, SparkStartError, SparkStoppedError, load_settings
from flint.kernel.sql_magic import SqlMagics
from flint.kernel.start_notice import wait_with_notice
from flint.kernel.stdin import install_stdin_messages
from flint.kernel.tables import TABLE_MIME, register_table_formatters, table_preview
from flint.kernel.tracebacks import TracebackFilter

__all__ = [
    "METADATA_KEY",
    "PROGRESS_MIME",
    "TABLE_MIME",
    "SparkQueryError",
    "SparkStartError",
    "SparkStoppedError",
    "load_ipython_extension",
    "table_preview",
    "unload_ipython_extension",
]

log = logging.getLogger(__name__)
# How long the first cell waits for Altair's renderer to be configured at most.
ALTAIR_SETUP_WAIT_S = 30


def _enable_altair_mimetype_renderer() -> None:
    try:
        import altair as alt
    except ImportError:
        return
    # Only replace the library default: a renderer the user picked stays.
    if alt.renderers.active in ("default", "html"):
        alt.renderers.enable("mimetype")


class FlintExtension:
    """Everything the extension installs in one shell, so it can be removed again."""

    def __init__(self, ip: Any) -> None:
        self.ip = ip
        self.starter = SparkStarter(load_settings())
        self.controller = CellController(ip, self.starter)
        self.spark_proxy = LazyProxy("spark", self._resolve_session)
        self.sc_proxy = LazyProxy("sc", self._resolve_context)
        self.traceback_filter = TracebackFilter(ip)
        self.idle = IdleSparkStopper(
            self.starter,
            self.starter.settings.idle_minutes,
            command_count=lambda: self.controller.command_count,
            is_cell_running=lambda: self.controller.current is not None,
            on_stopped=self._put_proxies_back,
        )
        self._altair_thread: threading.Thread | None = None
        self._displayhook: Any = None

    def load(self) -> None:
        """Install hooks, formatters, magics and the ``spark``/``sc`` proxies (Spark starts at first use)."""
        # Executors' Python workers must run this interpreter (the kernelspec sets it too).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        # PySpark 4.3 warns on first use of its pandas layer that it "does not yet fully support
        # pandas >= 3.0.0". Flint ships and tests exactly this pair, and the warning would land in
        # the output of whichever cell first touches Spark.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        if self.starter.settings.starts_with_kernel:
            self.starter.start()
        self.ip.push({"spark": self.spark_proxy, "sc": self.sc_proxy}, interactive=False)
        self.idle.start()

        register_table_formatters(self.ip)
        self.traceback_filter.install()
        self.ip.register_magics(SqlMagics(self.ip, self._resolve_session))
        # %chart: one-line Vega-Lite charts of pandas and Spark DataFrames (flint.chart).
        from flint.chart import register as register_chart_magic

        register_chart_magic(self.ip)
        self.ip.events.register("pre_run_cell", self.pre_run_cell)
        self.ip.events.register("post_run_cell", self.controller.post_run_cell)
        # Also swap after a cell: a cell that started Spark leaves real objects behind, so the
        # kernel's completer (jedi, which inspects types rather than the proxy's __dir__) offers
        # `spark.range` right away instead of only after the next cell.
        self.ip.events.register("post_run_cell", self._post_run_swap)

        # The cell's Spark progress display goes before its result (CellController.before_result):
        # IPython calls start_displayhook only when there is a result to show.
        displayhook = self.ip.displayhook
        show_result = displayhook.start_displayhook

        def start_displayhook() -> None:
            self.controller.before_result()
            show_result()

        displayhook.start_displayhook = start_displayhook
        self._displayhook = displayhook

        kernel = getattr(self.ip, "kernel", None)
        if kernel is not None:
            install_stdin_messages(kernel)

        # Importing Altair takes about 2 s: do it off the startup path.
        self._altair_thread = threading.Thread(
            target=_enable_altair_mimetype_renderer, name="flint-altair-setup", daemon=True
        )
        self._altair_thread.start()

    def unload(self) -> None:
        """Remove the hooks and proxies (the SparkSession keeps running)."""
        self.idle.close()
        for event, callback in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.controller.post_run_cell),
            ("post_run_cell", self._post_run_swap),
        ):
            try:
                self.ip.events.unregister(event, callback)
            except ValueError:
                pass
        self.traceback_filter.uninstall()
        if self._displayhook is not None:
            # The wrapper is an instance attribute: removing it brings back the class's method.
            self._displayhook.__dict__.pop("start_displayhook", None)
            self._displayhook = None
        for name, proxy in (("spark", self.spark_proxy), ("sc", self.sc_proxy)):
            if self.ip.user_ns.get(name) is proxy:
                self.ip.drop_by_id({name: proxy})

    def pre_run_cell(self, info: Any) -> None:
        """Before each cell: finish setup that may still run, swap in real objects, tag the cell."""
        if self._altair_thread is not None:
            # A chart made in the first seconds must already use the mimetype renderer.
            self._altair_thread.join(ALTAIR_SETUP_WAIT_S)
            if not self._altair_thread.is_alive():
                self._altair_thread = None
        # Under the idle stopper's lock: Spark is never stopped between here and the cell's start.
        with self.idle.lock:
            self._swap_in_real_objects()
            self.controller.pre_run_cell(info)

    def _post_run_swap(self, result: Any) -> None:
        self._swap_in_real_objects()

    def _swap_in_real_objects(self) -> None:
        # Once the session exists, `spark` and `sc` become the real objects (right type for
        # isinstance checks and libraries), unless the user has rebound the names.
        session = self.starter.peek()
        if session is None:
            return
        real = {"spark": session}
        if not self.starter.is_connect:
            real["sc"] = session.sparkContext
        proxies = {"spark": self.spark_proxy, "sc": self.sc_proxy}
        replace = {name: obj for name, obj in real.items() if self.ip.user_ns.get(name) is proxies[name]}
        if replace:
            self.ip.push(replace, interactive=False)

    def _put_proxies_back(self, old_session: Any) -> None:
        # After an idle stop: names still bound to the stopped session go back to the proxies, so
        # the next use starts Spark again (with its notice). Rebound names stay the user's.
        old = {"spark": old_session}
        try:
            if not self.starter.is_connect:
                old["sc"] = old_session.sparkContext
        except Exception:  # noqa: BLE001 - a stopped session may not answer
            pass
        proxies = {"spark": self.spark_proxy, "sc": self.sc_proxy}
        back = {name: proxies[name] for name, obj in old.items() if self.ip.user_ns.get(name) is obj}
        if back:
            self.ip.push(back, interactive=False)

    def _resolve_session(self) -> Any:
        session = self._wait_for_session()
        self.controller.ensure_tagged()
        return session

    def _resolve_context(self) -> Any:
        # The wait first, then the context: with Spark Connect there is no `sc`, which is no
        # failure to start.
        self._wait_for_session()
        context = self.starter.context()
        self.controller.ensure_tagged()
        return context

    def _wait_for_session(self) -> Any:
        # Only a cell's own thread shows the start notice: a thread the user started has no cell
        # to show it in (its display would land in whichever cell runs then).
        publish = None
        if self.controller.current is not None and threading.current_thread() is threading.main_thread():
            from IPython.display import display as publish
        return wait_with_notice(self.starter, publish)


_extensions: dict[int, FlintExtension] = {}


def prestart_shared_spark() -> bool:
    """Start this kernel's session on the project's shared Spark now, ahead of its first use.

    Flint calls it right after it gives the kernel its notebook token (before the first cell).
    It acts only when the warm pool imported the Spark Connect client into this kernel, which it
    does only while the project's Spark runs (its notebooks use Spark): then the session (the API
    call, the session object, the server's state for it) is ready by the time a cell asks for
    `spark`. A kernel of a project without running Spark, or one whose Spark was stopped for
    being idle, stays as it is. Returns whether a start began.
    """
    if "pyspark.sql.connect.session" not in sys.modules:
        return False
    started = False
    for extension in _extensions.values():
        starter = extension.starter
        if starter.settings.is_shared and starter.idle_stops == 0 and not starter.has_started:
            starter.start()
            started = True
    return started


def load_ipython_extension(ip: Any) -> None:
    """IPython entry point (``%load_ext flint.kernel`` or ``--ext flint.kernel``)."""
    if id(ip) in _extensions:
        return
    extension = FlintExtension(ip)
    extension.load()
    _extensions[id(ip)] = extension


def unload_ipython_extension(ip: Any) -> None:
    """IPython entry point for ``%unload_ext flint.kernel``."""
    extension = _extensions.pop(id(ip), None)
    if extension is not None:
        extension.unload()

"""Per-cell Spark work: tag each cell's jobs, cancel them on interrupt, report their progress.

Each cell execution gets a unique tag ``flint-<hex>``:

- classic Spark: ``sc.setJobGroup(tag, description, interruptOnCancel=True)``. PySpark runs in
  pinned-thread mode (each Python thread has its own JVM thread), so a job group applies to the
  Python thread that set it; cells run on the kernel's main thread, and so do these hooks.
- Spark Connect: ``spark.addTag(tag)`` before the cell, ``spark.removeTag(tag)`` after it; the
  session's :class:`~flint.kernel.progress.ConnectProgressCollector` files its operations'
  progress under the cell while it runs.

Tagging is one Py4J call, made just before the cell's first Py4J command on its thread, so a cell
that does not use classic Spark costs none (Spark Connect tags are set locally, before the cell).
Progress costs nothing more in a cell that sent no Py4J command (it cannot have started a job, see
:class:`~flint.kernel.progress.Py4JCommandCounter`); in the others the cell's end reads it in two
calls plus two per job (and two per stage of a job not yet reported finished). The reply never
waits for Spark's listener after a normal end: if it still shows a job running, the final state
follows as an update from the poller thread (within ``NORMAL_SETTLE_S``). After an interrupt the
reply waits for it (at most ``FINAL_SETTLE_S``).

Interrupt: ipykernel turns an interrupt into SIGINT and, for the duration of every shell message,
installs ``signal.default_int_handler`` (``Kernel.pre_handler_hook``), replacing any handler set
earlier, such as one installed when the extension loads, or PySpark's own, which it only
installs when the SparkContext is created on the main thread (ours is built on a background
thread). So Flint installs its handler in ``pre_run_cell``, i.e. inside that window, and chains to
the handler it replaced, which raises ``KeyboardInterrupt``.

Before chaining, the handler cancels the cell's jobs (``sc.cancelJobGroup`` /
``spark.interruptTag``) on a helper thread and waits for it (a fraction of a second): not on the
main thread, which may be blocked inside a Py4J call whose connection cannot carry another command.

Then, for classic Spark, it closes that busy Py4J connection of the main thread itself. Left to
itself, Py4J (0.10.9.9, pinned by PySpark 4.3) reacts to a KeyboardInterrupt inside a call by
sending the JVM shutdown requests for the interrupted socket and closing every idle connection of
its pool. In testing, the connection PySpark opens right afterwards to clean up (``SCCallSiteSync``)
was then often shut down by the JVM as well ("Answer from Java side is empty"), and the cell ended
in ``Py4JNetworkError`` instead of KeyboardInterrupt. With the socket already closed, Py4J skips
all that; the next call opens a fresh connection.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from flint.kernel.progress import (
    FINAL_SETTLE_S,
    ConnectCellSource,
    ConnectProgressCollector,
    ProgressPoller,
    ProgressReporter,
    ProgressSource,
    Py4JCommandCounter,
    SparkStatusReader,
    StatusTrackerSource,
)
from flint.kernel.session import SparkStarter

log = logging.getLogger(__name__)
# How long the SIGINT handler waits for the cancel request before raising KeyboardInterrupt.
CANCEL_WAIT_S = 5.0
# At the end of a cell that was not interrupted, how long the poller waits at most for Spark to
# report its jobs finished before publishing the final progress (a job the cell left running in
# the background would otherwise be shown running until FINAL_SETTLE_S).
NORMAL_SETTLE_S = 0.5


@dataclass
class CellRun:
    """State of one cell execution."""

    tag: str
    description: str
    parent: dict[str, Any] | None
    tagged: bool = False
    # Py4J commands sent before the cell's code ran (None: not counted, e.g. Spark not ready).
    commands_at_start: int | None = None
    interrupted: bool = False
    reporter: ProgressReporter | None = None
    # Spark Connect: the cell's operations, filed by the session's progress collector.
    connect_source: ConnectCellSource | None = None
    cancel_threads: list[threading.Thread] = field(default_factory=list)


def _describe_cell(info: Any) -> str:
    source = (getattr(info, "raw_cell", "") or "").strip()
    first_line = source.splitlines()[0] if source else ""
    if len(first_line) > 80:
        first_line = first_line[:79] + "\u2026"
    cell_id = getattr(info, "cell_id", None)
    return f"Flint cell {cell_id}: {first_line}" if cell_id else f"Flint cell: {first_line}"


def _close_busy_py4j_connection() -> None:
    """Close the main thread's Py4J connection if a call on it is under way (see module docstring).

    In pinned-thread mode each thread has one connection; it sits in the client's idle deque
    except while a call is in flight. An idle connection is left alone.
    """
    from pyspark import SparkContext

    client = getattr(SparkContext._gateway, "_gateway_client", None)
    get_thread_connection = getattr(client, "get_thread_connection", None)
    if get_thread_connection is None:
        return  # not pinned-thread mode
    connection = get_thread_connection()
    try:
        busy = connection is not None and connection.socket is not None and connection not in client.deque
    except RuntimeError:  # the deque changed while we looked: leave the connection alone
        return
    if busy:
        connection.close()


class CellController:
    """IPython ``pre_run_cell``/``post_run_cell`` hooks for Spark job tagging, interrupt and progress."""

    def __init__(self, ip: Any, starter: SparkStarter) -> None:
        self.ip = ip
        self.starter = starter
        self.current: CellRun | None = None
        self._previous_sigint: Any = None
        self._sigint_installed = False
        self._poller = ProgressPoller()
        # One status reader per SparkContext, shared by the cells: (context, reader).
        self._status_reader: tuple[Any, SparkStatusReader] | None = None
        self._command_counter: Py4JCommandCounter | None = None
        # Spark Connect: the progress handler registered on the current session.
        self._connect_progress: ConnectProgressCollector | None = None

    @property
    def command_count(self) -> int | None:
        """Py4J commands sent by cells and their threads so far (None: not counted)."""
        counter = self._command_counter
        return counter.count if counter is not None else None

    # -- hooks ---------------------------------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        """Start a cell: new tag, SIGINT handler, tag the session if it exists, start progress."""
        kernel = getattr(self.ip, "kernel", None)
        run = CellRun(
            tag=f"flint-{uuid.uuid4().hex[:16]}",
            description=_describe_cell(info),
            parent=kernel.get_parent() if kernel is not None else None,
        )
        self.current = run
        self._install_sigint_handler()
        counter = self._counter()
        if counter is not None:
            run.commands_at_start = counter.count
            # Tag just before the cell's first Py4J command on this thread: a job can only start
            # through one, and a cell that sends none (most cells) then costs no call at all.
            counter.before_next_command(threading.get_ident(), self.ensure_tagged)
        else:
            self.ensure_tagged()
        if kernel is not None:
            run.reporter = ProgressReporter(
                get_source=self._source_getter(run),
                publish=self._publisher(run),
                job_group=run.tag,
                display_id=f"{run.tag}-progress",
                may_have_jobs=lambda: self._may_have_jobs(run),
            )
            self._poller.watch(run.reporter)

    def post_run_cell(self, result: Any) -> None:
        """End a cell: recover from an interrupt, publish the final progress, untag."""
        run = self.current
        if run is None:
            return
        self.current = None
        if self._command_counter is not None:
            self._command_counter.before_next_command(threading.get_ident(), None)
        interrupted = run.interrupted or isinstance(getattr(result, "error_in_exec", None), KeyboardInterrupt)
        session = self.starter.peek()
        if interrupted and session is not None:
            if not run.interrupted:  # SIGINT arrived before our handler was in place
                self._cancel(run)
            # Let the cancellation reach the scheduler before the final progress update.
            for thread in run.cancel_threads:
                thread.join(timeout=5)
        if run.connect_source is not None and (interrupted or getattr(result, "error_in_exec", None) is not None):
            run.connect_source.mark_failed()
        if run.reporter is not None:
            self._poller.unwatch(run.reporter)
            if interrupted:
                # An interrupted job takes a while to be marked FAILED, and the cell's reply should
                # come with the final state that says so.
                run.reporter.finish(settle_s=FINAL_SETTLE_S)
            elif run.reporter.finish_soon(settle_s=NORMAL_SETTLE_S):
                # A cell that ended normally got its action's result, so its jobs are done and
                # Spark's listener reports that within milliseconds: the reply need not wait for
                # it, the poller publishes the final state as an update of the cell's display.
                self._poller.settle(run.reporter)
        if run.connect_source is not None and self._connect_progress is not None:
            self._connect_progress.end_cell(run.connect_source)
        if run.tagged and self.starter.is_connect and session is not None:
            try:
                session.removeTag(run.tag)
            except Exception:  # noqa: BLE001
                log.debug("Could not remove Spark Connect tag %s", run.tag, exc_info=True)
        self._restore_sigint_handler()

    def before_result(self) -> None:
        """The running cell's result is about to be shown: its Spark progress display goes first.

        A job shorter than the poller's interval is first seen at the cell's end
        (``post_run_cell``), after IPython's displayhook has sent the result, so the progress
        summary landed below the value it produced. One poll here puts it above, as for longer
        jobs; a cell that sent Spark nothing asks nothing (``may_have_jobs``).
        """
        run = self.current
        if run is not None and run.reporter is not None:
            run.reporter.tick()

    def ensure_tagged(self) -> None:
        """Tag the current cell's Spark work if the session exists and this is the cell's thread.

        Called just before the cell's first Py4J command (before the cell when commands are not
        counted) and again when ``spark``/``sc`` first resolve during a cell (the session may have
        become ready while the cell was running).
        """
        run = self.current
        if run is None or run.tagged or threading.current_thread() is not threading.main_thread():
            return
        session = self.starter.peek()
        if session is None:
            return
        try:
            if self.starter.is_connect:
                session.addTag(run.tag)
                run.connect_source = self._connect_progress_of(session).begin_cell()
            else:
                session.sparkContext.setJobGroup(run.tag, run.description, interruptOnCancel=True)
            run.tagged = True
        except Exception:  # noqa: BLE001 - tagging must never stop the user's cell
            log.warning("Could not tag Spark jobs of this cell", exc_info=True)

    # -- interrupt -----------------------------------------------------------------------------

    def _install_sigint_handler(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set on the main thread (e.g. not in subshells)
        current = signal.getsignal(signal.SIGINT)
        if current == self._on_sigint:
            return  # a cell run from within a cell: keep chaining to the outer previous handler
        self._previous_sigint = current
        signal.signal(signal.SIGINT, self._on_sigint)
        self._sigint_installed = True

    def _restore_sigint_handler(self) -> None:
        if not self._sigint_installed or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) == self._on_sigint:
            signal.signal(signal.SIGINT, self._previous_sigint)
        self._sigint_installed = False

    def _on_sigint(self, signum: int, frame: Any) -> None:
        run = self.current
        if run is not None:
            run.interrupted = True
            cancel = self._cancel(run)
            if cancel is not None:
                cancel.join(CANCEL_WAIT_S)
                if not self.starter.is_connect:
                    try:
                        _close_busy_py4j_connection()
                    except Exception:  # noqa: BLE001 - the interrupt itself must still happen
                        log.debug("Could not close the interrupted Py4J connection", exc_info=True)
        previous = self._previous_sigint
        if callable(previous) and previous != self._on_sigint:
            previous(signum, frame)
        elif previous == signal.SIG_IGN:
            return
        else:
            raise KeyboardInterrupt

    def _cancel(self, run: CellRun) -> threading.Thread | None:
        """Start cancelling the cell's Spark jobs on a helper thread (see the module docstring)."""
        session = self.starter.peek()
        if session is None:
            return None

        def cancel() -> None:
            try:
                if self.starter.is_connect:
                    session.interruptTag(run.tag)
                else:
                    session.sparkContext.cancelJobGroup(run.tag)
            except Exception:  # noqa: BLE001
                log.warning("Could not cancel the Spark jobs of the interrupted cell", exc_info=True)

        thread = threading.Thread(target=cancel, name=f"flint-cancel-{run.tag}", daemon=True)
        run.cancel_threads.append(thread)
        thread.start()
        return thread

    # -- progress ------------------------------------------------------------------------------

    def _source_getter(self, run: CellRun):
        cache: list[ProgressSource] = []

        def get_source() -> ProgressSource | None:
            if cache:
                return cache[0]
            if run.connect_source is not None:
                return run.connect_source  # Spark Connect: filed by the session's collector
            session = self.starter.peek()
            if session is None or self.starter.is_connect:
                return None
            cache.append(StatusTrackerSource(self._reader_for(session.sparkContext), run.tag))
            return cache[0]

        return get_source

    def _connect_progress_of(self, session: Any) -> ConnectProgressCollector:
        # One handler per session (a session made after an idle stop gets its own).
        collector = self._connect_progress
        if collector is None or collector.session is not session:
            collector = self._connect_progress = ConnectProgressCollector(session)
        return collector

    def _counter(self) -> Py4JCommandCounter | None:
        """The Py4J command counter of the classic session, installed once it exists."""
        if self.starter.is_connect or self.starter.peek() is None:
            return None
        from pyspark import SparkContext

        client = getattr(SparkContext._gateway, "_gateway_client", None)
        counter = self._command_counter
        if client is not None and (counter is None or counter.client is not client):
            try:
                counter = self._command_counter = Py4JCommandCounter.install(client, lambda: self._poller.thread_ident)
            except Exception:  # noqa: BLE001 - without it every cell is simply polled
                log.debug("Could not count Py4J commands", exc_info=True)
                counter = self._command_counter = None
        return counter

    def _may_have_jobs(self, run: CellRun) -> bool:
        counter = self._command_counter
        if run.commands_at_start is None or counter is None:
            return True
        return counter.count != run.commands_at_start

    def _reader_for(self, context: Any) -> SparkStatusReader:
        # Created once (one Py4J call), not per cell; a new SparkContext gets a new reader.
        cached = self._status_reader
        if cached is None or cached[0] is not context:
            cached = self._status_reader = (context, SparkStatusReader(context))
        return cached[1]

    def _publisher(self, run: CellRun):
        display_pub = self.ip.display_pub

        def publish(data: dict[str, Any], metadata: dict[str, Any], display_id: str, update: bool) -> None:
            # From the polling thread the display publisher would fall back to the kernel's latest
            # parent; setting the cell's own parent for this thread makes the message belong to
            # the cell that started the job, whatever else the kernel is doing.
            token = (
                display_pub.set_thread_parent(run.parent)
                if run.parent and hasattr(display_pub, "set_thread_parent")
                else None
            )
            try:
                display_pub.publish(data=data, metadata=metadata, transient={"display_id": display_id}, update=update)
            finally:
                if token is not None:
                    display_pub.reset_thread_parent(token)

        return publish

"""Stop a notebook's Spark after it has been idle for ``FLINT_SPARK_IDLE_MINUTES`` (issue 17).

A classic session holds a JVM of several hundred MB; a Spark Connect session holds temp views,
cached data and Python workers on the project's server. A notebook left open over lunch should
hold neither. :class:`IdleSparkStopper` watches, on one daemon thread:

- classic Spark: the Py4J commands that cells and their threads send (the counter of
  :class:`~flint.kernel.progress.Py4JCommandCounter`) and Spark's active jobs (a job that a
  background thread runs is use too);
- Spark Connect: the RPCs the session's client makes (its gRPC stub is wrapped to count them).

When neither moved for the idle time and no cell is running, it stops the session
(:meth:`~flint.kernel.session.SparkStarter.stop_idle`) and puts the ``spark``/``sc`` proxies back
in the notebook, so the next use starts Spark again with the start notice. A DataFrame made
before the stop raises :class:`~flint.kernel.session.SparkStoppedError` saying so.

A cell never runs while the stop is under way: the stop holds :attr:`IdleSparkStopper.lock`,
which the extension takes before each cell.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flint.kernel.session import SparkStarter

log = logging.getLogger(__name__)
# The check runs this often at most (and at least 4 times per idle period).
MAX_CHECK_INTERVAL_S = 30.0


def stopped_message(minutes: float) -> str:
    """What a DataFrame of a stopped session says when it is used."""
    amount = f"{minutes:g} idle minute{'s' if minutes != 1 else ''}"
    return (
        f"Spark was stopped after {amount} (FLINT_SPARK_IDLE_MINUTES), and this DataFrame belonged to it. "
        "Re-run the cell that made it; `spark` starts again at its next use."
    )


class _CountingStub:
    """A Spark Connect gRPC stub whose every call counts as use of Spark."""

    def __init__(self, stub: Any, on_call: Callable[[], None]) -> None:
        self._flint_stub = stub
        self._flint_on_call = on_call

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._flint_stub, name)
        if not callable(target):
            return target
        on_call = self._flint_on_call

        def call(*args: Any, **kwargs: Any) -> Any:
            on_call()
            return target(*args, **kwargs)

        return call


class IdleSparkStopper:
    """Stops the notebook's Spark after ``idle_minutes`` without use (see the module docstring).

    ``command_count`` returns the classic session's Py4J command count (None: not counted);
    ``is_cell_running`` says whether a cell runs now; ``on_stopped(old_session)`` puts the proxies back.
    """

    def __init__(
        self,
        starter: SparkStarter,
        idle_minutes: float,
        command_count: Callable[[], int | None],
        is_cell_running: Callable[[], bool],
        on_stopped: Callable[[Any], None],
    ) -> None:
        self.starter = starter
        self.idle_s = idle_minutes * 60.0
        self.idle_minutes = idle_minutes
        self.lock = threading.RLock()
        self._command_count = command_count
        self._is_cell_running = is_cell_running
        self._on_stopped = on_stopped
        self._last_use = time.monotonic()
        self._last_count: int | None = None
        self._session: Any = None
        self._rpc_count = 0
        self._seen_rpc_count = 0
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()

    @property
    def is_enabled(self) -> bool:
        """False with ``FLINT_SPARK_IDLE_MINUTES=0``."""
        return self.idle_s > 0

    def start(self) -> None:
        """Start watching (no-op when disabled or already watching)."""
        if not self.is_enabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="flint-spark-idle", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching."""
        self._stop_event.set()

    def note_use(self) -> None:
        """Count now as use of Spark (a cell resolved ``spark``, ``%%sql`` ran...)."""
        self._last_use = time.monotonic()

    def _loop(self) -> None:
        interval = min(MAX_CHECK_INTERVAL_S, max(self.idle_s / 4, 0.2))
        while not self._stop_event.wait(interval):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
                log.debug("Idle Spark check failed", exc_info=True)

    def check(self) -> bool:
        """Look once; stop the session if it has been idle long enough. True if it was stopped."""
        session = self.starter.peek()
        if session is None:
            # Not started (or stopped): the clock starts with the next session.
            self._last_use = time.monotonic()
            self._last_count = None
            return False
        now = time.monotonic()
        if self._moved(session) or self._is_cell_running():
            self._last_use = now
            return False
        if now - self._last_use < self.idle_s:
            return False
        with self.lock:
            # A cell may have started while we looked: it holds the lock from its start.
            if self._is_cell_running() or self.starter.peek() is not session:
                return False
            if not self.starter.stop_idle(stopped_message(self.idle_minutes)):
                return False
            self._session = None
            self._last_count = None
            self._on_stopped(session)
        log.info("Spark stopped after %s idle minutes", self.idle_minutes)
        return True

    def _moved(self, session: Any) -> bool:
        """True if Spark was used since the last look (commands, RPCs or running jobs)."""
        if self.starter.is_connect:
            if session is not self._session:
                self._watch_rpcs(session)
            moved = self._rpc_count != self._seen_rpc_count
            self._seen_rpc_count = self._rpc_count
            return moved
        count = self._command_count()
        moved = count is not None and self._last_count is not None and count != self._last_count
        has_jobs = False
        try:
            # From this thread: its own Py4J commands are read past below, so they are not use.
            has_jobs = len(session.sparkContext.statusTracker().getActiveJobsIds()) > 0
        except Exception:  # noqa: BLE001 - a JVM that cannot answer is not busy for us
            log.debug("Could not read Spark's active jobs", exc_info=True)
        self._last_count = self._command_count()
        return moved or has_jobs

    def _watch_rpcs(self, session: Any) -> None:
        self._session = session

        def count() -> None:
            self._rpc_count += 1

        client = getattr(session, "_client", None)
        stub = getattr(client, "_stub", None)
        if stub is not None and not isinstance(stub, _CountingStub):
            client._stub = _CountingStub(stub, count)

"""Live Spark progress for the running cell, published as a display output that updates in place.

While a cell runs, :class:`ProgressPoller` has the cell's :class:`ProgressReporter` poll a
:class:`ProgressSource` every 0.5 s. As soon as the cell has a Spark job it publishes
``display_data`` with::

    application/vnd.flint.spark-progress+json
    {"jobs": [{"jobId", "status", "numTasks", "numCompletedTasks", "numActiveTasks",
               "numFailedTasks", "stages": {"total", "completed", "active", "failed", "skipped"}}],
     "done": bool, "jobGroup": str}

plus a ``text/plain`` line ("Spark: job 3 42/100 tasks") and a transient ``display_id``; later
ticks send ``update_display_data`` for that id, only when something changed. When the cell ends a
last update carries ``"done": true`` and, in the output's metadata under ``flint.spark``, the
summary ``{"jobs": n, "tasks": n, "durationMs": n, "jobGroup": str}`` so it is saved with the cell
(``durationMs``: from the cell's start to its end).

Cost: every figure comes from the driver JVM over Py4J, one socket round trip per call, and the
cell's reply waits for the state read at its end. So the classic source asks for as little as it
can (see :class:`SparkStatusReader`): two calls for the group's job ids, two per job (a succeeded
job's totals come from Spark's status store, without reading its stages), two per stage of a job
still running; it never asks again about a finished job, and a cell that started no job costs two
calls. Spark's listener reports a job's end a moment after the action returned: if a job still
shows as running when the cell ends, the final state is published later, as an update from the
poller thread, once Spark reports it finished (see :meth:`ProgressReporter.finish_soon`).

Sources:

- :class:`StatusTrackerSource` (classic Spark): Spark's status tracker by job group.
- :class:`ConnectProgressCollector` (Spark Connect, the project's shared Spark): Connect has no
  status tracker; the server streams each operation's stages with its results (every
  ``spark.connect.progress.reportInterval``, 500 ms on Flint's servers) and pyspark hands them to
  the handlers of ``spark.registerProgressHandler`` as ``(stages, inflight_tasks, operation_id,
  done)`` on the thread that reads the results. One collector per session attributes them to the
  running cell; the cell's :class:`ConnectCellSource` reports one pseudo-job per operation (the
  feed has no job ids), numbered per kernel, with the same payload as a classic job.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

PROGRESS_MIME = "application/vnd.flint.spark-progress+json"
METADATA_KEY = "flint.spark"
POLL_INTERVAL_S = 0.5
# A cell that runs thousands of small jobs would otherwise make every update huge.
MAX_JOBS_SHOWN = 50
# At a cell's end, how long to wait at most for jobs to be reported finished (see finish()).
FINAL_SETTLE_S = 1.0
# The first re-check comes this soon (the listener usually catches up within milliseconds), later
# ones at twice the previous gap, up to SETTLE_MAX_STEP_S.
SETTLE_FIRST_STEP_S = 0.002
SETTLE_MAX_STEP_S = 0.05

log = logging.getLogger(__name__)

FINISHED_STATUSES = {"SUCCEEDED", "FAILED"}


@dataclass(frozen=True)
class JobProgress:
    """Task and stage counts of one Spark job."""

    job_id: int
    status: str
    num_tasks: int
    num_completed_tasks: int
    num_active_tasks: int
    num_failed_tasks: int
    stages_total: int
    stages_completed: int
    stages_active: int
    stages_failed: int
    stages_skipped: int = 0

    @property
    def is_finished(self) -> bool:
        """True once the job succeeded or failed (its numbers no longer change)."""
        return self.status in FINISHED_STATUSES

    def to_json(self) -> dict[str, Any]:
        """The job's entry in the progress MIME payload."""
        return {
            "jobId": self.job_id,
            "status": self.status,
            "numTasks": self.num_tasks,
            "numCompletedTasks": self.num_completed_tasks,
            "numActiveTasks": self.num_active_tasks,
            "numFailedTasks": self.num_failed_tasks,
            "stages": {
                "total": self.stages_total,
                "completed": self.stages_completed,
                "active": self.stages_active,
                "failed": self.stages_failed,
                "skipped": self.stages_skipped,
            },
        }


class ProgressSource(Protocol):
    """Reports the Spark jobs of one cell execution (one job group or tag)."""

    def snapshot(self) -> list[JobProgress]:
        """Return the cell's jobs so far, oldest first. May be called from any thread."""
        ...


def _int_list(text: str) -> list[int]:
    """Parse ``java.util.Arrays.toString`` of an ``int[]``, e.g. ``"[3, 4]"``."""
    inner = text.strip()[1:-1]
    return [int(part) for part in inner.split(",") if part.strip()]


@dataclass(frozen=True)
class _StageCounts:
    num_tasks: int
    num_active_tasks: int
    num_completed_tasks: int
    num_failed_tasks: int

    @property
    def started(self) -> bool:
        return self.num_completed_tasks > 0 or self.num_active_tasks > 0


@dataclass(frozen=True)
class _JobTotals:
    """Counts that Spark's status store keeps for a whole job (``v1.JobData``)."""

    num_tasks: int
    num_skipped_tasks: int
    num_failed_tasks: int
    num_skipped_stages: int


@dataclass(frozen=True)
class _JobInfo:
    """What one read of a job returns. ``totals`` only when Spark's status store was readable."""

    status: str
    stage_ids: list[int] | None
    totals: _JobTotals | None = None


def _seq_ints(value: Any) -> list[int]:
    """Parse a Scala ``Seq[Int]`` as rendered by ``toString`` (``"ArraySeq(7, 8)"``), or a list."""
    if isinstance(value, list):
        return [int(v) for v in value]
    text = str(value)
    inner = text[text.index("(") + 1 : text.rindex(")")]
    return [int(part) for part in inner.split(",") if part.strip()]


_STORE_MISSES_TO_DROP = 3
"""Jobs in a row the status tracker knew but Spark's status store could not say, after which a
:class:`SparkStatusReader` stops asking the store."""


class SparkStatusReader:
    """Reads job and stage status from a classic SparkContext in few Py4J calls.

    One per SparkContext, shared by all cells. Every Py4J call is a socket round trip to the
    driver JVM, and on a busy machine each one waits for both processes to be scheduled, so the
    number of calls is what costs. PySpark's ``StatusTracker`` makes one call per field (eight
    for a stage) and two per element of an ``int[]``. This reader has each status object rendered
    as JSON in one call (commons-lang3's ``ReflectionToStringBuilder`` with
    ``ToStringStyle.JSON_STYLE``, both on Spark's classpath), and each ``int[]`` with one
    ``Arrays.toString`` call.

    A job is read from Spark's status store (``SparkContext.statusStore.job``, the ``v1.JobData``
    behind the status tracker and the Spark UI): besides status and stage ids it has the job's
    task totals, so a finished job needs no stage reads. Where that store or the JSON rendering is
    unavailable or unreadable, it falls back to the status tracker, field by field if need be.
    """

    def __init__(self, spark_context: Any) -> None:
        jvm = spark_context._jvm
        self._tracker = spark_context._jsc.statusTracker()
        self._array_to_string = jvm.java.util.Arrays.toString
        self._to_json: Callable[[Any], str] | None
        try:
            builder = jvm.org.apache.commons.lang3.builder
            to_string, style = builder.ReflectionToStringBuilder.toString, builder.ToStringStyle.JSON_STYLE
            self._to_json = lambda obj: to_string(obj, style)
        except Exception:  # noqa: BLE001 - a classpath without commons-lang3: ask field by field
            log.debug("No JSON rendering of Spark status objects; reading them field by field", exc_info=True)
            self._to_json = None
        # ``statusStore`` is private[spark] in Scala, public in bytecode.
        self._store: Any = None
        # Jobs in a row the tracker knew and the store could not say. One miss (once in some
        # tens of test runs on a loaded machine, cause not yet caught) must not cost the fast
        # path for the kernel's life; a store that cannot answer at all is dropped after a few.
        self._store_misses = 0
        if self._to_json is not None:
            try:
                self._store = spark_context._jsc.sc().statusStore()
            except Exception:  # noqa: BLE001 - then jobs are read through the status tracker
                log.debug("No access to Spark's status store; reading jobs through the tracker", exc_info=True)

    def job_ids(self, job_group: str) -> list[int]:
        """Ids of the group's jobs that Spark still remembers (2 calls)."""
        return _int_list(self._array_to_string(self._tracker.getJobIdsForGroup(job_group)))

    def job(self, job_id: int, with_stage_ids: bool) -> _JobInfo | None:
        """A job's status, stage ids and totals, or None if unknown (2 calls; through the tracker
        2, or 3 field by field, 5 with stage ids)."""
        store = self._store
        if store is not None:
            info = self._store_job(store, job_id)
            if info is not None:
                self._store_misses = 0
                return info
        tracker_info = self._tracker.getJobInfo(job_id)
        if tracker_info is None:
            return None
        if store is not None:
            self._store_misses += 1
            if self._store_misses >= _STORE_MISSES_TO_DROP:
                log.debug("Spark's status store did not answer for job %s; using the tracker from now on", job_id)
                self._store = None
        fields = self._fields(tracker_info)
        try:
            return _JobInfo(str(fields["status"]).upper(), [int(i) for i in fields["stageIds"]])
        except (KeyError, TypeError, ValueError):
            stage_ids = _int_list(self._array_to_string(tracker_info.stageIds())) if with_stage_ids else None
            return _JobInfo(str(tracker_info.status()).upper(), stage_ids)

    def _store_job(self, store: Any, job_id: int) -> _JobInfo | None:
        try:
            fields = self._fields(store.job(job_id))
            return _JobInfo(
                str(fields["status"]).upper(),
                _seq_ints(fields["stageIds"]),
                _JobTotals(
                    int(fields["numTasks"]),
                    int(fields["numSkippedTasks"]),
                    int(fields["numFailedTasks"]),
                    int(fields["numSkippedStages"]),
                ),
            )
        except Exception:  # noqa: BLE001 - unknown job (NoSuchElementException) or unreadable
            log.debug("Could not read job %s from Spark's status store", job_id, exc_info=True)
            return None

    def stage(self, stage_id: int) -> _StageCounts | None:
        """Task counts of a stage's latest attempt, or None if unknown (2 calls; field by field 5)."""
        info = self._tracker.getStageInfo(stage_id)
        if info is None:
            return None
        fields = self._fields(info)
        try:
            return _StageCounts(
                int(fields["numTasks"]),
                int(fields["numActiveTasks"]),
                int(fields["numCompletedTasks"]),
                int(fields["numFailedTasks"]),
            )
        except (KeyError, TypeError, ValueError):
            return _StageCounts(info.numTasks(), info.numActiveTasks(), info.numCompletedTasks(), info.numFailedTasks())

    def _fields(self, obj: Any) -> dict[str, Any]:
        """The object's fields as a dict (one call), or {} if they cannot be read that way."""
        if self._to_json is None:
            return {}
        try:
            fields = json.loads(self._to_json(obj))
        except Exception:  # noqa: BLE001 - e.g. a stage name the renderer did not escape
            log.debug("Could not read a Spark status object as JSON", exc_info=True)
            return {}
        return fields if isinstance(fields, dict) else {}


class StatusTrackerSource:
    """Progress of a job group from a classic SparkContext's status tracker.

    Spark's stage info has task counts but no stage status, so stage states are derived:
    all tasks done → completed; some running or done → active; in a failed job, a stage that did
    not complete → failed. A stage whose shuffle output was reused is skipped: it is counted in
    ``stages.skipped`` and, so that bars reach 100 %, in ``stages.completed``, and its tasks are
    left out of the task totals, as the Spark UI does. A succeeded job whose totals the status
    store gave is taken from those, without reading its stages (the common case at a cell's end).
    """

    def __init__(self, reader: SparkStatusReader, job_group: str) -> None:
        self._reader = reader
        self._group = job_group
        # Finished jobs never change: remember them instead of asking the JVM every tick. A job's
        # stage list is fixed when it is submitted: ask for it once.
        self._finished: dict[int, JobProgress] = {}
        self._stage_ids: dict[int, list[int]] = {}

    def snapshot(self) -> list[JobProgress]:
        """See :meth:`ProgressSource.snapshot`."""
        jobs = []
        for job_id in sorted(self._reader.job_ids(self._group)):
            job = self._finished.get(job_id) or self._job(job_id)
            if job is None:
                continue
            if job.is_finished:
                self._finished[job_id] = job
                self._stage_ids.pop(job_id, None)
            jobs.append(job)
        return jobs

    def _job(self, job_id: int) -> JobProgress | None:
        known_stage_ids = self._stage_ids.get(job_id)
        read = self._reader.job(job_id, with_stage_ids=known_stage_ids is None)
        if read is None:
            return None
        status = read.status
        if status == "SUCCEEDED" and read.totals is not None and read.stage_ids is not None:
            return _succeeded_job(job_id, len(read.stage_ids), read.totals)
        if known_stage_ids is None:
            known_stage_ids = self._stage_ids[job_id] = sorted(read.stage_ids or [])
        # Parents get lower ids than their children (hence the sort).
        stages = [s for s in map(self._reader.stage, known_stage_ids) if s is not None]

        tasks = completed = active = failed = 0
        stages_completed = stages_active = stages_failed = stages_skipped = 0
        for index, stage in enumerate(stages):
            # A child only starts once its parents are done, so a stage that never ran while a
            # later one did was skipped (its shuffle output was reused). Spark itself marks it
            # SKIPPED only when the job ends.
            if not stage.started and (status == "SUCCEEDED" or any(later.started for later in stages[index + 1 :])):
                stages_skipped += 1
                continue
            tasks += stage.num_tasks
            completed += stage.num_completed_tasks
            active += stage.num_active_tasks
            failed += stage.num_failed_tasks
            if stage.num_tasks > 0 and stage.num_completed_tasks >= stage.num_tasks:
                stages_completed += 1
            elif status == "FAILED":
                stages_failed += 1
            elif stage.started:
                stages_active += 1
        if status == "SUCCEEDED":
            # Stage info can lag the job's end by a moment; a succeeded job finished everything.
            stages_completed, stages_active, completed, active = len(stages) - stages_skipped, 0, tasks, 0
        return JobProgress(
            job_id,
            status,
            tasks,
            completed,
            active,
            failed,
            stages_total=len(stages),
            stages_completed=stages_completed + stages_skipped,
            stages_active=stages_active,
            stages_failed=stages_failed,
            stages_skipped=stages_skipped,
        )


def _succeeded_job(job_id: int, num_stages: int, totals: _JobTotals) -> JobProgress:
    """A succeeded job from the status store's totals; the same figures the stage reads give.

    The store counts the tasks of every stage in ``numTasks`` and, when the job ends, those of the
    stages it skipped in ``numSkippedTasks`` (so do the Spark UI's bars).
    """
    tasks = totals.num_tasks - totals.num_skipped_tasks
    return JobProgress(
        job_id,
        "SUCCEEDED",
        tasks,
        tasks,
        0,
        totals.num_failed_tasks,
        stages_total=num_stages,
        stages_completed=num_stages,
        stages_active=0,
        stages_failed=0,
        stages_skipped=totals.num_skipped_stages,
    )


# Py4J's protocol: a command's first line names it; "m" is memory management (releasing objects).
_MEMORY_COMMAND = "m\n"


def _is_memory_command(command: Any) -> bool:
    return isinstance(command, str) and command.startswith(_MEMORY_COMMAND)


class Py4JCommandCounter:
    """Counts the commands that Python threads send to the driver JVM over Py4J.

    A Spark job in a cell's job group can only start through a Py4J command that a thread sends
    while the cell runs (the job group is a thread-local property that the cell's thread carries,
    and threads inherit it only when created during the cell). So if the count did not move
    during a cell, the cell started no job and its progress need not be asked for at all. Not
    counted: the progress poller's own commands, and Py4J's memory commands, which its finalizer
    thread sends up to a second after Python dropped a JVM object (after every Spark cell, so
    they would make the next cells look as if they used Spark). Everything else is counted (also
    commands that start no job: then the cell is polled as before).

    It wraps ``send_command`` of PySpark's Py4J client object, the one method every Py4J call goes
    through; :meth:`install` returns None where that method is not there. The same wrapper can run
    a callback just before one thread's next command (see :meth:`before_next_command`).
    """

    def __init__(self, client: Any, ignored_thread: Callable[[], int | None]) -> None:
        self.client = client
        self.count = 0
        self._ignored_thread = ignored_thread
        self._before_next: tuple[int, Callable[[], None]] | None = None
        send_command = client.send_command

        def counting_send_command(*args: Any, **kwargs: Any) -> Any:
            thread = threading.get_ident()
            if thread != self._ignored_thread() and not _is_memory_command(args[0] if args else kwargs.get("command")):
                self.count += 1
                before = self._before_next
                if before is not None and before[0] == thread:
                    self._before_next = None  # first: the callback's own commands pass straight on
                    before[1]()
            return send_command(*args, **kwargs)

        client.send_command = counting_send_command

    def before_next_command(self, thread: int, callback: Callable[[], None] | None) -> None:
        """Run ``callback`` once, just before the next command that ``thread`` sends (None: cancel)."""
        self._before_next = (thread, callback) if callback is not None else None

    @classmethod
    def install(cls, client: Any, ignored_thread: Callable[[], int | None]) -> Py4JCommandCounter | None:
        """Start counting the commands of ``client``, or return None if it has no ``send_command``."""
        if not callable(getattr(client, "send_command", None)):
            return None
        return cls(client, ignored_thread)


@dataclass
class _Operation:
    """What the last progress callback said about one Spark Connect operation."""

    job_id: int
    num_tasks: int = 0
    num_completed_tasks: int = 0
    num_active_tasks: int = 0
    stages_total: int = 0
    stages_completed: int = 0
    done: bool = False


class ConnectCellSource:
    """The Spark Connect operations of one cell, as pseudo-jobs (see :class:`ConnectProgressCollector`).

    The feed says when an operation's results are all read (``done``) but not whether it
    succeeded: a finished operation counts as succeeded, all its tasks done, unless the cell
    failed or was interrupted (:meth:`mark_failed`), when an operation that had not completed its
    tasks is shown failed with the counts last seen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._operations: dict[str, _Operation] = {}
        self._failed = False

    def mark_failed(self) -> None:
        """The cell raised or was interrupted: its unfinished operations failed."""
        self._failed = True

    def record(
        self, operation_id: str, job_id: Callable[[], int], stages: Any, inflight_tasks: int, done: bool
    ) -> None:
        """Note one progress callback of an operation."""
        stages = list(stages or [])
        with self._lock:
            operation = self._operations.get(operation_id)
            if operation is None:
                if not stages:
                    # An operation that never reported a stage (schema analysis, a command, a
                    # query faster than the report interval) ran no job worth showing.
                    return
                operation = self._operations[operation_id] = _Operation(job_id())
            if stages:
                operation.num_tasks = sum(int(stage.num_tasks) for stage in stages)
                operation.num_completed_tasks = sum(
                    min(int(stage.num_completed_tasks), int(stage.num_tasks)) for stage in stages
                )
                operation.stages_total = len(stages)
                operation.stages_completed = sum(1 for stage in stages if stage.done)
            operation.num_active_tasks = 0 if done else int(inflight_tasks)
            operation.done = operation.done or done

    def snapshot(self) -> list[JobProgress]:
        """See :meth:`ProgressSource.snapshot`."""
        with self._lock:
            return [self._job(operation) for operation in self._operations.values()]

    def _job(self, op: _Operation) -> JobProgress:
        complete = op.num_completed_tasks >= op.num_tasks and op.stages_completed >= op.stages_total
        if self._failed and not complete:
            status = "FAILED"
        elif op.done:
            # Reported at the end of reading the results, with the counts of the last report
            # (up to one report interval old): everything it started has finished.
            return JobProgress(
                op.job_id,
                "SUCCEEDED",
                op.num_tasks,
                op.num_tasks,
                0,
                0,
                stages_total=op.stages_total,
                stages_completed=op.stages_total,
                stages_active=0,
                stages_failed=0,
            )
        else:
            status = "RUNNING"
        stages_open = op.stages_total - op.stages_completed
        return JobProgress(
            op.job_id,
            status,
            op.num_tasks,
            op.num_completed_tasks,
            op.num_active_tasks if status == "RUNNING" else 0,
            0,
            stages_total=op.stages_total,
            stages_completed=op.stages_completed,
            stages_active=stages_open if status == "RUNNING" else 0,
            stages_failed=stages_open if status == "FAILED" else 0,
        )


class ConnectProgressCollector:
    """Receives a Spark Connect session's progress callbacks and files them under the running cell.

    Registered once per session (``spark.registerProgressHandler``). pyspark calls it on the
    thread that reads an operation's results, as the server's progress reports arrive and once
    more when the operation ends; calls made while no cell runs (a thread left running after its
    cell) are dropped. Each operation gets a pseudo job id, counted per kernel.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._cell: ConnectCellSource | None = None
        self._next_job_id = 0
        session.registerProgressHandler(self)

    def begin_cell(self) -> ConnectCellSource:
        """Start filing callbacks under a new cell; returns its source."""
        source = ConnectCellSource()
        with self._lock:
            self._cell = source
        return source

    def end_cell(self, source: ConnectCellSource) -> None:
        """Stop filing callbacks under ``source`` (if it is still the current cell)."""
        with self._lock:
            if self._cell is source:
                self._cell = None

    def _new_job_id(self) -> int:
        with self._lock:
            job_id = self._next_job_id
            self._next_job_id += 1
            return job_id

    def __call__(
        self, stages: Any = None, inflight_tasks: int = 0, operation_id: str | None = None, done: bool = False
    ) -> None:
        cell = self._cell
        if cell is None or not operation_id:
            return
        try:
            cell.record(operation_id, self._new_job_id, stages, inflight_tasks, done)
        except Exception:  # noqa: BLE001 - progress must never break the query that reports it
            log.debug("Could not record Spark Connect progress", exc_info=True)


def progress_text(jobs: list[JobProgress], done: bool) -> str:
    """Plain-text fallback, e.g. ``Spark: job 3 42/100 tasks``."""
    parts = [
        f"job {j.job_id} {j.num_completed_tasks}/{j.num_tasks} tasks"
        + ("" if j.status == "RUNNING" else f" ({j.status.lower()})")
        for j in jobs[-3:]
    ]
    more = f" (+{len(jobs) - 3} earlier jobs)" if len(jobs) > 3 else ""
    return "Spark: " + "; ".join(parts) + more + (" - done" if done else "")


# publish(data, metadata, display_id, update)
Publish = Callable[[dict[str, Any], dict[str, Any], str, bool], None]


class ProgressReporter:
    """Tracks one cell's Spark progress and publishes it when it changes.

    ``get_source`` returns None while there is nothing to poll yet (Spark still starting, or a
    session without a source, such as Spark Connect). ``publish`` sends the output.
    ``may_have_jobs`` returns False as long as the cell cannot have started a job (see
    :class:`Py4JCommandCounter`); until then ticks and the final state ask Spark nothing. :meth:`tick`
    runs on the :class:`ProgressPoller` thread. When the cell ends, its thread calls
    :meth:`finish` (the final state, waiting for Spark if need be) or :meth:`finish_soon` (the final
    state if Spark already has it, else the current one and :meth:`settle` later, on the poller).
    """

    def __init__(
        self,
        get_source: Callable[[], ProgressSource | None],
        publish: Publish,
        job_group: str,
        display_id: str,
        may_have_jobs: Callable[[], bool] = lambda: True,
    ) -> None:
        self._get_source = get_source
        # False while it is certain that the cell started no Spark job: then nothing is polled.
        self._may_have_jobs = may_have_jobs
        self._publish = publish
        self._group = job_group
        self._display_id = display_id
        # One tick at a time, and none after the final one: a late background tick must not
        # replace the final state.
        self._lock = threading.Lock()
        self._finished = False
        self._shown = False
        self._last_payload: dict[str, Any] | None = None
        self._started = time.monotonic()
        # Set when the cell ends: its duration does not include waiting for Spark's listener.
        self._ended: float | None = None
        # Between finish_soon() and settle(): the jobs seen and when to stop waiting for them.
        self._unsettled: tuple[list[JobProgress], float] | None = None

    def tick(self) -> None:
        """Poll once and publish if something changed (no-op once finished)."""
        with self._lock:
            if not self._finished:
                self._publish_jobs(self._poll(), final=False)

    def finish(self, settle_s: float = FINAL_SETTLE_S) -> dict[str, Any] | None:
        """Publish the final state with its summary; returns the summary, or None without jobs.

        Spark's status store learns that a job ended from its listener bus, a moment after the
        action has returned to the cell. If a job still shows as running, poll again after 2, 4,
        8 ... ms (at most ``settle_s`` in all), so the final state does not show a finished job as
        RUNNING, while a cell whose jobs are already reported finished is not held up at all.
        """
        with self._lock:
            jobs = self._end()
            return self._publish_jobs(self._settled(jobs, time.monotonic() + settle_s), final=True)

    def finish_soon(self, settle_s: float = FINAL_SETTLE_S) -> bool:
        """Like :meth:`finish`, without waiting; returns True if :meth:`settle` is still to be called.

        If Spark already reports every job of the cell finished (the usual case), the final state
        is published now. Otherwise the current state is, so that the cell's display exists before
        the cell's reply (a front end drops new outputs of a finished cell, but applies updates of
        an existing display), and :meth:`settle` publishes the final state as an update once Spark
        reports the jobs finished, at most ``settle_s`` from now.
        """
        with self._lock:
            jobs = self._end()
            if not jobs or all(j.is_finished for j in jobs):
                self._publish_jobs(jobs, final=True)
                return False
            self._publish_jobs(jobs, final=False)
            self._unsettled = (jobs, time.monotonic() + settle_s)
            return True

    def settle(self) -> dict[str, Any] | None:
        """Publish the final state after :meth:`finish_soon` (waits for Spark, see :meth:`finish`)."""
        with self._lock:
            if self._unsettled is None:
                return None
            jobs, deadline = self._unsettled
            self._unsettled = None
            return self._publish_jobs(self._settled(jobs, deadline), final=True)

    def _end(self) -> list[JobProgress]:
        """Stop ticking, note the cell's end and poll once (call with the lock held)."""
        self._finished = True
        self._ended = time.monotonic()
        return self._poll()

    def _settled(self, jobs: list[JobProgress], deadline: float) -> list[JobProgress]:
        """Poll after growing pauses until no job shows as running or ``deadline`` passes."""
        step = SETTLE_FIRST_STEP_S
        while jobs and any(not j.is_finished for j in jobs):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(step, remaining))
            step = min(step * 2, SETTLE_MAX_STEP_S)
            # Finished jobs are cached: only the others are asked about again.
            again = self._poll()
            if not again:
                break  # the poll failed: publish what was seen
            jobs = again
        return jobs

    def _poll(self) -> list[JobProgress]:
        try:
            if not self._may_have_jobs():
                return []
            source = self._get_source()
            return source.snapshot() if source is not None else []
        except Exception:  # noqa: BLE001 - progress must never break the cell
            log.debug("Spark progress poll failed", exc_info=True)
            return []

    def _publish_jobs(self, jobs: list[JobProgress], final: bool) -> dict[str, Any] | None:
        if not jobs:
            return None
        shown_jobs = jobs[-MAX_JOBS_SHOWN:]
        payload: dict[str, Any] = {"jobs": [j.to_json() for j in shown_jobs], "done": final, "jobGroup": self._group}
        if len(jobs) > len(shown_jobs):
            payload["omittedJobs"] = len(jobs) - len(shown_jobs)
        if not final and payload == self._last_payload:
            return None
        summary = None
        metadata: dict[str, Any] = {}
        if final:
            summary = {
                "jobs": len(jobs),
                "tasks": sum(j.num_completed_tasks for j in jobs),
                "durationMs": round(((self._ended or time.monotonic()) - self._started) * 1000),
                "jobGroup": self._group,
            }
            metadata = {METADATA_KEY: summary}
        data = {PROGRESS_MIME: payload, "text/plain": progress_text(jobs, final)}
        try:
            self._publish(data, metadata, self._display_id, self._shown)
        except Exception:  # noqa: BLE001
            log.debug("Publishing Spark progress failed", exc_info=True)
            return summary
        self._shown = True
        self._last_payload = payload
        return summary


class ProgressPoller:
    """One daemon thread, for the kernel's life, that ticks the running cell's reporter and
    settles the final state of cells that ended before Spark reported their jobs finished.

    One long-lived thread rather than one per cell: a cell then costs no thread start, and in
    Py4J's pinned-thread mode the poller keeps one JVM connection instead of opening one per cell.
    """

    def __init__(self, interval: float = POLL_INTERVAL_S) -> None:
        self._interval = interval
        self._condition = threading.Condition()
        self._reporter: ProgressReporter | None = None
        self._to_settle: deque[ProgressReporter] = deque()
        self._thread: threading.Thread | None = None

    @property
    def thread_ident(self) -> int | None:
        """The poller thread's ident, once it has started."""
        thread = self._thread
        return thread.ident if thread is not None else None

    def watch(self, reporter: ProgressReporter) -> None:
        """Tick ``reporter`` every interval, starting one interval from now."""
        with self._condition:
            self._reporter = reporter
            self._start()
            self._condition.notify_all()

    def unwatch(self, reporter: ProgressReporter) -> None:
        """Stop ticking ``reporter`` (a tick already under way finishes first)."""
        with self._condition:
            if self._reporter is reporter:
                self._reporter = None
            self._condition.notify_all()

    def settle(self, reporter: ProgressReporter) -> None:
        """Call ``reporter.settle()`` on the poller thread, before any further tick."""
        with self._condition:
            self._to_settle.append(reporter)
            self._start()
            self._condition.notify_all()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="flint-spark-progress", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._condition:
                while self._reporter is None and not self._to_settle:
                    self._condition.wait()
                if self._to_settle:
                    action = self._to_settle.popleft().settle
                else:
                    reporter = self._reporter
                    self._condition.wait(self._interval)
                    if self._reporter is not reporter or self._to_settle:
                        continue  # the cell ended, another began or one is to settle
                    action = reporter.tick
            try:
                action()
            except Exception:  # noqa: BLE001 - the thread must outlive any one cell
                log.debug("Spark progress update failed", exc_info=True)

"""Live Spark progress for the running cell, published as a display output that updates in place.

While a cell runs, :class:`ProgressPoller` has the cell's :class:`ProgressReporter` poll a
:class:`ProgressSource` every 0.5 s. As soon
as the cell has a Spark job it publishes ``display_data`` with::

    application/vnd.flint.spark-progress+json
    {"jobs": [{"jobId", "status", "numTasks", "numCompletedTasks", "numActiveTasks",
               "numFailedTasks", "stages": {"total", "completed", "active", "failed", "skipped"}}],
     "done": bool, "jobGroup": str}

plus a ``text/plain`` line ("Spark: job 3 42/100 tasks") and a transient ``display_id``; later
ticks send ``update_display_data`` for that id, only when something changed. When the cell ends a
last update carries ``"done": true`` and, in the output's metadata under ``flint.spark``, the
summary ``{"jobs": n, "tasks": n, "durationMs": n, "jobGroup": str}`` so it is saved with the cell.

Sources:

- :class:`StatusTrackerSource` (classic Spark): ``sc.statusTracker()`` by job group.
- Spark Connect: not implemented. Connect has no status tracker; its progress arrives through
  ``spark.registerProgressHandler(handler)`` as ``(stages, inflight_tasks, operation_id, done)``
  callbacks, about every ``spark.connect.progress.reportInterval`` (2 s), on the thread that
  iterates the results (the cell's thread). A Connect source would collect those callbacks per
  operation of the cell's tag and return them from :meth:`ProgressSource.snapshot`; job ids and
  job status are not part of that feed, so it would report one pseudo-job per operation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

PROGRESS_MIME = "application/vnd.flint.spark-progress+json"
METADATA_KEY = "flint.spark"
POLL_INTERVAL_S = 0.5
# A cell that runs thousands of small jobs would otherwise make every update huge.
MAX_JOBS_SHOWN = 50
# At a cell's end, how long to wait for jobs to be reported finished (see _poll_and_publish).
FINAL_SETTLE_S = 1.0

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


class StatusTrackerSource:
    """Progress of a job group from a classic SparkContext's status tracker.

    PySpark's ``SparkStageInfo`` has task counts but no stage status, so stage states are derived:
    all tasks done → completed; some running or done → active; in a failed job, a stage that did
    not complete → failed. A stage whose shuffle output was reused is skipped: it is counted in
    ``stages.skipped`` and, so that bars reach 100 %, in ``stages.completed``, and its tasks are
    left out of the task totals, as the Spark UI does.
    """

    def __init__(self, spark_context: Any, job_group: str) -> None:
        self._tracker = spark_context.statusTracker()
        self._group = job_group
        # Finished jobs never change: remember them instead of asking the JVM every tick.
        self._finished: dict[int, JobProgress] = {}

    def snapshot(self) -> list[JobProgress]:
        """See :meth:`ProgressSource.snapshot`."""
        jobs = []
        for job_id in sorted(self._tracker.getJobIdsForGroup(self._group)):
            job = self._finished.get(job_id) or self._job(job_id)
            if job is None:
                continue
            if job.is_finished:
                self._finished[job_id] = job
            jobs.append(job)
        return jobs

    def _job(self, job_id: int) -> JobProgress | None:
        info = self._tracker.getJobInfo(job_id)
        if info is None:
            return None
        status = str(info.status).upper()
        stages = sorted(
            (s for s in map(self._tracker.getStageInfo, info.stageIds) if s is not None), key=lambda s: s.stageId
        )

        def started(stage: Any) -> bool:
            return stage.numCompletedTasks > 0 or stage.numActiveTasks > 0

        tasks = completed = active = failed = 0
        stages_completed = stages_active = stages_failed = stages_skipped = 0
        for index, stage in enumerate(stages):
            # Parents get lower ids than their children and a child only starts once its parents
            # are done, so a stage that never ran while a later one did was skipped (its shuffle
            # output was reused). Spark itself marks it SKIPPED only when the job ends.
            if not started(stage) and (status == "SUCCEEDED" or any(started(later) for later in stages[index + 1 :])):
                stages_skipped += 1
                continue
            tasks += stage.numTasks
            completed += stage.numCompletedTasks
            active += stage.numActiveTasks
            failed += stage.numFailedTasks
            if stage.numTasks > 0 and stage.numCompletedTasks >= stage.numTasks:
                stages_completed += 1
            elif status == "FAILED":
                stages_failed += 1
            elif started(stage):
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
    session without a source, such as Spark Connect). ``publish`` sends the output. :meth:`tick`
    runs on the :class:`ProgressPoller` thread; :meth:`finish` runs on the cell's thread when the
    cell ends and publishes the final state.
    """

    def __init__(
        self, get_source: Callable[[], ProgressSource | None], publish: Publish, job_group: str, display_id: str
    ) -> None:
        self._get_source = get_source
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

    def tick(self) -> None:
        """Poll once and publish if something changed (no-op once finished)."""
        with self._lock:
            if not self._finished:
                self._poll_and_publish(final=False)

    def finish(self) -> dict[str, Any] | None:
        """Publish the final state with its summary; returns the summary, or None without jobs."""
        with self._lock:
            self._finished = True
            return self._poll_and_publish(final=True)

    def _poll_and_publish(self, final: bool) -> dict[str, Any] | None:
        try:
            source = self._get_source()
            jobs = source.snapshot() if source is not None else []
            # Spark's status store learns that a job ended from its listener bus, a moment after
            # the action has returned to the cell: give it that moment, so the final state does
            # not show a finished job as RUNNING.
            deadline = time.monotonic() + FINAL_SETTLE_S
            while final and source is not None and any(not j.is_finished for j in jobs) and time.monotonic() < deadline:
                time.sleep(0.05)
                jobs = source.snapshot()
        except Exception:  # noqa: BLE001 - progress must never break the cell
            log.debug("Spark progress poll failed", exc_info=True)
            return None
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
                "durationMs": round((time.monotonic() - self._started) * 1000),
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
    """One daemon thread, for the kernel's life, that ticks the running cell's reporter.

    One long-lived thread rather than one per cell: a cell then costs no thread start, and in
    Py4J's pinned-thread mode the poller keeps one JVM connection instead of opening one per cell.
    """

    def __init__(self, interval: float = POLL_INTERVAL_S) -> None:
        self._interval = interval
        self._condition = threading.Condition()
        self._reporter: ProgressReporter | None = None
        self._thread: threading.Thread | None = None

    def watch(self, reporter: ProgressReporter) -> None:
        """Tick ``reporter`` every interval, starting one interval from now."""
        with self._condition:
            self._reporter = reporter
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="flint-spark-progress", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def unwatch(self, reporter: ProgressReporter) -> None:
        """Stop ticking ``reporter`` (a tick already under way finishes first)."""
        with self._condition:
            if self._reporter is reporter:
                self._reporter = None
            self._condition.notify_all()

    def _loop(self) -> None:
        while True:
            with self._condition:
                while self._reporter is None:
                    self._condition.wait()
                reporter = self._reporter
                self._condition.wait(self._interval)
                if self._reporter is not reporter:
                    continue  # the cell ended or another began during the wait
            reporter.tick()

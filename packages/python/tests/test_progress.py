"""Spark progress without a JVM: stage states, what is asked of Spark, and the final state."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace
from typing import Any

from flint.kernel.progress import (
    _STORE_MISSES_TO_DROP,
    METADATA_KEY,
    PROGRESS_MIME,
    JobProgress,
    ProgressPoller,
    ProgressReporter,
    Py4JCommandCounter,
    SparkStatusReader,
    StatusTrackerSource,
    _int_list,
    _JobInfo,
    _JobTotals,
    _seq_ints,
    _StageCounts,
)


class FakeReader:
    """Stands in for SparkStatusReader and records every question asked of Spark."""

    def __init__(
        self,
        jobs: dict[int, tuple[str, list[int]]],
        stages: dict[int, _StageCounts],
        totals: dict[int, _JobTotals] | None = None,
    ) -> None:
        self.jobs = jobs
        self.stages = stages
        # Jobs whose totals Spark's status store gives (read with their stage ids).
        self.totals = totals or {}
        self.groups: dict[str, list[int]] = {"g": sorted(jobs)}
        self.calls: list[tuple[str, Any]] = []

    def job_ids(self, job_group: str) -> list[int]:
        self.calls.append(("job_ids", job_group))
        return self.groups.get(job_group, [])

    def job(self, job_id: int, with_stage_ids: bool) -> _JobInfo | None:
        self.calls.append(("job", job_id))
        status, stage_ids = self.jobs[job_id]
        totals = self.totals.get(job_id)
        return _JobInfo(status, stage_ids if with_stage_ids or totals else None, totals)

    def stage(self, stage_id: int) -> _StageCounts | None:
        self.calls.append(("stage", stage_id))
        return self.stages.get(stage_id)


def test_int_list_parses_java_array_text() -> None:
    assert _int_list("[]") == []
    assert _int_list("[7]") == [7]
    assert _int_list("[3, 12, 4]") == [3, 12, 4]


def test_stage_states_and_skipped_stages() -> None:
    reader = FakeReader(
        jobs={1: ("RUNNING", [11, 10, 12]), 2: ("SUCCEEDED", [20, 21])},
        stages={
            10: _StageCounts(4, 0, 4, 0),  # done
            11: _StageCounts(8, 2, 3, 1),  # running
            12: _StageCounts(2, 0, 0, 0),  # waiting for stage 11
            20: _StageCounts(5, 0, 0, 0),  # never ran in a succeeded job: skipped
            21: _StageCounts(1, 0, 1, 0),
        },
    )
    running, succeeded = StatusTrackerSource(reader, "g").snapshot()
    assert running.to_json() == {
        "jobId": 1,
        "status": "RUNNING",
        "numTasks": 14,
        "numCompletedTasks": 7,
        "numActiveTasks": 2,
        "numFailedTasks": 1,
        "stages": {"total": 3, "completed": 1, "active": 1, "failed": 0, "skipped": 0},
    }
    assert (succeeded.num_tasks, succeeded.num_completed_tasks) == (1, 1)
    assert (succeeded.stages_total, succeeded.stages_completed, succeeded.stages_skipped) == (2, 2, 1)


def test_finished_jobs_and_stage_lists_are_asked_for_once() -> None:
    reader = FakeReader(
        jobs={1: ("SUCCEEDED", [10]), 2: ("RUNNING", [20])},
        stages={10: _StageCounts(2, 0, 2, 0), 20: _StageCounts(2, 1, 0, 0)},
    )
    source = StatusTrackerSource(reader, "g")
    source.snapshot()
    reader.calls.clear()
    reader.jobs[2] = ("SUCCEEDED", [20])
    reader.stages[20] = _StageCounts(2, 0, 2, 0)
    jobs = source.snapshot()
    assert [j.status for j in jobs] == ["SUCCEEDED", "SUCCEEDED"]
    # Job 1 was finished: nothing asked. Job 2: its status and its stage, not its stage list again.
    assert reader.calls == [("job_ids", "g"), ("job", 2), ("stage", 20)]
    reader.calls.clear()
    source.snapshot()
    assert reader.calls == [("job_ids", "g")]


def test_a_succeeded_job_with_store_totals_needs_no_stage_reads() -> None:
    # Stage 20 was skipped (its 5 tasks too); the store counts them in numTasks and numSkipped*.
    stages = {20: _StageCounts(5, 0, 0, 0), 21: _StageCounts(3, 0, 3, 1)}
    from_stages = StatusTrackerSource(FakeReader({2: ("SUCCEEDED", [20, 21])}, stages), "g").snapshot()
    reader = FakeReader({2: ("SUCCEEDED", [20, 21])}, stages, totals={2: _JobTotals(8, 5, 1, 1)})
    from_totals = StatusTrackerSource(reader, "g").snapshot()
    assert from_totals == from_stages
    assert from_totals[0].to_json() == {
        "jobId": 2,
        "status": "SUCCEEDED",
        "numTasks": 3,
        "numCompletedTasks": 3,
        "numActiveTasks": 0,
        "numFailedTasks": 1,
        "stages": {"total": 2, "completed": 2, "active": 0, "failed": 0, "skipped": 1},
    }
    assert reader.calls == [("job_ids", "g"), ("job", 2)]


def test_a_running_job_is_read_stage_by_stage_even_with_store_totals() -> None:
    # While a job runs the store cannot tell a skipped stage yet; the stages can.
    stages = {20: _StageCounts(5, 0, 0, 0), 21: _StageCounts(3, 1, 1, 0)}
    reader = FakeReader({2: ("RUNNING", [20, 21])}, stages, totals={2: _JobTotals(8, 0, 0, 0)})
    (running,) = StatusTrackerSource(reader, "g").snapshot()
    assert (running.num_tasks, running.stages_skipped, running.stages_completed) == (3, 1, 1)
    assert reader.calls == [("job_ids", "g"), ("job", 2), ("stage", 20), ("stage", 21)]


class FakeJavaObject:
    """A JVM status object: fields readable by reflection and getters, each getter call counted."""

    def __init__(self, calls: list[str], **fields: Any) -> None:
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, self._getter(calls, name, value))

    @staticmethod
    def _getter(calls: list[str], name: str, value: Any):
        def get() -> Any:
            calls.append(name)
            return value

        return get


def fake_spark_context(render: Any, store_job: Any = None) -> tuple[SimpleNamespace, list[str], list[str]]:
    """A SparkContext whose JVM has one succeeded job (stages 4 and 5) and renders objects with
    ``render(fields)`` in place of commons-lang3's ReflectionToStringBuilder. With ``store_job``
    it has a status store whose ``job(id)`` is that function. Returns the context, the getter
    calls and the status tracker calls."""
    calls: list[str] = []
    tracker_calls: list[str] = []
    job_info = FakeJavaObject(calls, jobId=3, stageIds=[4, 5], status="SUCCEEDED")
    stages = {
        4: FakeJavaObject(
            calls,
            stageId=4,
            name='collect at "x", 1',
            numTasks=2,
            numActiveTasks=0,
            numCompletedTasks=2,
            numFailedTasks=1,
        ),
        5: FakeJavaObject(
            calls, stageId=5, name="y", numTasks=1, numActiveTasks=0, numCompletedTasks=1, numFailedTasks=0
        ),
    }

    def recorded(name: str, function: Any) -> Any:
        def call(*args: Any) -> Any:
            tracker_calls.append(name)
            return function(*args)

        return call

    tracker = SimpleNamespace(
        getJobIdsForGroup=lambda group: [3] if group == "g" else [],
        getJobInfo=recorded("getJobInfo", lambda job_id: job_info if job_id == 3 else None),
        getStageInfo=recorded("getStageInfo", stages.get),
    )
    builder = SimpleNamespace(
        ReflectionToStringBuilder=SimpleNamespace(toString=lambda obj, style: render(obj.fields)),
        ToStringStyle=SimpleNamespace(JSON_STYLE="json"),
    )
    jvm = SimpleNamespace(
        java=SimpleNamespace(util=SimpleNamespace(Arrays=SimpleNamespace(toString=lambda a: str(list(a))))),
        org=SimpleNamespace(apache=SimpleNamespace(commons=SimpleNamespace(lang3=SimpleNamespace(builder=builder)))),
    )
    jsc = SimpleNamespace(statusTracker=lambda: tracker)
    if store_job is not None:
        jsc.sc = lambda: SimpleNamespace(statusStore=lambda: SimpleNamespace(job=store_job))
    return SimpleNamespace(_jsc=jsc, _jvm=jvm), calls, tracker_calls


def job_data(calls: list[str], job_id: int) -> FakeJavaObject:
    """Job 3 as Spark's status store has it (``v1.JobData``; Scala fields rendered by toString)."""
    if job_id != 3:
        raise RuntimeError("java.util.NoSuchElementException")
    return FakeJavaObject(
        calls,
        jobId=3,
        name="collect",
        description="Some(Flint cell: x)",
        stageIds="ArraySeq(4, 5)",
        status="SUCCEEDED",
        numTasks=3,
        numActiveTasks=0,
        numCompletedTasks=3,
        numSkippedTasks=0,
        numFailedTasks=1,
        numSkippedStages=0,
        killedTasksSummary="Map()",
    )


EXPECTED_JOB = {
    "jobId": 3,
    "status": "SUCCEEDED",
    "numTasks": 3,
    "numCompletedTasks": 3,
    "numActiveTasks": 0,
    "numFailedTasks": 1,
    "stages": {"total": 2, "completed": 2, "active": 0, "failed": 0, "skipped": 0},
}


def test_reader_gets_each_status_object_in_one_rendering_call() -> None:
    context, getter_calls, tracker_calls = fake_spark_context(json.dumps)
    jobs = StatusTrackerSource(SparkStatusReader(context), "g").snapshot()
    assert [j.to_json() for j in jobs] == [EXPECTED_JOB]
    assert getter_calls == [] and tracker_calls == ["getJobInfo", "getStageInfo", "getStageInfo"]


def test_reader_takes_a_succeeded_job_from_the_status_store_without_stage_reads() -> None:
    getter_calls: list[str] = []
    context, _, tracker_calls = fake_spark_context(json.dumps, lambda job_id: job_data(getter_calls, job_id))
    jobs = StatusTrackerSource(SparkStatusReader(context), "g").snapshot()
    assert [j.to_json() for j in jobs] == [EXPECTED_JOB]
    assert getter_calls == [] and tracker_calls == []


def test_reader_uses_the_tracker_when_the_status_store_fails() -> None:
    store_calls: list[int] = []

    def broken_store_job(job_id: int) -> Any:
        store_calls.append(job_id)
        raise RuntimeError("py4j.Py4JException: Method job([class java.lang.Integer]) does not exist")

    context, _, tracker_calls = fake_spark_context(json.dumps, broken_store_job)
    reader = SparkStatusReader(context)
    for _ in range(_STORE_MISSES_TO_DROP + 2):
        assert [j.to_json() for j in StatusTrackerSource(reader, "g").snapshot()] == [EXPECTED_JOB]
    # A store that cannot say what the tracker knows is asked a few times, then no more.
    assert store_calls == [3] * _STORE_MISSES_TO_DROP
    assert tracker_calls.count("getJobInfo") == _STORE_MISSES_TO_DROP + 2


def test_one_miss_of_the_status_store_does_not_drop_it() -> None:
    getter_calls: list[str] = []
    answers = iter([False, True, True])

    def flaky_store_job(job_id: int) -> Any:
        if not next(answers):
            raise RuntimeError("java.util.NoSuchElementException")
        return job_data(getter_calls, job_id)

    context, _, tracker_calls = fake_spark_context(json.dumps, flaky_store_job)
    reader = SparkStatusReader(context)
    for _ in range(3):
        assert [j.to_json() for j in StatusTrackerSource(reader, "g").snapshot()] == [EXPECTED_JOB]
    # Only the first snapshot, whose store read failed, asked the tracker.
    assert tracker_calls.count("getJobInfo") == 1


def test_seq_ints_reads_scala_sequences() -> None:
    assert _seq_ints("ArraySeq(7, 8)") == [7, 8]
    assert _seq_ints("List()") == []
    assert _seq_ints([3]) == [3]


def test_reader_falls_back_to_getters_when_rendering_is_unreadable() -> None:
    context, getter_calls, _ = fake_spark_context(lambda fields: "SparkStageInfoImpl@1f2e[numTasks=2")
    jobs = StatusTrackerSource(SparkStatusReader(context), "g").snapshot()
    assert [j.to_json() for j in jobs] == [EXPECTED_JOB]
    assert "status" in getter_calls and "numCompletedTasks" in getter_calls
    assert StatusTrackerSource(SparkStatusReader(context), "other").snapshot() == []


def job(job_id: int, status: str) -> JobProgress:
    done = status == "SUCCEEDED"
    return JobProgress(
        job_id, status, 4, 4 if done else 1, 0 if done else 3, 0, 1, 1 if done else 0, 0 if done else 1, 0
    )


class ScriptedSource:
    """Returns the given snapshots in turn, then the last one forever."""

    def __init__(self, *snapshots: list[JobProgress]) -> None:
        self.snapshots = list(snapshots)
        self.polls = 0

    def snapshot(self) -> list[JobProgress]:
        self.polls += 1
        return self.snapshots[min(self.polls, len(self.snapshots)) - 1]


def reporter_for(
    source: ScriptedSource | None, may_have_jobs=lambda: True
) -> tuple[ProgressReporter, list[tuple[dict, dict, str, bool]]]:
    published: list[tuple[dict, dict, str, bool]] = []
    reporter = ProgressReporter(
        get_source=lambda: source,
        publish=lambda data, metadata, display_id, update: published.append((data, metadata, display_id, update)),
        job_group="flint-test",
        display_id="flint-test-progress",
        may_have_jobs=may_have_jobs,
    )
    return reporter, published


def test_finish_publishes_at_once_when_spark_reports_the_jobs_finished() -> None:
    source = ScriptedSource([job(1, "SUCCEEDED")])
    reporter, published = reporter_for(source)
    summary = reporter.finish(settle_s=60)
    assert source.polls == 1
    assert summary is not None and summary["jobs"] == 1 and summary["tasks"] == 4
    data, metadata, display_id, update = published[-1]
    assert data[PROGRESS_MIME]["done"] is True and metadata[METADATA_KEY] == summary
    assert (display_id, update) == ("flint-test-progress", False)


def test_finish_waits_for_a_job_that_spark_still_shows_running() -> None:
    source = ScriptedSource([job(1, "RUNNING")], [job(1, "RUNNING")], [job(1, "SUCCEEDED")])
    reporter, published = reporter_for(source)
    reporter.finish(settle_s=60)
    assert source.polls == 3
    assert published[-1][0][PROGRESS_MIME]["jobs"][0]["status"] == "SUCCEEDED"


def test_finish_gives_up_waiting_after_the_bound() -> None:
    source = ScriptedSource([job(1, "RUNNING")])
    reporter, published = reporter_for(source)
    reporter.finish(settle_s=0.02)
    final = published[-1][0][PROGRESS_MIME]
    assert final["done"] is True and final["jobs"][0]["status"] == "RUNNING"


def test_finish_soon_publishes_the_final_state_at_once_when_spark_has_it() -> None:
    source = ScriptedSource([job(1, "SUCCEEDED")])
    reporter, published = reporter_for(source)
    assert reporter.finish_soon(settle_s=60) is False
    assert source.polls == 1 and len(published) == 1
    data, metadata, _, update = published[0]
    assert data[PROGRESS_MIME]["done"] is True and metadata[METADATA_KEY]["tasks"] == 4 and update is False
    assert reporter.settle() is None and len(published) == 1


def test_finish_soon_shows_a_running_job_now_and_settle_publishes_the_final_update() -> None:
    source = ScriptedSource([job(1, "RUNNING")], [job(1, "RUNNING")], [job(1, "SUCCEEDED")])
    reporter, published = reporter_for(source)
    assert reporter.finish_soon(settle_s=60) is True
    # The display exists before the cell's reply, without a summary: the cell's jobs are not done.
    (shown,) = published
    assert shown[0][PROGRESS_MIME]["done"] is False and shown[1] == {} and shown[3] is False
    reporter.tick()  # the cell has ended: ticks no longer publish
    time.sleep(0.05)
    summary = reporter.settle()
    assert source.polls == 3 and len(published) == 2
    data, metadata, display_id, update = published[-1]
    assert data[PROGRESS_MIME]["done"] is True and data[PROGRESS_MIME]["jobs"][0]["status"] == "SUCCEEDED"
    assert metadata[METADATA_KEY] == summary and (display_id, update) == ("flint-test-progress", True)
    # The duration runs to the cell's end, not to the moment Spark confirmed it.
    assert summary is not None and summary["durationMs"] < 50


def test_settle_gives_up_after_the_bound_set_at_the_cells_end() -> None:
    source = ScriptedSource([job(1, "RUNNING")])
    reporter, published = reporter_for(source)
    assert reporter.finish_soon(settle_s=0.02) is True
    started = time.monotonic()
    reporter.settle()
    assert time.monotonic() - started < 1
    final = published[-1][0][PROGRESS_MIME]
    assert final["done"] is True and final["jobs"][0]["status"] == "RUNNING"


def test_poller_settles_on_its_own_thread() -> None:
    source = ScriptedSource([job(1, "RUNNING")], [job(1, "SUCCEEDED")])
    threads: list[threading.Thread] = []
    done = threading.Event()

    def publish(data: dict, metadata: dict, display_id: str, update: bool) -> None:
        threads.append(threading.current_thread())
        if data[PROGRESS_MIME]["done"]:
            done.set()

    reporter = ProgressReporter(lambda: source, publish, "flint-test", "flint-test-progress")
    poller = ProgressPoller(interval=60)
    poller.watch(reporter)
    poller.unwatch(reporter)
    assert reporter.finish_soon(settle_s=5) is True
    poller.settle(reporter)
    assert done.wait(5)
    assert threads[0] is threading.current_thread() and threads[-1].ident == poller.thread_ident


def test_cell_without_jobs_publishes_nothing_and_ticks_stop_after_finish() -> None:
    source = ScriptedSource([])
    reporter, published = reporter_for(source)
    reporter.tick()
    assert reporter.finish() is None
    source.snapshots = [[job(1, "RUNNING")]]
    reporter.tick()
    assert published == [] and source.polls == 2


def test_no_source_yet_means_no_progress() -> None:
    reporter, published = reporter_for(None)
    reporter.tick()
    assert reporter.finish() is None and published == []


def test_a_cell_that_cannot_have_started_a_job_asks_spark_nothing() -> None:
    source = ScriptedSource([job(1, "RUNNING")])
    may_have_jobs = [False]
    reporter, published = reporter_for(source, may_have_jobs=lambda: may_have_jobs[0])
    reporter.tick()
    assert source.polls == 0
    may_have_jobs[0] = True
    reporter.tick()
    assert source.polls == 1 and published[-1][0][PROGRESS_MIME]["done"] is False


def test_command_counter_counts_every_thread_but_the_ignored_one() -> None:
    sent: list[str] = []
    client = SimpleNamespace(send_command=lambda command, retry=True: sent.append(command) or "ok")
    ignored: list[int | None] = [None]
    counter = Py4JCommandCounter.install(client, lambda: ignored[0])
    assert counter is not None
    assert client.send_command("c\no1\nsetJobGroup", retry=False) == "ok"

    def from_ignored_thread() -> None:
        ignored[0] = threading.get_ident()
        client.send_command("c\no2\ngetJobIdsForGroup")

    thread = threading.Thread(target=from_ignored_thread)
    thread.start()
    thread.join()
    thread = threading.Thread(target=lambda: client.send_command("c\no3\ncollectToPython"))
    ignored[0] = None
    thread.start()
    thread.join()
    # Py4J's finalizer thread releasing JVM objects (memory commands) starts no job.
    thread = threading.Thread(target=lambda: client.send_command("m\nd\no4\ne\n"))
    thread.start()
    thread.join()
    assert len(sent) == 4 and counter.count == 2
    assert Py4JCommandCounter.install(SimpleNamespace(), lambda: None) is None


def test_command_counter_runs_a_callback_before_one_threads_next_command() -> None:
    sent: list[str] = []
    client = SimpleNamespace(send_command=lambda command: sent.append(command) or "ok")
    counter = Py4JCommandCounter.install(client, lambda: None)
    assert counter is not None
    counter.before_next_command(threading.get_ident(), lambda: client.send_command("setJobGroup"))
    thread = threading.Thread(target=lambda: client.send_command("from another thread"))
    thread.start()
    thread.join()
    client.send_command("m\nd\no4\ne\n")
    client.send_command("range")
    client.send_command("collectToPython")
    assert sent == ["from another thread", "m\nd\no4\ne\n", "setJobGroup", "range", "collectToPython"]
    counter.before_next_command(threading.get_ident(), lambda: client.send_command("setJobGroup"))
    counter.before_next_command(threading.get_ident(), None)
    client.send_command("count")
    assert sent[-1] == "count" and counter.count == 5


# ---------------------------------------------------------------------------------------------
# Spark Connect: progress callbacks filed under the running cell


class FakeConnectSession:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def registerProgressHandler(self, handler: Any) -> None:  # noqa: N802 - pyspark's name
        self.handlers.append(handler)


def stage(num_tasks: int, completed: int, done: bool) -> SimpleNamespace:
    return SimpleNamespace(stage_id=0, num_tasks=num_tasks, num_completed_tasks=completed, num_bytes_read=0, done=done)


def test_connect_operations_of_the_running_cell_become_pseudo_jobs() -> None:
    from flint.kernel.progress import ConnectProgressCollector

    session = FakeConnectSession()
    collector = ConnectProgressCollector(session)
    (handler,) = session.handlers
    handler(stages=[stage(2, 0, False)], inflight_tasks=2, operation_id="before", done=False)  # no cell: dropped
    cell = collector.begin_cell()
    handler(stages=[], inflight_tasks=0, operation_id="analysis", done=True)  # no stage: no job
    handler(stages=[stage(4, 1, False)], inflight_tasks=2, operation_id="op1", done=False)
    (job,) = cell.snapshot()
    assert (job.job_id, job.status, job.num_tasks, job.num_completed_tasks, job.num_active_tasks) == (
        0,
        "RUNNING",
        4,
        1,
        2,
    )
    assert (job.stages_total, job.stages_completed, job.stages_active) == (1, 0, 1)
    # The end is reported with the counts of the last report: everything it started is done.
    handler(stages=[stage(4, 1, False), stage(1, 0, False)], inflight_tasks=1, operation_id="op1", done=True)
    handler(stages=[stage(3, 1, False)], inflight_tasks=1, operation_id="op2", done=False)
    first, second = cell.snapshot()
    assert (first.status, first.num_tasks, first.num_completed_tasks, first.stages_completed) == ("SUCCEEDED", 5, 5, 2)
    assert (second.job_id, second.status) == (1, "RUNNING")
    collector.end_cell(cell)
    handler(stages=[stage(3, 3, True)], inflight_tasks=0, operation_id="op2", done=True)  # after the cell: dropped
    assert cell.snapshot()[1].status == "RUNNING"


def test_connect_operations_of_a_failed_cell_show_failed_unless_complete() -> None:
    from flint.kernel.progress import ConnectProgressCollector

    session = FakeConnectSession()
    collector = ConnectProgressCollector(session)
    (handler,) = session.handlers
    cell = collector.begin_cell()
    handler(stages=[stage(2, 2, True)], inflight_tasks=0, operation_id="ok", done=True)
    handler(stages=[stage(8, 3, False)], inflight_tasks=2, operation_id="cut", done=True)
    cell.mark_failed()
    ok, cut = cell.snapshot()
    assert ok.status == "SUCCEEDED"
    assert (cut.status, cut.num_completed_tasks, cut.num_active_tasks, cut.stages_failed) == ("FAILED", 3, 0, 1)

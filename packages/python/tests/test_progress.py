"""Spark progress without a JVM: stage states, what is asked of Spark, and the final state."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any

from flint.kernel.progress import (
    METADATA_KEY,
    PROGRESS_MIME,
    JobProgress,
    ProgressReporter,
    Py4JCommandCounter,
    SparkStatusReader,
    StatusTrackerSource,
    _int_list,
    _StageCounts,
)


class FakeReader:
    """Stands in for SparkStatusReader and records every question asked of Spark."""

    def __init__(self, jobs: dict[int, tuple[str, list[int]]], stages: dict[int, _StageCounts]) -> None:
        self.jobs = jobs
        self.stages = stages
        self.groups: dict[str, list[int]] = {"g": sorted(jobs)}
        self.calls: list[tuple[str, Any]] = []

    def job_ids(self, job_group: str) -> list[int]:
        self.calls.append(("job_ids", job_group))
        return self.groups.get(job_group, [])

    def job(self, job_id: int, with_stage_ids: bool) -> tuple[str, list[int] | None] | None:
        self.calls.append(("job", job_id))
        status, stage_ids = self.jobs[job_id]
        return status, (stage_ids if with_stage_ids else None)

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


def fake_spark_context(render: Any) -> tuple[SimpleNamespace, list[str]]:
    """A SparkContext whose JVM has one succeeded job (stages 4 and 5) and renders objects with
    ``render(fields)`` in place of commons-lang3's ReflectionToStringBuilder."""
    calls: list[str] = []
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
    tracker = SimpleNamespace(
        getJobIdsForGroup=lambda group: [3] if group == "g" else [],
        getJobInfo=lambda job_id: job_info if job_id == 3 else None,
        getStageInfo=stages.get,
    )
    builder = SimpleNamespace(
        ReflectionToStringBuilder=SimpleNamespace(toString=lambda obj, style: render(obj.fields)),
        ToStringStyle=SimpleNamespace(JSON_STYLE="json"),
    )
    jvm = SimpleNamespace(
        java=SimpleNamespace(util=SimpleNamespace(Arrays=SimpleNamespace(toString=lambda a: str(list(a))))),
        org=SimpleNamespace(apache=SimpleNamespace(commons=SimpleNamespace(lang3=SimpleNamespace(builder=builder)))),
    )
    return SimpleNamespace(_jsc=SimpleNamespace(statusTracker=lambda: tracker), _jvm=jvm), calls


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
    context, getter_calls = fake_spark_context(json.dumps)
    jobs = StatusTrackerSource(SparkStatusReader(context), "g").snapshot()
    assert [j.to_json() for j in jobs] == [EXPECTED_JOB]
    assert getter_calls == []


def test_reader_falls_back_to_getters_when_rendering_is_unreadable() -> None:
    context, getter_calls = fake_spark_context(lambda fields: "SparkStageInfoImpl@1f2e[numTasks=2")
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
    assert len(sent) == 3 and counter.count == 2
    assert Py4JCommandCounter.install(SimpleNamespace(), lambda: None) is None

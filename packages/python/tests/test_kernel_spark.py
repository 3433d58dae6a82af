"""Spark in a flint-spark kernel: session, tables, %%sql, progress, interrupt, quiet logs."""

from __future__ import annotations

import ast
import queue
import re
import time

from conftest import PROGRESS_MIME, SPARK_START_MIME, TABLE_MIME, Execution, KernelDriver, SharedKernel

# Lines that Spark's JVM or PySpark's loggers write when their output is not contained.
LOG_LINE = re.compile(
    r"log4j|NativeCodeLoader|\b(WARN|INFO|ERROR) [\w.$]+:|\[Stage \d+:|\"level\": \"(WARN|ERROR)\"|ERROR:root:"
)


def assert_quiet(run: Execution) -> None:
    text = run.stream_text()
    assert not LOG_LINE.search(text), f"Spark log output in the cell: {text[:500]}"


def progress_messages(run: Execution) -> list[dict]:
    return run.with_mime(PROGRESS_MIME)


def progress_with_final(kernel: KernelDriver, run: Execution, timeout: float = 5) -> list[dict]:
    """The cell's progress messages up to the final one, which comes after the reply when Spark's
    listener had not yet reported the cell's jobs finished at its end."""
    messages = progress_messages(run)
    deadline = time.monotonic() + timeout
    while messages and not messages[-1]["content"]["data"][PROGRESS_MIME]["done"]:
        assert time.monotonic() < deadline, "no final progress update after the reply"
        try:
            msg = kernel.client.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            continue
        if msg["msg_type"] == "update_display_data" and PROGRESS_MIME in msg["content"]["data"]:
            messages.append(msg)
    return messages


def test_spark_count(shared_kernel: SharedKernel) -> None:
    run = shared_kernel.first_spark_execution
    assert run.reply["status"] == "ok", run.error
    assert run.result["text/plain"] == "1000000"


def test_first_spark_cell_says_spark_is_starting(shared_kernel: SharedKernel) -> None:
    # It ran right after the kernel started: it waited for the session, and said so in a
    # display that became "started in N s" when the wait ended.
    notices = shared_kernel.first_spark_execution.with_mime(SPARK_START_MIME)
    assert [m["msg_type"] for m in notices] == ["display_data", "update_display_data"]
    first, last = (m["content"] for m in notices)
    assert first["transient"]["display_id"] == last["transient"]["display_id"]
    assert first["data"][SPARK_START_MIME]["state"] == "starting"
    assert first["data"]["text/plain"] == "Starting Spark (local[2])…"
    ready = last["data"][SPARK_START_MIME]
    assert ready["state"] == "ready"
    assert ready["master"] == "local[2]"
    assert ready["elapsedS"] > 0
    assert last["data"]["text/plain"].startswith("Spark started in ")


def test_a_cell_that_finds_spark_ready_shows_no_notice(kernel: KernelDriver) -> None:
    run = kernel.execute("spark.range(3).count()")
    assert run.result["text/plain"] == "3"
    assert run.with_mime(SPARK_START_MIME) == []


def test_first_spark_cell_has_no_jvm_output(shared_kernel: SharedKernel) -> None:
    # The JVM starts while the first cells run; none of its output may reach them.
    assert_quiet(shared_kernel.first_execution)
    assert_quiet(shared_kernel.first_spark_execution)
    assert shared_kernel.spark_log.exists()  # it went to the driver log instead


def test_spark_and_sc_become_the_real_objects(kernel: KernelDriver) -> None:
    run = kernel.execute("type(spark).__name__, type(sc).__name__, sc.master")
    assert run.result["text/plain"] == "('SparkSession', 'SparkContext', 'local[2]')"


def test_session_configuration(kernel: KernelDriver) -> None:
    run = kernel.execute(
        "c = spark.sparkContext.getConf()\n"
        "(c.get('spark.flint.test.marker'), spark.conf.get('spark.sql.shuffle.partitions'),\n"
        " c.get('spark.ui.enabled'), 'log4j2.properties' in c.get('spark.driver.extraJavaOptions'))"
    )
    assert run.result["text/plain"] == "('yes', '4', 'false', True)"


def test_spark_dataframe_renders_first_rows_without_counting(kernel: KernelDriver) -> None:
    run = kernel.execute("spark.range(75).selectExpr('id', \"concat('<i>', id) AS label\", 'id / 2 AS half')")
    data = run.result
    assert "showing first 50 rows" in data["text/html"]
    assert "&lt;i&gt;0" in data["text/html"] and "<i>0" not in data["text/html"]
    table = data[TABLE_MIME]
    assert table["columns"] == [
        {"name": "id", "type": "bigint"},
        {"name": "label", "type": "string"},
        {"name": "half", "type": "double"},
    ]
    assert table["totalRows"] is None and table["truncated"] is True
    assert len(table["rows"]) == 50 and table["rows"][1] == [1, "<i>1", 0.5]
    assert "showing first 50 rows" in data["text/plain"]


def test_small_spark_dataframe_via_display(kernel: KernelDriver) -> None:
    run = kernel.execute("display(spark.createDataFrame([(1, 'a', None)], 'n int, s string, d date'))")
    table = run.of_type("display_data")[-1]["content"]["data"][TABLE_MIME]
    assert table["totalRows"] == 1 and table["truncated"] is False
    assert table["rows"] == [[1, "a", None]]


def test_sql_magic_shows_a_table_and_stores_the_dataframe(kernel: KernelDriver) -> None:
    run = kernel.execute("%%sql -o evens\nSELECT id, id * 2 AS twice FROM range(30) WHERE id % 2 = 0;")
    table = run.result[TABLE_MIME]
    assert [c["name"] for c in table["columns"]] == ["id", "twice"]
    assert table["rows"][:2] == [[0, 0], [2, 4]]
    assert table["totalRows"] == 15
    check = kernel.execute("type(evens).__name__, evens.count()")
    assert check.result["text/plain"] == "('DataFrame', 15)"


def test_sql_magic_without_output_variable(kernel: KernelDriver) -> None:
    run = kernel.execute("%%sql\nSELECT 'a<b' AS s")
    assert run.result[TABLE_MIME]["rows"] == [["a<b"]]
    assert "a&lt;b" in run.result["text/html"]


def test_sql_magic_errors_show_sparks_message_only(kernel: KernelDriver) -> None:
    for query, condition in (
        ("SELEC 1", "PARSE_SYNTAX_ERROR"),
        ("SELECT * FROM no_such_table", "TABLE_OR_VIEW_NOT_FOUND"),
    ):
        run = kernel.execute(f"%%sql\n{query}")
        assert run.reply["status"] == "error"
        assert run.error["ename"] == "SparkQueryError"
        assert condition in run.error["evalue"]
        traceback = "\n".join(run.error["traceback"])
        assert "Traceback" not in traceback and "py4j" not in traceback and "at org.apache" not in traceback
        assert len(run.error["traceback"]) == 1
        assert_quiet(run)


def test_progress_is_published_live_and_summarised(kernel: KernelDriver) -> None:
    # 8 tasks of 0.4 s on 2 cores: long enough for several 0.5 s polls.
    run = kernel.execute("import time\nsc.parallelize(range(8), 8).map(lambda x: time.sleep(0.4) or x).sum()")
    assert run.result["text/plain"] == "28"
    messages = progress_with_final(kernel, run)
    assert messages[0]["msg_type"] == "display_data"
    assert {m["msg_type"] for m in messages[1:]} <= {"update_display_data"}
    display_ids = {m["content"]["transient"]["display_id"] for m in messages}
    assert len(display_ids) == 1
    live = [m for m in messages if not m["content"]["data"][PROGRESS_MIME]["done"]]
    assert live, "no progress while the job ran"
    assert any(job["status"] == "RUNNING" for m in live for job in m["content"]["data"][PROGRESS_MIME]["jobs"])
    final = messages[-1]["content"]
    assert final["data"][PROGRESS_MIME]["done"] is True
    job = final["data"][PROGRESS_MIME]["jobs"][-1]
    assert job["numTasks"] == 8 and job["numCompletedTasks"] == 8 and job["status"] == "SUCCEEDED"
    assert job["stages"] == {"total": 1, "completed": 1, "active": 0, "failed": 0, "skipped": 0}
    assert final["data"]["text/plain"].startswith("Spark: job ")
    summary = final["metadata"]["flint.spark"]
    assert summary["jobs"] >= 1 and summary["tasks"] >= 8 and summary["durationMs"] > 0
    # Sent from a background thread, yet attributed to this cell.
    assert all(m["parent_header"]["msg_id"] == run.msg_id for m in messages)
    # (Other cells' late final updates may arrive meanwhile; none of this display is elsewhere.)
    assert not [m for m in run.other_messages if m["content"].get("transient", {}).get("display_id") in display_ids]


def test_final_progress_of_a_job_that_reuses_a_shuffle(kernel: KernelDriver) -> None:
    # With adaptive execution the aggregation's last job reuses the shuffle its first job wrote.
    run = kernel.execute('spark.range(10**6).selectExpr("sum(id)").collect()')
    final = progress_with_final(kernel, run)[-1]["content"]
    jobs = final["data"][PROGRESS_MIME]["jobs"]
    last = jobs[-1]
    assert last["status"] == "SUCCEEDED" and last["numTasks"] == last["numCompletedTasks"] >= 1
    assert last["stages"] == {"total": 2, "completed": 2, "active": 0, "failed": 0, "skipped": 1}
    assert final["metadata"]["flint.spark"]["tasks"] == sum(job["numCompletedTasks"] for job in jobs)
    # Read from Spark's status store (no stage reads), the jobs show exactly as read stage by stage.
    # The reader's debug log is kept: if the store did not answer, the failure says why.
    group = final["data"][PROGRESS_MIME]["jobGroup"]
    check = kernel.execute(
        "import logging\n"
        "from flint.kernel.progress import SparkStatusReader, StatusTrackerSource, log as _log\n"
        "class _Kept(logging.Handler):\n"
        "    def __init__(self):\n"
        "        super().__init__(logging.DEBUG)\n"
        "        self.lines = []\n"
        "    def emit(self, record):\n"
        "        self.lines.append(self.format(record))\n"
        "_kept = _Kept()\n"
        "_log.addHandler(_kept)\n"
        "_level, _ = _log.level, _log.setLevel(logging.DEBUG)\n"
        "_store, _stages = SparkStatusReader(sc), SparkStatusReader(sc)\n"
        "_stages._store = None\n"
        f"_a = StatusTrackerSource(_store, {group!r}).snapshot()\n"
        "_log.removeHandler(_kept)\n"
        "_log.setLevel(_level)\n"
        f"(_store._store_misses, _a == StatusTrackerSource(_stages, {group!r}).snapshot(), len(_a))"
    )
    misses, same, count = ast.literal_eval(check.result["text/plain"])
    assert same and count == len(jobs) >= 2
    # The store answered (a miss on a loaded machine, cause unknown, is tolerated by the reader).
    assert misses < count, kernel.execute("print(chr(10).join(_kept.lines))").stream_text()


def test_cell_without_spark_jobs_has_no_progress(kernel: KernelDriver) -> None:
    run = kernel.execute("sum(range(10))")
    assert progress_messages(run) == []


def test_only_cells_that_use_spark_are_tagged(kernel: KernelDriver) -> None:
    # The Py4J commands that Python threads other than the progress poller sent to the JVM.
    sent = "next(iter(__import__('flint.kernel').kernel._extensions.values())).controller._command_counter.count"
    before = kernel.execute(sent).result["text/plain"]
    kernel.execute("sum(range(10))")
    # Neither that cell nor the one reading the count sent any (no job group, no progress read).
    assert kernel.execute(sent).result["text/plain"] == before
    # A cell that uses Spark has its jobs in its own group, set before its first command.
    tag = "next(iter(__import__('flint.kernel').kernel._extensions.values())).controller.current.tag"
    assert kernel.execute(f"sc.getLocalProperty('spark.jobGroup.id') == {tag}").result["text/plain"] == "True"


def test_interrupt_cancels_the_spark_job(kernel: KernelDriver) -> None:
    # Hundreds of seconds of work on 2 cores. (The sum of all ids of range(10**10) overflows a
    # bigint after about 2 s under Spark 4's default ANSI mode, so sum a bounded value instead.)
    run = kernel.execute("spark.range(10**12).selectExpr('sum(id % 7)').collect()", timeout=60, interrupt_after=3)
    assert run.interrupted_at is not None
    assert run.seconds - run.interrupted_at < 10
    assert run.reply["status"] == "error"
    assert run.error["ename"] == "KeyboardInterrupt"
    assert_quiet(run)  # no Py4J "KeyboardInterrupt while sending command" traceback
    final = progress_messages(run)[-1]["content"]["data"][PROGRESS_MIME]
    assert final["done"] is True and [job["status"] for job in final["jobs"]] == ["FAILED"]
    group = final["jobGroup"]
    statuses = kernel.execute(
        f"[sc.statusTracker().getJobInfo(j).status for j in sc.statusTracker().getJobIdsForGroup({group!r})]"
    )
    assert statuses.result["text/plain"] == "['FAILED']"
    # Spark and the Py4J connection of the main thread still work.
    assert kernel.execute("spark.range(7).count()").result["text/plain"] == "7"


def test_shuffle_job_output_is_quiet(kernel: KernelDriver) -> None:
    run = kernel.execute("spark.range(1000).selectExpr('id % 10 AS k').groupBy('k').count().orderBy('k').collect()[0]")
    assert run.result["text/plain"] == "Row(k=0, count=100)"
    assert_quiet(run)


def test_a_short_jobs_progress_comes_before_the_result(kernel: KernelDriver) -> None:
    # Shorter than the poller's interval: the job is first seen when the result is shown. The
    # progress display must still come above the value (the page shows outputs in order).
    run = kernel.execute("spark.range(500).count()")
    assert run.result["text/plain"] == "500"
    kinds = [
        "progress" if PROGRESS_MIME in m["content"].get("data", {}) else m["msg_type"]
        for m in run.of_type("display_data", "execute_result")
    ]
    assert "progress" in kinds, kinds
    assert kinds.index("progress") < kinds.index("execute_result"), kinds
    final = progress_with_final(kernel, run)[-1]["content"]
    assert final["data"][PROGRESS_MIME]["done"] is True

"""Idle Spark is stopped (FLINT_SPARK_IDLE_MINUTES) and starts again at its next use (issue 17)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KernelDriver
from test_spark_on_use import SPARK_START_MIME, _java_below

# 3 s: the watcher looks every 0.75 s.
IDLE_MINUTES = "0.05"


@pytest.fixture()
def idle_kernel(kernel_dirs: list[str], tmp_path: Path) -> Iterator[KernelDriver]:
    driver = KernelDriver(
        kernel_dirs,
        {
            "SPARK_MASTER": "local[1]",
            "FLINT_SPARK_LOG": str(tmp_path / "driver.log"),
            "FLINT_SPARK_IDLE_MINUTES": IDLE_MINUTES,
        },
        tmp_path,
    )
    driver.start()
    try:
        yield driver
    finally:
        driver.stop()


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_idle_spark_stops_old_dataframes_say_why_and_the_next_use_restarts(idle_kernel: KernelDriver) -> None:
    kernel_pid = idle_kernel.manager.provisioner.pid
    run = idle_kernel.execute("df = spark.range(5)\ndf.count()", timeout=240)
    assert run.result["text/plain"] == "5", run.error
    assert _java_below(kernel_pid) != []

    # A cell that does not use Spark is no use of Spark: the JVM still goes.
    assert idle_kernel.execute("1 + 1").result["text/plain"] == "2"
    assert _wait_for(lambda: _java_below(kernel_pid) == [], timeout=30), "the idle JVM was not stopped"
    assert idle_kernel.execute("type(spark).__name__").result["text/plain"] == "'LazyProxy'"

    stale = idle_kernel.execute("df.count()")
    assert stale.reply["status"] == "error"
    assert stale.error["ename"] == "SparkStoppedError"
    assert "Spark was stopped after 0.05 idle minutes" in stale.error["evalue"]
    assert "Re-run the cell that made it" in stale.error["evalue"]
    # The message, not a Py4J stack.
    assert len(stale.error["traceback"]) == 1
    assert "py4j" not in "".join(stale.error["traceback"]).lower()

    again = idle_kernel.execute("spark.range(3).count()", timeout=240)
    assert again.reply["status"] == "ok", again.error
    assert again.result["text/plain"] == "3"
    notices = again.with_mime(SPARK_START_MIME)
    assert notices and notices[0]["content"]["data"][SPARK_START_MIME]["state"] == "starting"
    assert notices[-1]["content"]["data"][SPARK_START_MIME]["state"] == "ready"
    assert _java_below(kernel_pid) != []


def test_a_running_spark_job_is_not_idle(idle_kernel: KernelDriver) -> None:
    assert idle_kernel.execute("spark.range(1).count()", timeout=240).result["text/plain"] == "1"
    # A job four times longer than the idle time, run by a background thread while no cell runs.
    code = (
        "import threading, time\n"
        "def slow(_):\n"
        "    time.sleep(12)\n"
        "    return 1\n"
        "result = []\n"
        "def work():\n"
        "    try:\n"
        "        result.append(spark.sparkContext.parallelize([1], 1).map(slow).sum())\n"
        "    except Exception as error:\n"
        "        result.append(type(error).__name__)\n"
        "worker = threading.Thread(target=work)\n"
        "worker.start()\n"
    )
    assert idle_kernel.execute(code).reply["status"] == "ok"
    time.sleep(14)
    run = idle_kernel.execute("worker.join(); result", timeout=120)
    assert run.result["text/plain"] == "[1]", run.error
    # Still the same Spark: no start notice.
    after = idle_kernel.execute("spark.range(2).count()", timeout=120)
    assert after.result["text/plain"] == "2"
    assert after.with_mime(SPARK_START_MIME) == []

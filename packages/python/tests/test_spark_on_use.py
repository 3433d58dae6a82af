"""Spark starts at its first use (issue 17): a notebook that never touches Spark runs no JVM."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KernelDriver

SPARK_START_MIME = "application/vnd.flint.spark-start+json"


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _java_below(pid: int) -> list[int]:
    java = []
    for child in _descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if command.endswith(b"java"):
            java.append(child)
    return java


@pytest.fixture()
def fresh_kernel(kernel_dirs: list[str], tmp_path: Path) -> Iterator[KernelDriver]:
    driver = KernelDriver(
        kernel_dirs, {"SPARK_MASTER": "local[1]", "FLINT_SPARK_LOG": str(tmp_path / "driver.log")}, tmp_path
    )
    driver.start()
    try:
        yield driver
    finally:
        driver.stop()


def test_no_jvm_until_spark_is_used_then_it_starts_with_the_notice(fresh_kernel: KernelDriver) -> None:
    kernel_pid = fresh_kernel.manager.provisioner.pid
    assert fresh_kernel.execute("import pandas as pd\nint(pd.Series([1, 1]).sum())").result["text/plain"] == "2"
    assert fresh_kernel.execute("type(spark).__name__").result["text/plain"] == "'LazyProxy'"
    assert _java_below(kernel_pid) == []

    run = fresh_kernel.execute("spark.range(3).count()", timeout=240)
    assert run.reply["status"] == "ok", run.error
    assert run.result["text/plain"] == "3"
    notices = run.with_mime(SPARK_START_MIME)
    assert notices and notices[0]["content"]["data"][SPARK_START_MIME]["state"] == "starting"
    assert notices[-1]["content"]["data"][SPARK_START_MIME]["state"] == "ready"
    assert _java_below(kernel_pid) != []

"""Shared fixtures: the flint-spark kernelspec in a temporary prefix and real kernels driven over ZMQ.

One kernel (with one SparkSession on ``local[2]``) is shared by all Spark tests: starting a JVM
takes about 10 s on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from flint.install import KERNEL_NAME

PROGRESS_MIME = "application/vnd.flint.spark-progress+json"
TABLE_MIME = "application/vnd.flint.table+json"
SPARK_START_MIME = "application/vnd.flint.spark-start+json"


@dataclass
class Execution:
    """Everything the kernel sent for one execute_request."""

    msg_id: str
    reply: dict[str, Any]
    messages: list[dict[str, Any]]
    seconds: float
    interrupted_at: float | None = None
    other_messages: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, *msg_types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in msg_types]

    def stream_text(self, name: str | None = None) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if name is None or m["content"]["name"] == name
        )

    @property
    def result(self) -> dict[str, Any]:
        results = self.of_type("execute_result")
        assert results, f"no execute_result; got {[m['msg_type'] for m in self.messages]} {self.error}"
        return results[-1]["content"]["data"]

    @property
    def error(self) -> dict[str, Any] | None:
        errors = self.of_type("error")
        return errors[-1]["content"] if errors else None

    def with_mime(self, mime: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.of_type("display_data", "update_display_data", "execute_result")
            if mime in m["content"]["data"]
        ]


class KernelDriver:
    """A real kernel started from a kernelspec, driven with jupyter_client's blocking client."""

    def __init__(self, kernel_dirs: list[str], env: dict[str, str], cwd: Path) -> None:
        self.manager = KernelManager(
            kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs)
        )
        self.env = env
        # Spark writes spark-warehouse/ (and any relative paths) into the kernel's working dir.
        self.cwd = cwd
        self.client: Any = None

    def start(self) -> float:
        """Start the kernel and return the seconds until it answered kernel_info."""
        started = time.monotonic()
        self.manager.start_kernel(env={**os.environ, **self.env}, cwd=str(self.cwd))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)

    def execute(
        self,
        code: str,
        timeout: float = 120,
        interrupt_after: float | None = None,
        interrupt_when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Execution:
        """Run ``code`` (allow_stdin false, as Flint's broker does) and collect its IOPub messages.

        ``interrupt_when`` interrupts the kernel once, at the first message of the cell it
        accepts (e.g. the cell's own "started" print), instead of after a fixed time.
        """
        started = time.monotonic()
        msg_id = self.client.execute(code, allow_stdin=False, stop_on_error=False)
        messages: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        interrupted_at = None
        idle = False
        while not idle:
            elapsed = time.monotonic() - started
            if interrupt_after is not None and interrupted_at is None and elapsed >= interrupt_after:
                self.manager.interrupt_kernel()
                interrupted_at = elapsed
            if elapsed > timeout:
                raise TimeoutError(f"no idle within {timeout} s for {code!r}; got {[m['msg_type'] for m in messages]}")
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                others.append(msg)
                continue
            if msg["msg_type"] == "status":
                idle = msg["content"]["execution_state"] == "idle"
                continue
            messages.append(msg)
            if interrupt_when is not None and interrupted_at is None and interrupt_when(msg):
                self.manager.interrupt_kernel()
                interrupted_at = time.monotonic() - started
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        return Execution(msg_id, reply["content"], messages, time.monotonic() - started, interrupted_at, others)


@pytest.fixture(scope="session")
def kernel_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prefix holding the flint-spark kernelspec, installed with the real CLI."""
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run([sys.executable, "-m", "flint.install", "--prefix", str(prefix)], check=True, capture_output=True)
    return prefix


@pytest.fixture(scope="session")
def kernel_dirs(kernel_prefix: Path) -> list[str]:
    return [str(kernel_prefix / "share" / "jupyter" / "kernels")]


@dataclass
class SharedKernel:
    driver: KernelDriver
    seconds_to_kernel_info: float
    first_execution: Execution
    first_spark_execution: Execution
    spark_log: Path


@pytest.fixture(scope="session")
def shared_kernel(kernel_dirs: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedKernel]:
    """One flint-spark kernel for all Spark tests, with what happened at its start recorded."""
    workdir = tmp_path_factory.mktemp("spark")
    log = workdir / "driver.log"
    env = {
        "SPARK_MASTER": "local[2]",
        "FLINT_SPARK_LOG": str(log),
        # A marker to check that FLINT_SPARK_CONF reaches the session, and a setting that
        # overrides a Flint default.
        "FLINT_SPARK_CONF": json.dumps({"spark.flint.test.marker": "yes", "spark.sql.shuffle.partitions": 4}),
    }
    driver = KernelDriver(kernel_dirs, env, workdir)
    seconds = driver.start()
    try:
        # Runs right after kernel_info, while the SparkSession is still being built.
        first = driver.execute("('spark' in globals(), 'sc' in globals(), type(spark).__name__)", timeout=30)
        first_spark = driver.execute("spark.range(10**6).count()", timeout=180)
        yield SharedKernel(driver, seconds, first, first_spark, log)
    finally:
        driver.stop()


@pytest.fixture()
def kernel(shared_kernel: SharedKernel) -> KernelDriver:
    return shared_kernel.driver

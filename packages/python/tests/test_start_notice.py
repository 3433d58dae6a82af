"""The notice of a cell that waits for Spark to start (flint.kernel.start_notice), without Spark."""

from __future__ import annotations

from typing import Any

import pytest

from flint.kernel.session import SparkStartError
from flint.kernel.start_notice import SPARK_START_MIME, wait_with_notice


class FakeStarter:
    master = "local[2]"

    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def peek(self) -> Any:
        return object() if self.ready else None

    def seconds_starting(self) -> float:
        return 4.25


class Recorder:
    """Stands in for IPython's display: records the bundles and their updates."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, bundle: dict[str, Any], raw: bool, display_id: str) -> Recorder:
        assert raw
        self.shown.append(("display", bundle))
        return self

    def update(self, bundle: dict[str, Any], raw: bool) -> None:
        self.shown.append(("update", bundle))

    def states(self) -> list[tuple[str, str]]:
        return [(kind, bundle[SPARK_START_MIME]["state"]) for kind, bundle in self.shown]


def test_ready_spark_shows_nothing() -> None:
    shown = Recorder()
    assert wait_with_notice(FakeStarter(ready=True), lambda: "session", shown) == "session"
    assert shown.shown == []


def test_outside_a_cell_shows_nothing() -> None:
    assert wait_with_notice(FakeStarter(ready=False), lambda: "session", None) == "session"


def test_a_wait_shows_starting_then_ready() -> None:
    shown = Recorder()
    assert wait_with_notice(FakeStarter(ready=False), lambda: "session", shown) == "session"
    assert shown.states() == [("display", "starting"), ("update", "ready")]
    assert shown.shown[0][1]["text/plain"] == "Starting Spark (local[2])…"
    assert shown.shown[1][1]["text/plain"] == "Spark started in 4.2 s (local[2])."
    assert shown.shown[1][1][SPARK_START_MIME]["elapsedS"] == 4.2


def test_a_failed_start_and_an_interrupted_wait_say_so() -> None:
    def fail() -> Any:
        raise SparkStartError("no Java")

    def interrupt() -> Any:
        raise KeyboardInterrupt

    failed = Recorder()
    with pytest.raises(SparkStartError):
        wait_with_notice(FakeStarter(ready=False), fail, failed)
    assert failed.states() == [("display", "starting"), ("update", "failed")]
    interrupted = Recorder()
    with pytest.raises(KeyboardInterrupt):
        wait_with_notice(FakeStarter(ready=False), interrupt, interrupted)
    assert interrupted.states() == [("display", "starting"), ("update", "interrupted")]

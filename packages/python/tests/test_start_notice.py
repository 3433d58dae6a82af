"""The notice of a cell that waits for Spark to start (flint.kernel.start_notice), without Spark."""

from __future__ import annotations

from typing import Any

import pytest

from flint.kernel.session import SparkStartError
from flint.kernel.start_notice import SPARK_START_MIME, wait_with_notice


class FakeStarter:
    """Stands in for SparkStarter: settled or not, and what its wait returns or raises."""

    master = "local[2]"

    def __init__(self, settled: bool, outcome: Any = "session") -> None:
        self.is_settled = settled
        self.outcome = outcome

    def wait(self) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

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


def test_a_settled_start_shows_nothing() -> None:
    # Spark up, or failed in an earlier cell (the error says it again; no "starting" notice).
    shown = Recorder()
    assert wait_with_notice(FakeStarter(settled=True), shown) == "session"
    with pytest.raises(SparkStartError):
        wait_with_notice(FakeStarter(settled=True, outcome=SparkStartError("no Java")), shown)
    assert shown.shown == []


def test_outside_a_cell_shows_nothing() -> None:
    assert wait_with_notice(FakeStarter(settled=False), None) == "session"


def test_a_wait_shows_starting_then_ready() -> None:
    shown = Recorder()
    assert wait_with_notice(FakeStarter(settled=False), shown) == "session"
    assert shown.states() == [("display", "starting"), ("update", "ready")]
    assert shown.shown[0][1]["text/plain"] == "Starting Spark (local[2])…"
    assert shown.shown[1][1]["text/plain"] == "Spark started in 4.2 s (local[2])."
    assert shown.shown[1][1][SPARK_START_MIME]["elapsedS"] == 4.2


def test_a_failed_start_and_an_interrupted_wait_say_so() -> None:
    failed = Recorder()
    with pytest.raises(SparkStartError):
        wait_with_notice(FakeStarter(settled=False, outcome=SparkStartError("no Java")), failed)
    assert failed.states() == [("display", "starting"), ("update", "failed")]
    interrupted = Recorder()
    with pytest.raises(KeyboardInterrupt):
        wait_with_notice(FakeStarter(settled=False, outcome=KeyboardInterrupt()), interrupted)
    assert interrupted.states() == [("display", "starting"), ("update", "interrupted")]

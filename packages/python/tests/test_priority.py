"""Background Spark processes start at a lower CPU priority (flint.priority)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flint.priority import background_nice

AUTOGROUP_ON = Path("/proc/sys/kernel/sched_autogroup_enabled").exists()

# A process in the default autogroup (CI's session, started by init) reads an empty file: "-".
PROBE = """
import os
from flint.priority import lower_priority
nice = lower_priority()
words = open("/proc/self/autogroup").read().split() if os.path.exists("/proc/self/autogroup") else []
print(nice, words[-1] if words else "-")
"""


def _run(env: dict[str, str], new_session: bool) -> tuple[int, str]:
    answer = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        start_new_session=new_session,
    )
    nice, group = answer.stdout.split()
    return int(nice), group


def test_the_setting_is_read_and_bounded() -> None:
    assert background_nice({}) == 5
    assert background_nice({"FLINT_BACKGROUND_NICE": "12"}) == 12
    assert background_nice({"FLINT_BACKGROUND_NICE": "99"}) == 19
    assert background_nice({"FLINT_BACKGROUND_NICE": "-5"}) == 0
    assert background_nice({"FLINT_BACKGROUND_NICE": "fast"}) == 5


def test_a_session_leader_lowers_its_process_and_its_sessions_priority() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    nice, group = _run({"FLINT_BACKGROUND_NICE": "7"}, new_session=True)
    assert nice == max(base, 7)
    if AUTOGROUP_ON:
        assert group == "7"


def test_a_process_in_someone_elses_session_leaves_that_sessions_priority_alone() -> None:
    before = Path("/proc/self/autogroup").read_text() if AUTOGROUP_ON else ""
    nice, _ = _run({"FLINT_BACKGROUND_NICE": "7"}, new_session=False)
    assert nice == max(os.getpriority(os.PRIO_PROCESS, 0), 7)
    if AUTOGROUP_ON:
        assert Path("/proc/self/autogroup").read_text() == before


def test_zero_turns_it_off() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    nice, _ = _run({"FLINT_BACKGROUND_NICE": "0"}, new_session=True)
    assert nice == base


def test_the_default_autogroup_reads_as_nice_zero(tmp_path: Path, monkeypatch) -> None:
    # A session started by init without setsid (CI's) is in the default autogroup, whose
    # /proc/self/autogroup is empty: that must read as 0, not fail the start.
    from flint import priority

    empty = tmp_path / "autogroup"
    empty.write_text("")
    monkeypatch.setattr(priority, "_AUTOGROUP", empty)
    assert priority._autogroup_nice() == 0
    empty.write_text("/autogroup-42 nice 7\n")
    assert priority._autogroup_nice() == 7

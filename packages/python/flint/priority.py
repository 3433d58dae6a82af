"""CPU priority of Flint's background Spark: what people wait on first, heavy work second.

On a machine shared by many notebooks, the processes a person waits on at every keystroke and
run (Flint's server, Jupyter Server, the kernels, PostgreSQL) compete for the cores with the
projects' Spark servers and the catalog profiler, whose JVMs run many threads at once. Measured in
``bench/scale`` (50 open notebooks, 10 of them running Spark cells, 2 cores): the Spark servers
used about one core of two, and a ``1+1`` cell's p95 went from 25 ms to 1.6 s. So those
long-running Spark processes start at a lower priority (``nice``), and a small cell gets the CPU as
soon as it needs it; when nothing else wants the cores, Spark still uses all of them.

Linux's scheduler, with autogroups on (``/proc/sys/kernel/sched_autogroup_enabled``, the default
of most distributions), shares the CPU between *sessions* first: every kernel is a session of its
own (jupyter_client's ``start_new_session``), and Flint starts each Spark server and the profiler
in one too (``detached``). A process's own nice value then only orders it among its session's
processes; between sessions, the session's autogroup nice counts. So both are set: the autogroup's
(for the whole session: the JVM and its Python workers) when the process leads its session, and
the process's (inherited by its children; what counts when autogroups are off).

``FLINT_BACKGROUND_NICE`` sets the value (default 5: next to one busy kernel, a busy Spark server
gets about a quarter of the time, weights 335 against 1024; 0 turns it off). Raising a nice
value needs no privilege, and a sandboxed user cannot lower it again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_BACKGROUND_NICE = 5
_AUTOGROUP = Path("/proc/self/autogroup")


def background_nice(env: Mapping[str, str] = os.environ) -> int:
    """The nice value for background Spark, from ``FLINT_BACKGROUND_NICE`` (0-19; default 5)."""
    raw = env.get("FLINT_BACKGROUND_NICE", "").strip()
    if not raw:
        return DEFAULT_BACKGROUND_NICE
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_BACKGROUND_NICE
    return min(max(value, 0), 19)


def lower_priority(nice: int | None = None) -> int:
    """Runs this process (and its session, if it leads one) at nice value ``nice``.

    Never raises the priority: a process already nicer stays as it is. Answers the nice value the
    process has afterwards. Errors (no ``/proc``, autogroups compiled out) are ignored: priority
    is a preference, not a reason to fail a start.
    """
    target = background_nice() if nice is None else nice
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < target:
            os.setpriority(os.PRIO_PROCESS, 0, target)
    except OSError:
        pass
    # The autogroup is the session's; change it only when this process made the session, never a
    # terminal's session that happens to run it.
    if target > 0 and os.getsid(0) == os.getpid():
        try:
            if _autogroup_nice() < target:
                _AUTOGROUP.write_text(str(target))
        except OSError:
            pass
    return os.getpriority(os.PRIO_PROCESS, 0)


def _autogroup_nice() -> int:
    """The current session's autogroup nice value (``/autogroup-123 nice 5``).

    A process in the default autogroup (a session that init or a daemon started without
    ``setsid``) reads an empty file: that group's nice value is 0 and cannot be set.
    """
    words = _AUTOGROUP.read_text().split()
    return int(words[-1]) if words else 0

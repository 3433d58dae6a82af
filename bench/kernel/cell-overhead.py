"""Where a cell's time goes inside a real Flint kernel, for the job of benchmark (c).

Benchmark (c) in run.ts compares whole round trips of two processes, each with its own JVM, and a
JVM's speed at this job varies from one process to the next by more than the few milliseconds
that Flint's per-cell hooks take (see docs/benchmarks.md). This script measures those inside one
kernel instead: it runs the job as a cell N times and prints, per part of IPython's ``run_cell``,
the median and the spread of the time spent, in particular everything but the user's code.

Run with the Python environment Flint uses (it starts the ``flint-spark`` kernel installed there):

    $FLINT_PYTHON_ENV/bin/python bench/kernel/cell-overhead.py [runs]

The figures come from ``time.perf_counter`` stamps that a setup cell installs around IPython's
hooks and display hook; the first and last cells of the run are not counted.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

JOB = 'spark.range(10**8).selectExpr("sum(id)").collect()'
WARM_UP = 10
PAUSE_S = 0.3

# Stamps: run_cell start/end, around the pre/post_run_cell hooks (first and last callback), the
# user's code (in the cell itself), the display hook, and the tagging of the cell's Spark jobs
# (which happens inside the user's code, just before its first Py4J command).
SETUP = r"""
import time as _t
_ip = get_ipython()
_STAMPS, _now = [], {}
def _stamp(name):
    _now[name] = _t.perf_counter()
_run_cell = _ip.run_cell
def _timed_run_cell(*args, **kwargs):
    _now.clear()
    _stamp("cell0")
    try:
        return _run_cell(*args, **kwargs)
    finally:
        _stamp("cell1")
        _STAMPS.append(dict(_now))
_ip.run_cell = _timed_run_cell
for _event, _key in (("pre_run_cell", "pre"), ("post_run_cell", "post")):
    _ip.events.callbacks[_event].insert(0, lambda *a, _k=_key: _stamp(_k + "0"))
    _ip.events.callbacks[_event].append(lambda *a, _k=_key: _stamp(_k + "1"))
_display_hook = type(_ip.displayhook).__call__
def _timed_display_hook(self, result=None):
    _stamp("display0")
    try:
        return _display_hook(self, result)
    finally:
        _stamp("display1")
type(_ip.displayhook).__call__ = _timed_display_hook
import flint.kernel as _flint
_controller = next(iter(_flint._extensions.values())).controller
_tag = _controller.ensure_tagged
def _timed_tag():
    started = _t.perf_counter()
    try:
        return _tag()
    finally:
        _now["tag"] = _now.get("tag", 0) + _t.perf_counter() - started
_controller.ensure_tagged = _timed_tag
"""

PARTS = [
    ("pre_run_cell hooks", lambda s: s["pre1"] - s["pre0"]),
    ("tagging the cell's jobs (in the user's code)", lambda s: s.get("tag", 0.0)),
    ("display hook (formats and sends the result)", lambda s: s["display1"] - s["display0"]),
    ("post_run_cell hooks (final progress)", lambda s: s["post1"] - s["post0"]),
    (
        "run_cell minus the user's code, tagging included",
        lambda s: (s["cell1"] - s["cell0"]) - (s["user1"] - s["user0"]) + s.get("tag", 0.0),
    ),
    ("the user's code, tagging excluded", lambda s: s["user1"] - s["user0"] - s.get("tag", 0.0)),
]


def execute(client, code: str, timeout: float = 180) -> dict:
    reply = client.execute_interactive(code, timeout=timeout, allow_stdin=False, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
    return reply


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    kernels = Path(sys.prefix) / "share" / "jupyter" / "kernels"
    manager = KernelManager(
        kernel_name="flint-spark", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    workdir = tempfile.mkdtemp(prefix="flint-cell-overhead-")
    manager.start_kernel(cwd=workdir, env={"FLINT_SPARK_LOG": str(Path(workdir) / "driver.log")})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        for _ in range(WARM_UP):
            execute(client, JOB)
        execute(client, SETUP)
        for _ in range(runs):
            time.sleep(PAUSE_S)
            execute(client, f"_stamp('user0'); _result = {JOB}; _stamp('user1'); _result")
        printed: list[str] = []
        client.execute_interactive(
            "import json; print(json.dumps(_STAMPS))",
            allow_stdin=False,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
        )
        stamps = [s for s in json.loads("".join(printed)) if "user0" in s][1:-1]
        print(f"{len(stamps)} runs of {JOB} in one flint-spark kernel (ms: median, quartiles)")
        for name, part in PARTS:
            values = [part(s) * 1000 for s in stamps]
            low, median, high = statistics.quantiles(values, n=4)
            print(f"  {name:50s} {median:7.2f}   {low:7.2f} – {high:7.2f}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()

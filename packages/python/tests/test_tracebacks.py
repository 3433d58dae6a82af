"""Tracebacks show the user's code and the libraries it called, never Flint's own frames.

The first tests build real tracebacks through three small modules standing in for user code,
a library and Flint; the others run real cells in a flint-spark kernel.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import pytest
from conftest import PROGRESS_MIME, Execution, KernelDriver

import flint
from flint.kernel.tracebacks import filter_exception, is_flint_file, is_user_file, user_traceback

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FLINT_DIR = str(Path(flint.__file__).resolve().parent)


def load_module(directory: Path, name: str, source: str) -> ModuleType:
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def stack(tmp_path: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    """(user, library, internal) modules; internal code wraps calls as Flint's hooks do."""
    library = load_module(tmp_path, "library", "def call(fn):\n    return fn()\n")
    internal = load_module(
        tmp_path,
        "internal",
        "def wrap(fn):\n    return fn()\n\ndef on_signal():\n    raise KeyboardInterrupt\n",
    )
    user = load_module(
        tmp_path,
        "user",
        "def fail():\n    raise ValueError('bad value')\n\n"
        "def cell():\n    return internal.wrap(lambda: library.call(fail))\n\n"
        "def interrupted():\n    return library.call(internal.on_signal)\n",
    )
    user.internal, user.library = internal, library
    return user, library, internal


def caught(fn) -> tuple[type[BaseException], BaseException, TracebackType]:
    try:
        fn()
    except BaseException:  # noqa: BLE001 - the test looks at whatever was raised
        etype, value, tb = sys.exc_info()
        assert etype is not None and value is not None and tb is not None
        return etype, value, tb
    raise AssertionError("nothing raised")


def frames(tb: TracebackType | None) -> list[str]:
    names = []
    while tb is not None:
        names.append(f"{Path(tb.tb_frame.f_code.co_filename).stem}.{tb.tb_frame.f_code.co_name}")
        tb = tb.tb_next
    return names


def predicates(user: ModuleType, internal: ModuleType) -> dict:
    user_file, internal_file = user.__file__, internal.__file__
    return {
        "is_internal": lambda name: name == internal_file,
        "is_user": lambda name: name == user_file,
    }


def test_internal_frames_go_and_library_frames_stay(stack) -> None:
    user, _library, internal = stack
    _, _, tb = caught(user.cell)
    assert frames(tb)[1:] == ["user.cell", "internal.wrap", "user.<lambda>", "library.call", "user.fail"]
    filtered = user_traceback(tb, **predicates(user, internal))
    assert frames(filtered)[1:] == ["user.cell", "user.<lambda>", "library.call", "user.fail"]
    # The test's own frame (first) is neither user, library nor internal here: it stays too.
    assert frames(filtered)[0] == "test_tracebacks.caught"


def test_an_interrupt_ends_at_the_users_last_line(stack) -> None:
    user, _library, internal = stack
    _, _, tb = caught(user.interrupted)
    assert frames(tb)[-2:] == ["library.call", "internal.on_signal"]
    filtered = user_traceback(tb, is_interrupt=True, **predicates(user, internal))
    assert frames(filtered)[1:] == ["user.interrupted"]
    # The line shown is the user's call, where the interrupt reached their code.
    last = filtered
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    assert last is not None and last.tb_lineno == 8


def test_a_traceback_without_user_code_is_left_whole(stack) -> None:
    user, library, internal = stack
    # An error in Flint's own code (a hook, say) is a Flint bug: its frames are what a report needs.
    _, _, tb = caught(lambda: internal.wrap(lambda: library.call(internal.on_signal)))
    no_user = {"is_internal": lambda name: name == internal.__file__, "is_user": lambda name: False}
    assert user_traceback(tb, is_interrupt=True, **no_user) is tb


def test_chained_exceptions_and_the_interrupt_message(stack) -> None:
    user, _library, internal = stack

    def reraise() -> None:
        try:
            user.cell()
        except ValueError as error:
            raise KeyError("outer") from error

    etype, value, tb = caught(reraise)
    assert value.__cause__ is not None and "internal.wrap" in frames(value.__cause__.__traceback__)
    filter_exception(etype, value, tb, **predicates(user, internal))
    # IPython reads a chained exception's frames from its __traceback__: filtered in place.
    assert "internal.wrap" not in frames(value.__cause__.__traceback__)
    assert "user.fail" in frames(value.__cause__.__traceback__)

    etype, value, tb = caught(KeyboardInterruptRaiser())
    _, shown, _ = filter_exception(etype, value, tb)
    assert str(shown) == "Interrupted"
    etype, value, tb = caught(KeyboardInterruptRaiser("stopped by the test"))
    assert str(filter_exception(etype, value, tb)[1]) == "stopped by the test"


class KeyboardInterruptRaiser:
    def __init__(self, *args: str) -> None:
        self.args = args

    def __call__(self) -> None:
        raise KeyboardInterrupt(*self.args)


def test_flint_files_are_neither_user_nor_library() -> None:
    import pandas

    import flint.kernel.cells

    assert is_flint_file(flint.kernel.cells.__file__)
    assert not is_user_file(flint.kernel.cells.__file__)
    assert not is_flint_file(pandas.__file__) and not is_user_file(pandas.__file__)
    assert not is_user_file(re.__file__)
    assert is_user_file("/tmp/ipykernel_1234/56789.py")


# ---------------------------------------------------------------------------------------------
# A real kernel


def traceback_text(run: Execution) -> str:
    assert run.error is not None, f"no error; got {[m['msg_type'] for m in run.messages]}"
    return ANSI.sub("", "\n".join(run.error["traceback"]))


def assert_no_flint_frames(text: str) -> None:
    assert "flint/kernel" not in text and "flint/chart" not in text
    assert FLINT_DIR not in text


def is_progress(msg: dict) -> bool:
    return msg["msg_type"] == "display_data" and PROGRESS_MIME in msg["content"]["data"]


def is_started_print(msg: dict) -> bool:
    return msg["msg_type"] == "stream" and "started" in msg["content"]["text"]


def test_a_failing_cell_shows_its_own_frames(kernel: KernelDriver) -> None:
    text = traceback_text(kernel.execute("def ratio(a, b):\n    return a / b\nratio(1, 0)"))
    assert "----> 3 ratio(1, 0)" in text and "----> 2     return a / b" in text
    assert_no_flint_frames(text)


def test_a_failing_spark_call_shows_the_users_line_and_pyspark(kernel: KernelDriver) -> None:
    text = traceback_text(kernel.execute("spark.range(3).select('no_such_column').collect()"))
    assert "----> 1 spark.range(3).select('no_such_column').collect()" in text
    assert "pyspark/sql" in text  # the library frames the call went through stay
    assert "UNRESOLVED_COLUMN" in text
    assert_no_flint_frames(text)


def _once_the_print_has_returned(msg: dict[str, Any]) -> bool:
    """The "started" print, a moment after it arrived: the kernel may still be in print's flush
    when the message reaches the client, and an interrupt there points at the print."""
    if not is_started_print(msg):
        return False
    time.sleep(0.3)
    return True


def test_an_interrupted_sleep_points_at_the_sleep(kernel: KernelDriver) -> None:
    run = kernel.execute(
        "import time\nprint('started', flush=True)\ntime.sleep(120)", interrupt_when=_once_the_print_has_returned
    )
    assert run.error is not None and run.error["ename"] == "KeyboardInterrupt"
    assert run.error["evalue"] == "Interrupted"
    text = traceback_text(run)
    assert "----> 3 time.sleep(120)" in text
    assert text.rstrip().endswith("KeyboardInterrupt: Interrupted")
    assert_no_flint_frames(text)
    # Only the cell's own frame: no signal handler, no library internals.
    assert "File " not in text


def test_an_interrupted_spark_job_points_at_the_users_line(kernel: KernelDriver) -> None:
    run = kernel.execute("spark.range(10**12).selectExpr('sum(id % 7)').collect()", interrupt_when=is_progress)
    text = traceback_text(run)
    assert "----> 1 spark.range(10**12)" in text
    assert_no_flint_frames(text)
    assert "File " not in text and "py4j" not in text


def test_a_failing_chart_shows_the_users_code_not_the_magic(kernel: KernelDriver) -> None:
    run = kernel.execute(
        "from pyspark.sql.functions import udf\n"
        "@udf('int')\n"
        "def broken(x):\n"
        "    return x // 0\n"
        "scores = spark.range(3).withColumn('score', broken('id'))\n"
        "%chart data(scores) bar x(id) y(sum(score))"
    )
    text = traceback_text(run)
    assert "run_line_magic('chart', 'data(scores) bar x(id) y(sum(score))')" in text
    assert "return x // 0" in text  # the UDF, as PySpark reports the worker's error
    assert "ZeroDivisionError" in text
    assert_no_flint_frames(text)


def test_a_failing_and_an_interrupted_sql_cell(kernel: KernelDriver) -> None:
    failed = traceback_text(kernel.execute("%%sql\nSELECT no_such_column FROM range(3)"))
    assert "UNRESOLVED_COLUMN" in failed
    assert_no_flint_frames(failed)
    run = kernel.execute("%%sql\nSELECT sum(id % 7) FROM range(1000000000000)", interrupt_when=is_progress)
    text = traceback_text(run)
    assert run.error is not None and run.error["ename"] == "KeyboardInterrupt"
    assert "run_cell_magic('sql'" in text
    assert_no_flint_frames(text)

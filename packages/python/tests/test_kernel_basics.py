"""A flint-spark kernel behaves like a normal Jupyter kernel for everything that is not Spark."""

from __future__ import annotations

import time

from conftest import TABLE_MIME, KernelDriver, SharedKernel


def test_kernel_answers_at_once_with_spark_and_sc_defined(shared_kernel: SharedKernel) -> None:
    # kernel_info is answered while Spark is still starting in the background.
    assert shared_kernel.seconds_to_kernel_info < 15
    first = shared_kernel.first_execution
    assert first.reply["status"] == "ok"
    has_spark, has_sc, spark_type = eval(first.result["text/plain"])
    assert has_spark and has_sc
    assert spark_type in ("LazyProxy", "SparkSession")


def test_kernel_info_while_idle(kernel: KernelDriver) -> None:
    started = time.monotonic()
    reply = kernel.client.kernel_info(reply=True, timeout=10)
    assert reply["content"]["status"] == "ok"
    assert time.monotonic() - started < 5


def test_print_loop_streams_several_messages(kernel: KernelDriver) -> None:
    run = kernel.execute("import time\nfor i in range(5):\n    print(i, flush=True)\n    time.sleep(0.3)")
    streams = run.of_type("stream")
    assert len(streams) >= 3  # output arrives while the cell runs, not all at the end
    assert run.stream_text("stdout") == "0\n1\n2\n3\n4\n"


def test_exception_gives_error_with_traceback(kernel: KernelDriver) -> None:
    run = kernel.execute("def f():\n    return 1 / 0\nf()")
    assert run.reply["status"] == "error"
    assert run.error["ename"] == "ZeroDivisionError"
    assert any("f()" in line for line in run.error["traceback"])


def test_display_update_sends_update_display_data(kernel: KernelDriver) -> None:
    run = kernel.execute("h = display('first', display_id=True)\nh.update('second')")
    shown = run.of_type("display_data")
    updated = run.of_type("update_display_data")
    assert len(shown) == 1 and len(updated) == 1
    assert shown[0]["content"]["transient"]["display_id"] == updated[0]["content"]["transient"]["display_id"]
    assert updated[0]["content"]["data"]["text/plain"] == "'second'"


def test_input_fails_fast_with_a_clear_message(kernel: KernelDriver) -> None:
    run = kernel.execute("name = input('Your name? ')", timeout=15)
    assert run.reply["status"] == "error"
    assert "input() is not supported in Flint notebooks: pass values in code or widgets" in run.error["evalue"]
    assert any("input('Your name? ')" in line for line in run.error["traceback"])
    # The kernel is still usable.
    assert kernel.execute("40 + 2").result["text/plain"] == "42"


def test_pandas_dataframe_renders_as_flint_table(kernel: KernelDriver) -> None:
    run = kernel.execute("import pandas as pd\npd.DataFrame({'n': range(100), 'tag': ['<b>x</b>'] * 100})")
    data = run.result
    assert "showing 50 of 100 rows" in data["text/html"]
    assert "&lt;b&gt;x&lt;/b&gt;" in data["text/html"] and "<b>x</b>" not in data["text/html"]
    table = data[TABLE_MIME]
    assert table["totalRows"] == 100 and table["truncated"] is True
    assert len(table["rows"]) == 50 and table["rows"][0] == [0, "<b>x</b>"]
    assert len(table["tableId"]) == 32  # the kernel keeps it for paging (flint.kernel.live)
    assert [c["name"] for c in table["columns"]] == ["n", "tag"]
    assert "text/plain" in data  # pandas' own text rendering stays


def test_display_of_pandas_dataframe_uses_the_same_table(kernel: KernelDriver) -> None:
    run = kernel.execute("display(pd.DataFrame({'a': [1.5, float('nan')]}))")
    table = run.of_type("display_data")[0]["content"]["data"][TABLE_MIME]
    assert table["rows"] == [[1.5], [None]] and table["truncated"] is False


def test_table_names_the_variable_it_shows_for_the_chart_builder(kernel: KernelDriver) -> None:
    kernel.execute("frame = pd.DataFrame({'a': [1, 2]})")
    assert kernel.execute("frame").result[TABLE_MIME]["variable"] == "frame"
    shown = kernel.execute("display(frame)").of_type("display_data")[0]["content"]["data"][TABLE_MIME]
    assert shown["variable"] == "frame"
    # A new object (and IPython's output cache `_N`) has no name the builder could use.
    assert "variable" not in kernel.execute("frame.head(1)").result[TABLE_MIME]


def test_altair_chart_uses_the_vegalite_v6_mimetype(kernel: KernelDriver) -> None:
    run = kernel.execute(
        "import altair as alt\n"
        "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [3, 1, 2]})).mark_line().encode(x='x', y='y')"
    )
    data = run.result
    assert "application/vnd.vegalite.v6.json" in data
    assert "text/html" not in data  # not the CDN-loading HTML renderer
    assert data["application/vnd.vegalite.v6.json"]["mark"]["type"] == "line"

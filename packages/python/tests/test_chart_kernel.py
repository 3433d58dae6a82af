"""%chart through a real flint-spark kernel (jupyter_client over ZMQ): the magic emits the MIME bundle."""

from __future__ import annotations

from conftest import KernelDriver

VEGALITE_MIME = "application/vnd.vegalite.v6+json"
CHART_MIME = "application/vnd.flint.chart+json"


def load(kernel: KernelDriver) -> None:
    # The kernel extension will call flint.chart.register(ip); until then load it by hand.
    run = kernel.execute("%load_ext flint.chart")
    assert run.reply["status"] == "ok", run.error


def test_chart_magic_emits_the_mime_bundle_for_pandas(kernel: KernelDriver) -> None:
    load(kernel)
    kernel.execute(
        "import pandas as pd\nsales = pd.DataFrame({'region': ['EU', 'US', 'EU'], 'amount': [1.0, 2.0, 3.0]})"
    )
    run = kernel.execute("%chart data(sales) bar x(region) y(sum(amount))")
    assert run.reply["status"] == "ok", run.error
    outputs = run.with_mime(VEGALITE_MIME)
    assert len(outputs) == 1 and outputs[0]["msg_type"] == "display_data"
    data = outputs[0]["content"]["data"]
    assert set(data) == {VEGALITE_MIME, CHART_MIME, "text/plain"}
    assert data[VEGALITE_MIME]["data"]["values"] == [
        {"region": "EU", "sum_amount": 4.0},
        {"region": "US", "sum_amount": 2.0},
    ]
    assert data[CHART_MIME]["command"] == "%chart data(sales) bar x(region) y(sum(amount))"
    assert data[CHART_MIME]["columns"] == [
        {"name": "region", "type": "str"},  # pandas 3 strings
        {"name": "amount", "type": "float64"},
    ]
    assert data["text/plain"] == "<bar chart of sales (pandas, 2 rows)>"


def test_chart_magic_pushes_down_to_spark(kernel: KernelDriver) -> None:
    load(kernel)
    run = kernel.execute(
        "from pyspark.sql import functions as F\n"
        "pts = spark.range(12000).select((F.col('id') % 5).alias('k'), F.rand(3).alias('x'), F.rand(4).alias('y'))\n"
        "%chart data(pts) x(x) y(y)"
    )
    assert run.reply["status"] == "ok", run.error
    spec = run.with_mime(VEGALITE_MIME)[0]["content"]["data"][VEGALITE_MIME]
    assert len(spec["data"]["values"]) == 5000
    assert spec["title"]["subtitle"] == "showing a sample of 5,000 of 12,000 rows"
    assert spec["usermeta"]["flint"]["kind"] == "spark"
    run = kernel.execute("%%chart data(pts)\n  bar x(k)\n  y(count())")
    assert run.reply["status"] == "ok", run.error
    data = run.with_mime(VEGALITE_MIME)[0]["content"]["data"]
    assert [r["count"] for r in data[VEGALITE_MIME]["data"]["values"]] == [2400] * 5
    assert data[CHART_MIME]["command"] == "%chart data(pts) bar x(k) y(count())"


def test_chart_errors_show_the_position_without_a_traceback(kernel: KernelDriver) -> None:
    load(kernel)
    kernel.execute("import pandas as pd\ndf = pd.DataFrame({'VOLUME': [1.0], 'WEIGHT': [2.0]})")
    run = kernel.execute("%chart data(df) x(VOLUMN) y(WEIGHT)")
    assert not run.with_mime(VEGALITE_MIME)
    error = run.error or {}
    text = run.stream_text("stderr") + error.get("evalue", "") + "\n".join(error.get("traceback", []))
    assert "unknown column 'VOLUMN' in data(df); did you mean 'VOLUME'?" in text
    assert "  %chart data(df) x(VOLUMN) y(WEIGHT)\n                    ^^^^^^" in text
    assert "Traceback" not in text and "File " not in text

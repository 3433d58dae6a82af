"""Pure functions: environment settings and table conversion (no kernel needed)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math

import pandas as pd

from flint.kernel.session import find_java, load_settings
from flint.kernel.tables import TABLE_MIME, preview_pandas, to_json_value


def test_settings_default_to_the_projects_shared_spark() -> None:
    settings = load_settings({})
    assert settings.is_shared and settings.is_connect and settings.errors == []
    # Without Flint's API (a kernel started by hand) it runs a dedicated session with Flint's defaults.
    assert settings.master == "local[*]" and settings.conf["spark.ui.enabled"] == "false"
    # A Connect server gets the user's settings only.
    conf = load_settings({"FLINT_SPARK_CONF": '{"spark.sql.ansi.enabled": false}'})
    assert conf.connect_conf == {"spark.sql.ansi.enabled": "false"}
    # An administrator's own Connect server wins over the project's.
    assert not load_settings({"SPARK_REMOTE": "sc://spark.example:15002"}).is_shared
    assert "must be shared or dedicated" in load_settings({"FLINT_SPARK_MODE": "both"}).errors[0]


def test_settings_defaults_for_local_mode() -> None:
    settings = load_settings({"FLINT_SPARK_MODE": "dedicated"})
    assert settings.master == "local[*]"
    assert settings.remote is None
    assert settings.conf["spark.ui.enabled"] == "false"
    assert settings.conf["spark.sql.shuffle.partitions"] == "8"
    assert "-Dlog4j2.configurationFile=file:" in settings.conf["spark.driver.extraJavaOptions"]
    assert settings.errors == []


def test_settings_user_conf_wins_and_keeps_log4j_option() -> None:
    settings = load_settings(
        {
            "FLINT_SPARK_MODE": "dedicated",
            "SPARK_MASTER": "spark://10.0.0.1:7077",
            "FLINT_SPARK_CONF": json.dumps(
                {"spark.ui.enabled": True, "spark.executor.memory": "2g", "spark.driver.extraJavaOptions": "-Dx=1"}
            ),
        }
    )
    assert settings.conf["spark.master"] == "spark://10.0.0.1:7077"
    assert settings.conf["spark.ui.enabled"] == "true"
    assert settings.conf["spark.executor.memory"] == "2g"
    assert "spark.sql.shuffle.partitions" not in settings.conf  # the small default is for local mode only
    assert settings.conf["spark.driver.extraJavaOptions"].startswith("-Dx=1 -Dlog4j2.configurationFile=")


def test_settings_spark_remote_selects_connect() -> None:
    settings = load_settings(
        {"SPARK_REMOTE": "sc://spark.example:15002", "FLINT_SPARK_CONF": '{"spark.sql.ansi.enabled": false}'}
    )
    assert settings.is_connect
    assert settings.conf == {"spark.sql.ansi.enabled": "false"}


def test_settings_report_bad_conf_json() -> None:
    assert "not valid JSON" in load_settings({"FLINT_SPARK_CONF": "{nope"}).errors[0]
    assert "must be a JSON object" in load_settings({"FLINT_SPARK_CONF": "[1, 2]"}).errors[0]
    assert "FLINT_SPARK_CONF['a']" in load_settings({"FLINT_SPARK_CONF": '{"a": {"b": 1}}'}).errors[0]


def test_storage_settings_apply_before_the_users_and_reach_the_projects_spark_server(monkeypatch) -> None:
    from flint import spark_connect

    storage = json.dumps({"spark.jars": "/env/s3a/hadoop-aws.jar", "spark.hadoop.fs.s3a.endpoint": "http://s3:9000"})
    settings = load_settings(
        {
            "FLINT_SPARK_MODE": "dedicated",
            "FLINT_STORAGE_SPARK_CONF": storage,
            "FLINT_SPARK_CONF": '{"spark.hadoop.fs.s3a.endpoint": "http://mine:9000"}',
        }
    )
    assert settings.conf["spark.jars"] == "/env/s3a/hadoop-aws.jar"
    # A person's own FLINT_SPARK_CONF still wins.
    assert settings.conf["spark.hadoop.fs.s3a.endpoint"] == "http://mine:9000"
    assert "FLINT_STORAGE_SPARK_CONF is not valid JSON" in load_settings({"FLINT_STORAGE_SPARK_CONF": "{"}).errors[0]
    monkeypatch.setenv("FLINT_STORAGE_SPARK_CONF", storage)
    command = spark_connect.server_command(15002, 1024, "p1")
    assert "spark.jars=/env/s3a/hadoop-aws.jar" in command
    assert "spark.hadoop.fs.s3a.endpoint=http://s3:9000" in command


def test_find_java_explains_a_wrong_java_home(tmp_path) -> None:
    try:
        find_java({"JAVA_HOME": str(tmp_path)})
    except RuntimeError as exc:
        assert "Spark could not start: Java not found" in str(exc)
        assert str(tmp_path) in str(exc)
    else:
        raise AssertionError("expected SparkStartError")


def test_json_values_are_json_safe() -> None:
    values = [
        None,
        float("nan"),
        float("inf"),
        pd.NaT,
        pd.NA,
        3,
        2.5,
        True,
        "x",
        dt.datetime(2024, 5, 6, 7, 8, 9),
        dt.date(2024, 5, 6),
        decimal.Decimal("1.25"),
        b"\x00\xff",
        {"k": [1, float("nan")]},
        (1, 2),
    ]
    converted = [to_json_value(v) for v in values]
    assert converted == [
        None,
        None,
        None,
        None,
        None,
        3,
        2.5,
        True,
        "x",
        "2024-05-06T07:08:09",
        "2024-05-06",
        1.25,
        "AP8=",
        {"k": [1, None]},
        [1, 2],
    ]
    json.dumps(converted, allow_nan=False)


def test_pandas_preview_escapes_and_cuts() -> None:
    df = pd.DataFrame(
        {"name": ["<script>alert(1)</script>"] * 30, "x": range(30), "when": pd.date_range("2024-01-01", periods=30)}
    )
    df.loc[3, "x"] = math.nan
    preview = preview_pandas(df, max_rows=20)
    bundle = preview.mimebundle(include_text=False)
    assert "<script>" not in bundle["text/html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bundle["text/html"]
    assert "showing 20 of 30 rows" in bundle["text/html"]
    table = bundle[TABLE_MIME]
    assert table["totalRows"] == 30 and table["truncated"] is True and len(table["rows"]) == 20
    assert table["columns"][1] == {"name": "x", "type": "float64"}
    assert table["rows"][3][1] is None
    assert table["rows"][0][2] == "2024-01-01T00:00:00"
    json.dumps(table, allow_nan=False)


def test_pandas_preview_keeps_a_meaningful_index() -> None:
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="key"))
    table = preview_pandas(df).to_json()
    assert [c["name"] for c in table["columns"]] == ["key", "v"]
    assert table["rows"] == [["a", 1], ["b", 2]]
    assert table["truncated"] is False

"""The Spark class archive (flint.spark_archive): built by setup, mapped by every Spark JVM Flint
starts, and never handed to a JVM in a state that would crash it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from flint.kernel.session import driver_java_options, find_java
from flint.spark_archive import ARCHIVE_NAME, archive_path, is_current, java_options


def test_setup_built_the_archive_for_this_java_and_pyspark() -> None:
    # npm start / npm test run `python -m flint.spark_archive` after installing the packages.
    assert is_current(archive_path(), find_java()), "run `python -m flint.spark_archive` (setup does)"
    assert java_options() == [f"-XX:SharedArchiveFile={archive_path()}"]
    assert f"-XX:SharedArchiveFile={archive_path()}" in driver_java_options()


def _start_driver(tmp_path, extra_conf: str = "") -> subprocess.CompletedProcess[str]:
    # -Xshare:on turns "the archive does not fit this JDK or class path" from a warning into a
    # failed start, so the driver starts only if it really maps the archive.
    script = textwrap.dedent(
        f"""
        from pyspark.sql import SparkSession
        from flint.kernel.session import driver_java_options
        builder = (
            SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.extraJavaOptions", driver_java_options() + " -Xshare:on")
        )
        {extra_conf}
        spark = builder.getOrCreate()
        """
    ) + textwrap.dedent(
        """
        jvm = spark.sparkContext._jvm
        arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
        print("ARGS", [a for a in arguments if "Share" in a or "Archive" in a])
        print("VM", jvm.java.lang.System.getProperty("java.vm.info"))
        print("COUNT", spark.range(1000).count())
        spark.stop()
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
    )


def test_a_spark_driver_maps_the_archive(tmp_path) -> None:
    done = _start_driver(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "COUNT 1000" in done.stdout
    assert f"-XX:SharedArchiveFile={archive_path()}" in done.stdout
    assert "sharing" in done.stdout


def test_a_driver_whose_class_path_differs_cannot_map_it(tmp_path) -> None:
    # What makes the test above able to fail: a class path that is not the one the archive was
    # built with (here one jar put in front) is refused under -Xshare:on. Without -Xshare:on, as
    # Flint runs, the JVM only warns and starts without the archive.
    (tmp_path / "extra.jar").write_bytes(b"")
    done = _start_driver(tmp_path, f'builder = builder.config("spark.driver.extraClassPath", "{tmp_path}/extra.jar")')
    assert done.returncode != 0
    assert "shared class paths mismatch" in done.stderr
    assert "COUNT" not in done.stdout


def test_an_archive_of_another_size_than_built_is_not_mapped(tmp_path) -> None:
    # A truncated archive kills the JVM with SIGBUS; a missing stamp means a build in progress.
    path = archive_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * 100)
    assert java_options(tmp_path) == []
    path.with_suffix(".json").write_text(json.dumps({"size": 200}), encoding="utf-8")
    assert java_options(tmp_path) == []
    path.with_suffix(".json").write_text(json.dumps({"size": 100}), encoding="utf-8")
    assert java_options(tmp_path) == [f"-XX:SharedArchiveFile={tmp_path}/share/flint/{ARCHIVE_NAME}"]
    assert not is_current(path, find_java())  # no java or pyspark version recorded


def test_a_persons_own_archive_option_wins() -> None:
    options = driver_java_options("-XX:SharedArchiveFile=/mine.jsa")
    assert options.count("SharedArchiveFile") == 1
    assert "-Dlog4j2.configurationFile=" in options

"""When Spark cannot start, the kernel still works and `spark`/`sc` say why."""

from __future__ import annotations

from pathlib import Path

from conftest import KernelDriver


def test_missing_java_gives_a_clear_error(kernel_dirs: list[str], tmp_path: Path) -> None:
    env = {"JAVA_HOME": str(tmp_path / "no-jdk"), "FLINT_SPARK_LOG": str(tmp_path / "spark.log")}
    driver = KernelDriver(kernel_dirs, env, tmp_path)
    driver.start()
    try:
        assert driver.execute("1 + 1").result["text/plain"] == "2"
        for name in ("spark.range(1).count()", "sc.parallelize([1]).count()"):
            run = driver.execute(name, timeout=60)
            assert run.reply["status"] == "error"
            assert run.error["ename"] == "SparkStartError"
            assert "Spark could not start: Java not found" in run.error["evalue"]
            assert str(tmp_path / "no-jdk") in run.error["evalue"]
    finally:
        driver.stop()

"""The Spark class archive: a CDS archive of the classes a Spark driver loads, so every Spark JVM
Flint starts (the projects' shared servers, dedicated kernels, the profiler) maps them ready-made
instead of reading, parsing and verifying some ten thousand classes from the jars again.

Measured on this 2-core machine (a project's Spark Connect server, ``spark.range(10**6).count()``):
the server accepts connections after 2.8-3.2 s instead of 5.1-5.5 s, and the first query on the
new JVM takes 1.6 s instead of 2.8-3.3 s (docs/spark.md, "The class archive").

Build it once per Python environment (``npm start``/``npm test`` do, in setup)::

    python -m flint.spark_archive [--force]

It starts a Connect server the way :mod:`flint.spark_connect` does, unsandboxed, as Flint's own
user and with no user code, runs a fixed set of small queries through a client so the classes of
common work are loaded, and stops it; the JVM writes the archive at exit
(``-XX:ArchiveClassesAtExit``, a dynamic archive on top of the JDK's own). It is written to
``<prefix>/share/flint/spark-class-archive.jsa``, inside the Python environment that sandboxes
see read-only: a project's server maps it but cannot change what another project's server loads.

The JVM checks the archive itself when it maps it (the JDK build, each jar's size and time) and
runs without it if anything differs, so a stale archive costs speed, never a start. A stamp next
to it (the java binary, its version, pyspark's version) tells this module when to build it again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARCHIVE_NAME = "spark-class-archive.jsa"
# Bumped when the warm-up queries below change, so an archive built by older ones is rebuilt.
WARM_UP_VERSION = 1
START_TIMEOUT_S = 180.0
EXIT_TIMEOUT_S = 180.0


def archive_path(prefix: str | os.PathLike[str] | None = None) -> Path:
    """Where the archive of the Python environment ``prefix`` (default ``sys.prefix``) lives."""
    return Path(prefix or sys.prefix) / "share" / "flint" / ARCHIVE_NAME


def java_options(prefix: str | os.PathLike[str] | None = None) -> list[str]:
    """The JVM options that map the archive, or none when it was not built (Spark starts slower).

    Only an archive whose size is the one its build recorded: the JVM refuses an archive of
    another JDK or class path with a warning and runs on, but dies of SIGBUS on a truncated one.
    """
    path = archive_path(prefix)
    try:
        recorded = json.loads(_stamp_path(path).read_text(encoding="utf-8")).get("size")
        if path.stat().st_size == recorded:
            return [f"-XX:SharedArchiveFile={path}"]
    except (OSError, ValueError, AttributeError):
        pass
    return []


def _stamp(java: str) -> dict[str, str]:
    import pyspark

    version = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    return {
        "java": os.path.realpath(java),
        "javaVersion": hashlib.sha256((version.stderr + version.stdout).encode()).hexdigest(),
        "pyspark": pyspark.__version__,
        "warmUp": str(WARM_UP_VERSION),
    }


def _stamp_path(path: Path) -> Path:
    return path.with_suffix(".json")


def is_current(path: Path, java: str) -> bool:
    """Whether the archive at ``path`` was built by this java and pyspark with today's warm-up."""
    try:
        saved = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        size = path.stat().st_size
    except (OSError, ValueError):
        return False
    return saved == {**_stamp(java), "size": size}


def _wait_for_port(port: int, server: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Spark server exited with status {server.returncode} before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the Spark server did not listen within {START_TIMEOUT_S:.0f} s")


def _warm_up(port: int, scratch: Path) -> None:
    """Queries whose classes most notebooks load: ranges, pandas in and out through Arrow, SQL on
    a temp view, an aggregation with a shuffle, CSV and Parquet files, and a Python UDF."""
    import warnings

    import pandas as pd
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    # pyspark warns about pandas 3 at each import of its Connect modules; not a setup step's news.
    warnings.filterwarnings("ignore", category=FutureWarning)
    spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    try:
        spark.range(10**6).count()
        frame = spark.createDataFrame(pd.DataFrame({"key": ["a", "b", "a"], "value": [1.0, 2.5, 4.0]}))
        frame.createOrReplaceTempView("warm_up")
        spark.sql("SELECT key, sum(value) AS total FROM warm_up GROUP BY key ORDER BY key").toPandas()
        frame.groupBy("key").agg(F.avg("value"), F.count("*")).collect()
        csv = scratch / "warm-up.csv"
        csv.write_text("id,name,score\n1,x,0.5\n2,y,1.5\n", encoding="utf-8")
        read = spark.read.option("header", True).option("inferSchema", True).csv(str(csv))
        read.describe().collect()
        read.write.mode("overwrite").parquet(str(scratch / "warm-up.parquet"))
        spark.read.parquet(str(scratch / "warm-up.parquet")).limit(5).collect()
        spark.range(3).select(F.udf(lambda x: x + 1, "long")("id")).collect()
    finally:
        spark.stop()


def build(prefix: str | os.PathLike[str] | None = None) -> Path:
    """Build the archive of ``prefix``'s environment (a minute at most); return its path."""
    from flint.kernel.session import find_java
    from flint.spark_connect import free_port, server_command

    target = archive_path(prefix)
    target.parent.mkdir(parents=True, exist_ok=True)
    # No JVM maps the old archive from here on (its stamp no longer matches), until the new one
    # and its stamp are in place.
    _stamp_path(target).unlink(missing_ok=True)
    java = find_java()
    with tempfile.TemporaryDirectory(prefix="flint-spark-archive-") as scratch:
        partial = Path(scratch) / ARCHIVE_NAME
        port = free_port()
        env = dict(os.environ)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        command = server_command(port, 1024, "class-archive", archive_options=[f"-XX:ArchiveClassesAtExit={partial}"])
        with open(Path(scratch) / "server.log", "wb") as log:
            server = subprocess.Popen(
                command, env=env, cwd=scratch, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                _wait_for_port(port, server, time.monotonic() + START_TIMEOUT_S)
                _warm_up(port, Path(scratch))
            except BaseException:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
                raise
            # SIGTERM runs the JVM's normal exit, which is when a dynamic archive is written.
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if not partial.is_file():
            tail = (Path(scratch) / "server.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"the Spark server exited without writing the archive:\n{tail}")
        os.chmod(partial, 0o644)
        _copy(partial, target)
    stamp = {**_stamp(java), "size": target.stat().st_size}
    _stamp_path(target).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return target


def _copy(source: Path, target: Path) -> None:
    """Copy next to ``target`` (the scratch folder may be another file system), then rename, so a
    JVM never maps a half-written archive."""
    staging = target.with_suffix(".partial")
    with open(source, "rb") as reader, open(staging, "wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(chunk)
    os.chmod(staging, 0o644)
    os.replace(staging, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flint.spark_archive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default=sys.prefix, help="the Python environment (default: this one)")
    parser.add_argument("--force", action="store_true", help="build even when the archive is current")
    args = parser.parse_args(argv)
    from flint.kernel.session import SparkStartError, find_java

    try:
        java = find_java()
    except SparkStartError as exc:
        print(f"flint: no Spark class archive: {exc}", file=sys.stderr)
        return 0
    target = archive_path(args.prefix)
    if not args.force and is_current(target, java):
        return 0
    print("flint: building the Spark class archive (Spark starts about twice as fast with it; up to a minute)")
    started = time.monotonic()
    try:
        build(args.prefix)
    except Exception as exc:  # an optimization: setup goes on without it
        print(f"flint: the Spark class archive was not built, Spark will start slower: {exc}", file=sys.stderr)
        return 0
    print(f"flint: Spark class archive built in {time.monotonic() - started:.0f} s: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

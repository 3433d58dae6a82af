"""The bare-pyspark side of benchmark (c) in bench/kernel/run.ts: one warm SparkSession, no Jupyter.

Started once by the benchmark and driven over stdin/stdout, so its JVM warms up exactly like the
Flint kernel's, and runs of the two sides can alternate. The Spark settings come in
``FLINT_BENCH_SPARK_SETTINGS`` (JSON ``{"conf": {...}, "logLevel": "ERROR"}``): the ones the Flint
kernel computes for the same environment, so both sessions are configured alike.

Protocol (one line per message; replies start with ``@bench `` because the driver JVM inherits
this process's stdout and may print lines of its own):

- ``conf``  -> ``@bench conf <JSON of the session's SparkConf>``
- ``run``   -> runs the benchmark job, ``@bench done <milliseconds in this process> <result>``
- ``quit``  -> stops the session and exits
"""

from __future__ import annotations

import json
import os
import sys
import time

from pyspark import SparkConf
from pyspark.sql import SparkSession

PREFIX = "@bench"


def reply(*parts: object) -> None:
    sys.stdout.write(" ".join([PREFIX, *map(str, parts)]) + "\n")
    sys.stdout.flush()


def main() -> None:
    settings = json.loads(os.environ["FLINT_BENCH_SPARK_SETTINGS"])
    code = os.environ["FLINT_BENCH_SPARK_CODE"]
    conf = SparkConf().setAll(list(settings["conf"].items()))
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel(settings["logLevel"])
    namespace = {"spark": spark}
    job = compile(code, "<bench>", "eval")
    reply("ready")
    for line in sys.stdin:
        command = line.strip()
        if command == "conf":
            reply("conf", json.dumps(dict(spark.sparkContext.getConf().getAll())))
        elif command == "run":
            started = time.perf_counter()
            # The benchmark's own fixed expression, compiled once above.
            result = eval(job, namespace)
            reply(
                "done",
                f"{(time.perf_counter() - started) * 1000:.3f}",
                json.dumps(str(result)),
            )
        elif command == "quit":
            break
    spark.stop()


if __name__ == "__main__":
    main()

"""A kernel in shared mode (FLINT_SPARK_MODE=shared, issue 17): its `spark` is its own Spark Connect
session on the project's server, found through Flint's API at the first Spark use.

The server is a real one, started with ``python -m flint.spark_connect`` as Flint's server starts
it (unsandboxed here: the sandboxed start and the API route are tested in
``packages/kernel/src/spark-connect.integration.test.ts`` and
``apps/web/src/server/shared-spark.test.ts``). The API's one route the kernel calls is answered by
a small HTTP server in this test, which checks the kernel's request (path, notebook token).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import PROGRESS_MIME, SPARK_START_MIME, TABLE_MIME, KernelDriver
from test_chart_kernel import CHART_MIME, VEGALITE_MIME
from test_kernel_spark import assert_quiet, progress_messages, progress_with_final
from test_live_tables import silent
from test_spark_on_use import _java_below

NOTEBOOK = "nb-shared"
TOKEN = "flint_nb_test-token"


class ProjectApi:
    """Answers ``POST /api/v1/notebooks/{id}/spark-connect`` with the server's address."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[tuple[str, str | None]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                api.requests.append((self.path, self.headers.get("Authorization")))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != f"/api/v1/notebooks/{NOTEBOOK}/spark-connect":
                    status, body = 404, {"error": {"message": "Notebook not found"}}
                elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    status, body = 401, {"error": {"message": "Sign in"}}
                else:
                    status, body = 200, {"url": api.url}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A project's Spark Connect server, started as Flint's server starts it (unsandboxed)."""
    folder = tmp_path_factory.mktemp("connect")
    env = {k: v for k, v in os.environ.items() if k != "FLINT_SANDBOX_CONFIG"}
    command = [sys.executable, "-m", "flint.spark_connect", "--project", "pytest", "--listen", "0"]
    command += ["--activity", str(folder / "activity"), "--memory-mb", "768"]
    with open(folder / "server.err", "wb") as err:
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err, start_new_session=True)
    try:
        line = server.stdout.readline().decode() if server.stdout else ""
        match = re.search(r"flint\.sandbox: serving (\d+)", line)
        assert match, f"the Connect server did not start: {line!r} {(folder / 'server.err').read_text()[-2000:]}"
        yield f"sc://127.0.0.1:{match.group(1)}"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def api(connect_url: str) -> Iterator[ProjectApi]:
    served = ProjectApi(connect_url)
    yield served
    served.server.shutdown()


@pytest.fixture(scope="module")
def shared(kernel_dirs: list[str], api: ProjectApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelDriver]:
    workdir = tmp_path_factory.mktemp("shared")
    env = {
        "FLINT_SPARK_MODE": "shared",
        "FLINT_API_URL": api.base,
        "FLINT_API_TOKEN": TOKEN,
        "FLINT_NOTEBOOK_ID": NOTEBOOK,
        "FLINT_SPARK_LOG": str(workdir / "driver.log"),
    }
    driver = KernelDriver(kernel_dirs, env, workdir)
    driver.start()
    try:
        yield driver
    finally:
        driver.stop()


def test_first_use_asks_the_api_and_opens_a_session_of_its_own(shared: KernelDriver, api: ProjectApi) -> None:
    assert shared.execute("1 + 1").result["text/plain"] == "2"
    assert api.requests == []  # no Spark used, nothing asked
    run = shared.execute("spark.range(10**6).count()", timeout=300)
    assert run.result["text/plain"] == "1000000", run.error
    assert api.requests == [(f"/api/v1/notebooks/{NOTEBOOK}/spark-connect", f"Bearer {TOKEN}")]
    assert run.with_mime(SPARK_START_MIME), "no start notice"
    assert_quiet(run)
    kind = shared.execute("type(spark).__module__, spark.client.host")
    assert kind.result["text/plain"] == "('pyspark.sql.connect.session', '127.0.0.1')"
    # The kernel runs no JVM of its own.
    assert _java_below(shared.manager.provisioner.pid) == []


def test_sc_says_to_pick_the_dedicated_kernel(shared: KernelDriver) -> None:
    run = shared.execute("sc.parallelize([1, 2]).count()")
    assert run.reply["status"] == "error"
    assert run.error["ename"] == "SparkStartError"
    assert 'switch this notebook to the "Python 3 (Spark, dedicated)" kernel' in run.error["evalue"]


def test_progress_is_published_live_and_summarised(shared: KernelDriver) -> None:
    # 8 tasks of 0.5 s in Python workers on the server: several progress reports (every 0.5 s).
    run = shared.execute(
        "from pyspark.sql.functions import udf\n"
        "slow = udf(lambda x: __import__('time').sleep(0.5) or x, 'long')\n"
        "spark.range(0, 8, 1, 8).select(slow('id').alias('v')).groupBy().sum('v').first()[0]",
        timeout=300,
    )
    assert run.result["text/plain"] == "28", run.error
    messages = progress_with_final(shared, run)
    assert messages, "no progress"
    assert messages[0]["msg_type"] == "display_data"
    assert {m["msg_type"] for m in messages[1:]} <= {"update_display_data"}
    assert len({m["content"]["transient"]["display_id"] for m in messages}) == 1
    live = [m for m in messages if not m["content"]["data"][PROGRESS_MIME]["done"]]
    assert any(job["status"] == "RUNNING" for m in live for job in m["content"]["data"][PROGRESS_MIME]["jobs"])
    final = messages[-1]["content"]
    payload = final["data"][PROGRESS_MIME]
    assert payload["done"] is True
    job = payload["jobs"][-1]
    assert job["status"] == "SUCCEEDED" and job["numTasks"] == job["numCompletedTasks"] >= 8
    assert job["stages"]["completed"] == job["stages"]["total"] >= 1
    assert final["data"]["text/plain"].startswith("Spark: job ")
    summary = final["metadata"]["flint.spark"]
    assert summary["jobs"] >= 1 and summary["tasks"] >= 8 and summary["durationMs"] > 0
    assert all(m["parent_header"]["msg_id"] == run.msg_id for m in messages)


def test_a_cell_without_spark_work_has_no_progress(shared: KernelDriver) -> None:
    assert progress_messages(shared.execute("sum(range(10))")) == []


def test_interrupt_cancels_the_query_by_its_tag(shared: KernelDriver) -> None:
    def is_running(msg: dict) -> bool:
        data = msg["content"].get("data", {})
        return PROGRESS_MIME in data and any(j["status"] == "RUNNING" for j in data[PROGRESS_MIME]["jobs"])

    run = shared.execute(
        "spark.range(10**12).selectExpr('sum(id % 7)').collect()", timeout=120, interrupt_when=is_running
    )
    assert run.interrupted_at is not None, "the query showed no progress"
    assert run.seconds - run.interrupted_at < 10
    assert run.reply["status"] == "error"
    assert run.error["ename"] == "KeyboardInterrupt"
    assert_quiet(run)
    final = progress_messages(run)[-1]["content"]["data"][PROGRESS_MIME]
    assert final["done"] is True and [job["status"] for job in final["jobs"]] == ["FAILED"]
    # Nothing of the cell's still runs on the server, and the session still works.
    assert shared.execute("spark.range(7).count()").result["text/plain"] == "7"


def test_sql_magic(shared: KernelDriver) -> None:
    run = shared.execute("%%sql -o evens\nSELECT id, id * 2 AS twice FROM range(30) WHERE id % 2 = 0;")
    table = run.result[TABLE_MIME]
    assert [c["name"] for c in table["columns"]] == ["id", "twice"]
    assert table["rows"][:2] == [[0, 0], [2, 4]]
    assert table["totalRows"] == 15
    check = shared.execute("type(evens).__module__, evens.count()")
    assert check.result["text/plain"] == "('pyspark.sql.connect.dataframe', 15)"
    bad = shared.execute("%%sql\nSELECT * FROM no_such_table")
    assert bad.error["ename"] == "SparkQueryError" and "TABLE_OR_VIEW_NOT_FOUND" in bad.error["evalue"]


def test_chart_pushes_down_to_spark(shared: KernelDriver) -> None:
    shared.execute(
        "from pyspark.sql import functions as F\n"
        "pts = spark.range(12000).select((F.col('id') % 5).alias('k'), F.rand(3).alias('x'), F.rand(4).alias('y'))"
    )
    run = shared.execute("%chart data(pts) x(x) y(y)")
    assert run.reply["status"] == "ok", run.error
    spec = run.with_mime(VEGALITE_MIME)[0]["content"]["data"][VEGALITE_MIME]
    assert len(spec["data"]["values"]) == 5000
    assert spec["usermeta"]["flint"]["kind"] == "spark"
    run = shared.execute("%chart data(pts) bar x(k) y(count())")
    data = run.with_mime(VEGALITE_MIME)[0]["content"]["data"]
    assert [r["count"] for r in data[VEGALITE_MIME]["data"]["values"]] == [2400] * 5
    assert data[CHART_MIME]["command"] == "%chart data(pts) bar x(k) y(count())"


def test_live_table_pages_a_spark_dataframe(shared: KernelDriver) -> None:
    shown = shared.execute("%%sql -o digits\nSELECT id, id % 10 AS digit FROM range(0, 2000, 2)")
    table = shown.result[TABLE_MIME]
    assert table["variable"] == "digits" and len(table["rows"]) == 50 and table["tableId"]
    page = silent(shared, {"kind": "tablePage", "tableId": table["tableId"], "offset": 990, "limit": 50})
    assert [row[0] for row in page["rows"]] == list(range(1980, 2000, 2))
    preview = silent(shared, {"kind": "chartPreview", "command": "%chart data(digits) bar x(digit) y(count())"})
    assert preview["status"] == "ok"

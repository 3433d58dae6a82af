"""flint.catalog against a stand-in of Flint's API (a real HTTP server in a thread), and
flint.profile on a small real Spark DataFrame."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from flint import catalog
from flint.catalog import CatalogClient, CatalogConfig, CatalogError, written_files_problem


class FakeApi:
    """Records requests and answers them from ``routes``: (method, path) → (status, body or bytes)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.routes: dict[tuple[str, str], tuple[int, Any]] = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                path = self.path.split("?")[0]
                api.requests.append(
                    {"method": self.command, "path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                status, answer = api.routes.get(
                    (self.command, path),
                    (
                        404,
                        {
                            "error": {
                                "code": "not_found",
                                "message": "Asset not found, or you do not have access to it.",
                            }
                        },
                    ),
                )
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/csv" if isinstance(answer, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    yield fake
    fake.server.shutdown()


class Recorder:
    """A stand-in for Spark's fluent reader/writer: records every call and returns itself."""

    def __init__(self, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        def method(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return self

        return method


class FakeSpark:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.read = Recorder(self.calls)


def make_client(api: FakeApi, **overrides: Any) -> CatalogClient:
    config = {"api_url": api.url, "token": "flint_nbk_secret", "notebook_id": "nb1", **overrides}
    return CatalogClient(CatalogConfig(**config))


ASSET = {"name": "sales_2026", "projectName": "Demo"}


def test_config_comes_from_the_environment() -> None:
    config = CatalogConfig.from_env(
        {"FLINT_API_URL": "http://flint:3000/", "FLINT_API_TOKEN": "t", "FLINT_NOTEBOOK_ID": "n"}
    )
    assert config == CatalogConfig(api_url="http://flint:3000", token="t", notebook_id="n", project_id=None)


def test_load_reads_a_file_asset_with_the_servers_options_and_sends_the_token(api: FakeApi) -> None:
    api.routes[("POST", "/api/v1/catalog/load")] = (
        200,
        {
            "asset": ASSET,
            "read": {"type": "file", "format": "csv", "path": "/data/sales.csv", "options": {"header": "true"}},
        },
    )
    spark = FakeSpark()
    make_client(api).load("sales_2026", spark=spark)
    assert api.requests[0]["auth"] == "Bearer flint_nbk_secret"
    assert api.requests[0]["body"] == {"name": "sales_2026", "notebookId": "nb1"}
    assert spark.calls == [
        ("format", ("csv",), {}),
        ("options", (), {"header": "true"}),
        ("load", ("/data/sales.csv",), {}),
    ]


def test_load_leaves_the_project_to_the_token_unless_one_is_given(api: FakeApi) -> None:
    api.routes[("POST", "/api/v1/catalog/load")] = (
        200,
        {"asset": ASSET, "read": {"type": "file", "format": "csv", "path": "/data/s.csv", "options": {}}},
    )
    # A fork's environment names the fork's project; sending it would hide the source's assets.
    client = make_client(api, project_id="p_fork")
    client.load("sales_2026", spark=FakeSpark())
    client.load("sales_2026", project_id="p_source", spark=FakeSpark())
    assert [request["body"] for request in api.requests] == [
        {"name": "sales_2026", "notebookId": "nb1"},
        {"name": "sales_2026", "projectId": "p_source", "notebookId": "nb1"},
    ]


def test_load_streams_a_connection_table_and_applies_its_spark_schema(api: FakeApi) -> None:
    api.routes[("POST", "/api/v1/catalog/load")] = (
        200,
        {
            "asset": {"name": "customers"},
            "read": {
                "type": "rows",
                "url": "/api/v1/catalog/assets/a1/rows",
                "schema": [{"name": "id", "dataType": "int"}, {"name": "e`mail", "dataType": "string"}],
            },
        },
    )
    api.routes[("GET", "/api/v1/catalog/assets/a1/rows")] = (200, b"id,e`mail\n1,a@x.test\n")
    spark = FakeSpark()
    make_client(api).load("customers", spark=spark)
    schema_call = next(call for call in spark.calls if call[0] == "schema")
    assert schema_call[1] == ("`id` int, `e``mail` string",)
    path = next(call for call in spark.calls if call[0] == "load")[1][0]
    assert Path(path).read_bytes() == b"id,e`mail\n1,a@x.test\n"
    assert api.requests[1]["auth"] == "Bearer flint_nbk_secret"


def test_a_missing_or_hidden_asset_raises_the_servers_message(api: FakeApi) -> None:
    with pytest.raises(CatalogError) as caught:
        make_client(api).load("not_mine", spark=FakeSpark())
    assert caught.value.status == 404
    assert "not found, or you do not have access" in str(caught.value)


def test_without_a_token_the_error_says_what_to_set() -> None:
    with pytest.raises(CatalogError, match="FLINT_API_TOKEN"):
        CatalogClient(CatalogConfig(api_url="http://127.0.0.1:9", token=None)).search("x")


def test_an_unreachable_api_is_named(api: FakeApi) -> None:
    with pytest.raises(CatalogError, match="cannot be reached"):
        CatalogClient(CatalogConfig(api_url="http://127.0.0.1:9", token="t")).search("x")


def test_search_returns_rows_and_reports_a_correction(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.routes[("GET", "/api/v1/catalog/search")] = (
        200,
        {
            "correctedQuery": "customer",
            "items": [
                {
                    "name": "customers",
                    "kind": "table",
                    "format": "jdbc",
                    "projectName": "Demo",
                    "rowCount": 5,
                    "description": "CRM",
                    "matchedColumns": [{"name": "customer_id", "dataType": "int"}],
                }
            ],
        },
    )
    rows = make_client(api).search("custmer", limit=5)
    assert rows[0]["name"] == "customers" and rows[0]["matched_columns"] == ["customer_id"]
    assert "q=custmer" in api.requests[0]["path"] and "limit=5" in api.requests[0]["path"]
    assert "Showing results for 'customer'" in capsys.readouterr().out


class FakeField:
    def __init__(self, name: str, type_name: str) -> None:
        self.name = name
        self.nullable = True
        self.dataType = type("T", (), {"simpleString": lambda self: type_name})()


class FakeFrame:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.write = Recorder(self.calls)
        self.schema = type("S", (), {"fields": [FakeField("region", "string"), FakeField("revenue", "double")]})()


def test_register_writes_to_the_target_then_registers_with_the_schema(api: FakeApi) -> None:
    api.routes[("POST", "/api/v1/catalog/write-targets")] = (
        200,
        {
            "path": "/data/p1/datasets/by_region.parquet",
            "relativePath": "datasets/by_region.parquet",
            "projectId": "p1",
        },
    )
    api.routes[("POST", "/api/v1/catalog/assets/written")] = (201, {"id": "a9", "name": "by_region"})
    frame = FakeFrame()
    answer = make_client(api).register(frame, "by_region", "Revenue per region", ["sales"])
    assert answer == {"id": "a9", "name": "by_region"}
    assert frame.calls == [
        ("mode", ("overwrite",), {}),
        ("format", ("parquet",), {}),
        ("save", ("/data/p1/datasets/by_region.parquet",), {}),
    ]
    assert api.requests[0]["body"] == {"name": "by_region", "format": "parquet", "overwrite": False}
    assert api.requests[1]["body"] == {
        "name": "by_region",
        "path": "datasets/by_region.parquet",
        "format": "parquet",
        "description": "Revenue per region",
        "tags": ["sales"],
        "columns": [
            {"name": "region", "dataType": "string", "nullable": True},
            {"name": "revenue", "dataType": "double", "nullable": True},
        ],
        "projectId": "p1",
        "notebookId": "nb1",
    }


def test_module_functions_read_the_environment_at_each_call(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    api.routes[("GET", "/api/v1/catalog/search")] = (200, {"items": [], "correctedQuery": None})
    monkeypatch.setenv("FLINT_API_URL", api.url)
    monkeypatch.setenv("FLINT_API_TOKEN", "first")
    catalog.search("a")
    monkeypatch.setenv("FLINT_API_TOKEN", "second")
    catalog.search("b")
    assert [request["auth"] for request in api.requests] == ["Bearer first", "Bearer second"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("flint catalog tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_profile_dataframe_computes_counts_stats_and_a_sample_flag(spark: Any) -> None:
    from flint.profile import profile_dataframe

    df = spark.createDataFrame(
        [(1, "north", 10.0), (2, "south", None), (3, "north", 30.0), (4, None, 40.0)],
        "id int, region string, amount double",
    )
    result = profile_dataframe(df, on_progress=lambda *_: None)
    columns = {column["name"]: column for column in result["columns"]}
    assert result["rowCount"] == 4 and not result["isSampled"]
    assert columns["amount"]["nullCount"] == 1 and columns["amount"]["mean"] == pytest.approx(80 / 3)
    assert sum(columns["amount"]["histogram"]["counts"]) == 3
    assert columns["region"]["topValues"][0] == {"value": "north", "count": 2}
    assert result["preview"]["rows"][1] == ["2", "south", None]
    json.dumps(result, allow_nan=False)

    sampled = profile_dataframe(spark.range(0, 2000), max_rows=100, on_progress=lambda *_: None)
    assert sampled["isSampled"] and sampled["rowCount"] == 2000 and 0 < sampled["profiledRows"] < 2000


def test_register_table_sends_schema_and_profile_and_refuses_temporary_views(
    api: FakeApi, spark: Any, tmp_path: Path
) -> None:
    api.routes[("POST", "/api/v1/catalog/assets/spark-tables")] = (201, {"id": "a7", "name": "flint_events"})
    events = spark.createDataFrame([(1, "click"), (2, "view"), (3, "click")], "id bigint, action string")
    events.write.option("path", str(tmp_path / "events")).saveAsTable("flint_events")
    try:
        answer = make_client(api, project_id="p1").register_table(
            "flint_events", description="Clicks", tags=["web"], spark=spark
        )
        assert answer == {"id": "a7", "name": "flint_events"}
        body = api.requests[-1]["body"]
        assert body["name"] == "flint_events" and body["table"] == "spark_catalog.default.flint_events"
        assert body["columns"] == [
            {"name": "id", "dataType": "bigint", "nullable": True},
            {"name": "action", "dataType": "string", "nullable": True},
        ]
        assert body["profile"]["rowCount"] == 3 and body["profile"]["isSampled"] is False
        assert body["projectId"] == "p1" and body["notebookId"] == "nb1" and body["tags"] == ["web"]

        events.createOrReplaceTempView("flint_events_view")
        with pytest.raises(CatalogError, match="temporary view"):
            make_client(api).register_table("flint_events_view", spark=spark)
    finally:
        spark.sql("DROP TABLE IF EXISTS flint_events")


def test_load_of_a_spark_table_this_session_lacks_says_what_to_do(api: FakeApi, spark: Any) -> None:
    api.routes[("POST", "/api/v1/catalog/load")] = (
        200,
        {"asset": {"name": "gone"}, "read": {"type": "spark_table", "table": "spark_catalog.default.gone_table"}},
    )
    with pytest.raises(CatalogError, match="not in this kernel's Spark session"):
        make_client(api).load("gone", spark=spark)


def test_register_checks_the_written_files_before_recording(api: FakeApi, spark: Any, tmp_path: Path) -> None:
    target = tmp_path / "datasets" / "ok.parquet"
    api.routes[("POST", "/api/v1/catalog/write-targets")] = (
        200,
        {"path": str(target), "relativePath": "datasets/ok.parquet", "projectId": "p1"},
    )
    api.routes[("POST", "/api/v1/catalog/assets/written")] = (201, {"id": "a1", "name": "ok"})
    frame = spark.range(5)
    assert make_client(api).register(frame, "ok")["id"] == "a1"
    assert len(api.requests) == 2

    # What a cluster whose workers wrote to their own disks leaves: a committed-looking folder
    # with the parts still in _temporary. Spark's "overwrite" replaces the folder, so the write
    # is simulated by a DataFrame whose files are put back after it.
    parts = [name for name in os.listdir(target) if name.startswith("part-")]
    stale = target / "_temporary" / "0" / "task_1"
    stale.mkdir(parents=True)
    for name in parts:
        os.rename(target / name, stale / name)
    # Listed through Hadoop's FileSystem, as the driver sees the folder.
    files = catalog._written_files(frame, str(target))
    assert files is not None and any(name.startswith("_temporary/0/task_1/part-") for name, _size in files)
    assert "left in _temporary" in (written_files_problem(files, "parquet") or "")
    assert written_files_problem([("_SUCCESS", 0)], "parquet") == "no data files arrived there"
    assert written_files_problem([("part-0.parquet", 0)], "parquet") == "some Parquet parts arrived empty"
    assert written_files_problem([("part-0.csv", 10), ("_SUCCESS", 0)], "csv") is None
    assert written_files_problem(None, "parquet") is None


def test_register_refuses_a_write_whose_parts_never_arrived(
    api: FakeApi, spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "datasets" / "lost.parquet"
    api.routes[("POST", "/api/v1/catalog/write-targets")] = (
        200,
        {"path": str(target), "relativePath": "datasets/lost.parquet", "projectId": "p1"},
    )
    api.routes[("POST", "/api/v1/catalog/assets/written")] = (201, {"id": "a2", "name": "lost"})
    frame = spark.range(5)
    real_listing = catalog._written_files

    def as_on_a_cluster(df: Any, path: str) -> Any:
        # The driver's view after the workers kept their parts: only Spark's bookkeeping.
        for name in os.listdir(path):
            if name.startswith("part-"):
                os.remove(os.path.join(path, name))
        return real_listing(df, path)

    monkeypatch.setattr(catalog, "_written_files", as_on_a_cluster)
    with pytest.raises(CatalogError, match="lost was not registered: .* no data files arrived there"):
        make_client(api).register(frame, "lost")
    # Only the write target was asked for; nothing was recorded.
    assert [request["path"] for request in api.requests] == ["/api/v1/catalog/write-targets"]

"""Flint's data catalog from notebook cells: load assets into Spark, register DataFrames, search.

::

    from flint import catalog
    df = catalog.load("sales_2026")                      # a Spark DataFrame
    pdf = catalog.load_pandas("sales_2026", limit=10_000)
    catalog.register(df.groupBy("country").sum("revenue"), "revenue_by_country",
                     description="Revenue per country, 2026", tags=["sales"])
    catalog.register_table("events")                     # a Spark table of this session
    catalog.search("custmer col:email")                  # typo-tolerant, like the catalog page

Every call goes to Flint's API as the user who ran the cell: the kernel's environment holds
``FLINT_API_URL`` and a short-lived notebook token in ``FLINT_API_TOKEN`` (set by Flint when it
runs a cell; a personal access token works too, e.g. outside Flint). The API checks the user's
rights on each call, counts the use for popularity and records lineage (which notebook read or
wrote which asset). Connection passwords never reach the kernel: tables behind a saved
connection are streamed by the server.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CatalogError", "CatalogClient", "load", "load_pandas", "register", "register_table", "search", "client"]

DEFAULT_API_URL = "http://127.0.0.1:3000"
TIMEOUT_SECONDS = 60


class CatalogError(RuntimeError):
    """A catalog call failed; the message is the server's, meant for a person."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def _render_traceback_(self) -> list[str]:
        # IPython shows this line instead of a traceback through urllib.
        return [f"\x1b[0;31mCatalogError\x1b[0m: {self}"]


@dataclass(frozen=True)
class CatalogConfig:
    """Where the API is and who calls it, read from the kernel's environment."""

    api_url: str
    token: str | None
    notebook_id: str | None = None
    project_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CatalogConfig:
        env = os.environ if env is None else env
        return cls(
            api_url=(env.get("FLINT_API_URL") or DEFAULT_API_URL).rstrip("/"),
            token=env.get("FLINT_API_TOKEN") or None,
            notebook_id=env.get("FLINT_NOTEBOOK_ID") or None,
            project_id=env.get("FLINT_PROJECT_ID") or None,
        )


def _spark_session() -> Any:
    """The notebook's SparkSession: the kernel's ``spark`` when there is one, else the default."""
    try:
        from IPython import get_ipython  # noqa: PLC0415 - optional outside kernels

        shell = get_ipython()
        spark = shell.user_ns.get("spark") if shell is not None else None
        if spark is not None:
            return spark
    except ImportError:
        pass
    from pyspark.sql import SparkSession  # noqa: PLC0415 - pyspark is heavy; import on use

    return SparkSession.builder.getOrCreate()


_download_dir: str | None = None


def _downloads() -> str:
    """A folder for streamed tables, removed when the kernel exits (DataFrames read lazily)."""
    global _download_dir
    if _download_dir is None:
        _download_dir = tempfile.mkdtemp(prefix="flint-catalog-")
        atexit.register(shutil.rmtree, _download_dir, True)
    return _download_dir


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class CatalogClient:
    """Calls Flint's catalog API. ``flint.catalog.load`` and friends use one built from the environment."""

    def __init__(self, config: CatalogConfig | None = None) -> None:
        self.config = config or CatalogConfig.from_env()

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, path: str, body: Any = None, *, raw: bool = False) -> Any:
        if not self.config.token:
            raise CatalogError(
                "No Flint API token: FLINT_API_TOKEN is not set in this kernel. Inside Flint it is set when a cell "
                "runs; elsewhere create a personal access token (Settings → Access tokens) and set FLINT_API_TOKEN "
                "and FLINT_API_URL."
            )
        data = None
        headers = {"Authorization": f"Bearer {self.config.token}", "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.config.api_url + path, data=data, method=method, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310 - URL from config
        except urllib.error.HTTPError as error:
            raise self._error_from(error) from None
        except urllib.error.URLError as error:
            raise CatalogError(f"Flint's API at {self.config.api_url} cannot be reached: {error.reason}") from None
        if raw:
            return response
        with response:
            text = response.read().decode("utf-8")
        return json.loads(text) if text else {}

    @staticmethod
    def _error_from(error: urllib.error.HTTPError) -> CatalogError:
        try:
            payload = json.loads(error.read().decode("utf-8") or "{}").get("error", {})
        except (ValueError, AttributeError):
            payload = {}
        message = payload.get("message") or f"Flint's API answered {error.code} {error.reason}."
        return CatalogError(message, status=error.code, code=payload.get("code"))

    # ------------------------------------------------------------------ catalog

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Assets matching ``query`` (words, ``col:name``, ``tag:x``, ``kind:table`` ...), best first."""
        params = urllib.parse.urlencode({"q": query, "limit": str(limit)})
        answer = self._request("GET", f"/api/v1/catalog/search?{params}")
        if answer.get("correctedQuery"):
            print(f"Showing results for {answer['correctedQuery']!r}")
        return [
            {
                "name": item["name"],
                "kind": item["kind"],
                "format": item["format"],
                "project": item["projectName"],
                "rows": item["rowCount"],
                "description": item["description"],
                "matched_columns": [column["name"] for column in item.get("matchedColumns", [])],
            }
            for item in answer.get("items", [])
        ]

    def _scoped(self, body: dict[str, Any], project_id: str | None) -> dict[str, Any]:
        """``body`` with the project (given, else the notebook's) and the notebook, for lineage."""
        project = project_id or self.config.project_id
        if project:
            body["projectId"] = project
        if self.config.notebook_id:
            body["notebookId"] = self.config.notebook_id
        return body

    def describe_load(self, name: str, project_id: str | None = None) -> dict[str, Any]:
        """How to read ``name`` (the API records the read); used by :meth:`load`.

        Only a ``project_id`` given here narrows the lookup: the notebook's token already reads
        its own project first, then the projects the notebook was forked from, so a fork loads
        its source's assets by name.
        """
        body: dict[str, Any] = {"name": name}
        if project_id:
            body["projectId"] = project_id
        if self.config.notebook_id:
            body["notebookId"] = self.config.notebook_id
        return self._request("POST", "/api/v1/catalog/load", body)

    def load(self, name: str, project_id: str | None = None, spark: Any = None) -> Any:
        """The asset ``name`` (name, qualified name or id) as a Spark DataFrame."""
        answer = self.describe_load(name, project_id)
        read = answer["read"]
        session = spark if spark is not None else _spark_session()
        if read["type"] == "file":
            return session.read.format(read["format"]).options(**read.get("options", {})).load(read["path"])
        if read["type"] == "spark_table":
            if not session.catalog.tableExists(read["table"]):
                raise CatalogError(
                    f"The Spark table {read['table']} is not in this kernel's Spark session: Spark tables live in"
                    " the session (or shared metastore) that created them. Run the code that creates it here, or"
                    " register its data with flint.catalog.register(df, ...) so every notebook can load it."
                )
            return session.table(read["table"])
        if read["type"] == "download":
            # An asset of another project (a fork's source): this kernel's sandbox holds only its
            # own project's files, so the API streams it into the kernel's scratch space.
            path = self._download_content(read["url"], answer["asset"]["name"], bool(read.get("isFolder")))
            return session.read.format(read["format"]).options(**read.get("options", {})).load(path)
        if read["type"] == "rows":
            path = self._download_rows(read["url"], answer["asset"]["name"])
            reader = session.read.format("csv").option("header", "true")
            schema = read.get("schema") or []
            if schema:
                reader = reader.schema(", ".join(f"{_quote(c['name'])} {c['dataType']}" for c in schema))
            else:
                reader = reader.option("inferSchema", "true")
            return reader.load(path)
        raise CatalogError(f"This version of flint cannot read assets of type {read['type']!r}; update the kernel.")

    def register_table(
        self,
        table: str,
        name: str | None = None,
        description: str = "",
        tags: Iterable[str] = (),
        *,
        profile: bool = True,
        project_id: str | None = None,
        spark: Any = None,
    ) -> dict[str, Any]:
        """Registers the Spark table ``table`` of this session as ``name`` (default: the table's name).

        The schema comes from Spark; with ``profile`` the statistics are computed here, because
        Flint's profiler runs its own Spark process, which does not see this session's tables.
        A temporary view is refused: it ends with the kernel.
        """
        from flint.profile import profile_dataframe  # noqa: PLC0415 - pyspark is heavy; import on use

        session = spark if spark is not None else _spark_session()
        found = session.catalog.getTable(table)
        if found.isTemporary:
            raise CatalogError(
                f"{table} is a temporary view, which ends with this kernel; save it as a table first"
                f" (df.write.saveAsTable({table!r})) or register the DataFrame with flint.catalog.register(df, ...)."
            )
        qualified = ".".join([*([found.catalog] if found.catalog else []), *(found.namespace or []), found.name])
        df = session.table(qualified)
        body: dict[str, Any] = {
            "name": name or found.name,
            "table": qualified,
            "description": description,
            "tags": list(tags),
            "columns": [
                {"name": field.name, "dataType": field.dataType.simpleString(), "nullable": bool(field.nullable)}
                for field in df.schema.fields
            ],
        }
        if profile:
            body["profile"] = profile_dataframe(df, on_progress=lambda *_: None)
        return self._request("POST", "/api/v1/catalog/assets/spark-tables", self._scoped(body, project_id))

    def _download_rows(self, url: str, name: str) -> str:
        """Streams a connection table's CSV to a local file (the credentials stay on the server)."""
        target = os.path.join(_downloads(), f"{name}-{os.urandom(4).hex()}.csv")
        response = self._request("GET", url, raw=True)
        with response, open(target, "wb") as handle:
            shutil.copyfileobj(response, handle, 1024 * 1024)
        return target

    def _download_content(self, url: str, name: str, is_folder: bool) -> str:
        """Streams a file asset (a folder arrives as a tar archive) into the kernel's scratch space."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        target = os.path.join(_downloads(), f"{safe}-{os.urandom(4).hex()}")
        response = self._request("GET", url, raw=True)
        if not is_folder:
            with response, open(target, "wb") as handle:
                shutil.copyfileobj(response, handle, 1024 * 1024)
            return target
        os.makedirs(target)
        with response, tarfile.open(fileobj=response, mode="r|") as archive:
            if hasattr(tarfile, "data_filter"):
                # Refuses absolute paths, links out of the folder and device files.
                archive.extractall(target, filter="data")
            else:
                # Pythons before the filter (3.10.11 and older): plain files and folders only.
                for member in archive:
                    name = os.path.normpath(member.name)
                    if (member.isfile() or member.isdir()) and not name.startswith(("/", "..")):
                        archive.extract(member, target)
        return target

    def load_pandas(
        self, name: str, limit: int | None = 100_000, project_id: str | None = None, spark: Any = None
    ) -> Any:
        """The asset as a pandas DataFrame, at most ``limit`` rows (None: all of it, mind the memory)."""
        df = self.load(name, project_id=project_id, spark=spark)
        return (df.limit(limit) if limit is not None else df).toPandas()

    def register(
        self,
        df: Any,
        name: str,
        description: str = "",
        tags: Iterable[str] = (),
        *,
        format: str = "parquet",  # noqa: A002 - the word users know from Spark
        overwrite: bool = False,
        project_id: str | None = None,
    ) -> dict[str, Any]:
        """Writes ``df`` to Flint's storage (Parquet by default) and registers it as ``name``."""
        body: dict[str, Any] = {"name": name, "format": format, "overwrite": overwrite}
        project = project_id or self.config.project_id
        if project:
            body["projectId"] = project
        target = self._request("POST", "/api/v1/catalog/write-targets", body)
        writer = df.write.mode("overwrite").format(format)
        if format == "csv":
            writer = writer.option("header", "true")
        writer.save(target["path"])
        # Recorded only once the files are where every reader looks (docs/deployment.md).
        problem = written_files_problem(_written_files(df, target["path"]), format)
        if problem:
            raise CatalogError(
                f"{name} was not registered: Spark reported the write to {target['path']} done, but {problem}."
                " On a cluster the workers must write to storage the driver reads too: set FLINT_STORAGE_URL to"
                " an s3:// bucket (docs/deployment.md), then run the cell again."
            )
        columns = [
            {"name": field.name, "dataType": field.dataType.simpleString(), "nullable": bool(field.nullable)}
            for field in df.schema.fields
        ]
        registered: dict[str, Any] = {
            "name": name,
            "path": target["relativePath"],
            "format": format,
            "description": description,
            "tags": list(tags),
            "columns": columns,
            "projectId": target["projectId"],
        }
        if self.config.notebook_id:
            registered["notebookId"] = self.config.notebook_id
        return self._request("POST", "/api/v1/catalog/assets/written", registered)


def _written_files(df: Any, path: str) -> list[tuple[str, int]] | None:
    """Every file under ``path`` as ``(relative name, size)``, seen as the Spark driver sees it.

    A classic session asks Hadoop's FileSystem (local folders and ``s3a://`` alike); otherwise
    (Spark Connect) a local folder is listed directly. None when neither can look: the server
    checks again when it records the asset.
    """
    session = getattr(df, "sparkSession", None)
    try:
        jsc = session._jsc  # type: ignore[union-attr]
        jvm = session.sparkContext._jvm  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - a Connect session (or no session) has no JVM here
        jsc = jvm = None
    if jsc is not None and jvm is not None:
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        fs = hadoop_path.getFileSystem(jsc.hadoopConfiguration())
        base = fs.makeQualified(hadoop_path).toString().rstrip("/")
        if not fs.exists(hadoop_path):
            return []
        if fs.getFileStatus(hadoop_path).isFile():
            return [(os.path.basename(path), int(fs.getFileStatus(hadoop_path).getLen()))]
        found = []
        listing = fs.listFiles(hadoop_path, True)
        while listing.hasNext():
            status = listing.next()
            found.append((status.getPath().toString()[len(base) + 1 :], int(status.getLen())))
        return found
    if "://" in path and not path.startswith("file:"):
        return None
    local = path[len("file:") :] if path.startswith("file:") else path
    if os.path.isfile(local):
        return [(os.path.basename(local), os.path.getsize(local))]
    if not os.path.isdir(local):
        return None
    return [
        (os.path.relpath(os.path.join(folder, file), local), os.path.getsize(os.path.join(folder, file)))
        for folder, _dirs, files in os.walk(local)
        for file in files
    ]


def written_files_problem(files: list[tuple[str, int]] | None, format: str) -> str | None:  # noqa: A002
    """What is wrong with the files a write left (None: nothing, or nothing could be seen).

    Spark's task output goes to ``_temporary`` and is moved into place when the job commits; parts
    left there, or no data file at all, mean the driver's view of the folder never got the data
    (workers writing to their own disks). Parquet parts are never empty; a 0-byte one is broken.
    """
    if files is None:
        return None
    pending = [name for name, _size in files if "_temporary" in name.split("/")]
    data = [(name, size) for name, size in files if not any(part.startswith(("_", ".")) for part in name.split("/"))]
    if pending:
        return f"{len(pending)} file(s) were left in _temporary (task output never committed)"
    if not data:
        return "no data files arrived there"
    if format == "parquet" and any(size == 0 for _name, size in data):
        return "some Parquet parts arrived empty"
    return None


def client() -> CatalogClient:
    """A client for the current environment (read at each call: the token changes between cells)."""
    return CatalogClient(CatalogConfig.from_env())


def load(name: str, project_id: str | None = None, spark: Any = None) -> Any:
    """The catalog asset ``name`` as a Spark DataFrame. See :meth:`CatalogClient.load`."""
    return client().load(name, project_id=project_id, spark=spark)


def load_pandas(name: str, limit: int | None = 100_000, project_id: str | None = None) -> Any:
    """The catalog asset ``name`` as a pandas DataFrame. See :meth:`CatalogClient.load_pandas`."""
    return client().load_pandas(name, limit=limit, project_id=project_id)


def register(
    df: Any,
    name: str,
    description: str = "",
    tags: Iterable[str] = (),
    *,
    format: str = "parquet",  # noqa: A002
    overwrite: bool = False,
    project_id: str | None = None,
) -> dict[str, Any]:
    """Saves ``df`` to Flint's storage and registers it. See :meth:`CatalogClient.register`."""
    return client().register(df, name, description, tags, format=format, overwrite=overwrite, project_id=project_id)


def register_table(
    table: str,
    name: str | None = None,
    description: str = "",
    tags: Iterable[str] = (),
    *,
    profile: bool = True,
    project_id: str | None = None,
) -> dict[str, Any]:
    """Registers a Spark table of this session. See :meth:`CatalogClient.register_table`."""
    return client().register_table(table, name, description, tags, profile=profile, project_id=project_id)


def search(query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Searches the catalog like its page does. See :meth:`CatalogClient.search`."""
    return client().search(query, limit=limit)

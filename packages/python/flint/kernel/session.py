"""Create the notebook's SparkSession in the background and stand in for it until it exists.

A JVM and a SparkContext take seconds to start, and jupyter_server gives up on a kernel that does
not answer ``kernel_info`` within 60 s. So the kernel answers at once: :class:`SparkStarter`
builds the session on a daemon thread, and ``spark``/``sc`` in the user namespace are
:class:`LazyProxy` objects whose first use waits for it (or raises :class:`SparkStartError`).

Configuration, read from the kernel's environment:

- ``SPARK_REMOTE``: a Spark Connect URL (``sc://host:15002``); when set, Spark Connect is used.
- ``SPARK_MASTER``: the classic master, default ``local[*]``.
- ``FLINT_SPARK_CONF``: a JSON object of extra Spark settings, applied last.
- ``FLINT_STORAGE_SPARK_CONF``: the settings Flint's storage needs (the hadoop-aws jars and
  ``fs.s3a`` endpoint when FLINT_STORAGE_URL is a bucket), a JSON object applied before
  ``FLINT_SPARK_CONF``; the credentials come as ``AWS_*`` variables, which S3A reads.
- ``FLINT_SPARK_LOG``: where the driver JVM's stdout/stderr go (default: a file in the temp dir).
- ``FLINT_SPARK_LOG_LEVEL``: ``sc.setLogLevel`` once started, default ``ERROR``.
- ``FLINT_SPARK_START``: ``on-use`` (default) starts Spark at the first use of ``spark``, ``sc``,
  ``%%sql`` or a Spark DataFrame, so a notebook that never uses Spark costs a Python process and
  no JVM (many notebooks share one machine); ``at-start`` builds it as the kernel starts.
- ``FLINT_SPARK_IDLE_MINUTES``: stop the notebook's Spark after this many minutes without a Spark
  job or a cell using Spark (default 30; 0 never). The next use starts it again
  (:mod:`flint.kernel.idle`).
- ``FLINT_SPARK_MODE``: ``shared`` asks Flint's API for the project's Spark Connect server at the
  first use (the kernel gets its own session on it; needs ``FLINT_API_URL``/``FLINT_API_TOKEN``);
  ``dedicated`` is a classic session with its own JVM in this kernel. Default ``shared``
  (docs/spark.md); the ``flint-spark-dedicated`` kernelspec always sets ``dedicated``. A
  kernel started outside Flint (no ``FLINT_API_URL``/``FLINT_API_TOKEN`` when Spark starts) has
  no project server to ask and runs a dedicated session.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
LOG4J2_CONFIG = Path(__file__).with_name("log4j2.properties")
DEFAULT_MASTER = "local[*]"
DEFAULT_APP_NAME = "Flint notebook"
DEFAULT_IDLE_MINUTES = 30.0
# The default of 200 shuffle partitions makes every small local aggregation run 200 tiny tasks.
LOCAL_SHUFFLE_PARTITIONS = "8"


class SparkStartError(RuntimeError):
    """Spark could not start; raised on every use of ``spark``/``sc`` with the reason."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of the traceback, whose frames are all Flint's.
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


@dataclass(frozen=True)
class SparkSettings:
    """What the kernel's environment asks for. ``conf`` is the full Spark conf to apply."""

    master: str
    remote: str | None
    conf: dict[str, str]
    log_path: Path
    log_level: str = "ERROR"
    errors: list[str] = field(default_factory=list)
    #: Build the session as the kernel starts (``FLINT_SPARK_START=at-start``) instead of at first use.
    starts_with_kernel: bool = False
    #: Minutes without Spark use after which the session is stopped (0: never).
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    #: ``shared``: the project's Spark Connect server, found through Flint's API at first use.
    is_shared: bool = False
    #: Settings sent to a Spark Connect server as session configuration (the user's own; Flint's
    #: classic defaults mean nothing there). In shared mode ``conf`` is the classic conf of the
    #: dedicated session a kernel runs when there is no Flint API to ask.
    connect_conf: dict[str, str] = field(default_factory=dict)

    @property
    def is_connect(self) -> bool:
        """True when the session is a Spark Connect client (no SparkContext, no JVM here)."""
        return self.remote is not None or self.is_shared


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValueError(f"value {value!r} is not a string, number or boolean")


def parse_conf_json(text: str) -> dict[str, str]:
    """Parse ``FLINT_SPARK_CONF``: a JSON object of Spark settings (values: str, number, bool)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"FLINT_SPARK_CONF is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('FLINT_SPARK_CONF must be a JSON object such as {"spark.executor.memory": "2g"}')
    conf = {}
    for key, value in data.items():
        try:
            conf[str(key)] = _conf_value(value)
        except ValueError as exc:
            raise ValueError(f"FLINT_SPARK_CONF[{key!r}]: {exc}") from None
    return conf


def storage_conf(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The Spark settings of Flint's storage (``FLINT_STORAGE_SPARK_CONF``); empty for a folder."""
    text = environ.get("FLINT_STORAGE_SPARK_CONF", "").strip()
    if not text:
        return {}
    try:
        return parse_conf_json(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace("FLINT_SPARK_CONF", "FLINT_STORAGE_SPARK_CONF")) from None


def load_settings(environ: Mapping[str, str] = os.environ) -> SparkSettings:
    """Build :class:`SparkSettings` from environment variables (see the module docstring)."""
    errors: list[str] = []
    user_conf: dict[str, str] = {}
    if environ.get("FLINT_SPARK_CONF", "").strip():
        try:
            user_conf = parse_conf_json(environ["FLINT_SPARK_CONF"])
        except ValueError as exc:
            errors.append(str(exc))

    start = environ.get("FLINT_SPARK_START", "on-use").strip().lower() or "on-use"
    if start not in ("on-use", "at-start"):
        errors.append(f"FLINT_SPARK_START must be on-use or at-start, not {start!r}")
    starts_with_kernel = start == "at-start"
    idle_minutes = DEFAULT_IDLE_MINUTES
    idle_text = environ.get("FLINT_SPARK_IDLE_MINUTES", "").strip()
    if idle_text:
        try:
            idle_minutes = float(idle_text)
            if idle_minutes < 0:
                raise ValueError
        except ValueError:
            errors.append(f"FLINT_SPARK_IDLE_MINUTES must be a number of minutes (0: never), not {idle_text!r}")
            idle_minutes = DEFAULT_IDLE_MINUTES
    mode = environ.get("FLINT_SPARK_MODE", "shared").strip().lower() or "shared"
    if mode not in ("shared", "dedicated"):
        errors.append(f"FLINT_SPARK_MODE must be shared or dedicated, not {mode!r}")
    remote = environ.get("SPARK_REMOTE") or None
    # An explicit SPARK_REMOTE (an administrator's own Connect server) wins over the project's.
    is_shared = mode == "shared" and remote is None
    log_path = Path(environ.get("FLINT_SPARK_LOG") or Path(tempfile.gettempdir(), f"flint-spark-{os.getpid()}.log"))
    log_level = environ.get("FLINT_SPARK_LOG_LEVEL", "ERROR").upper()
    common: dict[str, Any] = {
        "log_path": log_path,
        "log_level": log_level,
        "errors": errors,
        "starts_with_kernel": starts_with_kernel,
        "idle_minutes": idle_minutes,
    }

    if remote:
        # Classic settings (master, UI, driver JVM options) mean nothing to a remote server; the
        # user's settings are sent as session configuration.
        return SparkSettings(master="", remote=remote, conf=user_conf, connect_conf=user_conf, **common)

    master = user_conf.get("spark.master") or environ.get("SPARK_MASTER") or DEFAULT_MASTER
    conf = {
        "spark.master": master,
        "spark.app.name": DEFAULT_APP_NAME,
        # Progress comes from the status tracker, so the UI (a Jetty server and port per kernel)
        # is off unless asked for.
        "spark.ui.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # The console progress bar is redrawn on the JVM's stderr; Flint reports progress itself.
        "spark.ui.showConsoleProgress": "false",
    }
    if master.startswith("local"):
        conf["spark.sql.shuffle.partitions"] = LOCAL_SHUFFLE_PARTITIONS
    try:
        conf.update(storage_conf(environ))
    except ValueError as exc:
        errors.append(str(exc))
    conf.update(user_conf)
    conf["spark.driver.extraJavaOptions"] = driver_java_options(conf.get("spark.driver.extraJavaOptions", ""))
    return SparkSettings(master=master, remote=None, conf=conf, is_shared=is_shared, connect_conf=user_conf, **common)


def driver_java_options(existing: str = "", archive_options: list[str] | None = None) -> str:
    """The driver JVM options of every Spark process Flint starts, after ``existing`` (a user's):
    Flint's log4j2 settings and the Spark class archive (:mod:`flint.spark_archive`, when built),
    unless ``existing`` already sets them. ``archive_options`` replaces the archive's options
    (the archive's own build dumps one instead of mapping it)."""
    from flint.spark_archive import java_options

    options = [existing] if existing.strip() else []
    if "log4j2.configurationFile" not in existing:
        options.append(f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.resolve().as_uri()}")
    if "SharedArchiveFile" not in existing and "ArchiveClassesAtExit" not in existing:
        options += java_options() if archive_options is None else archive_options
    return " ".join(options)


def find_java(environ: Mapping[str, str] = os.environ) -> str:
    """Return the java executable Spark will use, or raise :class:`SparkStartError` saying why not."""
    java_home = environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home, "bin", "java")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise SparkStartError(
            f"Spark could not start: Java not found: JAVA_HOME is {java_home!r} but {candidate} does not exist. "
            "Point JAVA_HOME at a Java 17 installation or unset it to use `java` from PATH."
        )
    found = shutil.which("java", path=environ.get("PATH"))
    if not found:
        raise SparkStartError(
            "Spark could not start: Java not found: JAVA_HOME is not set and there is no `java` on PATH. "
            "Install Java 17 (for example `apt-get install openjdk-17-jre-headless`)."
        )
    return found


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


class _LoggingModuleForLibrary:
    """The ``logging`` module as one library sees it, with the root-logger shortcuts
    (``logging.info``, ``logging.exception`` ...) sent to the library's own named logger."""

    _SHORTCUTS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger if name in self._SHORTCUTS else logging, name)


def _quiet_python_logging() -> None:
    """Keep PySpark's and Py4J's Python-side log records out of cell output.

    - Every Spark SQL error that PySpark converts is also logged at ERROR, as JSON, by the
      query-context loggers' own stderr handlers: the same message again, in the failing cell.
      They are PySparkLogger instances (their ``exception`` takes extra keyword arguments), so
      PySpark must create them before their level is changed.
    - On every interrupt, Py4J calls ``logging.exception("KeyboardInterrupt while sending
      command.")`` on the root logger. With no root handler that runs ``logging.basicConfig()``,
      which prints the traceback into the cell and also configures the user's root logger behind
      their back (their own ``basicConfig(level=...)`` would then do nothing). Route Py4J's
      root-logger calls to its ``py4j.java_gateway`` logger, which Py4J gives a NullHandler; a user
      who configures logging still sees them.
    """
    import py4j.java_gateway
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    if py4j.java_gateway.logging is logging:
        py4j.java_gateway.logging = _LoggingModuleForLibrary(logging.getLogger("py4j.java_gateway"))


class SparkStoppedError(RuntimeError):
    """A DataFrame (or other Spark object) of a session that Flint stopped while it was idle."""

    def _render_traceback_(self) -> list[str]:
        # The message says what to do; the Py4J or gRPC frames below it would say nothing more.
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class SparkStarter:
    """Builds the SparkSession once, on a background thread, and hands it out when ready.

    :meth:`stop_idle` stops a built session and makes the starter new again: the next
    :meth:`wait` builds another session (see :mod:`flint.kernel.idle`).
    """

    def __init__(self, settings: SparkSettings, ask_project_server: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._session: Any = None
        self._error: SparkStartError | None = None
        self._thread: threading.Thread | None = None
        # time.monotonic() when the build began and ended (for "Spark started in N s").
        self._started_at: float | None = None
        self._ended_at: float | None = None
        # The Spark Connect address of the session being built or in use (shared mode: the
        # project's server, found at start; SPARK_REMOTE otherwise).
        self._remote: str | None = settings.remote
        self._ask_project_server = ask_project_server or _ask_project_server
        #: How many sessions were stopped for being idle (0: none yet).
        self.idle_stops = 0
        self._atexit_registered = False

    @property
    def is_connect(self) -> bool:
        """True when the session is (or will be) a Spark Connect client: no SparkContext here."""
        if self.settings.remote is not None:
            return True
        if self.settings.is_shared:
            # Until the start ends it is not known whether Flint's API gives a server; without
            # Flint's API (a kernel started outside Flint) the session will be a dedicated one.
            return self._remote is not None or (not self._ready.is_set() and _flint_api_configured())
        return False

    @property
    def is_shared(self) -> bool:
        """True when the session is on the project's shared Spark Connect server."""
        return self.settings.is_shared and self._remote is not None

    @property
    def log_path(self) -> Path:
        """File that receives the driver JVM's stdout and stderr."""
        return self.settings.log_path

    def start(self) -> None:
        """Start building the session on a daemon thread; returns at once."""
        with self._lock:
            if self._thread is None:
                self._started_at = time.monotonic()
                self._ended_at = None
                self._thread = threading.Thread(target=self._run, name="flint-spark-start", daemon=True)
                self._thread.start()

    @property
    def has_started(self) -> bool:
        """True once a build began (it may still be running, or have ended either way)."""
        return self._thread is not None

    @property
    def master(self) -> str:
        """Where the session runs: the Spark Connect address or the master URL."""
        if self.settings.is_shared and self._remote is None and not self._ready.is_set() and _flint_api_configured():
            return "the project's shared Spark"
        return self._remote or self.settings.master or DEFAULT_MASTER

    def seconds_starting(self) -> float:
        """How long the build has taken so far, or took in all once it ended (0 before start)."""
        if self._started_at is None:
            return 0.0
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return end - self._started_at

    @property
    def is_settled(self) -> bool:
        """True once the build has ended, with a session or with an error (a wait returns at once)."""
        return self._ready.is_set()

    def peek(self) -> Any:
        """Return the session if it is ready, else None. Never blocks, never raises."""
        return self._session if self._ready.is_set() else None

    def wait(self) -> Any:
        """Block until the session exists and return it, or raise :class:`SparkStartError`.

        The wait uses short timeouts so that an interrupt (SIGINT) reaches the waiting cell.
        """
        self.start()
        ready = self._ready
        while not ready.wait(0.2):
            pass
        if self._error is not None:
            raise SparkStartError(str(self._error)) from self._error.__cause__
        return self._session

    def context(self) -> Any:
        """Return the SparkContext of a classic session (waits like :meth:`wait`)."""
        session = self.wait()
        if self.is_shared:
            raise SparkStartError(
                "`sc` (SparkContext) and RDDs are not available on the project's shared Spark (Spark Connect): "
                'use `spark` and DataFrames, or switch this notebook to the "Python 3 (Spark, dedicated)" '
                "kernel (the kernel button in the notebook's toolbar; kernelspec flint-spark-dedicated), "
                "which runs its own Spark with `sc`."
            )
        if self.is_connect:
            raise SparkStartError(
                f"`sc` (SparkContext) does not exist with Spark Connect (SPARK_REMOTE={self.settings.remote}): "
                "use `spark` instead."
            )
        return session.sparkContext

    def stop_idle(self, message: str) -> bool:
        """Stop the session because it was idle; the next :meth:`wait` builds a new one.

        Objects of the stopped session (DataFrames a cell made before) raise
        :class:`SparkStoppedError` with ``message`` from then on, instead of a Py4J or gRPC error.
        Returns False when there was no session to stop (not built, or still building).
        """
        with self._lock:
            if not self._ready.is_set() or self._session is None:
                return False
            session, was_connect = self._session, self.is_connect
            self._session = None
            self._error = None
            self._thread = None
            self._ready = threading.Event()
            self._started_at = self._ended_at = None
            self._remote = self.settings.remote
            self.idle_stops += 1
        if was_connect:
            _stop_connect_session(session, message)
        else:
            _stop_classic_session(session, message)
        return True

    def _run(self) -> None:
        session = None
        error: SparkStartError | None = None
        try:
            _quiet_python_logging()
            if self.settings.errors:
                raise SparkStartError("Spark could not start: " + "; ".join(self.settings.errors))
            if self.settings.is_shared:
                if _flint_api_configured():
                    # Importing pyspark's Connect client takes 1-2 s on a busy machine: do it
                    # while the API answers (a cold project Spark takes far longer to start).
                    threading.Thread(target=_import_connect_client, name="flint-spark-import", daemon=True).start()
                self._remote = self._find_project_server()
            session = self._create_connect() if self._remote is not None else self._create_classic()
        except SparkStartError as exc:
            error = exc
        except BaseException as exc:  # noqa: BLE001 - any failure must reach the user's cell
            error = SparkStartError(self._describe_failure(exc))
            error.__cause__ = exc
        finally:
            self._session = session
            self._error = error
            self._ended_at = time.monotonic()
            self._ready.set()
        if session is not None and not self._atexit_registered:
            self._atexit_registered = True
            atexit.register(self._stop)

    def _find_project_server(self) -> str | None:
        """The address of the project's Spark Connect server, or None to run a dedicated session.

        Outside Flint (no ``FLINT_API_URL``/``FLINT_API_TOKEN``: a kernel started by hand or by a
        test) there is no project server to ask, and the kernel runs its own Spark as before.
        """
        if not _flint_api_configured():
            return None
        return self._ask_project_server()

    def _describe_failure(self, exc: BaseException) -> str:
        kind = "Spark Connect" if self.is_connect else "Spark"
        message = f"{kind} could not start: {type(exc).__name__}: {exc}"
        if self.is_connect:
            if "grpc" in str(exc).lower() or isinstance(exc, ImportError):
                message += " (Spark Connect needs its client libraries: pip install 'flint-kernel[connect]')"
            return message
        tail = _log_tail(self.log_path)
        if tail:
            message += f"\nLast lines of the Spark driver log {self.log_path}:\n{tail}"
        return message

    def _create_classic(self) -> Any:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession

        find_java()
        conf = SparkConf().setAll(list(self.settings.conf.items()))
        # pyspark would start the JVM with the kernel's own stdout/stderr. ipykernel captures those
        # file descriptors (capture_fd_output) and forwards them into whichever cell is running,
        # so Spark's startup and log lines would land in cell output. Launch the gateway ourselves
        # with both streams sent to a log file; SparkContext then reuses this gateway.
        with SparkContext._lock:
            if SparkContext._gateway is None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.log_path, "ab") as log:
                    gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": subprocess.STDOUT})
                SparkContext._gateway = gateway
                SparkContext._jvm = gateway.jvm
        session = SparkSession.builder.config(conf=conf).getOrCreate()
        session.sparkContext.setLogLevel(self.settings.log_level)
        return session

    def _create_connect(self) -> Any:
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        # pyspark.sql.functions (udf with a DDL type string, ...) take the Connect path only when
        # this is set; pyspark's own `SparkSession.builder.remote()` sets it, this builder does not.
        os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
        # A new session every time, never the process's default: after an idle stop the old one
        # is gone on the server, and in shared mode each notebook must have its own.
        builder = ConnectSession.builder.remote(self._remote)
        for key, value in self.settings.connect_conf.items():
            builder = builder.config(key, value)
        session = builder.create()
        # The server makes a session's state at its first request (0.3-0.7 s): ask for it here,
        # while the start runs (ahead of the first cell when prestarted), not in the user's query.
        _ = session.version
        return session

    def _stop(self) -> None:
        # Stopping cleans Spark's temp directories; the JVM would die with the kernel anyway.
        try:
            if self._session is not None:
                self._session.stop()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


def preload_connect_client() -> bool:
    """Import pyspark's Connect client now, in a shared-mode kernel; returns whether it did.

    Flint's warm pool runs this in its kernels for a project whose shared Spark is running, so the
    first Spark cell of the next notebook does not pay the import (about 1 s, docs/spark.md). A
    dedicated-mode kernel (its own JVM, no Connect client) does nothing.
    """
    settings = load_settings()
    if not settings.is_shared or settings.errors:
        return False
    _import_connect_client()
    return True


def _import_connect_client() -> None:
    try:
        import pyspark.sql.connect.session  # noqa: F401
    except Exception:  # noqa: BLE001 - the session's own import reports any failure
        log.debug("Could not import the Spark Connect client ahead", exc_info=True)


def _flint_api_configured() -> bool:
    """True when the kernel knows Flint's API and has a notebook token (set before a run's cells)."""
    return bool(os.environ.get("FLINT_API_URL") and os.environ.get("FLINT_API_TOKEN"))


def _ask_project_server() -> str:
    """Ask Flint's API (as the notebook, with its token) for the project's Spark Connect address.

    The server starts the project's Spark Connect server if it is not running and answers once
    it accepts sessions.
    """
    import urllib.error
    import urllib.request

    base = os.environ["FLINT_API_URL"].rstrip("/")
    notebook = os.environ.get("FLINT_NOTEBOOK_ID", "")
    request = urllib.request.Request(
        f"{base}/api/v1/notebooks/{notebook}/spark-connect",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {os.environ['FLINT_API_TOKEN']}", "Content-Type": "application/json"},
    )
    try:
        # Never through the egress proxy: Flint's API is on loopback (forwarded in a sandbox).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=300) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read().decode("utf-8")).get("error", {}).get("message") or exc.reason
        except Exception:  # noqa: BLE001 - the status line is enough then
            detail = exc.reason
        raise SparkStartError(f"The project's shared Spark could not start: {detail} (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        message = f"The project's shared Spark could not start: Flint's API did not answer ({exc})"
        raise SparkStartError(message) from None
    url = answer.get("url") if isinstance(answer, dict) else None
    if not isinstance(url, str) or not url.startswith("sc://"):
        raise SparkStartError(f"The project's shared Spark could not start: unexpected answer {answer!r}")
    return url


def _stop_classic_session(session: Any, message: str) -> None:
    """Stop a classic session and its JVM; its objects raise :class:`SparkStoppedError` later."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    try:
        session.stop()
    except Exception:  # noqa: BLE001 - the JVM goes below anyway
        log.debug("Stopping the idle Spark session failed", exc_info=True)
    with SparkContext._lock:
        SparkContext._gateway = None
        SparkContext._jvm = None
    if gateway is None:
        return
    client = getattr(gateway, "_gateway_client", None)
    try:
        gateway.shutdown()
    except Exception:  # noqa: BLE001
        log.debug("Shutting the Py4J gateway down failed", exc_info=True)
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        # The driver JVM (spark-submit's java) exits when its stdin closes; make sure of it.
        try:
            proc.stdin.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            proc.kill()
    if client is not None:
        # Every JavaObject of the old JVM calls through this client: make that call say why.
        def stopped_send_command(command: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(command, str) and command.startswith("m\n"):
                return "yv"  # Py4J releasing an object of the old JVM: nothing to release
            raise SparkStoppedError(message)

        client.send_command = stopped_send_command


class _StoppedConnectClient:
    """Stands in for the gRPC client of a Spark Connect session that Flint stopped."""

    def __init__(self, message: str) -> None:
        self._message = message

    def __getattr__(self, name: str) -> Any:
        raise SparkStoppedError(self._message)


def _stop_connect_session(session: Any, message: str) -> None:
    """Release a Connect session on its server; its objects raise :class:`SparkStoppedError`."""
    try:
        session.stop()
    except Exception:  # noqa: BLE001
        log.debug("Stopping the idle Spark Connect session failed", exc_info=True)
    session._client = _StoppedConnectClient(message)


class LazyProxy:
    """Stands in for ``spark`` or ``sc``: the first attribute access waits for the real object.

    ``resolve`` returns the real object (blocking until it exists) or raises
    :class:`SparkStartError`. Once the session exists the extension replaces the proxies in the
    user namespace with the real objects, so ``type(spark)`` is right from the next cell on.
    """

    __slots__ = ("_flint_name", "_flint_resolve")

    def __init__(self, name: str, resolve: Callable[[], Any]) -> None:
        object.__setattr__(self, "_flint_name", name)
        object.__setattr__(self, "_flint_resolve", resolve)

    def _flint_target(self) -> Any:
        return object.__getattribute__(self, "_flint_resolve")()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_flint_"):
            raise AttributeError(name)
        return getattr(self._flint_target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._flint_target(), name, value)

    def __dir__(self) -> list[str]:
        return dir(self._flint_target())

    def __repr__(self) -> str:
        return repr(self._flint_target())

    def __enter__(self) -> Any:
        return self._flint_target().__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        return self._flint_target().__exit__(*exc_info)

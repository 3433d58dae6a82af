"""Create the notebook's SparkSession in the background and stand in for it until it exists.

A JVM and a SparkContext take seconds to start, and jupyter_server gives up on a kernel that does
not answer ``kernel_info`` within 60 s. So the kernel answers at once: :class:`SparkStarter`
builds the session on a daemon thread, and ``spark``/``sc`` in the user namespace are
:class:`LazyProxy` objects whose first use waits for it (or raises :class:`SparkStartError`).

Configuration, read from the kernel's environment:

- ``SPARK_REMOTE``: a Spark Connect URL (``sc://host:15002``); when set, Spark Connect is used.
- ``SPARK_MASTER``: the classic master, default ``local[*]``.
- ``FLINT_SPARK_CONF``: a JSON object of extra Spark settings, applied last.
- ``FLINT_SPARK_LOG``: where the driver JVM's stdout/stderr go (default: a file in the temp dir).
- ``FLINT_SPARK_LOG_LEVEL``: ``sc.setLogLevel`` once started, default ``ERROR``.
- ``FLINT_SPARK_START``: ``on-use`` (default) starts Spark at the first use of ``spark``, ``sc``,
  ``%%sql`` or a Spark DataFrame, so a notebook that never uses Spark costs a Python process and
  no JVM (many notebooks share one machine); ``at-start`` builds it as the kernel starts.
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

LOG4J2_CONFIG = Path(__file__).with_name("log4j2.properties")
DEFAULT_MASTER = "local[*]"
DEFAULT_APP_NAME = "Flint notebook"
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

    @property
    def is_connect(self) -> bool:
        """True when the session is a Spark Connect client (no SparkContext, no JVM here)."""
        return self.remote is not None


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
    remote = environ.get("SPARK_REMOTE") or None
    log_path = Path(environ.get("FLINT_SPARK_LOG") or Path(tempfile.gettempdir(), f"flint-spark-{os.getpid()}.log"))
    log_level = environ.get("FLINT_SPARK_LOG_LEVEL", "ERROR").upper()
    common: dict[str, Any] = {
        "log_path": log_path,
        "log_level": log_level,
        "errors": errors,
        "starts_with_kernel": starts_with_kernel,
    }

    if remote:
        # Classic settings (master, UI, driver JVM options) mean nothing to a remote server; the
        # user's settings are sent as session configuration.
        return SparkSettings(master="", remote=remote, conf=user_conf, **common)

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
    conf.update(user_conf)
    java_options = conf.get("spark.driver.extraJavaOptions", "")
    if "log4j2.configurationFile" not in java_options:
        option = f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.resolve().as_uri()}"
        conf["spark.driver.extraJavaOptions"] = f"{java_options} {option}".strip()
    return SparkSettings(master=master, remote=None, conf=conf, **common)


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


class SparkStarter:
    """Builds the SparkSession once, on a background thread, and hands it out when ready."""

    def __init__(self, settings: SparkSettings) -> None:
        self.settings = settings
        self._ready = threading.Event()
        self._session: Any = None
        self._error: SparkStartError | None = None
        self._thread: threading.Thread | None = None
        # time.monotonic() when the build began and ended (for "Spark started in N s").
        self._started_at: float | None = None
        self._ended_at: float | None = None

    @property
    def is_connect(self) -> bool:
        """True for Spark Connect (``SPARK_REMOTE``)."""
        return self.settings.is_connect

    @property
    def log_path(self) -> Path:
        """File that receives the driver JVM's stdout and stderr."""
        return self.settings.log_path

    def start(self) -> None:
        """Start building the session on a daemon thread; returns at once."""
        if self._thread is None:
            self._started_at = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="flint-spark-start", daemon=True)
            self._thread.start()

    @property
    def master(self) -> str:
        """Where the session runs: the Spark Connect address or the master URL."""
        return self.settings.remote or self.settings.master

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
        while not self._ready.wait(0.2):
            pass
        if self._error is not None:
            raise SparkStartError(str(self._error)) from self._error.__cause__
        return self._session

    def context(self) -> Any:
        """Return the SparkContext of a classic session (waits like :meth:`wait`)."""
        session = self.wait()
        if self.is_connect:
            raise SparkStartError(
                f"`sc` (SparkContext) does not exist with Spark Connect (SPARK_REMOTE={self.settings.remote}): "
                "use `spark` instead."
            )
        return session.sparkContext

    def _run(self) -> None:
        try:
            _quiet_python_logging()
            if self.settings.errors:
                raise SparkStartError("Spark could not start: " + "; ".join(self.settings.errors))
            session = self._create_connect() if self.is_connect else self._create_classic()
            self._session = session
        except SparkStartError as exc:
            self._error = exc
        except BaseException as exc:  # noqa: BLE001 - any failure must reach the user's cell
            error = SparkStartError(self._describe_failure(exc))
            error.__cause__ = exc
            self._error = error
        finally:
            self._ended_at = time.monotonic()
            self._ready.set()
        if self._session is not None:
            atexit.register(self._stop)

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
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.remote(self.settings.remote)
        for key, value in self.settings.conf.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    def _stop(self) -> None:
        # Stopping cleans Spark's temp directories; the JVM would die with the kernel anyway.
        try:
            self._session.stop()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


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

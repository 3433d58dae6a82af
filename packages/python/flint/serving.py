"""A deployment's scoring process (started by Flint's server, ``packages/kernel/src/scoring.ts``)::

    python -m flint.serving --project ID --instance NAME --work DIR

``DIR/model`` holds the model's files, which Flint copied out of its MLflow server through its own
access checks: this process never talks to MLflow (it has no credential for it). It loads the model
with ``mlflow.pyfunc.load_model`` and answers on a Unix socket:

- ``GET /health``: ``{"status": "ok"}`` once the model is loaded;
- ``POST /invocations``: ``{"rows": [{...}, ...]}`` or ``{"columns": {"name": [...], ...}}`` in,
  ``{"predictions": [...]}`` out; a payload that does not fit the model's input signature gets a
  400 that names the column.

It prints ``flint.serving: ready SOCKET`` once the socket accepts requests.

With a sandbox plan (``FLINT_SANDBOX_CONFIG``, mode ``bwrap``) this module first re-runs itself
(``serve``) inside the project's sandbox, as the project's kernels and Spark Connect server run: the
project's uid, its own network namespace, a private ``/tmp``; the model is copied into the
instance's folder (``<kernels root>/deploy-NAME``), which is where the socket is made, and no other
project's process can enter it. The server is a plain ``http.server`` (no ``mlflow models serve``:
that needs Flask or FastAPI/uvicorn extras and a conda/virtualenv manager, and adds a hop).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

#: Bodies above this are refused (Flint's route caps them before they get here).
MAX_BODY_BYTES = 32 * 1024 * 1024
SOCKET_NAME = "score.sock"


class PayloadError(ValueError):
    """The request does not fit the model's signature; the message names the column."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


# ---------------------------------------------------------------------------------------------
# Input: JSON rows or columns, checked against the signature, into what the model takes.

_NUMERIC = {"integer", "long", "float", "double"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _check_value(kind: str, value: Any) -> bool:
    if kind in ("integer", "long"):
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("string", "datetime", "binary"):
        return isinstance(value, str)
    return True


def to_columns(payload: Any) -> dict[str, list[Any]]:
    """``{"rows": [...]}`` or ``{"columns": {...}}`` as columns of equal length."""
    if not isinstance(payload, dict):
        raise PayloadError('Send a JSON object: {"rows": [{...}]} or {"columns": {"name": [...]}}.')
    if "rows" in payload:
        rows = payload["rows"]
        if not isinstance(rows, list) or not rows:
            raise PayloadError('"rows" must be a non-empty list of objects, one per row.')
        names: list[str] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise PayloadError(f"row {index} is {_type_name(row)}, not an object of column values.")
            for name in row:
                if name not in names:
                    names.append(name)
        # A column a row leaves out is missing in that row (None), reported by the check below.
        return {name: [row.get(name, _MISSING) for row in rows] for name in names}
    if "columns" in payload:
        columns = payload["columns"]
        if not isinstance(columns, dict) or not columns:
            raise PayloadError('"columns" must be an object of column name → list of values.')
        lengths = set()
        for name, values in columns.items():
            if not isinstance(values, list):
                raise PayloadError(f"column '{name}' must be a list of values.", name)
            lengths.add(len(values))
        if len(lengths) != 1 or 0 in lengths:
            raise PayloadError("every column must have the same number of values, at least one.")
        return dict(columns)
    raise PayloadError('Send {"rows": [{...}]} or {"columns": {"name": [...]}}.')


class _Missing:
    def __repr__(self) -> str:
        return "missing"


_MISSING = _Missing()


def check_columns(schema: Any, columns: dict[str, list[Any]]) -> None:
    """Raises :class:`PayloadError` naming the first missing or mistyped column of ``schema``."""
    for spec in schema.inputs:
        name = spec.name
        kind = getattr(spec.type, "name", str(spec.type))
        required = getattr(spec, "required", True)
        values = columns.get(name)
        if values is None:
            if required:
                raise PayloadError(f"missing column '{name}' (the model's input needs {_describe(schema)}).", name)
            continue
        for index, value in enumerate(values):
            if value is _MISSING or value is None:
                if required:
                    where = "is missing" if value is _MISSING else "is null"
                    raise PayloadError(f"column '{name}' {where} in row {index}; the model needs a {kind}.", name)
                continue
            if not _check_value(kind, value):
                shown = json.dumps(value)[:40]
                found = f"row {index} has {_type_name(value)} ({shown})"
                raise PayloadError(f"column '{name}' must be a {kind}; {found}.", name)


def _describe(schema: Any) -> str:
    return ", ".join(f"{spec.name} ({getattr(spec.type, 'name', spec.type)})" for spec in schema.inputs)


def to_model_input(model: Any, payload: Any) -> Any:
    """The model's input for a payload, checked against its signature."""
    import numpy as np
    import pandas as pd

    schema = model.metadata.get_input_schema()
    if schema is not None and schema.is_tensor_spec():
        # A tensor signature (a model logged with a numpy example): rows are lists of numbers.
        rows = payload.get("rows") if isinstance(payload, dict) else None
        if not isinstance(rows, list) or not rows or not all(isinstance(row, list) for row in rows):
            raise PayloadError('This model takes arrays: send {"rows": [[1.0, 2.0], ...]}.')
        spec = schema.inputs[0]
        try:
            array = np.array(rows, dtype=spec.type)
        except (TypeError, ValueError) as error:
            raise PayloadError(f"the rows must be numbers of type {spec.type}: {error}") from error
        width = spec.shape[-1] if spec.shape else -1
        if width not in (-1, None) and array.ndim == 2 and array.shape[1] != width:
            raise PayloadError(f"each row must have {width} values; got {array.shape[1]}.")
        return array
    columns = to_columns(payload)
    if schema is None:
        return pd.DataFrame({name: [None if v is _MISSING else v for v in values] for name, values in columns.items()})
    if schema.has_input_names():
        check_columns(schema, columns)
        frame = {}
        for spec in schema.inputs:
            if spec.name not in columns:
                continue
            values = [None if value is _MISSING else value for value in columns[spec.name]]
            kind = getattr(spec.type, "name", "")
            series = pd.Series(values)
            if kind == "datetime":
                series = pd.to_datetime(series)
            elif kind in _NUMERIC or kind == "boolean":
                if not any(value is None for value in values):
                    series = series.astype(spec.type.to_pandas())
            frame[spec.name] = series
        return pd.DataFrame(frame)
    return pd.DataFrame(columns)


def to_json_predictions(result: Any) -> list[Any]:
    """Predictions as JSON values: one per row (an object per row for several outputs)."""
    import numpy as np
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        values: Any = result.to_dict(orient="records")
    elif isinstance(result, pd.Series):
        values = result.tolist()
    elif isinstance(result, np.ndarray):
        values = result.tolist()
    elif isinstance(result, dict):
        values = {key: to_json_predictions(value) for key, value in result.items()}
    else:
        values = list(result) if isinstance(result, (list, tuple)) else [result]
    return _clean(values)


def _clean(value: Any) -> Any:
    """NaN and infinities as null (JSON has neither), numpy scalars as Python values."""
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------------------------
# The HTTP server on a Unix socket.


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass

    def address_string(self) -> str:
        return "flint"

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str, **details: Any) -> None:
        self._answer(status, {"error": {"code": code, "message": message, **details}})

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/health":
            self._answer(200, {"status": "ok", "signature": self.server.signature})
        else:
            self._error(404, "not_found", f"no route {self.path}")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/invocations":
            self._error(404, "not_found", f"no route {self.path}")
            return
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self._error(413, "payload_too_large", "the request body is too large")
            self.close_connection = True
            return
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw or b"null")
        except ValueError as error:
            self._error(400, "bad_request", f"Malformed JSON in the request body: {error}")
            return
        try:
            model_input = to_model_input(self.server.model, payload)
        except PayloadError as error:
            details = {"column": error.column} if error.column else {}
            self._error(400, "bad_request", f"The input does not fit the model: {error}", **details)
            return
        try:
            result = self.server.model.predict(model_input)
        except Exception as error:  # the model's own error, e.g. a value it cannot take
            name = type(error).__name__
            message = str(error).strip().splitlines()[0][:500] if str(error).strip() else name
            if name == "MlflowException":
                self._error(400, "bad_request", f"The input does not fit the model: {message}")
            else:
                self._error(422, "prediction_failed", f"The model could not score this input ({name}: {message}).")
            return
        self._answer(200, {"predictions": to_json_predictions(result)})


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    model: Any
    signature: Any


def describe_signature(model: Any) -> Any:
    """The input signature as JSON (for the deployment page), or None."""
    schema = model.metadata.get_input_schema()
    if schema is None:
        return None
    return schema.to_dict()


def serve(model_dir: str, socket_path: str) -> int:
    """Load the model and answer on ``socket_path`` until terminated."""
    import signal

    import mlflow.pyfunc

    started = time.monotonic()
    model = mlflow.pyfunc.load_model(model_dir)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = _Server(socket_path, _Handler)
    server.model = model
    server.signature = describe_signature(model)

    def stop(*_: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"flint.serving: ready {socket_path} ({time.monotonic() - started:.1f} s)", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
        if os.path.exists(socket_path):
            os.unlink(socket_path)
    return 0


# ---------------------------------------------------------------------------------------------
# Launch: directly, or in the project's sandbox.


def build(project: str, instance: str, work: str) -> tuple[list[str], dict[str, str], str | None]:
    """The command, environment and working folder that run one scoring process."""
    from flint.sandbox import build_command, build_env, load_plan, project_layer, write_identity
    from flint.sandbox.users import uid_for_project

    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    plan = load_plan()
    work_dir = Path(work)
    if plan is None or plan.mode != "bwrap":
        socket_path = str(work_dir / SOCKET_NAME)
        command = [sys.executable, "-m", "flint.serving", "serve", "--model", str(work_dir / "model")]
        return [*command, "--socket", socket_path], env, None
    project_dir = Path(plan.projects_root) / project
    uid = None
    if plan.first_uid is not None:
        uid = uid_for_project(Path(plan.packages_root).parent / "uids.json", project, plan.first_uid)
    layer = project_layer(plan, project)
    box = Path(plan.kernels_root) / f"deploy-{instance}"
    scratch = box / "tmp"
    if box.exists():
        shutil.rmtree(box)
    for folder in (project_dir, layer, box, scratch, scratch / "home"):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The model's files move into the instance's folder: the only one of Flint's the process sees.
    shutil.copytree(work_dir / "model", box / "model")
    if uid is not None:
        for folder in (project_dir, layer, box, scratch, scratch / "home"):
            os.chown(folder, uid, uid)
        for root, dirs, files in os.walk(box / "model"):
            os.chown(root, uid, uid)
            for name in (*dirs, *files):
                os.chown(os.path.join(root, name), uid, uid)
        write_identity(box, uid, scratch / "home")
    inner = [sys.executable, "-m", "flint.serving", "serve", "--model", str(box / "model")]
    inner += ["--socket", str(box / SOCKET_NAME)]
    command = build_command(
        plan, inner, project_dir=project_dir, kernel_dir=box, scratch_dir=scratch, layer=layer, uid=uid
    )
    env = build_env(plan, env, project=project, scratch_dir=scratch, layer=layer)
    return command, env, str(project_dir)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        parser = argparse.ArgumentParser(prog="python -m flint.serving serve")
        parser.add_argument("--model", required=True)
        parser.add_argument("--socket", required=True)
        args = parser.parse_args(argv[1:])
        return serve(args.model, args.socket)
    parser = argparse.ArgumentParser(prog="python -m flint.serving")
    parser.add_argument("--project", required=True)
    parser.add_argument("--instance", required=True, help="a name for this process: deployment and generation")
    parser.add_argument("--work", required=True, help="a folder holding model/ (the model's files)")
    args = parser.parse_args(argv)
    command, env, cwd = build(args.project, args.instance, args.work)
    if cwd:
        os.chdir(cwd)
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())

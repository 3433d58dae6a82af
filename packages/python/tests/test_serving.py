"""The scoring process (flint.serving): a real scikit-learn model saved with MLflow, loaded with
``mlflow.pyfunc.load_model``, served on a real Unix socket and called over HTTP."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self._path)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    work = tmp_path_factory.mktemp("deploy")
    frame = pd.DataFrame({"tenure": [1.0, 2.0, 3.0, 4.0], "visits": np.array([1, 5, 2, 8], dtype="int64")})
    target = 2 * frame.tenure + frame.visits
    model = LinearRegression().fit(frame, target)
    mlflow.sklearn.save_model(model, str(work / "model"), input_example=frame.head(2))
    process = subprocess.Popen(
        [sys.executable, "-m", "flint.serving", "--project", "p1", "--instance", "t1", "--work", str(work)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    assert ready.startswith("flint.serving: ready "), ready
    socket_path = ready.split()[2]
    yield socket_path, model, frame
    process.terminate()
    process.wait(timeout=10)
    assert not Path(socket_path).exists()


def _post(socket_path: str, payload: object) -> tuple[int, dict]:
    connection = _UnixHTTPConnection(socket_path)
    connection.request("POST", "/invocations", json.dumps(payload), {"content-type": "application/json"})
    answer = connection.getresponse()
    return answer.status, json.loads(answer.read())


def test_predictions_equal_the_models(served) -> None:
    socket_path, model, frame = served
    rows = frame.to_dict(orient="records")
    status, body = _post(socket_path, {"rows": rows})
    assert status == 200
    assert body["predictions"] == model.predict(frame).tolist()
    status, body = _post(socket_path, {"columns": {"tenure": [1.0], "visits": [1]}})
    assert status == 200 and len(body["predictions"]) == 1
    # Integral numbers are taken for a double column too (JSON has one number type).
    assert _post(socket_path, {"rows": [{"tenure": 1, "visits": 1}]})[0] == 200


@pytest.mark.parametrize(
    ("payload", "column", "words"),
    [
        ({"rows": [{"tenure": 1.0}]}, "visits", "missing column 'visits'"),
        ({"rows": [{"tenure": "x", "visits": 1}]}, "tenure", "column 'tenure' must be a double"),
        ({"rows": [{"tenure": 1.0, "visits": 1.5}]}, "visits", "column 'visits' must be a long"),
        ({"rows": [{"tenure": 1.0, "visits": 1}, {"tenure": 2.0}]}, "visits", "'visits' is missing in row 1"),
        ({"columns": {"tenure": [1.0], "visits": None}}, "visits", "'visits' must be a list"),
        ({"rows": [{"tenure": None, "visits": 1}]}, "tenure", "'tenure' is null in row 0"),
    ],
)
def test_bad_payloads_name_the_column(served, payload, column, words) -> None:
    status, body = _post(served[0], payload)
    assert status == 400
    assert body["error"]["column"] == column
    assert words in body["error"]["message"]


def test_payloads_of_the_wrong_shape(served) -> None:
    for payload in ({}, [], {"rows": []}, {"rows": [1]}, {"columns": {"tenure": [1.0], "visits": [1, 2]}}):
        status, body = _post(served[0], payload)
        assert status == 400, payload
        assert body["error"]["code"] == "bad_request"


def test_health_tells_the_signature(served) -> None:
    connection = _UnixHTTPConnection(served[0])
    started = time.monotonic()
    connection.request("GET", "/health")
    body = json.loads(connection.getresponse().read())
    assert time.monotonic() - started < 5
    assert [column["name"] for column in body["signature"]] == ["tenure", "visits"]

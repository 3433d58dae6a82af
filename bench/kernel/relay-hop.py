"""What Jupyter Server's ZeroMQ-to-WebSocket hop adds to a small cell's run (issue 23).

``iopub-direct.py`` times the run cell straight over ZeroMQ. This script starts a Jupyter Server
the way Flint runs it (its kernel WebSocket connection class, ``flint.jupyter_nodelay``, which
turns Nagle's algorithm off) and one ``python3`` kernel, then alternates, on that same kernel:
the cell over a WebSocket client in this process (the v1 binary protocol, as Flint's broker
negotiates it) and the cell straight over ZeroMQ (the kernel's connection file). The difference
is the server's hop; what Flint's broker sees beyond it is Node's share (docs/benchmarks.md).

    $FLINT_PYTHON_ENV/bin/python bench/kernel/relay-hop.py [rounds]

The first rounds of each side are not counted (warm-up); the rest are all reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from jupyter_client import AsyncKernelClient
from jupyter_client.session import Session
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

CODE = "n = globals().get('n', 0) + 1; f'RUN-{n}'"
PROTOCOL = "v1.kernel.websocket.jupyter.org"
WARM_UP = 5
PAUSE_S = 0.2
KINDS = ("busy", "execute_result", "idle")
CONNECTION_CLASS = "flint.jupyter_nodelay.NoDelayChannelsConnection"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A Jupyter Server in a temporary runtime directory, with Flint's connection class."""

    def __init__(self) -> None:
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.runtime = tempfile.mkdtemp(prefix="flint-relay-hop-")
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": self.runtime}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                f"--port={self.port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                "--ServerApp.allow_root=True",
                f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            try:
                self.rest("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Jupyter Server did not start")

    def rest(self, method: str, path: str, body: object = None) -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"token {self.token}",
                "content-type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


async def ws_run(connection, session: Session) -> dict[str, float]:
    """ms from the send to each of the run's messages, over the server's WebSocket."""
    msg = session.msg(
        "execute_request",
        {
            "code": CODE,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
        },
    )
    sent = time.time()
    await connection.write_message(
        serialize_msg_to_ws_v1(msg, "shell", session.pack), binary=True
    )
    seen: dict[str, float] = {}
    while "idle" not in seen:
        _channel, parts = deserialize_msg_from_ws_v1(await connection.read_message())
        now = time.time()
        header, parent, content = (
            json.loads(parts[0]),
            json.loads(parts[1]),
            json.loads(parts[3]),
        )
        if parent.get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind = (
            content["execution_state"]
            if header["msg_type"] == "status"
            else header["msg_type"]
        )
        seen.setdefault(kind, (now - sent) * 1000)
    return seen


async def zmq_run(client: AsyncKernelClient) -> dict[str, float]:
    """The same, straight over ZeroMQ."""
    sent = time.time()
    msg_id = client.execute(CODE)
    seen: dict[str, float] = {}
    while "idle" not in seen:
        msg = await client.get_iopub_msg(timeout=10)
        now = time.time()
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = (
            msg["content"]["execution_state"]
            if msg["msg_type"] == "status"
            else msg["msg_type"]
        )
        seen.setdefault(kind, (now - sent) * 1000)
    await client.get_shell_msg(timeout=10)
    return seen


async def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    server = Server()
    try:
        kernel_id = server.rest("POST", "/api/kernels", {"name": "python3"})["id"]  # type: ignore[index]
        client = AsyncKernelClient()
        client.load_connection_file(
            os.path.join(server.runtime, f"kernel-{kernel_id}.json")
        )
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        request = HTTPRequest(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}",
            headers={"Authorization": f"token {server.token}"},
        )
        connection = await websocket_connect(request, subprotocols=[PROTOCOL])
        session = Session(key=b"", username="bench")
        runs: dict[str, list[dict[str, float]]] = {"websocket": [], "zeromq": []}
        for index in range(rounds):
            # Alternate which side goes first, so neither always follows the other's work.
            order = (
                ["websocket", "zeromq"] if index % 2 == 0 else ["zeromq", "websocket"]
            )
            for side in order:
                run = await (
                    ws_run(connection, session)
                    if side == "websocket"
                    else zmq_run(client)
                )
                runs[side].append(run)
                await asyncio.sleep(PAUSE_S)
        connection.close()
        client.stop_channels()
        print(
            f"{rounds - WARM_UP} runs per side on one python3 kernel, ms from the send, median / p90:"
        )
        for side, label in (
            ("zeromq", "ZeroMQ, no server"),
            ("websocket", "Jupyter Server WebSocket"),
        ):
            counted = runs[side][WARM_UP:]
            for kind in KINDS:
                values = sorted(run[kind] for run in counted)
                print(
                    f"  {label:25s} {kind:15s} {statistics.median(values):6.2f} / "
                    f"{values[int(len(values) * 0.9)]:6.2f}"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Where a small cell's run goes between the request and its messages (issue 23).

Flint's broker reaches kernels through Jupyter Server's WebSocket. This script splits that path
into its legs by running the interaction bench's run cell three ways, taking turns:

- ``zeromq python3``: straight over ZeroMQ to a plain ``python3`` kernel (what a kernel takes);
- ``zeromq flint-spark``: the same to Flint's ``flint-spark`` kernel (its extension loaded; no
  sandbox, which only Jupyter Server's provisioner adds), so the extension's share can be read;
- ``websocket python3``: over Jupyter Server's WebSocket (the v1 binary protocol, as Flint's
  broker negotiates it) to the same ``python3`` kernel, with Flint's connection class
  (``flint.jupyter_nodelay``, which turns Nagle's algorithm off). Against ``zeromq python3`` this
  is the server's hop; what Flint's broker sees beyond it is Node's share (docs/benchmarks.md).

Each message is stamped as it arrives, from the send and from the kernel's own ``header.date``
(same clock): "made -> received" is how long a message the kernel made took to arrive.

    $FLINT_PYTHON_ENV/bin/python bench/kernel/kernel-legs.py [rounds]

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
from datetime import datetime
from typing import Protocol

from jupyter_client import AsyncKernelClient, AsyncKernelManager
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

# What one run saw: for each message kind, (ms from the send, ms from the kernel's stamp).
TRun = dict[str, tuple[float, float]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A Jupyter Server in a temporary runtime directory, with Flint's connection class."""

    def __init__(self) -> None:
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.runtime = tempfile.mkdtemp(prefix="flint-kernel-legs-")
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


class Side(Protocol):
    """One way to send the cell and read the run's messages back."""

    async def send(self) -> str:
        """Sends the run cell; returns the request's msg_id."""
        ...

    async def next_message(self) -> tuple[dict, dict, dict]:
        """The next IOPub message: (header, parent header, content)."""
        ...

    async def finish(self) -> None:
        """Reads what else the run brings outside IOPub (the reply)."""
        ...


class ZeroMQSide:
    def __init__(self, client: AsyncKernelClient) -> None:
        self.client = client

    async def send(self) -> str:
        return self.client.execute(CODE)

    async def next_message(self) -> tuple[dict, dict, dict]:
        msg = await self.client.get_iopub_msg(timeout=10)
        return msg["header"], msg["parent_header"], msg["content"]

    async def finish(self) -> None:
        await self.client.get_shell_msg(timeout=10)


class WebSocketSide:
    def __init__(self, connection, session: Session) -> None:
        self.connection = connection
        self.session = session

    async def send(self) -> str:
        msg = self.session.msg(
            "execute_request",
            {
                "code": CODE,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
            },
        )
        await self.connection.write_message(
            serialize_msg_to_ws_v1(msg, "shell", self.session.pack), binary=True
        )
        return msg["header"]["msg_id"]

    async def next_message(self) -> tuple[dict, dict, dict]:
        while True:
            channel, parts = deserialize_msg_from_ws_v1(
                await self.connection.read_message()
            )
            if channel == "iopub":
                header = json.loads(parts[0])
                # The v1 protocol carries the date as text; ZeroMQ's client parses it.
                header["date"] = datetime.fromisoformat(header["date"])
                return header, json.loads(parts[1]), json.loads(parts[3])

    async def finish(self) -> None:
        # The reply arrives on the same socket and is skipped by the next run's reads.
        return None


async def one_run(side: Side) -> TRun:
    sent = time.time()
    msg_id = await side.send()
    seen: TRun = {}
    while "idle" not in seen:
        header, parent, content = await side.next_message()
        now = time.time()
        if parent.get("msg_id") != msg_id:
            continue
        kind = (
            content["execution_state"]
            if header["msg_type"] == "status"
            else header["msg_type"]
        )
        seen.setdefault(
            kind, ((now - sent) * 1000, (now - header["date"].timestamp()) * 1000)
        )
    await side.finish()
    return seen


async def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    server = Server()
    flint_kernel = AsyncKernelManager(kernel_name="flint-spark")
    clients: list[AsyncKernelClient] = []
    connection = None
    try:
        kernel_id = server.rest("POST", "/api/kernels", {"name": "python3"})["id"]  # type: ignore[index]
        python_client = AsyncKernelClient()
        python_client.load_connection_file(
            os.path.join(server.runtime, f"kernel-{kernel_id}.json")
        )
        await flint_kernel.start_kernel()
        flint_client = flint_kernel.client()
        clients = [python_client, flint_client]
        for client in clients:
            client.start_channels()
            await client.wait_for_ready(timeout=120)
        request = HTTPRequest(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}",
            headers={"Authorization": f"token {server.token}"},
        )
        connection = await websocket_connect(request, subprotocols=[PROTOCOL])
        sides: dict[str, Side] = {
            "zeromq python3": ZeroMQSide(python_client),
            "zeromq flint-spark": ZeroMQSide(flint_client),
            "websocket python3": WebSocketSide(
                connection, Session(key=b"", username="bench")
            ),
        }
        names = list(sides)
        runs: dict[str, list[TRun]] = {name: [] for name in names}
        for index in range(rounds):
            # Each round starts with the next side, so none always follows the same other.
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                runs[name].append(await one_run(sides[name]))
                await asyncio.sleep(PAUSE_S)
        print(
            f"{rounds - WARM_UP} runs per side, median / p90 (ms); the python3 sides share one kernel:"
        )
        for name in names:
            counted = runs[name][WARM_UP:]
            for kind in KINDS:
                total = sorted(run[kind][0] for run in counted)
                lag = sorted(run[kind][1] for run in counted)
                p90 = int(len(total) * 0.9)
                print(
                    f"  {name:19s} {kind:15s} from the send {statistics.median(total):6.2f} / {total[p90]:6.2f}"
                    f"   made -> received {statistics.median(lag):6.2f} / {lag[p90]:6.2f}"
                )
    finally:
        if connection is not None:
            connection.close()
        for client in clients:
            client.stop_channels()
        if flint_kernel.has_kernel:
            await flint_kernel.shutdown_kernel(now=True)
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())

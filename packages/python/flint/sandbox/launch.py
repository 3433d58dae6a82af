"""The first program inside a kernel's sandbox: loopback forwarders, then the kernel.

Usage (built by :func:`flint.sandbox.build_command`)::

    python -m flint.sandbox.launch [--forward PORT=SOCKET ...] [--serve LISTEN=PORT] -- COMMAND...

In an isolated network namespace the sandbox has only its own loopback. Each ``--forward``
listens on ``127.0.0.1:PORT`` there and relays every connection to a Unix socket of Flint's
(bound into the sandbox): Flint's API on the port ``FLINT_API_URL`` names, and the egress proxy
that ``HTTPS_PROXY`` names. The kernel runs as a child; this process relays until it exits and
exits with its status. It runs as the kernel's user: user code can stop it, and so only cut off
its own network.

``--serve LISTEN=PORT`` is the reverse: it listens on ``LISTEN`` (a Unix socket path, or a port of
127.0.0.1) and relays every connection to ``127.0.0.1:PORT`` here. The project's Spark Connect
server runs in a sandbox of its own and is reached by the project's kernels through it (see
:mod:`flint.spark_connect`). With ``--activity FILE``, the file's modification time says when
bytes last went through a served connection (at most every few seconds), for the idle stop; the
line ``flint.sandbox: serving`` on stdout says that ``PORT`` accepts connections.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

_CHUNK = 65536
# The activity file is touched at most this often.
_ACTIVITY_EVERY_S = 2.0


def _pump(source: socket.socket, target: socket.socket, on_data: Callable[[], None] | None = None) -> None:
    try:
        while True:
            data = source.recv(_CHUNK)
            if not data:
                break
            target.sendall(data)
            if on_data is not None:
                on_data()
    except OSError:
        pass
    finally:
        # Half-close so the other direction can still finish (HTTP/1.1 responses after a request).
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _relay(client: socket.socket, unix_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(unix_path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _listen(port: int) -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    return server


def _serve(server: socket.socket, unix_path: str) -> None:
    while True:
        client, _ = server.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_relay, args=(client, unix_path), daemon=True).start()


class _Activity:
    """Touches a file when bytes flow, at most every ``_ACTIVITY_EVERY_S``."""

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._last = 0.0

    def __call__(self) -> None:
        if self._path is None:
            return
        now = time.monotonic()
        if now - self._last < _ACTIVITY_EVERY_S:
            return
        self._last = now
        with contextlib.suppress(OSError):
            os.utime(self._path)


def _relay_to_port(client: socket.socket, port: int, activity: _Activity) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()
        return
    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    activity()
    back = threading.Thread(target=_pump, args=(upstream, client, activity), daemon=True)
    back.start()
    _pump(client, upstream, activity)
    back.join()
    client.close()
    upstream.close()


def _bind_reverse(listen: str) -> tuple[socket.socket, str]:
    """A listening socket on ``listen`` (a Unix socket path, or a loopback port; 0: any free one)
    and what it is bound to (the path, or the port)."""
    if listen.isdigit():
        server = _listen(int(listen))
        return server, str(server.getsockname()[1])
    with contextlib.suppress(FileNotFoundError):
        os.unlink(listen)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen)
    server.listen(64)
    return server, listen


def _serve_reverse(server: socket.socket, port: int, activity: _Activity) -> None:
    """Relay every connection to ``server`` to ``127.0.0.1:port``."""
    while True:
        client, _ = server.accept()
        if client.family == socket.AF_INET:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_relay_to_port, args=(client, port, activity), daemon=True).start()


def _announce_when_up(port: int, child: subprocess.Popen, bound: str) -> None:
    """Print ``flint.sandbox: serving BOUND`` once ``127.0.0.1:port`` accepts a connection."""
    while child.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        print(f"flint.sandbox: serving {bound}", flush=True)
        return


def main(argv: list[str] | None = None) -> int:
    """Start the forwarders, run the kernel command, and exit with its status."""
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("flint.sandbox.launch: missing '--' before the kernel command", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m flint.sandbox.launch")
    parser.add_argument("--forward", action="append", default=[], metavar="PORT=SOCKET")
    parser.add_argument("--serve", default=None, metavar="LISTEN=PORT")
    parser.add_argument("--activity", default=None, metavar="FILE")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    for spec in args.forward:
        port, _, path = spec.partition("=")
        # Bound before the kernel starts, so its first call never finds the port closed.
        try:
            server = _listen(int(port))
        except OSError as error:
            # E.g. a port below 1024 (Flint on port 80): the kernel runs, without this route.
            print(f"flint.sandbox: cannot forward 127.0.0.1:{port} ({error})", file=sys.stderr)
            continue
        threading.Thread(target=_serve, args=(server, path), daemon=True).start()
    reverse = None
    if args.serve:
        listen, _, target = args.serve.rpartition("=")
        server, bound = _bind_reverse(listen)
        reverse = (server, bound, int(target))
    # Jupyter interrupts a kernel by sending SIGINT to its process group (this process too):
    # this one ignores it, the kernel starts with the default action so Python turns it into
    # KeyboardInterrupt (an ignored SIGINT would stay ignored across exec).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = subprocess.Popen(command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    if reverse is not None:
        server, bound, target = reverse
        threading.Thread(target=_serve_reverse, args=(server, target, _Activity(args.activity)), daemon=True).start()
        threading.Thread(target=_announce_when_up, args=(target, child, bound), daemon=True).start()

    def forward_term(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward_term)
    while True:
        try:
            return child.wait()
        except InterruptedError:
            continue


if __name__ == "__main__":
    code = main()
    os._exit(code if code >= 0 else 128 - code)

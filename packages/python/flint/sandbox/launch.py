"""The first program inside a kernel's sandbox: loopback forwarders, then the kernel.

Usage (built by :func:`flint.sandbox.build_command`)::

    python -m flint.sandbox.launch [--forward PORT=SOCKET ...] -- KERNEL COMMAND...

In an isolated network namespace the sandbox has only its own loopback. Each ``--forward``
listens on ``127.0.0.1:PORT`` there and relays every connection to a Unix socket of Flint's
(bound into the sandbox): Flint's API on the port ``FLINT_API_URL`` names, and the egress proxy
that ``HTTPS_PROXY`` names. The kernel runs as a child; this process relays until it exits and
exits with its status. It runs as the kernel's user: user code can stop it, and so only cut off
its own network.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading

_CHUNK = 65536


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(_CHUNK)
            if not data:
                break
            target.sendall(data)
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


def main(argv: list[str] | None = None) -> int:
    """Start the forwarders, run the kernel command, and exit with its status."""
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("flint.sandbox.launch: missing '--' before the kernel command", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m flint.sandbox.launch")
    parser.add_argument("--forward", action="append", default=[], metavar="PORT=SOCKET")
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
    # Jupyter interrupts a kernel by sending SIGINT to its process group (this process too):
    # this one ignores it, the kernel starts with the default action so Python turns it into
    # KeyboardInterrupt (an ignored SIGINT would stay ignored across exec).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = subprocess.Popen(command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

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

"""A small cell's messages straight over ZeroMQ, with no Jupyter Server in between (issue 23).

Flint's broker reaches kernels through Jupyter Server's WebSocket. This script measures what the
kernels themselves take, so the relay's share of a run can be read off (docs/benchmarks.md, "The
server's legs"): it starts the plain ``python3`` kernel and Flint's ``flint-spark`` kernel (its
extension loaded; no sandbox, which only Jupyter Server's provisioner adds) and, alternating the
two, sends the interaction bench's run cell and stamps ``busy``, ``execute_result`` and ``idle`` as
they arrive: from the send, and from the kernel's own ``header.date`` (same clock).

    $FLINT_PYTHON_ENV/bin/python bench/kernel/iopub-direct.py [rounds]

The first rounds of each kernel are not counted (warm-up); the rest are all reported.
"""

from __future__ import annotations

import statistics
import sys
import time

from jupyter_client.manager import start_new_kernel

CODE = "n = globals().get('n', 0) + 1; f'RUN-{n}'"
KERNELS = ["python3", "flint-spark"]
WARM_UP = 3
PAUSE_S = 0.2


def one_run(client) -> dict[str, tuple[float, float]]:
    """(ms from the send, ms from the kernel's stamp) of each message the run brings."""
    sent = time.time()
    msg_id = client.execute(CODE)
    seen: dict[str, tuple[float, float]] = {}
    while "idle" not in seen:
        msg = client.get_iopub_msg(timeout=10)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        now = time.time()
        kind = (
            msg["content"]["execution_state"]
            if msg["msg_type"] == "status"
            else msg["msg_type"]
        )
        seen.setdefault(
            kind,
            ((now - sent) * 1000, (now - msg["header"]["date"].timestamp()) * 1000),
        )
    client.get_shell_msg(timeout=10)
    return seen


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    started = {name: start_new_kernel(kernel_name=name) for name in KERNELS}
    try:
        runs: dict[str, list[dict[str, tuple[float, float]]]] = {
            name: [] for name in KERNELS
        }
        for index in range(rounds):
            # Alternate which kernel goes first, so neither always follows the other's work.
            for name in KERNELS if index % 2 == 0 else KERNELS[::-1]:
                runs[name].append(one_run(started[name][1]))
                time.sleep(PAUSE_S)
        print(f"{rounds - WARM_UP} runs per kernel over ZeroMQ, median / p90 (ms):")
        for name in KERNELS:
            counted = runs[name][WARM_UP:]
            for kind in ("busy", "execute_result", "idle"):
                total = sorted(run[kind][0] for run in counted)
                lag = sorted(run[kind][1] for run in counted)
                p90 = int(len(total) * 0.9)
                print(
                    f"  {name:12s} {kind:15s} from the send {statistics.median(total):5.2f} / {total[p90]:5.2f}"
                    f"   made -> received {statistics.median(lag):5.2f} / {lag[p90]:5.2f}"
                )
    finally:
        for manager, client in started.values():
            client.stop_channels()
            manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()

"""A notice in the cell that waits for Spark to start, so the first Spark cell is not a silent wait.

The kernel builds the SparkSession in the background (``SparkStarter``); a cell that uses
``spark`` or ``sc`` before it is ready waits. On these machines that is up to half a minute, with
nothing else to see. The notice is one display, ``application/vnd.flint.spark-start+json`` with a
``text/plain`` fallback, updated in place (``display_id``) when the wait ends:

- ``{"state": "starting", "master": ..., "elapsedS": ...}`` while waiting (Flint's page counts on
  from ``elapsedS``);
- ``"ready"`` with the whole start time, ``"failed"`` (the cell's error says why) or
  ``"interrupted"`` (the session keeps starting in the background; the next use waits again).

A cell that finds the build ended (Spark up, or failed earlier) shows nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flint.kernel.session import SparkStarter

SPARK_START_MIME = "application/vnd.flint.spark-start+json"


def _bundle(state: str, starter: SparkStarter) -> dict[str, Any]:
    seconds = round(starter.seconds_starting(), 1)
    text = {
        "starting": f"Starting Spark ({starter.master})…",
        "ready": f"Spark started in {seconds:.1f} s ({starter.master}).",
        "failed": "Spark could not start.",
        "interrupted": "Stopped waiting for Spark; it keeps starting in the background.",
    }[state]
    return {
        "text/plain": text,
        SPARK_START_MIME: {"state": state, "master": starter.master, "elapsedS": seconds},
    }


def wait_with_notice(starter: SparkStarter, publish: Callable[..., Any] | None) -> Any:
    """Wait for the session (``starter.wait()``) and return it; while it waits, show the notice.

    ``publish`` is IPython's ``display`` (``raw=True``, ``display_id=...``); None outside a cell
    (no notice then).
    """
    if publish is None or starter.is_settled:
        return starter.wait()
    handle = publish(_bundle("starting", starter), raw=True, display_id=f"flint-spark-start-{uuid.uuid4().hex[:12]}")
    state = "failed"
    try:
        session = starter.wait()
        state = "ready"
        return session
    except KeyboardInterrupt:
        state = "interrupted"
        raise
    finally:
        if handle is not None:
            handle.update(_bundle(state, starter), raw=True)

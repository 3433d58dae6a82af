"""Tracebacks of a user's cell show the user's code, not the Flint code around it.

Flint's kernel code sits on the stack of many user calls: the SIGINT handler that cancels Spark
jobs (every interrupt is raised from it), the Py4J command counter that every Spark call passes
through, the ``spark``/``sc`` proxies, the ``%chart`` and ``%%sql`` magics. IPython would show
each of those frames, with their source, in the cell's traceback. This module drops the frames of
the ``flint`` package from the traceback before IPython formats it; the frames of the libraries
the user's call went through (pandas, PySpark, Py4J) stay, as IPython shows them.

A ``KeyboardInterrupt`` is cut further, after the last frame of the user's own code: where inside
PySpark or a socket read the signal landed says nothing to the person who clicked Interrupt. It
reads ``KeyboardInterrupt: Interrupted`` instead of an empty message.

How: the shell's ``showtraceback``, the method through which IPython (and ipykernel) show every
exception of a cell, is wrapped on the shell instance and given the filtered traceback. Not
``__tracebackhide__``: IPython never hides the last frame (where a signal handler's
``KeyboardInterrupt`` is raised), prints a "skipping hidden frame" line for each gap, and the
marker would have to be set in every Flint function a user's call may pass through. Not
``set_custom_exc``: a shell has one such handler, which user code may replace, and it only sees
exceptions of the cell's code itself.

Only tracebacks that pass through user code are filtered: an error in Flint's own hooks (no user
frame at all) is a Flint bug, and its frames are what a bug report needs.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

# The message of a KeyboardInterrupt that carries none (signal.default_int_handler raises it bare).
INTERRUPTED_MESSAGE = "Interrupted"

_FLINT_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {str(Path(paths[key]).resolve()) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted(dirs))


_LIBRARY_DIRS = _library_dirs()


def is_flint_file(filename: str) -> bool:
    """True for a file of the ``flint`` package (this kernel extension, ``%chart``, ...)."""
    return _resolve(filename).startswith(_FLINT_DIR)


def is_user_file(filename: str) -> bool:
    """True for a notebook cell or a file of the user's own: not Flint, the standard library or
    an installed package."""
    if filename.startswith("<frozen"):
        return False
    resolved = _resolve(filename)
    return not resolved.startswith(_FLINT_DIR) and not resolved.startswith(_LIBRARY_DIRS)


def _resolve(filename: str) -> str:
    if filename.startswith("<"):
        return filename
    try:
        return os.path.realpath(filename)
    except (OSError, ValueError):
        return filename


def _entries(tb: TracebackType | None) -> list[TracebackType]:
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    return entries


def _link(entries: list[TracebackType]) -> TracebackType | None:
    linked: TracebackType | None = None
    for entry in reversed(entries):
        linked = TracebackType(linked, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return linked


def user_traceback(
    tb: TracebackType | None,
    *,
    is_interrupt: bool = False,
    is_internal: Callable[[str], bool] = is_flint_file,
    is_user: Callable[[str], bool] = is_user_file,
) -> TracebackType | None:
    """The traceback ``tb`` as a user should see it (see the module docstring).

    Frames whose file ``is_internal`` are dropped; with ``is_interrupt``, so is everything after
    the last frame whose file ``is_user``. A traceback without any user frame is returned as is.
    """
    entries = _entries(tb)
    total = len(entries)
    filenames = [entry.tb_frame.f_code.co_filename for entry in entries]
    user_indexes = [index for index, name in enumerate(filenames) if is_user(name)]
    if not user_indexes:
        return tb
    if is_interrupt:
        cut = user_indexes[-1] + 1
        entries, filenames = entries[:cut], filenames[:cut]
    kept = [entry for entry, name in zip(entries, filenames, strict=True) if not is_internal(name)]
    if len(kept) == total:
        return tb
    return _link(kept)


def _chained(value: BaseException) -> list[BaseException]:
    """The exceptions IPython shows before ``value``: its causes and contexts, each once."""
    found: list[BaseException] = []
    seen = {id(value)}
    current: BaseException | None = value
    while current is not None:
        following = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if following is None or id(following) in seen:
            break
        seen.add(id(following))
        found.append(following)
        current = following
    return found


def filter_exception(
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    *,
    is_internal: Callable[[str], bool] = is_flint_file,
    is_user: Callable[[str], bool] = is_user_file,
) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """Return ``(etype, value, tb)`` with user tracebacks (:func:`user_traceback`), chained
    exceptions' included, and a message for a bare ``KeyboardInterrupt``.

    The chained exceptions get their filtered traceback in place (IPython reads them from
    ``__traceback__``); so does ``value``, for ``%tb`` and ``%debug``.
    """
    is_interrupt = isinstance(value, KeyboardInterrupt)
    filtered = user_traceback(tb, is_interrupt=is_interrupt, is_internal=is_internal, is_user=is_user)
    if filtered is not tb:
        value.__traceback__ = filtered
    for chained in _chained(value):
        before = chained.__traceback__
        after = user_traceback(before, is_internal=is_internal, is_user=is_user)
        if after is not before:
            chained.__traceback__ = after
    if is_interrupt and not value.args:
        value.args = (INTERRUPTED_MESSAGE,)
    return etype, value, filtered


class TracebackFilter:
    """Wraps ``showtraceback`` of one IPython shell so that it shows user tracebacks."""

    def __init__(self, ip: Any) -> None:
        self.ip = ip

    def install(self) -> None:
        """Wrap the shell's ``showtraceback`` (an instance attribute: the class stays as it is)."""
        self._original = self.ip.showtraceback
        self.ip.showtraceback = self.showtraceback

    def uninstall(self) -> None:
        """Give the shell its own ``showtraceback`` back."""
        if self.ip.__dict__.get("showtraceback") == self.showtraceback:
            del self.ip.showtraceback

    def showtraceback(self, exc_tuple: Any = None, *args: Any, **kwargs: Any) -> Any:
        """IPython's ``showtraceback`` with the exception's traceback filtered first."""
        etype, value, tb = exc_tuple if exc_tuple is not None else sys.exc_info()
        if etype is not None and value is not None:
            try:
                exc_tuple = filter_exception(etype, value, tb)
            except Exception:  # noqa: BLE001 - showing the error unfiltered beats not showing it
                exc_tuple = (etype, value, tb)
        return self._original(exc_tuple, *args, **kwargs)

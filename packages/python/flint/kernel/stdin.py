"""A clear message when a cell asks for keyboard input.

Flint runs cells from its server, which does not answer ``input_request`` messages
(``allow_stdin`` is false), so ipykernel raises ``StdinNotImplementedError`` with a message about
"frontends". Replace it with one a notebook user can act on, shown without Flint's own frames.
"""

from __future__ import annotations

import linecache
from typing import Any

from IPython.core.error import StdinNotImplementedError

from flint.kernel.tracebacks import is_flint_file

INPUT_UNSUPPORTED = "input() is not supported in Flint notebooks: pass values in code or widgets"
GETPASS_UNSUPPORTED = "getpass() is not supported in Flint notebooks: read secrets from environment variables or files"


class InputNotSupportedError(StdinNotImplementedError):
    """Raised by ``input()``/``getpass()`` when the client does not answer input requests."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the message and the calling line.
        # (A normal traceback would end in Flint's wrapper frame, which says nothing useful.)
        lines = [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]
        # The caller is the last frame that is not Flint's (its wrapper may already have been
        # dropped from the traceback by flint.kernel.tracebacks).
        tb, caller = self.__traceback__, None
        while tb is not None:
            if not is_flint_file(tb.tb_frame.f_code.co_filename):
                caller = tb
            tb = tb.tb_next
        if caller is not None:
            source = linecache.getline(caller.tb_frame.f_code.co_filename, caller.tb_lineno).strip()
            lines.append(f"  line {caller.tb_lineno}: {source}")
        return lines


def install_stdin_messages(kernel: Any) -> None:
    """Wrap ``kernel.raw_input`` and ``kernel.getpass`` to raise :class:`InputNotSupportedError`.

    ipykernel binds ``builtins.input`` to ``kernel.raw_input`` at the start of every execution, so
    wrapping the kernel's methods (on this instance) covers ``input()`` and ``getpass.getpass()``.
    When a client does allow stdin (e.g. JupyterLab attached directly), input works as usual.
    """
    original_raw_input = kernel.raw_input
    original_getpass = kernel.getpass

    def raw_input(prompt: str = "") -> str:
        try:
            return original_raw_input(prompt)
        except StdinNotImplementedError:
            raise InputNotSupportedError(INPUT_UNSUPPORTED) from None

    def getpass(prompt: str = "", stream: Any = None, **kwargs: Any) -> str:
        try:
            return original_getpass(prompt, stream, **kwargs)
        except StdinNotImplementedError:
            raise InputNotSupportedError(GETPASS_UNSUPPORTED) from None

    kernel.raw_input = raw_input
    kernel.getpass = getpass

"""Errors of the ``%chart`` command that point at the place in the command they are about."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "%chart "


def display_column(text: str, offset: int) -> str:
    """Where ``offset`` of the command is, as a person counts on the line that shows it
    (the first line starts with ``%chart ``)."""
    line_start = text.rfind("\n", 0, offset) + 1
    if line_start == 0:
        return f"column {len(PREFIX) + offset + 1}"
    return f"line {text.count(chr(10), 0, offset) + 1}, column {offset - line_start + 1}"


@dataclass(frozen=True)
class Span:
    """A range of characters ``[start, end)`` in the command text (the part after ``%chart``)."""

    start: int
    end: int


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidates, or ``""`` when none is close.

    A candidate that differs only in case wins outright: ``volume`` for ``VOLUME`` is the
    commonest slip with column names.
    """
    options = list(dict.fromkeys(candidates))
    for option in options:
        if option.lower() == word.lower() and option != word:
            return f"; did you mean '{option}'?"
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in options}
        close = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6)]
    if not close:
        return ""
    if len(close) == 1:
        return f"; did you mean '{close[0]}'?"
    return "; did you mean " + ", ".join(f"'{c}'" for c in close[:-1]) + f" or '{close[-1]}'?"


class ChartError(ValueError):
    """A ``%chart`` command that cannot be drawn, with the position it is about.

    ``str(error)`` is the message, then the command's line with a caret under the position::

        unknown column 'VOLUMN' in data(df); did you mean 'VOLUME'?
          %chart data(df) x(VOLUMN) y(WEIGHT)
                            ^^^^^^
    """

    def __init__(self, message: str, text: str = "", span: Span | None = None, prefix: str = PREFIX) -> None:
        self.message = message
        self.text = text
        self.span = span
        self.prefix = prefix
        super().__init__(self._render())

    @property
    def position(self) -> int | None:
        """0-based offset of the problem in the command text, if the error has one."""
        return None if self.span is None else self.span.start

    def _render(self) -> str:
        if self.span is None or not self.text:
            return self.message
        start = min(self.span.start, len(self.text))
        end = max(start + 1, min(self.span.end, len(self.text) + 1))
        # Multi-line commands (%%chart): show the line that holds the position.
        line_start = self.text.rfind("\n", 0, start) + 1
        line_end = self.text.find("\n", start)
        if line_end == -1:
            line_end = len(self.text)
        line = self.text[line_start:line_end]
        lead = self.prefix if line_start == 0 else ""
        column = start - line_start
        width = max(1, min(end, line_end + 1) - start)
        where = display_column(self.text, start)
        caret = " " * (len(lead) + column) + "^" * width
        return f"{self.message} (at {where})\n  {lead}{line}\n  {caret}"

"""Bin boundaries chosen the way Vega chooses them, so pushed-down bins match ``bin: true`` charts."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BinParams:
    """Bins ``[start + k*step, start + (k+1)*step)`` covering ``[start, stop]``, rounded to ``precision`` digits."""

    start: float
    stop: float
    step: float
    precision: int

    def bin_of(self, value: float) -> float:
        """The start of the bin holding ``value`` (values at ``stop`` go into the last bin, as in Vega)."""
        clamped = max(self.start, min(value, self.stop - self.step))
        return round(self.start + self.step * math.floor(1e-14 + (clamped - self.start) / self.step), self.precision)


def nice_bins(minimum: float, maximum: float, maxbins: int) -> BinParams:
    """Port of vega-statistics' ``bin`` (base 10, divide [5, 2], nice): a step of 1, 2 or 5 × 10^k.

    Only the largest step that gives at most ``maxbins`` bins over the extent is picked; the extent
    is widened to multiples of the step.
    """
    base = 10.0
    logb = math.log(base)
    span = (maximum - minimum) or abs(minimum) or 1.0
    level = math.ceil(math.log(maxbins) / logb)
    # math.floor(x + 0.5) is JavaScript's Math.round (Python's round() rounds half to even).
    step = max(0.0, math.pow(base, math.floor(math.log(span) / logb + 0.5) - level))
    while math.ceil(span / step) > maxbins:
        step *= base
    for divide in (5, 2):
        candidate = step / divide
        if span / candidate <= maxbins:
            step = candidate
    v = math.log(step)
    precision = 0 if v >= 0 else int(-v / logb) + 1
    eps = math.pow(base, -precision - 1)
    v = math.floor(minimum / step + eps) * step
    start = v - step if minimum < v else v
    stop = math.ceil(maximum / step) * step
    if stop == start:
        stop = start + step
    return BinParams(round(start, precision), round(stop, precision), step, precision)

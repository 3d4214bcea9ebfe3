"""Ratios of counts and their display: one definition of each, shared by every metric."""

from __future__ import annotations

import math

__all__ = ["f1_score", "percent", "ratio"]


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` as a float; NaN when the denominator is 0."""
    return float(numerator) / float(denominator) if denominator else math.nan


def f1_score(efficiency: float, purity: float) -> float:
    """Harmonic mean of ``efficiency`` and ``purity``: NaN if either is NaN, 0 when both are 0."""
    if math.isnan(efficiency) or math.isnan(purity):
        return math.nan
    return 2 * efficiency * purity / (efficiency + purity) if efficiency + purity > 0 else 0.0


def percent(value: float | None, width: int = 6) -> str:
    """``value`` (a fraction) as a percentage with two decimals, right-aligned in ``width``
    characters; ``n/a`` for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'n/a':>{width}}"
    return f"{100 * value:{width}.2f}"

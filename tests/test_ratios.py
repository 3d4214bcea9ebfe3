"""One definition of a ratio, an F1 score and a percentage for every metric."""

from __future__ import annotations

import math

from trackgnn.ratios import f1_score, percent, ratio


def test_ratio_is_nan_without_a_denominator():
    assert ratio(3, 4) == 0.75 and isinstance(ratio(3, 4), float)
    assert math.isnan(ratio(0, 0)) and math.isnan(ratio(5, 0))


def test_f1_is_the_harmonic_mean_and_nan_when_undefined():
    assert f1_score(0.5, 1.0) == 2 * 0.5 / 1.5
    assert f1_score(0.0, 0.0) == 0.0
    assert math.isnan(f1_score(math.nan, 0.9)) and math.isnan(f1_score(0.9, math.nan))


def test_percent_keeps_the_column_width():
    assert percent(0.12345) == " 12.35" and percent(1.0, 7) == " 100.00"
    assert percent(None) == "   n/a" and percent(math.nan, 7) == "    n/a"

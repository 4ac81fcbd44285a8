"""A light calibration of check-fixed-point's Monte Carlo evidence over seeds (slow).

The full calibration (24 seeds at two settings, coverage and power) is
``python benchmarks/calibrate_monte_carlo.py``; its figures are in
docs/check-fixed-point.md ("Calibration"). This test runs the same
:func:`benchmarks.calibrate_monte_carlo.calibrate`-style loop at a cheaper setting
(10 seeds, 5 jackknife groups) and asserts what 10 seeds can show.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mesasym.compare import monte_carlo as mc
from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

SEEDS = range(10)


@pytest.mark.slow
def test_jackknife_estimate_is_unbiased_within_noise_and_has_power() -> None:
    """Gaussian, d = 2, T = 8, 1000 sequences, G = 5: over 10 seeds the mean of numeric.ab - a~b~
    is within 3 standard errors of the mean of zero; the correction goes the way of the measured
    bias in every seed (the trained ab overshoots); a target off by twice the reported detectable
    error is rejected at alpha = 1 % in at least 8 of 10 seeds."""
    deviations, corrections, rejected = [], [], []
    for seed in SEEDS:
        settings = FixedPointSettings(
            T=8, d=2, engine="monte-carlo", samples=1000, seed=seed, dps=20, test_sequences=10, replicates=5
        )
        report = verify_fixed_point(settings)
        numeric, c_star = report.to_dict()["numeric"], float(report.c_star_mp)
        deviations.append(numeric["ab"] - c_star)
        corrections.append(numeric["bias_estimate"])
        wrong = c_star * (1 + 2 * numeric["detectable_relative_error"])
        rejected.append(abs(numeric["ab"] - wrong) > mc.t_quantile(0.01, 4) * numeric["standard_error"])
    sem = float(np.std(deviations, ddof=1)) / math.sqrt(len(deviations))
    assert abs(float(np.mean(deviations))) <= 3 * sem, (np.mean(deviations), sem)
    assert all(b > 0 for b in corrections), corrections
    assert sum(rejected) >= 8, rejected

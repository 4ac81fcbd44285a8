"""The Monte Carlo statistics (mesasym.compare.monte_carlo) on estimators whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from mesasym.compare import monte_carlo as mc


def test_jackknife_leaves_a_linear_statistic_unchanged() -> None:
    """For the sample mean with equal groups the mean of the leave-group-out means is the mean:
    no bias is removed, and SE_J^2 = (G-1)/G sum (theta_(g) - theta)^2 exactly."""
    x = np.random.default_rng(0).normal(size=200)
    est = mc.jackknife(lambda idx: float(np.mean(x[idx])), len(x), 10)
    assert est.estimate == pytest.approx(est.trained, abs=1e-14) and abs(est.bias_estimate) < 1e-14
    left_out = np.array([np.mean(x[np.arange(200) % 10 != g]) for g in range(10)])
    assert est.standard_error == pytest.approx(math.sqrt(0.9 * np.sum((left_out - x.mean()) ** 2)), rel=1e-12)
    assert est.degrees_of_freedom == 9


def test_jackknife_removes_a_one_over_n_bias() -> None:
    """The plug-in variance (ddof = 0) has bias exactly -sigma^2/n. Over 4000 samples of n = 20
    (sigma = 1) the raw mean is ~0.95, the jackknifed one within 3 standard errors of the mean of 1,
    and the 95 % jackknife interval covers 1 in about 95 % of the samples (heavy-ish: 90-97 %)."""
    rng = np.random.default_rng(1)
    raw, corrected, covered = [], [], []
    for _ in range(4000):
        x = rng.normal(size=20)
        est = mc.jackknife(lambda idx: float(np.var(x[idx])), 20, 10)
        raw.append(est.trained)
        corrected.append(est.estimate)
        covered.append(abs(est.estimate - 1) <= mc.t_quantile(0.05, 9) * est.standard_error)
    sem = np.std(corrected, ddof=1) / math.sqrt(len(corrected))
    assert abs(np.mean(raw) - 0.95) < 3 * np.std(raw, ddof=1) / math.sqrt(len(raw))
    assert abs(np.mean(corrected) - 1) < 3 * sem
    assert abs(np.mean(raw) - 1) > 5 * sem  # the bias was there to be removed
    assert 0.85 < np.mean(covered) < 0.97


def test_detectable_error_has_the_stated_power() -> None:
    """Simulate the t test: estimate ~ N(e, 1), SE^2 ~ chi2_df / df. At e = the detectable error the
    rejection rate is 90 % (binomial SE 0.2 % over 100000 draws), at e = 0 it is alpha."""
    rng = np.random.default_rng(2)
    df, alpha, draws = 9, 0.01, 100_000
    e = mc.detectable_relative_error(1.0, 1.0, alpha, df)
    se = np.sqrt(rng.chisquare(df, draws) / df)
    critical = mc.t_quantile(alpha, df)
    for shift, rate in ((e, 0.9), (0.0, alpha)):
        estimate = rng.normal(shift, 1.0, draws)
        assert np.mean(np.abs(estimate) > critical * se) == pytest.approx(rate, abs=0.006)


def test_detectable_error_tends_to_the_normal_value_and_scales_with_the_standard_error() -> None:
    normal = norm.ppf(1 - 0.01 / 2) + norm.ppf(0.9)
    assert mc.detectable_relative_error(1.0, 1.0, 0.01, 100_000) == pytest.approx(normal, rel=1e-3)
    assert mc.detectable_relative_error(0.01, 0.5, 0.01, 9) == pytest.approx(0.02 * mc.detectable_relative_error(1, 1, 0.01, 9))
    assert math.isnan(mc.detectable_relative_error(0.0, 1.0, 0.01, 9))


def test_jackknife_refuses_too_few_groups() -> None:
    with pytest.raises(ValueError):
        mc.jackknife(lambda idx: 0.0, 10, 1)
    with pytest.raises(ValueError):
        mc.jackknife(lambda idx: 0.0, 10, 6)

"""The Monte Carlo statistics (mesasym.compare.monte_carlo) on estimators whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from mesasym.compare import monte_carlo as mc


def _replicates(stat, x: np.ndarray, groups: int) -> mc.ReplicateEstimate:
    """``stat`` on all of ``x`` and on each disjoint group ``i mod groups`` alone."""
    index = np.arange(len(x))
    parts = [stat(x[index % groups == g]) for g in range(groups)]
    return mc.replicate_estimate(stat(x), parts, mc.group_sizes(len(x), groups), len(x))


def test_replicate_estimate_leaves_a_linear_statistic_unchanged() -> None:
    """For the sample mean with equal groups the mean of the group means is the mean: no bias is
    removed, and SE^2 = sum (theta_r - mean)^2 / (R (R - 1)) exactly."""
    x = np.random.default_rng(0).normal(size=200)
    est = _replicates(np.mean, x, 10)
    assert est.estimate == pytest.approx(est.trained, abs=1e-14) and abs(est.bias_estimate) < 1e-14
    means = np.array([x[np.arange(200) % 10 == g].mean() for g in range(10)])
    assert est.standard_error == pytest.approx(means.std(ddof=1) / math.sqrt(10), rel=1e-12)
    assert est.degrees_of_freedom == 9
    low, high = est.interval(0.05)
    assert high - est.estimate == pytest.approx(mc.t_quantile(0.05, 9) * est.standard_error) == est.estimate - low


def test_replicate_estimate_follows_the_one_over_n_model_with_unequal_groups() -> None:
    """theta(m) = c + beta/m exactly (no noise), n = 103 in 10 groups of 10 or 11: the fitted
    model returns c and the bias beta/n to rounding."""
    c, beta, n = 0.25, 3.0, 103
    sizes = mc.group_sizes(n, 10)
    assert sorted(set(sizes.tolist())) == [10, 11] and sizes.sum() == n
    est = mc.replicate_estimate(c + beta / n, [c + beta / m for m in sizes], sizes, n)
    assert est.estimate == pytest.approx(c, abs=1e-14)
    assert est.bias_estimate == pytest.approx(beta / n, rel=1e-12)


def test_replicate_estimate_removes_a_one_over_n_bias() -> None:
    """The plug-in variance (ddof = 0) has mean sigma^2 (1 - 1/m): the 1/n model is exact. Over
    3000 samples of n = 40 normals (sigma = 1, R = 4 groups of 10) the raw mean is 0.975, more
    than 5 standard errors of the mean below 1, and the corrected one within 3 of 1."""
    rng = np.random.default_rng(1)
    raw, corrected = [], []
    for _ in range(3000):
        est = _replicates(np.var, rng.normal(size=40), 4)
        raw.append(est.trained)
        corrected.append(est.estimate)
    raw_sem = np.std(raw, ddof=1) / math.sqrt(len(raw))
    assert abs(np.mean(raw) - 0.975) < 3 * raw_sem and abs(np.mean(raw) - 1) > 5 * raw_sem
    assert abs(np.mean(corrected) - 1) < 3 * np.std(corrected, ddof=1) / math.sqrt(len(corrected))


def test_replicate_interval_covers() -> None:
    """The 95 % interval of the corrected plug-in variance of n = 200 normals (R = 10 groups of
    20) covers sigma^2 = 1 in 93-97 % of 2000 samples (binomial SE 0.5 %; the replicate values,
    scaled chi-square with 19 d.o.f., have skewness 0.65, so exactly 95 % is not expected)."""
    rng = np.random.default_rng(5)
    covered = []
    for _ in range(2000):
        low, high = _replicates(np.var, rng.normal(size=200), 10).interval(0.05)
        covered.append(low <= 1 <= high)
    assert 0.93 < np.mean(covered) < 0.97


def test_detectable_error_has_the_stated_power() -> None:
    """Simulate the t test: estimate ~ N(e, 1), SE^2 ~ chi2_df / df. At e = the detectable error the
    rejection rate is 90 % (binomial SE 0.1 % over 100000 draws), at e = 0 it is alpha."""
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


def test_bonferroni_quantile_bounds_the_maximum_over_correlated_tests() -> None:
    """k = 50 tests, each |t_9|: independent ones (the worst case for a maximum) exceed the
    Bonferroni value in at most alpha of 20000 draws (binomial SE 0.07 %), identical ones far less."""
    rng = np.random.default_rng(3)
    q = mc.bonferroni_t_quantile(0.01, 9, 50)
    assert q == pytest.approx(mc.t_quantile(0.01 / 50, 9)) and q > mc.t_quantile(0.01, 9)
    t = rng.standard_normal((20_000, 50)) / np.sqrt(rng.chisquare(9, (20_000, 50)) / 9)
    assert np.mean(np.max(np.abs(t), axis=1) > q) <= 0.01 + 3 * math.sqrt(0.01 * 0.99 / 20_000)
    assert np.mean(np.abs(t[:, 0]) > q) < 0.001


def test_rate_standard_error_and_upper_bound() -> None:
    assert mc.Rate(0, 40).upper95 == pytest.approx(1 - 0.05 ** (1 / 40), rel=1e-9)
    assert mc.Rate(4, 40).standard_error == pytest.approx(math.sqrt(0.1 * 0.9 / 40))
    assert mc.Rate(40, 40).upper95 == 1.0


def test_calibration_of_an_exact_t_statistic() -> None:
    """Runs from the exact model (estimate ~ N(c, 1), SE^2 ~ chi2_9/9) with the detectable error
    of the true sigma = 1: over 20000 runs the coverage of the 99 % interval is 0.99, the power
    0.9, mean t^2 9/7 (each within 4 binomial or sample standard errors). With each run's own
    SE in place of sigma (what a calibration of real runs can use) the power is 0.917 instead."""
    rng = np.random.default_rng(4)
    N, c = 20_000, 2.0
    se = np.sqrt(rng.chisquare(9, N) / 9)
    estimate = rng.normal(c, 1.0, N)
    detectable = mc.detectable_relative_error(1.0, c, 0.01, 9)
    runs = [mc.CalibrationRun(e, s, 9, c, detectable) for e, s in zip(estimate, se)]
    out = mc.calibration(runs, 0.01, rows=("numeric-ab",))
    for key, rate in (("coverage", 0.99), ("power_up", 0.9), ("power_down", 0.9)):
        assert abs(out[key].value - rate) <= 4 * math.sqrt(rate * (1 - rate) / N), (key, out[key])
    t2 = np.array([r.t_value**2 for r in runs])
    assert abs(out["mean_t2"] - 9 / 7) <= 4 * t2.std() / math.sqrt(N)
    assert out["false_alarm"].count == out["false_alarm_numeric-ab"].count == 0


def test_replicate_estimates_refuse_bad_input() -> None:
    with pytest.raises(ValueError):
        mc.replicate_estimates(np.zeros(3), np.zeros((1, 3)), [5], 10)
    with pytest.raises(ValueError):
        mc.replicate_estimates(np.zeros(3), np.zeros((2, 3)), [10, 10], 10)

"""Statistics of the Monte Carlo evidence: replicate estimate, bias correction, interval, power.

The trained ``ab`` of the full model on ``n`` sequences is a biased and skewed estimate of
the population limit ``a~b~``: the off-manifold entries fit sampling noise and pull ``ab`` up
(about ``beta/n`` with ``n * beta`` between 10 and 20, measured at ``d = 2, T = 10`` and
``d = 5, T = 50``), and the per-sequence contribution to the gradient at the fixed point is
strongly right-skewed (a sample that lacks its rare large values has a high ``ab`` *and* a
small spread; docs/check-fixed-point.md, "Monte Carlo evidence").

**Estimator: independent replicates with a 1/n bias model.** The sample of ``n`` sequences is
cut into ``R`` disjoint groups (sequence ``i`` in group ``i mod R``, ``m_r`` sequences each).
The same training is run on all ``n`` sequences (``theta``) and on each group alone
(``theta_r``). The groups share no sequence, so the ``theta_r`` are **independent**
replicates of the estimator at size ``m_r``. With the bias model
``E theta(m) = ab + beta/m`` fitted through ``theta`` (size ``n``) and the mean of the
replicates (mean size ``1/mean(1/m_r)``),

.. math::

    \\hat\\beta = \\frac{\\bar\\theta_R - \\theta}{\\overline{1/m} - 1/n}, \\qquad
    \\hat{ab} = \\theta - \\hat\\beta / n
    \\;\\;(= \\theta - (\\bar\\theta_R - \\theta)/(R - 1) \\text{ for equal groups}),

    \\widehat{\\mathrm{bias}} = \\theta - \\hat{ab}, \\qquad
    \\mathrm{SE}^2 = \\frac{1}{R(R-1)} \\sum_r (\\theta_r - \\bar\\theta_R)^2 ,

and the interval is ``ab^ +- t_{1-alpha/2, R-1} SE``.

Why this interval is right under the skew: the ``theta_r`` are independent (disjoint
sequences), so ``SE^2`` is the textbook unbiased variance of their mean and ``(theta_bar_R -
mean) / SE`` is Student-t with ``R - 1`` degrees of freedom up to the skewness of one
replicate. To first order ``theta`` and ``theta_bar_R`` are the same average of per-sequence
terms, so ``ab^`` has the variance of ``theta_bar_R``; the part that differs is of order ``1/n``
(the bias and its fluctuation). The skewness of the studentized mean is then about
``-2 gamma / sqrt(n)`` for the per-sequence skewness ``gamma`` whatever the grouping (the
leave-one-group-out jackknife used before has the same leading term); in the linear proxy
of ``benchmarks/monte_carlo_skew_proxy.py`` (the sample's gradient at the fixed point, a pool
of 2,000,000 sequences at ``d = 5, T = 50``, ``n = 20,000``, ``R = 10``) it moves the
two-sided 1 % test to 1.2 %. A bootstrap-t over 10 groups, the other second-order remedy, is
unstable at ``alpha/2 = 0.005`` with 10 values, and more groups do not help (the leading
term does not depend on ``R``). The calibration study (``studies/mc-calibration.toml``)
measures the false-alarm rate, coverage and power of exactly this interval at the command's
settings. The 1/n bias model is extrapolated over a factor ``R`` in ``n``; its residual
(where the bias falls more slowly than ``1/n``) is a fraction of the bias at ``n``, which is
itself a fraction of ``SE`` at the default ``n`` (the study reports the mean deviation).

Cost: ``2`` trainings' worth of sequence-steps (one on ``n``, ``R`` on ``n/R``), against
``R + 1`` for the leave-one-group-out jackknife.

The power statement :func:`detectable_relative_error` is the noncentral t of the same test
with ``R - 1`` degrees of freedom; :func:`bonferroni_t_quantile` is the critical value of a
maximum over ``k`` such tests (the ``trajectory`` row tests every recorded step).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ReplicateEstimate",
    "replicate_estimate",
    "replicate_estimates",
    "group_sizes",
    "t_quantile",
    "bonferroni_t_quantile",
    "detectable_relative_error",
    "DETECTION_POWER",
    "CORRECTION",
    "SE_FLOOR_RTOL",
    "CalibrationRun",
    "Rate",
    "calibration",
]

#: The probability with which :func:`detectable_relative_error` detects an error.
DETECTION_POWER = 0.9
#: Smallest standard error of a Monte Carlo estimate of ``ab``, relative to it: float64 rounding of the
#: trained ``ab`` (~1e-16 per gradient step, over up to ~10^4 steps). Where the estimate does not
#: fluctuate (every replicate equal, e.g. the sparse start) the t tests of ``numeric-ab`` and
#: ``trajectory`` then compare against rounding instead of dividing by zero; it decides their verdict.
SE_FLOOR_RTOL = 1e-12
#: The name of the estimator (``numeric.correction`` in the JSON).
CORRECTION = "independent replicates, 1/n bias model"


@dataclass(frozen=True)
class ReplicateEstimate:
    """The bias-corrected estimate and what it is made of."""

    estimate: float  # ab^ = theta - beta^/n
    trained: float  # theta on all n sequences
    standard_error: float  # SE of the replicate mean
    bias_estimate: float  # theta - ab^
    replicates: tuple[float, ...]  # theta_r, one per disjoint group

    @property
    def degrees_of_freedom(self) -> int:
        return len(self.replicates) - 1

    def interval(self, alpha: float) -> tuple[float, float]:
        """The two-sided ``1 - alpha`` interval ``ab^ +- t_{1-alpha/2, R-1} SE``."""
        half = t_quantile(alpha, self.degrees_of_freedom) * self.standard_error
        return self.estimate - half, self.estimate + half


def group_sizes(n: int, groups: int) -> np.ndarray:
    """Sizes ``m_r`` of the groups ``i mod R`` of ``0..n-1``."""
    return np.bincount(np.arange(n) % groups, minlength=groups)


def replicate_estimates(
    trained: np.ndarray, replicates: np.ndarray, sizes: Sequence[int], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(ab^, SE)`` elementwise (e.g. per recorded step) for ``trained`` of shape ``(K,)`` and
    ``replicates`` of shape ``(R, K)``; the formulas of the module docstring."""
    theta = np.asarray(trained, dtype=float)
    values = np.asarray(replicates, dtype=float)
    R = values.shape[0]
    if R < 2:
        raise ValueError(f"replicate estimates need at least 2 replicates, got {R}")
    inverse = float(np.mean(1.0 / np.asarray(sizes, dtype=float)))
    if not inverse > 1.0 / n:
        raise ValueError(f"the replicates must be smaller than the sample (sizes {list(sizes)}, n = {n})")
    mean = values.mean(axis=0)
    estimate = theta - (mean - theta) * (1.0 / n) / (inverse - 1.0 / n)
    standard_error = values.std(axis=0, ddof=1) / math.sqrt(R)
    return estimate, standard_error


def replicate_estimate(
    trained: float, replicates: Sequence[float], sizes: Sequence[int], n: int, floor: float = 0.0
) -> ReplicateEstimate:
    """:class:`ReplicateEstimate` from ``theta`` on ``n`` sequences and ``theta_r`` on the disjoint
    groups of ``sizes``; ``floor`` is the smallest standard error reported (rounding, for laws
    whose estimate does not fluctuate)."""
    values = np.asarray(replicates, dtype=float)
    estimate, spread = replicate_estimates(np.array([trained]), values[:, None], sizes, n)
    return ReplicateEstimate(
        estimate=float(estimate[0]),
        trained=float(trained),
        standard_error=max(float(spread[0]), floor),
        bias_estimate=float(trained - estimate[0]),
        replicates=tuple(float(v) for v in values),
    )


@functools.lru_cache(maxsize=256)
def t_quantile(alpha: float, df: int) -> float:
    """The two-sided Student-t critical value ``t_{1 - alpha/2, df}`` (cached: calibrations ask
    for the same few values many times)."""
    from scipy.stats import t

    return float(t.ppf(1 - alpha / 2, df))


def bonferroni_t_quantile(alpha: float, df: int, tests: int) -> float:
    """``t_{1 - alpha/(2 k), df}``: the maximum of ``|t|`` over ``k`` tests exceeds it with
    probability at most ``alpha`` (Bonferroni), however the tests are correlated."""
    return t_quantile(alpha / max(1, tests), df)


def detectable_relative_error(
    standard_error: float, reference: float, alpha: float, df: int, power: float = DETECTION_POWER
) -> float:
    """Smallest relative error in ``reference`` that the t test detects with probability ``power``.

    The test rejects when ``|estimate - target| > t_{1-alpha/2, df} SE``. If the target is off
    by ``e |reference|``, the statistic is noncentral t with ``df`` degrees of freedom and
    noncentrality ``lambda = e |reference| / sigma`` (``sigma`` the true standard error,
    estimated by ``SE``); ``lambda`` solves ``P(|T_lambda| > t_crit) = power``.
    """
    from scipy.optimize import brentq
    from scipy.stats import nct

    if not (standard_error > 0 and math.isfinite(standard_error) and reference):
        return math.nan
    critical = t_quantile(alpha, df)

    def shortfall(lam: float) -> float:
        rejection = float(nct.sf(critical, df, lam) + nct.cdf(-critical, df, lam))
        return (rejection if math.isfinite(rejection) else 1.0) - power  # SciPy gives NaN where it is ~1

    high = critical + 2.0
    while not shortfall(high) > 0:  # expand the bracket (few degrees of freedom need a large lambda)
        high *= 2
        if high > 1e4:
            return math.inf
    lam = brentq(shortfall, 0.0, high)
    return lam * standard_error / abs(reference)


@dataclass(frozen=True)
class CalibrationRun:
    """One run of the Monte Carlo check against a known answer (a correct implementation).

    ``estimate``, ``standard_error`` and ``df`` as reported, ``reference`` the exact
    ``a~b~``, ``detectable`` the reported ``detectable_relative_error``, ``failed`` the names
    of the ``independent`` rows that failed (each a false alarm).
    """

    estimate: float
    standard_error: float
    df: int
    reference: float
    detectable: float
    failed: tuple[str, ...] = ()

    @property
    def t_value(self) -> float:
        return (self.estimate - self.reference) / self.standard_error

    def rejects(self, target: float, alpha: float) -> bool:
        """The two-sided t test of :func:`t_quantile` at ``alpha`` rejects ``target``."""
        return abs(self.estimate - target) > t_quantile(alpha, self.df) * self.standard_error


@dataclass(frozen=True)
class Rate:
    """An observed rate ``k/N`` with its binomial standard error ``sqrt(p (1 - p) / N)`` and the
    one-sided 95 % Clopper-Pearson upper bound (``1 - 0.05^(1/N)`` at ``k = 0``)."""

    count: int
    total: int

    @property
    def value(self) -> float:
        return self.count / self.total

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.value * (1 - self.value) / self.total)

    @property
    def upper95(self) -> float:
        from scipy.stats import beta

        return 1.0 if self.count == self.total else float(beta.ppf(0.95, self.count + 1, self.total - self.count))

    def __str__(self) -> str:
        return f"{self.count}/{self.total} = {self.value:.3f} +- {self.standard_error:.3f} (95 % upper {self.upper95:.3f})"


def calibration(runs: Sequence[CalibrationRun], alpha: float, rows: Sequence[str] = ()) -> dict[str, object]:
    """False-alarm rate, coverage and power of the Monte Carlo check over ``runs`` (each a seed).

    * ``false_alarm``: share of runs with any failed ``independent`` row; ``false_alarm_ROW`` per
      row named in ``rows`` (the promise: at most ``2 alpha``);
    * ``coverage``: share of runs whose stated ``1 - alpha`` interval contains ``reference``
      (the promise: at least ``1 - 2 alpha``);
    * ``power_up``, ``power_down``: share of runs whose test rejects the wrong target
      ``reference (1 +- detectable)`` (stated: :data:`DETECTION_POWER`);
    * ``mean_t``, ``sd_t``, ``mean_t2``: the studentized deviations ``(estimate - reference)/SE``
      (for Student-t with ``df`` degrees of freedom: 0, and ``E t^2 = df/(df - 2)``).

    Every rate is a :class:`Rate` (binomial standard error, upper bound).
    """
    N = len(runs)
    t = np.array([r.t_value for r in runs])
    out: dict[str, object] = {
        "runs": N,
        "false_alarm": Rate(sum(bool(r.failed) for r in runs), N),
        "coverage": Rate(sum(not r.rejects(r.reference, alpha) for r in runs), N),
        "power_up": Rate(sum(r.rejects(r.reference * (1 + r.detectable), alpha) for r in runs), N),
        "power_down": Rate(sum(r.rejects(r.reference * (1 - r.detectable), alpha) for r in runs), N),
        "mean_t": float(t.mean()),
        "sd_t": float(t.std(ddof=1)) if N > 1 else math.nan,
        "mean_t2": float(np.mean(t**2)),
    }
    for row in rows:
        out[f"false_alarm_{row}"] = Rate(sum(row in r.failed for r in runs), N)
    return out

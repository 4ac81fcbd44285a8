"""Statistics of the Monte Carlo evidence: bias-corrected estimate, standard error, power.

The trained ``ab`` of the full model on ``n`` sequences is a biased estimate of the
population limit: the off-manifold entries fit sampling noise and pull ``ab`` up
(measured: about +5 % of ``a~b~`` at ``d = 2``, ``T = 10``, ``n = 2000``, falling
roughly like ``1/n`` for ``n >= 1000`` and more slowly below). The correction is
the **grouped (delete-a-group) jackknife** over ``G`` disjoint groups of the
sample (sequence ``i`` in group ``i mod G``): with ``theta`` the estimate on all
``n`` sequences and ``theta_(g)`` the same training without group ``g``,

.. math::

    \\hat\\theta_J = G\\,\\theta - (G - 1)\\,\\bar\\theta_{(\\cdot)}, \\qquad
    \\widehat{\\mathrm{bias}} = \\theta - \\hat\\theta_J = (G - 1)(\\bar\\theta_{(\\cdot)} - \\theta),

    \\mathrm{SE}_J^2 = \\frac{G - 1}{G} \\sum_g (\\theta_{(g)} - \\bar\\theta_{(\\cdot)})^2 .

If the bias is ``beta/n + O(1/n^2)``, ``theta_J`` removes the ``1/n`` term; the
jackknife variance estimates the variance of ``theta_J`` itself (correction
included) with ``G - 1`` degrees of freedom, so the interval is
``theta_J +- t_{1-alpha/2, G-1} SE_J``. The leave-one-group-out samples have
``(G-1)/G`` of the sequences, close to ``n``: the bias is extrapolated from where
it behaves like at ``n``, which the disjoint-part alternative (parts of ``n/G``
sequences, extrapolated over a factor ``G``) does not do -- measured, it removed
only a third of the bias (docs/check-fixed-point.md, "Monte Carlo evidence").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "JackknifeEstimate", "jackknife", "from_replicates", "t_quantile", "detectable_relative_error", "DETECTION_POWER",
    "SE_FLOOR_RTOL",
]

#: The probability with which :func:`detectable_relative_error` detects an error.
DETECTION_POWER = 0.9
#: Smallest standard error of a Monte Carlo estimate of ``ab``, relative to it: float64 rounding of the
#: trained ``ab`` (~1e-16 per gradient step, over up to ~10^4 steps). Where the estimate does not
#: fluctuate (every replicate equal, e.g. the sparse start) the t tests of ``numeric-ab`` and
#: ``trajectory`` then compare against rounding instead of dividing by zero; it decides their verdict.
SE_FLOOR_RTOL = 1e-12


@dataclass(frozen=True)
class JackknifeEstimate:
    """The bias-corrected estimate and what it is made of."""

    estimate: float  # theta_J
    trained: float  # theta on all n sequences
    standard_error: float  # SE_J
    bias_estimate: float  # theta - theta_J
    replicates: tuple[float, ...]  # theta_(g), one per left-out group

    @property
    def degrees_of_freedom(self) -> int:
        return len(self.replicates) - 1


def jackknife(fit: Callable[[np.ndarray], float], n: int, groups: int, floor: float = 0.0) -> JackknifeEstimate:
    """Grouped jackknife of ``fit`` over sequence indices ``0..n-1`` in ``groups`` groups (``i mod G``).

    ``fit(indices)`` returns the estimate on those sequences; it is called once on all of
    them and once without each group. ``floor`` is the smallest standard error reported
    (rounding, for laws whose estimate does not fluctuate).
    """
    if groups < 2 or n < 2 * groups:
        raise ValueError(f"jackknife needs groups >= 2 and n >= 2 groups (n={n}, groups={groups})")
    index = np.arange(n)
    trained = float(fit(index))
    left_out = [float(fit(index[index % groups != g])) for g in range(groups)]
    return from_replicates(trained, left_out, floor)


def from_replicates(trained: float, left_out: Sequence[float], floor: float = 0.0) -> JackknifeEstimate:
    """:class:`JackknifeEstimate` from the full-sample estimate and the leave-one-group-out ones."""
    G = len(left_out)
    values = np.asarray(left_out, dtype=float)
    mean = float(values.mean())
    estimate = G * trained - (G - 1) * mean
    spread = math.sqrt((G - 1) / G * float(np.sum((values - mean) ** 2)))
    return JackknifeEstimate(
        estimate=estimate,
        trained=trained,
        standard_error=max(spread, floor),
        bias_estimate=trained - estimate,
        replicates=tuple(float(v) for v in values),
    )


def t_quantile(alpha: float, df: int) -> float:
    """The two-sided Student-t critical value ``t_{1 - alpha/2, df}``."""
    from scipy.stats import t

    return float(t.ppf(1 - alpha / 2, df))


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

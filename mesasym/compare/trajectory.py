r"""Trajectory agreement for ``check-fixed-point``: the full model over time against the closed form.

Two rows (kind ``independent``: the closed form comes from the symbolic derivation, the
trajectories from the numeric full model, every entry free):

* **population** -- every time ``tau_k`` the population flow's ODE solver recorded, the
  full model's ``(a, b)`` against the closed-form ``(a, b)(tau_k)``
  (:class:`~mesasym.precise.dynamics.DynamicsEvaluator`); the value is the largest
  ``max(|a - a(tau)|, |b - b(tau)|) / max(|a(tau)|, |b(tau)|)``. Tolerance: the solver
  keeps each step's local error below ``rtol`` (relative, plus ``atol``) and the flow
  contracts towards the curve of fixed points, so the global error is at most the sum of
  the local ones: ``n_steps * (rtol + atol / scale)``, with a floor of ``TRAJECTORY_FLOOR``.
* **Monte Carlo** -- at every step ``k``, the estimate of ``ab`` (the check passes the
  replicate estimate from the trained run and the same training on each disjoint group
  of the sample, as the final ``numeric-ab`` row) against the reduced GD map iterated
  ``k`` times at the same step size (exact, mpmath); the value is
  ``max_k |ab_k - ab_map(k)| / SE_k`` with the replicate standard error ``SE_k`` at that
  step (at least ``SE_FLOOR_RTOL`` of the map's ``ab``, rounding), and the tolerance the
  Student-t quantile of the same false-alarm rate shared
  over the steps (Bonferroni, :func:`mesasym.compare.monte_carlo.bonferroni_t_quantile`).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from mesasym.compare.monte_carlo import SE_FLOOR_RTOL

__all__ = ["TRAJECTORY_FLOOR", "population_trajectory", "monte_carlo_trajectory"]

#: Smallest tolerance of the population row (float64 rounding of ~1000 gradient evaluations).
TRAJECTORY_FLOOR = 1e-12
#: Digits of the closed-form evaluation along the trajectory (far below float64 noise).
_DPS = 20


def _evaluator(slope: Any, c_star: Any, a0: Any, b0: Any):  # noqa: ANN202
    from mesasym.precise.dynamics import DynamicsEvaluator

    return DynamicsEvaluator(slope, c_star, a0, b0, dps=_DPS)


def population_trajectory(
    tau: np.ndarray, a: np.ndarray, b: np.ndarray, slope: Any, c_star: Any, a0: Any, b0: Any, rtol: float, atol: float
) -> dict[str, Any]:
    """Largest relative state error of the population flow against the closed form, and its tolerance."""
    ev = _evaluator(slope, c_star, a0, b0)
    worst, worst_tau = 0.0, 0.0
    closed_a, closed_b = np.empty(len(tau)), np.empty(len(tau))
    for i, (t, x, y) in enumerate(zip(tau, a, b)):
        ca, cb, _ = ev.at(mpmath.mpf(float(t)))
        ca, cb = float(ca), float(cb)
        closed_a[i], closed_b[i] = ca, cb
        scale = max(abs(ca), abs(cb))
        error = max(abs(x - ca), abs(y - cb)) / scale
        if error > worst:
            worst, worst_tau = error, float(t)
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    steps = max(1, len(tau) - 1)
    tolerance = max(TRAJECTORY_FLOOR, steps * (rtol + atol / scale))
    return {
        "error": worst,
        "at_tau": worst_tau,
        "tolerance": tolerance,
        "points": len(tau),
        "steps": steps,
        "closed_a": closed_a,
        "closed_b": closed_b,
    }


def monte_carlo_trajectory(
    ab: np.ndarray, standard_errors: np.ndarray | None, lr: float, slope: Any, c_star: Any, a0: Any, b0: Any
) -> dict[str, Any] | None:
    """``max_k |ab_k - ab_map(k)| / SE_k`` over the recorded steps (``None`` if the errors do not line up).

    ``ab`` is the estimate after each step (the check passes the replicate estimate) and
    ``standard_errors`` its standard error at each step.
    """
    steps = len(ab) - 1
    if standard_errors is None or len(standard_errors) != len(ab):
        return None
    ev = _evaluator(slope, c_star, a0, b0)
    import sympy as sp

    run = ev.gd(sp.Rational(repr(float(lr))), steps)
    if run.diverged or len(run.a) != len(ab):
        return None
    reference = np.array([float(x * y) for x, y in zip(run.a, run.b)])
    spread = np.asarray(standard_errors, dtype=float)
    floor = SE_FLOOR_RTOL * np.maximum(np.abs(reference), 1e-300)
    se = np.maximum(spread, floor)
    t_values = np.abs(np.asarray(ab) - reference) / se
    k = int(np.argmax(t_values))
    return {
        "t_max": float(t_values[k]),
        "at_step": k,
        "difference": float(ab[k] - reference[k]),
        "standard_error": float(se[k]),
        "steps": steps,
        "map_ab": reference,
    }

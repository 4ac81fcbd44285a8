r"""Properties of the closed-form training dynamics (:mod:`mesasym.symbolic.dynamics`).

* ``closed-form-trajectory`` -- the explicit ``(a, b)(tau)`` equals the Taylor-series
  integration of the derived reduced ODE at ``tau_k = k/(2r)``, ``k = 1..6``; near the limit
  the integrated ``|c - c*|`` shrinks by ``e^{-1}`` over ``1/r`` (the rate); and at the
  derived ``tau_eps`` the distance ``|c - c*|/c*`` is exactly ``eps``;
* ``gd-threshold`` -- the reduced GD map's threshold ``2/r`` equals ``2`` over the full
  model's exact population Hessian restricted to the manifold directions at ``(a~ I, b~ I)``,
  and the full model's ``2/lambda_max`` is not above it;
* ``gd-map-matches-full-model`` -- ``k`` steps of the reduced GD map equal ``k`` steps of
  full-model population gradient descent (every entry free) from the Assumption-1 start.

The closed forms reach mesasym through ``subject.dynamics(slope, c_star, a0, b0, dps)``
(:class:`~mesasym.precise.dynamics.DynamicsEvaluator`), the references through
``subject.reduced_ode`` and ``subject.population_objective``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from mesasym.numeric.model import Parameters
from mesasym.precise import PolynomialTaylorSolver
from mesasym.symbolic import symbols as S
from mesasym.testing import strategies as ms
from mesasym.testing.properties.common import DPS, fail_property
from mesasym.testing.subject import DEFAULT_SUBJECT, Subject

#: Relative tolerance of float64 comparisons with the population engine's Hessian / GD:
#: each entry is a sum of ~(2d)^3 rounded products of O(1) numbers, far below 1e-9.
FLOAT_RTOL = 1e-9
#: Relative tolerance of the decay factor e^{-1} over 1/r measured at ``|c - c*|/c* = 1e-8``.
RATE_RTOL = 1e-5
#: Relative error target for tau_eps.
EPS = sp.Rational(1, 1000)


def _evaluator(case: ms.Case, subject: Subject):  # noqa: ANN202
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    return ode, subject.dynamics(ode.slope, ode.c_star, case.a0, case.b0, DPS)


def check_closed_form_trajectory(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""Closed form vs Taylor integration of the derived ODE, and ``c(tau_eps) = c*(1 -+ eps)``.

    Tolerance ``10^-(DPS-5)`` relative (both are evaluated at ``DPS`` digits; the Taylor
    solver controls its step to ``10^-(DPS+3)``).
    """
    ode, ev = _evaluator(case, subject)
    solver = PolynomialTaylorSolver((ode.rhs_a, ode.rhs_b), (S.a, S.b), (case.a0, case.b0), DPS)
    with mpmath.mp.workdps(DPS + 10):
        tol = mpmath.mpf(10) ** (-(DPS - 5))
        unit = 1 / (2 * ev.rate)
        for k in range(1, 7):
            a_ref, b_ref = solver.at(k * unit)
            a, b, _ = ev.at(k * unit)
            scale = max(abs(a_ref), abs(b_ref), mpmath.mpf(1))
            error = max(abs(a - a_ref), abs(b - b_ref)) / scale
            if error > tol:
                fail_property(
                    f"closed-form (a, b) at tau = {k}/(2r) is ({mpmath.nstr(a, 12)}, {mpmath.nstr(b, 12)}) but the "
                    f"derived ODE integrated at {DPS} digits gives ({mpmath.nstr(a_ref, 12)}, {mpmath.nstr(b_ref, 12)}): "
                    f"error {mpmath.nstr(error, 3)} > {mpmath.nstr(tol, 3)}"
                )
        # the rate: near the limit |c - c*| shrinks by e^{-1} over 1/r (second-order terms are
        # ~|c - c*|/c* = 1e-8 relative times an O(1-100) factor: tolerance RATE_RTOL)
        t1 = ev.tau_to_relative_error(sp.Rational(1, 10**8))
        reference = PolynomialTaylorSolver((ode.rhs_a, ode.rhs_b), (S.a, S.b), (case.a0, case.b0), DPS)
        a1, b1 = reference.at(t1)
        a2, b2 = reference.at(t1 + 1 / ev.rate)
        ratio = (a2 * b2 - ev.C) / (a1 * b1 - ev.C)
        if abs(ratio * mpmath.e - 1) > RATE_RTOL:
            fail_property(
                f"over 1/r after tau = {mpmath.nstr(t1, 6)} the integrated ODE's |ab - c*| shrinks by {mpmath.nstr(ratio, 10)}, "
                f"not e^-1 (r = {mpmath.nstr(ev.rate, 10)}; relative tolerance {RATE_RTOL:g})"
            )
        tau_eps = ev.tau_to_relative_error(EPS)
        c0 = ev.a0 * ev.b0
        if abs(c0 - ev.C) > EPS * ev.C:
            a_ref, b_ref = PolynomialTaylorSolver((ode.rhs_a, ode.rhs_b), (S.a, S.b), (case.a0, case.b0), DPS).at(tau_eps)
            distance = abs(a_ref * b_ref - ev.C) / ev.C
            if abs(distance - mpmath.mpf(EPS.p) / EPS.q) > tol:
                fail_property(
                    f"at the derived tau_eps = {mpmath.nstr(tau_eps, 10)} the integrated ODE has |ab - c*|/c* = "
                    f"{mpmath.nstr(distance, 12)}, not eps = {EPS} (tolerance {mpmath.nstr(tol, 3)})"
                )


def _manifold_curvature(objective, a: float, b: float) -> tuple[float, float]:  # noqa: ANN001
    """(curvature along the two normalised manifold directions, lambda_max) of the full Hessian."""
    d = objective.d
    point = Parameters.assumption1(d, a, b)
    H = objective.gradient_jacobian_blocks(point.P, point.Q)
    basis = []
    for ea, eb in ((1.0, 0.0), (0.0, 1.0)):
        p = Parameters.assumption1(d, ea / np.sqrt(d), eb / np.sqrt(d))
        v = np.concatenate([p.P.ravel(), p.Q.ravel()])
        basis.append(np.concatenate([v.real, v.imag]))
    U = np.array(basis).T
    restricted = U.T @ H @ U
    return float(np.max(np.linalg.eigvalsh(0.5 * (restricted + restricted.T)))), float(np.max(np.linalg.eigvalsh(0.5 * (H + H.T))))


def check_gd_threshold(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    """``2/r`` against the full model's manifold-restricted Hessian (``FLOAT_RTOL``), and ``2/lambda_max <= 2/r``."""
    _, ev = _evaluator(case, subject)
    a_t, b_t = ev.limits()
    objective = subject.population_objective(case.dist, case.d, case.T)
    curvature, lam = _manifold_curvature(objective, float(a_t), float(b_t))
    reduced = float(ev.max_stable_lr)
    reference = 2 / curvature
    if abs(reduced - reference) > FLOAT_RTOL * reference:
        fail_property(
            f"reduced GD threshold 2/r = {reduced:.15g} but 2 / (full Hessian along (aI, bI) at the limit) = "
            f"{reference:.15g} (relative tolerance {FLOAT_RTOL:g}, float64 Hessian)"
        )
    if 2 / lam > reduced * (1 + FLOAT_RTOL):
        fail_property(f"the full model's 2/lambda_max = {2 / lam:.15g} is above the reduced threshold {reduced:.15g}")


def check_gd_map_matches_full_model(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    """20 steps of the reduced GD map at ``eta = 1/(2 lambda)`` vs full-model population GD (``FLOAT_RTOL``).

    ``lambda`` is the larger of ``r`` and the full Hessian's ``lambda_max`` at the start, so the
    steps are stable and large enough to move ``ab`` visibly.
    """
    _, ev = _evaluator(case, subject)
    objective = subject.population_objective(case.dist, case.d, case.T)
    a0, b0 = float(case.a0), float(case.b0)
    _, lam0 = _manifold_curvature(objective, a0, b0)
    eta = 1 / (2 * max(float(ev.rate), lam0))
    steps = 20
    run = ev.gd(sp.Rational(eta), steps)
    params = Parameters.assumption1(case.d, a0, b0)
    for _ in range(steps):
        params = params.step(objective.gradient(params), eta)
    a, b = float(run.a[-1]), float(run.b[-1])
    scale = max(abs(a), abs(b), 1.0)
    error = max(abs(params.a - a), abs(params.b - b)) / scale
    if run.diverged or error > FLOAT_RTOL:
        fail_property(
            f"after {steps} GD steps of {eta:.6g} the reduced map gives (a, b) = ({a:.15g}, {b:.15g}) but the full "
            f"model's population GD gives ({params.a:.15g}, {params.b:.15g}): error {error:.3g} > {FLOAT_RTOL:g}"
        )

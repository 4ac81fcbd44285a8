"""Theorem 1's reduction for the law of ``W`` (``--process``): rows of the one fixed-point report.

:func:`mesasym.compare.fixed_point.verify_fixed_point` takes the process as a parameter (the paper's
uniform phases are the default). For another law this module supplies what the paper's derivation
cannot:

* the **steps** of the reduction, decided symbolically (:func:`mesasym.symbolic.phase_laws.reduction_steps`):
  phase rule, invariance of the Assumption-1 manifold, dependence on the kappas only, closed form;
* the **reduced flow** where the manifold is invariant. On it the loss is
  :math:`L(c) = \\tfrac12\\sum_{t=2}^{T-1}(c^2 A_t - 2cB_t + C_t)` with ``c = ab`` (``A_t, B_t, C_t``
  summed over the ``d`` output coordinates), so the gradient along ``a I`` is ``b L'(c)`` and, by the
  symmetry of the coordinates, each diagonal entry moves by ``1/d`` of it:

  .. math::  \\dot a = -b\\,K\\,(ab - c^*),\\quad \\dot b = -a\\,K\\,(ab - c^*),\\qquad
             K = \\frac{1}{d}\\sum_t A_t,\\quad c^* = \\frac{\\sum_t B_t}{\\sum_t A_t},

  Theorem 1's flow with its slope and fixed point replaced (for uniform phases ``K`` is the derived
  slope ``(T-2)\\kappa_2 + \\kappa_3 H_{T-2}``; a test checks it exactly), so the paper's closed forms
  (trajectory, limits ``a~, b~``, rate, GD map) apply with ``(K, c*)``;
* where the manifold is **not** invariant: the engine's off-manifold gradient must be nonzero, the full
  model's limit loss must not exceed the best loss on the manifold, and the limit's ``ab``,
  off-manifold mass and distance from the best one-step GD are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from mesasym.compare.fixed_point_report import Check, NumericResult
from mesasym.errors import require
from mesasym.laws import InitialTokenDistribution, TransitionLaw
from mesasym.numeric.model import Parameters, one_step_gd_predict, predict
from mesasym.precise import to_mpf
from mesasym.symbolic import symbols as S
from mesasym.symbolic.phase_laws import ReductionStep, manifold_coefficients, reduction_steps

__all__ = [
    "PROCESS_MAX_T",
    "INVARIANT_RTOL",
    "NONZERO_RTOL",
    "LOSS_RTOL",
    "LawReduction",
    "reduce_law",
    "as_sympy",
    "step_rows",
    "invariance_row",
    "off_manifold_rows",
    "one_step_gd_distance",
    "off_manifold_ratio",
    "population_loss",
    "process_info",
    "loss_row",
    "limits_at",
]

#: Largest ``T`` with ``--process``: the symbolic closed form sums ``O(T^3)`` phase terms per pattern
#: (measured on 2 shared cores, d = 5: 1.6 s at T = 60, 6.7 s at T = 100 -- the default T of
#: ``mesasym dynamics``; ~1 min at T = 200).
PROCESS_MAX_T = 100
#: Invariant manifold: the engine's off-manifold gradient at the start relative to the red one must be
#: at most this (predicted 0; float64 rounding of the engine's sums leaves ~1e-16).
INVARIANT_RTOL = 1e-12
#: Manifold left: the same ratio must exceed this (predicted values are products of phase moments,
#: ``O(phi_m)``, far above it; rounding leaves ~1e-16).
NONZERO_RTOL = 1e-8
#: Manifold left: the full model's limit loss may exceed the best loss on the manifold by this, relative
#: (both are float64 evaluations of the same population loss; leaving the manifold can only lower it).
LOSS_RTOL = 1e-12


@dataclass(frozen=True)
class LawReduction:
    """Theorem 1's reduction decided for one law of ``W`` and of ``x_1`` at ``d, T``: the steps and the
    sums ``A = sum_t A_t``, ``B``, ``C`` of the manifold loss (``Fraction`` for rational moments, else mpf)."""

    spec: str
    steps: tuple[ReductionStep, ...]
    invariant: bool | None
    d: int
    total_a: Any
    total_b: Any
    total_c: Any

    @property
    def c_star(self) -> Any:
        """``c* = B / A``, the minimiser on the manifold (the limit where the manifold is invariant)."""
        return self.total_b / self.total_a

    @property
    def slope(self) -> Any:
        """``K = A / d``: each red diagonal entry follows ``a' = -b K (ab - c*)``."""
        return self.total_a / self.d

    def manifold_loss(self, c: Any) -> float:
        """``L(c) = (c^2 A - 2 c B + C) / 2``."""
        return float((c * c * self.total_a - 2 * c * self.total_b + self.total_c) / 2)


def reduce_law(law: TransitionLaw, dist: InitialTokenDistribution, d: int, T: int) -> LawReduction:
    """The steps and the manifold loss's sums for ``law`` (see the module docstring)."""
    require(T <= PROCESS_MAX_T, f"T={T}: with --process the symbolic closed form sums O(T^3) phase terms; use T <= {PROCESS_MAX_T}")
    steps = reduction_steps(law, dist, d, T)
    coefficients = manifold_coefficients(law, dist, d, T)
    return LawReduction(
        spec=law.spec(),
        steps=steps,
        invariant=next(step.holds for step in steps if step.name == "invariance"),
        d=d,
        total_a=sum(coefficients.A.values()),
        total_b=sum(coefficients.B.values()),
        total_c=sum(coefficients.C.values()),
    )


def as_sympy(value: Any, dps: int) -> sp.Expr:
    """A ``Fraction`` as an exact rational, an mpf as a float of ``dps + 10`` digits."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.Float(mpmath.nstr(value, dps + 10), dps + 10)


def step_rows(reduction: LawReduction) -> list[Check]:
    """One info row per step of the reduction."""
    outcome = {True: "holds", False: "fails", None: "undecided"}
    return [
        Check(
            f"step:{step.name}",
            None,
            f"{outcome[step.holds]}: {step.detail}",
            None,
            "derived symbolically (mesasym.symbolic.phase_laws) from the model and the law's phase moments",
            "info",
        )
        for step in reduction.steps
    ]


_INVARIANCE_REASON = (
    "||off-manifold gradient|| / |red-diagonal gradient| of the population engine at the Assumption-1 start, "
    "against the symbolic invariance step"
)


def invariance_row(relative: float, invariant: bool | None) -> Check:
    """The engine's off-manifold gradient at the start against the symbolic invariance step."""
    if invariant is None:
        return Check("invariance-numeric", None, relative, None, _INVARIANCE_REASON, "info")
    if invariant:
        return Check(
            "invariance-numeric", relative <= INVARIANT_RTOL, relative, INVARIANT_RTOL,
            _INVARIANCE_REASON + "; predicted 0, rounding leaves ~1e-16", "independent",
        )
    return Check(
        "invariance-numeric", relative > NONZERO_RTOL, relative, NONZERO_RTOL,
        _INVARIANCE_REASON + "; predicted nonzero: must exceed the tolerance", "independent", relation=">",
    )


def loss_row(full_loss: float, manifold_loss: float, c_star: float) -> Check:
    """The full model's limit loss against the best loss on the manifold (it can only be lower)."""
    return Check(
        "loss-below-manifold",
        full_loss <= manifold_loss * (1 + LOSS_RTOL),
        full_loss - manifold_loss,
        abs(manifold_loss) * LOSS_RTOL,
        f"the full model's limit loss minus the best loss on the manifold ({manifold_loss:.10g} at c* = {c_star:.10g}); "
        f"leaving the manifold can only help (tolerance: {LOSS_RTOL:g} relative, rounding)",
        "consistency",
    )


def off_manifold_rows(population: NumericResult, full_loss: float, reduction: LawReduction, X_test: np.ndarray) -> list[Check]:
    """Population engine, manifold not invariant: the loss row and what the limit is (info)."""
    c_star = float(reduction.c_star)
    deviation, step = one_step_gd_distance(population.params, X_test)
    return [
        loss_row(full_loss, reduction.manifold_loss(reduction.c_star), c_star),
        Check("numeric-ab", None, population.final_ab, None,
              f"the full model's limit ab; the best point on the manifold is c* = {c_star:.10g}", "info"),
        Check("off-manifold", None, float(population.off_manifold[-1] / max(population.params.norm(), 1e-300)), None,
              "||theta - (a I, b I)|| / ||theta|| at the limit (the flow leaves the manifold)", "info"),
        Check("corollary-1", None, deviation, None,
              f"RMS(model - best one-step GD, step {step:.6g}/(t-1)) / RMS(model) on {len(X_test)} fresh sequences: "
              "the distance of the trained model from one step of GD", "info"),
    ]


def process_info(reduction: LawReduction, population: NumericResult) -> dict[str, Any]:
    """The ``process`` entry of the JSON report."""
    c_float = float(reduction.c_star)
    return {
        "spec": reduction.spec,
        "steps": [{"name": st.name, "holds": st.holds, "detail": st.detail} for st in reduction.steps],
        "closed_form_ab": c_float if reduction.invariant else None,
        "manifold_ab": c_float,
        "manifold_ab_exact": str(reduction.c_star) if isinstance(reduction.c_star, Fraction) else None,
        "population_ab": float(population.final_ab),
        "population_off_manifold": float(population.off_manifold[-1]),
    }


def one_step_gd_distance(params: Parameters, X: np.ndarray, step: float | None = None) -> tuple[float, float]:
    """``(distance, step)``: RMS(model - one-step GD with ``step/(t-1)``) / RMS(model) on ``X``,
    ``t = 2..T-1``. Without ``step``, the least-squares best step (``Re<gd, model>/|gd|^2``)."""
    model = predict(params, X)
    unit = one_step_gd_predict(X, 1.0)
    if step is None:
        step = float(np.real(np.vdot(unit, model)) / np.real(np.vdot(unit, unit)))
    scale = float(np.sqrt(np.mean(np.abs(model) ** 2)))
    residual = float(np.sqrt(np.mean(np.abs(model - step * unit) ** 2)))
    if scale == 0.0:  # the zero model (a flow that stayed at the saddle): relative to one GD step instead
        scale = float(np.sqrt(np.mean(np.abs(unit) ** 2))) * max(abs(step), 1.0)
    return residual / scale, step


def off_manifold_ratio(dist: InitialTokenDistribution, d: int, T: int, process: TransitionLaw, a0: float, b0: float) -> float:
    """``||off-manifold gradient|| / |red-diagonal gradient|`` of the population engine at the start."""
    from mesasym.numeric.population.objective import PopulationObjective, manifold_gradient_split

    objective = PopulationObjective(dist, d, T, process=process)
    g_a, _, off = manifold_gradient_split(objective.gradient(Parameters.assumption1(d, a0, b0)))
    return off / max(abs(g_a), 1e-300)


def population_loss(dist: InitialTokenDistribution, d: int, T: int, process: TransitionLaw, params: Parameters) -> float:
    """The exact population loss of ``params``."""
    from mesasym.numeric.population.objective import PopulationObjective

    return float(PopulationObjective(dist, d, T, process=process).loss(params))


def limits_at(flow: Any, a0: sp.Rational, b0: sp.Rational, c_star: sp.Expr, dps: int) -> tuple[Any, Any]:
    """``a~, b~`` from the derived form of ``a~`` in terms of ``c*`` (:attr:`ReducedFlow.a_tilde_c`) at another
    law's ``c*``: on the manifold the loss depends on ``(a, b)`` through ``ab`` only, so ``a^2 - b^2`` is
    conserved as for the paper's law. ``(None, None)`` from the equilibrium at the origin."""
    if a0 == 0 and b0 == 0:
        return None, None
    with mpmath.mp.workdps(dps + 10):
        a_form = flow.a_tilde_c.subs({S.a0: a0, S.b0: b0, S.DELTA: a0**2 - b0**2})
        c = to_mpf(c_star, dps + 10)
        a_tilde = sp.lambdify(S.CSTAR, a_form, "mpmath")(c)
        return (a_tilde, c / a_tilde) if a_tilde else (None, None)

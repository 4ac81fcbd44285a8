r"""The shipped property suite: Theorem 1 checked over generated laws, sizes and starts.

Each :class:`Property` pairs a Hypothesis strategy with a check function
``check(example, subject)`` that raises :class:`PropertyFailure` (an
``AssertionError``) with the numbers, the tolerance and why. The checks reach
mesasym only through a :class:`~mesasym.testing.subject.Subject`, so the same
property can be run against a deliberately broken variant
(:data:`~mesasym.testing.subject.BROKEN_VARIANTS`) to show that it can fail.
:func:`run_property` runs one property under a settings profile and returns a
:class:`PropertyResult` (examples tried, verdict, minimal counterexample as a
``mesasym check-fixed-point`` command). ``tests/test_properties*.py`` and
``mesasym property-test`` both use it.

The properties (see :data:`PROPERTIES`):

* ``derived-equals-claim`` -- the derived ``a~b~`` equals Theorem 1's formula, exactly;
* ``reduced-flow-converges`` -- along the derived reduced flow ``a^2 - b^2`` is
  conserved and ``(a, b)`` reaches the closed-form ``(a~, b~)`` from ordinary starts;
* ``degenerate-start-saddle`` -- from ``a0 = -b0`` the reduced flow (and, for
  ``d <= 2``, the full model's population flow) decays to the saddle at the origin;
* ``gradient-invariance-satisfying`` -- the exact population gradient of the full
  model at Assumption-1 points has no off-manifold component, and its diagonal
  equals the derived reduced flow, for satisfying laws;
* ``gradient-violations-where-predicted`` -- for violating laws the exact gradient
  equals, entry by entry, the symbolic invariance table with the law's moments,
  and the off-manifold part predicted nonzero is nonzero;
* ``assumption2-as-stated-suffices`` -- *expected to be falsified* (finding 1):
  Hypothesis searches mean-zero i.i.d. laws (all satisfy Assumption 2 as
  stated) and finds a skewed one whose gradient leaves the manifold;
* ``d1-any-law`` -- finding 3: for ``d = 1`` the invariance holds for every law, even
  one violating Assumption 2 (only ``E x^4`` and ``E x^6`` enter);
* ``full-model-population-training`` -- the full model trained by the exact
  population gradient flow converges to the closed form;
* ``full-model-monte-carlo-training`` -- gradient descent on Monte Carlo samples
  lands on ``a~b~`` within the sampling error of 10 independent replicates;
* ``corollary-1-fresh-sequences`` -- the trained model predicts one GD step of size
  ``a~b~/(t-1)`` on fresh sequences;
* ``scaling-law`` -- ``x_1 -> s x_1`` maps ``a~b~ -> a~b~/s^2`` (exactly);
* ``long-context-limit`` -- ``a~b~ -> kappa1/kappa2`` as ``T -> oo``, monotonically,
  with an explicit bound;
* ``kappa3-zero-T-independent`` -- ``kappa3 = 0`` makes ``a~b~ = kappa1/kappa2`` for every ``T``;
* ``monte-carlo-rate`` -- the Monte Carlo estimate's root-mean-square error shrinks like ``1/sqrt(N)``.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, Verbosity, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from mesasym.laws import Gaussian, InitialTokenDistribution, Ones, Rademacher, ShiftedGaussian, Sparse
from mesasym.errors import DivergenceError, InvalidInputError
from mesasym.precise import PolynomialTaylorSolver, integrate_reduced_flow
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.symbolic import invariance_table, reduction_violations
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import Moment
from mesasym.testing import strategies as ms
from mesasym.testing.profiles import profile_settings
from mesasym.testing.subject import BROKEN_VARIANTS, DEFAULT_SUBJECT, Subject, broken_subject
from mesasym.numeric.model import Parameters
from mesasym.compare.fixed_point import OFF_MANIFOLD_RTOL, POPULATION_RTOL

__all__ = [
    "PropertyFailure",
    "Property",
    "PropertyResult",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "get_property",
    "budget",
    "run_property",
    "run_suite",
    "gradient_rounding_bound",
    "off_manifold_violations",
    "ratio_estimate",
    "PINNED_CASES",
    "BROKEN_VARIANTS",
    "broken_subject",
]

#: Digits for the high-precision reduced-flow integrations inside properties.
DPS = 20
#: Number of standard errors allowed in Monte Carlo comparisons (|z| > 5: probability 6e-7).
MC_Z = 5.0
#: Unit roundoff of float64.
_U = np.finfo(np.float64).eps / 2


class PropertyFailure(AssertionError):
    """A property does not hold for an example; the message states the numbers and the tolerance."""


def _fail(message: str) -> None:
    raise PropertyFailure(message)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _fixed_point(subject: Subject, T: int, kappas: tuple[sp.Expr, ...]) -> sp.Expr:
    return subject.fixed_point(T, *kappas, sp.harmonic(T - 2))


def gradient_rounding_bound(objective: PopulationObjective, P: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Entrywise forward-error bounds for the float64 population gradient at ``(P, Q)``.

    The gradient is :math:`\nabla_P = (G\Theta - h)\bar q`, :math:`\nabla_Q = (G\Theta - h)\bar P`
    with :math:`\Theta = P \otimes q` (see :mod:`mesasym.numeric.population.objective`). Each entry is a
    sum of at most :math:`n = D^3 + D^2 + T + 8` rounded products (``D = 2d``; the
    ``T`` covers the float sums in the count tables, the 8 the rounded moments and
    products), so its rounding error is at most :math:`2 n u` times the same sum
    taken over absolute values (the usual :math:`\gamma_n` bound with a factor 2
    to spare). Returns ``(bound_P, bound_Q)`` with the shapes of ``P`` and ``Q``.
    """
    D, d, T = objective.D, objective.d, objective.T
    q = np.abs(np.asarray(Q)).reshape(-1)
    P_abs = np.abs(np.asarray(P))
    theta = (P_abs[:, :, None] * q[None, None, :]).reshape(d, D**3)
    term = (np.abs(objective.G) @ theta.T + np.abs(objective.h).T).reshape(D, D * D, d)
    bound_P = np.einsum("akm,k->ma", term, q)
    bound_Q = np.einsum("akm,ma->k", term, P_abs).reshape(D, D)
    gamma = 2 * (D**3 + D**2 + T + 8) * _U
    return gamma * bound_P, gamma * bound_Q


def _red_diagonal_masks(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the red diagonals inside ``P`` (``d x 2d``) and ``Q`` (``2d x 2d``)."""
    mask_P = np.zeros((d, 2 * d), dtype=bool)
    mask_Q = np.zeros((2 * d, 2 * d), dtype=bool)
    for j in range(d):
        mask_P[j, j] = True  # W^PV_12 = WPV[0:d, d:2d] -> P[:, 0:d]
        mask_Q[d + j, j] = True  # W^KQ_32 = WKQ[2d:3d, d:2d] -> Q[d:2d, 0:d]
    return mask_P, mask_Q


def off_manifold_violations(
    grad_P: np.ndarray, grad_Q: np.ndarray, bound_P: np.ndarray, bound_Q: np.ndarray
) -> list[str]:
    """Where a gradient at an Assumption-1 point leaves the manifold beyond its rounding bound.

    Off the manifold: every entry of ``P`` and ``Q`` outside the two red
    diagonals; unequal entries along a red diagonal; an imaginary part on a red
    diagonal (the real manifold of the reduced flow). Returns one line per kind
    of violation (empty if none).
    """
    d = grad_P.shape[0]
    mask_P, mask_Q = _red_diagonal_masks(d)
    problems = []
    # P = WPV[0:d, d:3d] and Q = WKQ[d:3d, d:3d]: row/column offsets into the full matrices
    for label, grad, bound, mask, offset in (
        ("PV", grad_P, bound_P, mask_P, (0, d)),
        ("KQ", grad_Q, bound_Q, mask_Q, (d, d)),
    ):
        excess = np.where(~mask, np.abs(grad) - bound, -np.inf)
        if np.max(excess) > 0:
            i, j = np.unravel_index(int(np.argmax(excess)), grad.shape)
            where = _entry_name(label, i + offset[0], j + offset[1], d)
            problems.append(
                f"gradient {grad[i, j].real:.3e}{grad[i, j].imag:+.1e}i at {where} (off the manifold) "
                f"exceeds its rounding bound {bound[i, j]:.2e}"
            )
        diagonal, diagonal_bound = grad[mask], bound[mask]
        spread = np.abs(diagonal - diagonal[0]) - (diagonal_bound + diagonal_bound[0])
        if np.max(spread) > 0:
            block = "W^PV_12" if label == "PV" else "W^KQ_32"
            problems.append(
                f"{block}: diagonal entries differ ({diagonal[0]:.6e} vs {diagonal[int(np.argmax(spread))]:.6e}) "
                "beyond their rounding bounds"
            )
        if np.max(np.abs(diagonal.imag) - diagonal_bound) > 0:
            block = "W^PV_12" if label == "PV" else "W^KQ_32"
            problems.append(f"{block}: diagonal has an imaginary part {np.max(np.abs(diagonal.imag)):.3e}")
    return problems


def _manifold_gradient(
    subject: Subject, dist: Any, d: int, T: int, a: sp.Rational, b: sp.Rational
) -> tuple[PopulationObjective, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    objective = subject.population_objective(dist, d, T)
    point = Parameters.assumption1(d, float(a), float(b))
    _, grad_P, grad_Q = objective.loss_and_gradient_blocks(point.P, point.Q)
    bound_P, bound_Q = gradient_rounding_bound(objective, point.P, point.Q)
    return objective, grad_P, grad_Q, bound_P, bound_Q


def ratio_estimate(subject: Subject, X: np.ndarray) -> tuple[float, float]:
    r"""The Monte Carlo estimate of ``a~b~`` from sequences ``X`` and its standard error.

    On the manifold the per-sequence loss is :math:`\tfrac12\sum_t\lVert c\,v_t - x_{t+1}\rVert^2`
    with :math:`v_t` one GD step of unit size (THEORY §6), minimised by
    :math:`\hat c = \sum B / \sum A`, :math:`A = \sum_t\lVert v_t\rVert^2`,
    :math:`B = \sum_t \operatorname{Re}\langle v_t, x_{t+1}\rangle`: the limit of
    gradient descent on the sample restricted to the manifold. Standard error by
    the delta method: :math:`\operatorname{sd}(B - \hat c A) / (\sqrt n\,\bar A)`.
    """
    v = subject.one_step_gd(X, 1.0)
    y = X[:, 2:]
    A = np.sum(np.abs(v) ** 2, axis=(1, 2))
    B = np.sum((v.conj() * y).real, axis=(1, 2))
    estimate = float(B.mean() / A.mean())
    n = len(A)
    se = float(np.std(B - estimate * A, ddof=1) / (math.sqrt(n) * A.mean()))
    return estimate, se


# --------------------------------------------------------------------------
# The properties
# --------------------------------------------------------------------------


def check_derived_equals_claim(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    """The derived ``a~b~`` equals Theorem 1's formula exactly (SymPy difference simplifies to 0)."""
    kappas = subject.kappas(case.dist, case.d)
    derived = _fixed_point(subject, case.T, kappas)
    claimed = subject.claim(case.T, *kappas)
    difference = sp.simplify(sp.sympify(derived) - claimed)
    if difference != 0:
        _fail(
            f"derived a~b~ = {derived} but Theorem 1 gives {claimed} "
            f"(difference {difference}; tolerance 0, exact rationals)"
        )


def check_reduced_flow_converges(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""``a^2 - b^2`` is conserved and ``(a, b) -> (a~, b~)`` along the derived reduced flow.

    Integrated at :data:`DPS` digits (Taylor series) until ``|ab - c*| / c* <= 10^-(DPS/2)``.
    Tolerances: the drift of ``a^2 - b^2`` at most ``10^-(DPS-5)`` times the scale
    ``max(1, |a0^2 - b0^2|, a~^2 + b~^2)``; with ``a^2 - b^2`` conserved,
    ``|a - a~| <= |ab - c*| / (|a| + |a~|)``, so ``a, b`` must lie within
    ``2 eps max(|b~/a~|, |a~/b~|) + 10^-(DPS-5)`` (relative) of the closed forms.
    """
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    a0, b0 = case.a0, case.b0
    delta = a0**2 - b0**2
    rate = ode.rate.subs(S.DELTA, delta)
    trajectory = integrate_reduced_flow(ode.rhs_a, ode.rhs_b, a0, b0, ode.c_star, rate, dps=DPS)
    a_tilde, b_tilde = ode.limits(a0, b0, DPS)
    with mpmath.mp.workdps(DPS + 10):
        floor = mpmath.mpf(10) ** (-(DPS - 5))
        scale = max(mpmath.mpf(1), abs(mpmath.mpf(sp.N(delta, DPS + 10))), a_tilde**2 + b_tilde**2)
        if trajectory.conserved_drift > floor * scale:
            _fail(
                f"a^2 - b^2 drifts by {mpmath.nstr(trajectory.conserved_drift, 3)} along the reduced flow "
                f"(tolerance {mpmath.nstr(floor * scale, 3)} at {DPS} digits)"
            )
        if not trajectory.converged:
            _fail(
                f"the reduced flow from (a0, b0) = ({a0}, {b0}) did not reach a~b~ = {ode.c_star}: "
                f"|ab - c*|/c* = {mpmath.nstr(trajectory.distance, 3)} at tau = {mpmath.nstr(trajectory.tau[-1], 4)}"
            )
        error, tolerance = trajectory.limit_error(a_tilde, b_tilde)
        if error > tolerance:
            _fail(
                f"the reduced flow ends at (a, b) = ({mpmath.nstr(trajectory.a[-1], 12)}, {mpmath.nstr(trajectory.b[-1], 12)}) "
                f"but the closed form is ({mpmath.nstr(a_tilde, 12)}, {mpmath.nstr(b_tilde, 12)}): relative error "
                f"{mpmath.nstr(error, 3)} > {mpmath.nstr(tolerance, 3)}"
            )


#: Decay horizon for degenerate starts, in units of 1/(g' c*): |a| <= |a0| e^{-horizon}.
SADDLE_HORIZON = 20


def check_degenerate_start_saddle(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""From ``a0 = -b0`` the flow stays on ``a = -b`` and decays to the origin.

    On ``a = -b``, :math:`\dot a = -b\,g(ab) = a\,g(-a^2) = -g'\,a\,(a^2 + c^*)`, so
    :math:`|a(\tau)| \le |a_0| e^{-g' c^* \tau}`. Checked along the derived reduced
    flow at :data:`DPS` digits at ``tau_k = k / (g' c*)``, ``k = 1..20``: ``a + b = 0`` and
    the bound, up to ``10^-(DPS-5)``. For ``d <= 2`` also the full model's
    population flow to ``tau_20``: its norm ``sqrt(2d) |a|`` must be below
    ``sqrt(2d) |a0| e^{-20}`` plus ``1e-8`` (LSODA's error control at ``rtol = 1e-12``
    over a few hundred steps, with a wide margin).
    """
    if case.a0 != -case.b0:
        raise InvalidInputError(f"degenerate-start-saddle needs a0 = -b0, got ({case.a0}, {case.b0})")
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    rate = ode.slope * ode.c_star
    a0 = case.a0
    solver = PolynomialTaylorSolver((ode.rhs_a, ode.rhs_b), (S.a, S.b), (a0, case.b0), DPS)
    with mpmath.mp.workdps(DPS + 10):
        floor = mpmath.mpf(10) ** (-(DPS - 5)) * max(1, abs(mpmath.mpf(sp.N(a0, DPS + 10))))
        unit = 1 / mpmath.mpf(sp.N(rate, DPS + 10))
        for k in range(1, SADDLE_HORIZON + 1):
            a, b = solver.at(k * unit)
            if abs(a + b) > floor:
                _fail(f"the reduced flow leaves the line a = -b: a + b = {mpmath.nstr(a + b, 3)} at tau = {k}/(g' c*)")
            bound = abs(mpmath.mpf(sp.N(a0, DPS + 10))) * mpmath.exp(-k) + floor
            if abs(a) > bound:
                _fail(
                    f"from the degenerate start ({a0}, {case.b0}) the reduced flow has |a| = {mpmath.nstr(abs(a), 5)} "
                    f"at tau = {k}/(g' c*), above the decay bound |a0| e^-{k} = {mpmath.nstr(bound, 5)}"
                )
    if case.d <= 2:
        from mesasym.numeric.population.flow import population_flow

        objective = subject.population_objective(case.dist, case.d, case.T)
        tau_end = SADDLE_HORIZON * float(unit)
        flow = population_flow(objective, (float(a0), float(case.b0)), tau_max=tau_end)
        final = flow.final
        norm = final.norm()
        limit = math.sqrt(2 * case.d) * abs(float(a0)) * math.exp(-SADDLE_HORIZON) + 1e-8
        if norm > limit:
            _fail(
                f"the full model's population flow from ({a0}, {case.b0}) has norm {norm:.3e} at tau = {tau_end:.4g}, "
                f"above the saddle bound {limit:.3e}"
            )


def check_gradient_invariance_satisfying(example_: tuple[ms.Case, tuple[sp.Rational, sp.Rational]], subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The exact population gradient at ``(aI, bI)`` stays on the manifold, as the reduction says.

    For a law meeting Assumption 2 and the reduction conditions: no entry of the
    gradient outside the two red diagonals exceeds its float64 rounding bound
    (:func:`gradient_rounding_bound`), the red diagonals are constant and real,
    and they equal the derived reduced flow, ``grad_a = -da/dtau``, ``grad_b = -db/dtau``
    (which also fixes the constant in ``g``), within the same bound.
    """
    case, (a, b) = example_
    _, grad_P, grad_Q, bound_P, bound_Q = _manifold_gradient(subject, case.dist, case.d, case.T, a, b)
    problems = off_manifold_violations(grad_P, grad_Q, bound_P, bound_Q)
    if problems:
        _fail(f"the population gradient at (a, b) = ({a}, {b}) leaves the manifold: " + "; ".join(problems))
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    expected_a = -float(ode.rhs_a.subs({S.a: a, S.b: b}))
    expected_b = -float(ode.rhs_b.subs({S.a: a, S.b: b}))
    d = case.d
    got_a, got_b = grad_Q[d, 0].real, grad_P[0, 0].real
    tol_a = bound_Q[d, 0] + 4 * _U * abs(expected_a)
    tol_b = bound_P[0, 0] + 4 * _U * abs(expected_b)
    if abs(got_a - expected_a) > tol_a or abs(got_b - expected_b) > tol_b:
        _fail(
            f"the full model's per-entry gradient on the red diagonals is ({got_a:.12e}, {got_b:.12e}) but the derived "
            f"reduced flow gives ({expected_a:.12e}, {expected_b:.12e}) (tolerances {tol_a:.2e}, {tol_b:.2e})"
        )


def _moment_values(dist: InitialTokenDistribution, d: int, moments: set[Moment]) -> dict[Moment, sp.Expr]:
    values = {}
    for m in moments:
        indices = tuple(j for j, p in enumerate(m.exponents) for _ in range(p))
        values[m] = dist.moment(indices, d)
    return values


@lru_cache(maxsize=64)
def predicted_gradient(dist: InitialTokenDistribution, d: int, T: int) -> dict[tuple[str, int, int], sp.Expr]:
    """The symbolic invariance table's gradient, every entry, with ``dist``'s exact moments (polynomials in ``a, b``)."""
    table = invariance_table(d, T)
    moments: set[Moment] = set()
    for entry in table.entries:
        moments |= sp.sympify(entry.generic).atoms(Moment)
    values = _moment_values(dist, d, moments)
    return {
        (entry.matrix, entry.row, entry.col): sp.expand(sp.sympify(entry.generic).xreplace(values))
        for entry in table.entries
    }


def _entry_name(matrix: str, row: int, col: int, d: int) -> str:
    """``("PV", 0, 3, 2)`` -> ``W^PV_12 entry (1, 2)``: paper block and 1-based position inside it."""
    return f"W^{matrix}_{row // d + 1}{col // d + 1} entry ({row % d + 1}, {col % d + 1})"


def _is_red_diagonal(matrix: str, row: int, col: int, d: int) -> bool:
    if matrix == "KQ":
        return 2 * d <= row < 3 * d and d <= col < 2 * d and row - 2 * d == col - d
    return 0 <= row < d and d <= col < 2 * d and row == col - d


def predicted_off_manifold(polys: dict[tuple[str, int, int], sp.Expr], d: int) -> list[str]:
    """Entries whose predicted gradient (as a polynomial in ``a, b``) leaves the manifold."""
    found = []
    for matrix in ("KQ", "PV"):
        diagonal = []
        for (m, row, col), poly in polys.items():
            if m != matrix:
                continue
            if _is_red_diagonal(matrix, row, col, d):
                diagonal.append(poly)
            elif poly != 0:
                found.append(f"{_entry_name(matrix, row, col, d)}: {poly}")
        if any(sp.expand(p - diagonal[0]) != 0 for p in diagonal):
            found.append(f"W^{matrix} red diagonal not constant: {diagonal}")
    return found


def _law_violations(dist: InitialTokenDistribution, d: int) -> list[str]:
    report = dist.check_assumption2(d)
    if not report:
        return list(report.reasons)
    return reduction_violations(lambda indices: dist.moment(indices, d), d, exchangeable=dist.exchangeable)


def check_gradient_violations_where_predicted(
    example_: tuple[ms.Case, tuple[sp.Rational, sp.Rational]], subject: Subject = DEFAULT_SUBJECT
) -> None:
    r"""For a violating law the exact gradient is the symbolic table's, and leaves the manifold.

    (i) The law does violate Assumption 2 or a reduction condition; (ii) every one
    of the ``18 d^2`` entries of the numeric population gradient at ``(aI, bI)``
    equals the invariance table's generic gradient (:func:`mesasym.symbolic.invariance_table`)
    with the law's exact moments, within the rounding bound
    (:func:`gradient_rounding_bound`; entries outside ``P``, ``Q`` exactly 0);
    (iii) the predicted off-manifold gradient is not identically zero in
    ``(a, b)``; (iv) where it is nonzero at the drawn point by more than twice
    the rounding bound, the numeric gradient is too (the same entries).
    """
    case, (a, b) = example_
    d, T = case.d, case.T
    reasons = _law_violations(case.dist, d)
    if not reasons:
        _fail(f"{case.dist.spec()} satisfies Assumption 2 and the reduction conditions in d={d}; not a violating law")
    polys = predicted_gradient(case.dist, d, T)
    off = predicted_off_manifold(polys, d)
    if not off:
        _fail(
            f"the symbolic table predicts no off-manifold gradient for {case.dist.spec()} (d={d}, T={T}) although "
            f"it violates: {reasons[0]}"
        )
    objective = subject.population_objective(case.dist, d, T)
    point = Parameters.assumption1(d, float(a), float(b))
    _, grad_P, grad_Q = objective.loss_and_gradient_blocks(point.P, point.Q)
    bound_P, bound_Q = gradient_rounding_bound(objective, point.P, point.Q)
    numeric = {"KQ": np.zeros((3 * d, 3 * d), complex), "PV": np.zeros((3 * d, 3 * d), complex)}
    bound = {"KQ": np.zeros((3 * d, 3 * d)), "PV": np.zeros((3 * d, 3 * d))}
    numeric["PV"][:d, d:] = grad_P
    numeric["KQ"][d:, d:] = grad_Q
    bound["PV"][:d, d:] = bound_P
    bound["KQ"][d:, d:] = bound_Q
    values = {S.a: a, S.b: b}
    worst = None
    for (matrix, row, col), poly in polys.items():
        predicted = complex(sp.N(poly.xreplace(values), 20))
        got = numeric[matrix][row, col]
        tolerance = bound[matrix][row, col] + 4 * _U * abs(predicted)
        excess = abs(got - predicted) - tolerance
        if excess > 0 and (worst is None or excess > worst[0]):
            worst = (excess, matrix, row, col, got, predicted, tolerance)
        if abs(predicted) > 2 * tolerance and abs(got) <= bound[matrix][row, col]:
            _fail(
                f"{_entry_name(matrix, row, col, d)}: predicted {predicted:.6e} but the numeric gradient is zero "
                "within its bound"
            )
    if worst is not None:
        _, matrix, row, col, got, predicted, tolerance = worst
        _fail(
            f"{_entry_name(matrix, row, col, d)} at (a, b) = ({a}, {b}): numeric gradient {got:.12e} but the symbolic table "
            f"with the law's exact moments gives {predicted:.12e} (tolerance {tolerance:.2e})"
        )


def check_assumption2_as_stated_suffices(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    """*Expected to be falsified* (finding 1): Assumption 2 as stated keeps the gradient on the manifold.

    The strategy draws mean-zero i.i.d. discrete laws (symmetric or skewed); each
    is checked to satisfy Assumption 2 as the paper states it, then the exact
    population gradient at the case's start ``(a0 I, b0 I)`` is checked as in
    ``gradient-invariance-satisfying``. Hypothesis finds a skewed law in
    ``d >= 2`` whose off-diagonal red entries get a nonzero gradient
    (``E x_j^3 x_k^3 = (E x^3)^2 != 0``) and shrinks it to a minimal one; the
    printed ``check-fixed-point`` command then shows the full model leaving the
    manifold and converging to a different ``ab``.
    """
    report = case.dist.check_assumption2(case.d)
    if not report:
        raise InvalidInputError(f"the strategy drew {case.dist.spec()}, which violates Assumption 2: {report.reasons[0]}")
    a, b = case.a0, case.b0
    _, grad_P, grad_Q, bound_P, bound_Q = _manifold_gradient(subject, case.dist, case.d, case.T, a, b)
    problems = off_manifold_violations(grad_P, grad_Q, bound_P, bound_Q)
    if problems:
        _fail(
            f"{case.dist.spec()} satisfies Assumption 2 as stated, yet the population gradient at (a, b) = ({a}, {b}) "
            "leaves the manifold: " + "; ".join(problems)
        )


def check_d1_any_law(example_: tuple[ms.Case, tuple[sp.Rational, sp.Rational]], subject: Subject = DEFAULT_SUBJECT) -> None:
    """Finding 3: for ``d = 1`` the invariance holds for *every* law, even one violating Assumption 2.

    With one coordinate only ``E x^4`` and ``E x^6`` enter the loss (phase averaging
    removes every other term), so the mean-zero part of Assumption 2 is not
    needed: the exact gradient at ``(a, b)`` has no off-manifold part and its
    diagonal is the derived reduced flow with the law's ``kappa1 = E x^4``,
    ``kappa2 = E x^6``, ``kappa3 = 0``. Checked on violating laws (shifted,
    asymmetric, all-ones) exactly as ``gradient-invariance-satisfying``.
    """
    case, _ = example_
    if case.d != 1:
        raise InvalidInputError(f"d1-any-law needs d = 1, got d={case.d}")
    check_gradient_invariance_satisfying(example_, subject)


def _population_limit(subject: Subject, case: ms.Case):
    from mesasym.numeric.population.flow import population_flow

    objective = subject.population_objective(case.dist, case.d, case.T)
    return population_flow(objective, (float(case.a0), float(case.b0)))


def _closed_form(subject: Subject, case: ms.Case) -> tuple[float, float, float]:
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    a_tilde, b_tilde = ode.limits(case.a0, case.b0, 30)
    return float(ode.c_star), float(a_tilde), float(b_tilde)


def check_full_model_population_training(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The full model (every entry free) trained by the exact population gradient flow reaches the closed form.

    Tolerances as in ``mesasym check-fixed-point``: the flow stops at
    ``||grad L|| / ||grad D|| <= 1e-13`` (= ``|ab - c*|/c*`` on the manifold), so
    ``|ab - c*|/c* <= POPULATION_RTOL = 1e-10``; ``a, b`` within
    ``1e-10 max(1, |b~/a~|, |a~/b~|)`` of ``a~, b~`` (``|a - a~| <= |ab - c*|/(|a| + |a~|)``);
    off-manifold mass ``<= 1e-12 ||theta||`` (rounding only).
    """
    c_star, a_tilde, b_tilde = _closed_form(subject, case)
    flow = _population_limit(subject, case)
    if not flow.converged:
        _fail(f"the population flow did not converge: {flow.message} (ab = {flow.ab[-1]:.12g}, a~b~ = {c_star:.12g})")
    error = abs(flow.ab[-1] - c_star) / c_star
    if error > POPULATION_RTOL:
        _fail(f"the full model's limit ab = {flow.ab[-1]:.15g} but a~b~ = {c_star:.15g}: relative error {error:.3e} > {POPULATION_RTOL:g}")
    tolerance = POPULATION_RTOL * max(1.0, abs(b_tilde / a_tilde), abs(a_tilde / b_tilde))
    error_ab = max(abs(flow.a[-1] - a_tilde) / abs(a_tilde), abs(flow.b[-1] - b_tilde) / abs(b_tilde))
    if error_ab > tolerance:
        _fail(
            f"the full model ends at (a, b) = ({flow.a[-1]:.15g}, {flow.b[-1]:.15g}) but the closed form is "
            f"({a_tilde:.15g}, {b_tilde:.15g}): relative error {error_ab:.3e} > {tolerance:.3e}"
        )
    norms = np.array([flow.parameters_at(i).norm() for i in range(len(flow.tau))])
    off = float(np.max(flow.off_manifold / np.maximum(norms, 1e-300)))
    if off > OFF_MANIFOLD_RTOL:
        _fail(f"the full model leaves the manifold: max off-manifold / ||theta|| = {off:.3e} > {OFF_MANIFOLD_RTOL:g}")


#: Monte Carlo sample size and number of independent replicates of ``full-model-monte-carlo-training``.
MC_TRAINING_SAMPLES = 1000
MC_TRAINING_REPLICATES = 10
#: Two-sided Student-t critical value for 9 degrees of freedom at probability 1e-6
#: (``scipy.stats.t.isf(5e-7, 9)``): a false alarm once in a million examples.
MC_TRAINING_T_CRITICAL = 11.64
#: Largest number of gradient steps a Monte Carlo training example may need (else it is skipped).
MC_MAX_STEPS = 20_000


def check_full_model_monte_carlo_training(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""Gradient descent on Monte Carlo samples (full model) lands on ``a~b~`` within its sampling error.

    :data:`MC_TRAINING_REPLICATES` independent samples of :data:`MC_TRAINING_SAMPLES`
    sequences; on each, full-batch gradient descent of the full model from
    ``(a0, b0)`` with step size ``1/lambda_max`` (largest eigenvalue of the
    population Hessian at the start and at the limit: stable in every direction)
    for enough steps that the derived reduced flow comes within ``1e-6`` of ``c*``
    (20 % spare); if a sample diverges (a heavy-tailed sample can be more curved
    than the population), the step is halved and the steps doubled. Tolerance: the replicates' mean ``ab`` must lie within
    :data:`MC_TRAINING_T_CRITICAL` standard errors of the mean (their own spread,
    Student t with 9 degrees of freedom, false-alarm probability 1e-6) plus
    ``2e-6 c*`` for the optimisation. The spread is taken from the trained models
    themselves because the off-manifold entries fit each sample's noise: the
    standard error of the manifold-only estimate (:func:`ratio_estimate`) misses
    that part and can even be 0 (e.g. Rademacher, ``d = 2``, ``T = 3``).
    """
    from mesasym.numeric.training import SampleObjective, train

    c_star, _, _ = _closed_form(subject, case)
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    delta = case.a0**2 - case.b0**2
    reduced = integrate_reduced_flow(
        ode.rhs_a, ode.rhs_b, case.a0, case.b0, ode.c_star, ode.rate.subs(S.DELTA, delta), dps=DPS, target=sp.Rational(1, 10**7)
    )
    objective = PopulationObjective(case.dist, case.d, case.T)
    curvature = 0.0
    for a, b in ((float(case.a0), float(case.b0)), (float(reduced.a[-1]), float(reduced.b[-1]))):
        point = Parameters.assumption1(case.d, a, b)
        curvature = max(curvature, float(np.max(np.linalg.eigvalsh(objective.gradient_jacobian_blocks(point.P, point.Q)))))
    lr = 1.0 / curvature
    tau = next(
        (float(t) for t, a, b in zip(reduced.tau, reduced.a, reduced.b) if abs(float(a * b) - c_star) <= 1e-6 * c_star),
        float(reduced.tau[-1]),
    )
    start = Parameters.assumption1(case.d, float(case.a0), float(case.b0))
    trained = []
    for stream in np.random.SeedSequence(case.seed).spawn(MC_TRAINING_REPLICATES):
        X = subject.sample_sequences(case.dist, MC_TRAINING_SAMPLES, case.T, case.d, np.random.default_rng(stream))
        step_size = lr
        while True:
            steps = max(1, math.ceil(1.2 * tau / step_size))
            assume(steps <= MC_MAX_STEPS)
            try:
                result = train(SampleObjective(X), start, step_size, steps)
                break
            except DivergenceError:
                # A heavy-tailed sample can be more curved than the population: halve the step, same tau.
                step_size /= 2
        trained.append(float(result.history.ab[-1]))
    mean = float(np.mean(trained))
    se = float(np.std(trained, ddof=1) / math.sqrt(len(trained)))
    tolerance = MC_TRAINING_T_CRITICAL * se + 2e-6 * c_star
    if abs(mean - c_star) > tolerance:
        _fail(
            f"gradient descent on {MC_TRAINING_REPLICATES} samples of {MC_TRAINING_SAMPLES} sequences (lr <= {lr:.3g}, "
            f"tau = {1.2 * tau:.4g}) ends at mean ab = {mean:.8g} (SE {se:.2e}), but a~b~ = {c_star:.8g}: |difference| = "
            f"{abs(mean - c_star):.3e} > {MC_TRAINING_T_CRITICAL:g} SE + 2e-6 c* = {tolerance:.3e}"
        )


#: Fresh test sequences for Corollary 1.
COROLLARY_SEQUENCES = 64


def check_corollary1_fresh_sequences(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The trained model's predictions are one GD step of size ``a~b~/(t-1)`` on fresh sequences.

    Model: the full model at the end of the population flow. Measure: RMS(model - GD) / RMS(GD)
    over :data:`COROLLARY_SEQUENCES` fresh sequences and ``t = 2..T-1``. On the manifold
    this ratio is ``|ab - c*|/c*``, so the tolerance is ``POPULATION_RTOL = 1e-10`` (as for
    the limit itself).
    """
    c_star, _, _ = _closed_form(subject, case)
    flow = _population_limit(subject, case)
    rng = np.random.default_rng(np.random.SeedSequence(case.seed).spawn(2)[1])
    X = subject.sample_sequences(case.dist, COROLLARY_SEQUENCES, case.T, case.d, rng)
    model = subject.predict(flow.final, X)
    gd = subject.one_step_gd(X, c_star)
    scale = float(np.sqrt(np.mean(np.abs(gd) ** 2)))
    if scale == 0.0:
        raise InvalidInputError(f"the {COROLLARY_SEQUENCES} fresh sequences of {case.dist.spec()} are all zero")
    deviation = float(np.sqrt(np.mean(np.abs(model - gd) ** 2))) / scale
    if deviation > POPULATION_RTOL:
        _fail(
            f"on {COROLLARY_SEQUENCES} fresh sequences the trained model deviates from one GD step of size a~b~/(t-1) "
            f"by RMS ratio {deviation:.3e} > {POPULATION_RTOL:g}"
        )


def check_scaling_law(example_: tuple[ms.Case, sp.Rational], subject: Subject = DEFAULT_SUBJECT) -> None:
    """``x_1 -> s x_1`` maps the derived ``a~b~`` to ``a~b~ / s^2``, exactly."""
    case, s = example_
    scaled = ms.scale_law(case.dist, s)
    c = _fixed_point(subject, case.T, subject.kappas(case.dist, case.d))
    c_scaled = _fixed_point(subject, case.T, subject.kappas(scaled, case.d))
    if sp.simplify(c_scaled - c / s**2) != 0:
        _fail(
            f"a~b~ = {c} for {case.dist.spec()} but {c_scaled} for {scaled.spec()} (s = {s}); "
            f"expected a~b~/s^2 = {c / s**2} exactly"
        )


#: Digits for the long-context comparisons.
LONG_DPS = 40


def check_long_context_limit(example_: tuple[ms.Case, int], subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""``a~b~(T) -> kappa1/kappa2`` as ``T -> oo``: monotone, with an explicit bound.

    With ``h = H_{T-2}/(T-2)``: :math:`\kappa_1/\kappa_2 - \tilde a\tilde b = \kappa_1\kappa_3 h /
    (\kappa_2(\kappa_2 + \kappa_3 h)) \le \kappa_1\kappa_3 h/\kappa_2^2`, and ``h <= (1 + ln(T-2))/(T-2) -> 0``.
    Checked at ``T`` and ``T' = T * factor`` (``T`` up to ``10^12``) in mpmath at
    :data:`LONG_DPS` digits: ``a~b~(T) <= a~b~(T') <= kappa1/kappa2`` and the bound,
    each up to ``10^-(LONG_DPS-5)`` relative.
    """
    case, factor = example_
    k1, k2, k3 = subject.kappas(case.dist, case.d)
    T1, T2 = case.T, case.T * factor
    with mpmath.mp.workdps(LONG_DPS):
        mk1, mk2, mk3 = (mpmath.mpf(sp.N(k, LONG_DPS + 5)) for k in (k1, k2, k3))
        limit = mk1 / mk2
        slack = limit * mpmath.mpf(10) ** (-(LONG_DPS - 5))
        values = []
        for T in (T1, T2):
            h = mpmath.harmonic(T - 2) / (T - 2)
            value = subject.fixed_point(T, k1, k2, k3, mpmath.harmonic(T - 2))
            bound = mk1 * mk3 * h / mk2**2
            gap = limit - value
            if gap < -slack or gap > bound + slack:
                _fail(
                    f"a~b~(T={T}) = {mpmath.nstr(value, 15)} is {mpmath.nstr(gap, 5)} below kappa1/kappa2 = "
                    f"{mpmath.nstr(limit, 15)}; the derived gap must lie in [0, kappa1 kappa3 h / kappa2^2 = "
                    f"{mpmath.nstr(bound, 5)}] with h = H_(T-2)/(T-2)"
                )
            values.append(value)
        if values[0] > values[1] + slack:
            _fail(f"a~b~ decreases from T={T1} ({mpmath.nstr(values[0], 15)}) to T={T2} ({mpmath.nstr(values[1], 15)})")


def check_kappa3_zero_T_independent(example_: tuple[ms.Case, int], subject: Subject = DEFAULT_SUBJECT) -> None:
    """``kappa3 = 0`` makes ``a~b~ = kappa1/kappa2`` for every ``T`` (sparse: ``1/c^2``), exactly."""
    case, T2 = example_
    k1, k2, k3 = subject.kappas(case.dist, case.d)
    if k3 != 0:
        _fail(f"{case.dist.spec()} in d={case.d} should have kappa3 = 0, got {k3}")
    for T in (case.T, T2):
        value = _fixed_point(subject, T, (k1, k2, k3))
        if sp.simplify(value - k1 / k2) != 0:
            _fail(f"a~b~(T={T}) = {value} but kappa3 = 0 should give kappa1/kappa2 = {k1 / k2} for every T")
    if isinstance(case.dist, Sparse):
        expected = 1 / case.dist.c**2
        if sp.simplify(k1 / k2 - expected) != 0:
            _fail(f"sparse c={case.dist.c}: kappa1/kappa2 = {k1 / k2} but the authors' theory line is 1/c^2 = {expected}")


#: Sample sizes and replicates of ``monte-carlo-rate``.
MC_RATE_SIZES = (250, 1000, 4000, 16000)
MC_RATE_REPLICATES = 40


def check_monte_carlo_rate(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The Monte Carlo estimate's error shrinks like ``1/sqrt(N)``.

    For each ``N`` in :data:`MC_RATE_SIZES`, :data:`MC_RATE_REPLICATES` independent samples
    give estimates :func:`ratio_estimate` with errors ``e = c_hat - a~b~`` (exact ``a~b~``).
    ``log MSE(N)`` is regressed on ``log N`` (weights from the replicates' own standard
    errors, ``se(log MSE) = sd(e^2) / (sqrt(K) MSE)``); the slope must be ``-1`` within
    :data:`MC_Z` standard errors. A law whose estimate has no noise (exact recovery,
    e.g. sparse or ``d = 1`` Rademacher) must instead give every error below ``1e-12 a~b~``.
    """
    c_star = float(_fixed_point(subject, case.T, subject.kappas(case.dist, case.d)))
    streams = np.random.SeedSequence(case.seed).spawn(len(MC_RATE_SIZES) * MC_RATE_REPLICATES)
    log_mse, weights = [], []
    all_errors = []
    for i, n in enumerate(MC_RATE_SIZES):
        errors = []
        for r in range(MC_RATE_REPLICATES):
            rng = np.random.default_rng(streams[i * MC_RATE_REPLICATES + r])
            X = subject.sample_sequences(case.dist, n, case.T, case.d, rng)
            estimate, _ = ratio_estimate(subject, X)
            errors.append(estimate - c_star)
        e2 = np.square(errors)
        all_errors.extend(errors)
        mse = float(np.mean(e2))
        if mse > 0:
            log_mse.append((math.log(n), math.log(mse)))
            se = float(np.std(e2, ddof=1) / (math.sqrt(len(e2)) * mse))
            weights.append(1.0 / max(se, 1e-3) ** 2)
    if max(abs(e) for e in all_errors) <= 1e-12 * c_star:
        return  # exact recovery: no sampling error at any N
    if len(log_mse) < len(MC_RATE_SIZES):
        _fail(f"the Monte Carlo error is exactly zero for some N but not others: {all_errors[:4]}")
    x = np.array([p[0] for p in log_mse])
    y = np.array([p[1] for p in log_mse])
    w = np.array(weights)
    xm = np.sum(w * x) / np.sum(w)
    slope = float(np.sum(w * (x - xm) * (y - np.sum(w * y) / np.sum(w))) / np.sum(w * (x - xm) ** 2))
    slope_se = float(1.0 / math.sqrt(np.sum(w * (x - xm) ** 2)))
    if abs(slope + 1.0) > MC_Z * slope_se:
        rms = [math.sqrt(math.exp(v)) for v in y]
        _fail(
            f"log MSE falls with slope {slope:.3f} +- {slope_se:.3f} in log N (1/sqrt(N) needs -1, tolerance "
            f"{MC_Z:g} SE); RMS errors {', '.join(f'{r:.2e}' for r in rms)} at N = {', '.join(map(str, MC_RATE_SIZES))}"
        )


# --------------------------------------------------------------------------
# Strategies and pinned examples per property
# --------------------------------------------------------------------------

_HALF = sp.Rational(1, 2)
_TENTH = sp.Rational(1, 10)

#: Edge cases every case-based property runs first: T = 3, d = 1, a sparse start, Rademacher.
PINNED_CASES: tuple[ms.Case, ...] = (
    ms.Case(Gaussian(1), d=1, T=3, a0=_TENTH, b0=_TENTH),
    ms.Case(Sparse(1), d=3, T=5, a0=_HALF, b0=sp.Rational(3, 2)),
    ms.Case(Rademacher(1), d=2, T=3, a0=2, b0=2),
    ms.Case(Rademacher(_HALF), d=1, T=4, a0=-1, b0=_TENTH),
)


def _case_strategy(max_d: int, max_T: int, laws: Callable[[int], Any] = ms.satisfying_laws, **kw: Any):
    return ms.cases(laws=laws, max_d=max_d, max_T=max_T, **kw)


def _with_point(cases_: Any) -> Any:
    return st.tuples(cases_, ms.manifold_points())


def _degenerate(case: ms.Case) -> ms.Case:
    return ms.Case(case.dist, case.d, case.T, case.a0, -case.a0, case.seed)


def _no_heavy_tails(d: int) -> Any:
    return ms.satisfying_laws(d, exclude={"student-t"})


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """One property: strategy, check, pinned examples, cost and expectation.

    ``weight`` scales the profile's ``max_examples`` (see :func:`budget`);
    ``expect`` is ``"holds"`` or ``"falsified"`` (a documented finding).
    ``case_of(example)`` extracts the :class:`~mesasym.testing.strategies.Case` for the
    counterexample command; ``command_options`` are passed to :meth:`Case.command`.
    ``slow`` marks properties that run population flows or Monte Carlo training;
    ``shrink=False`` skips Hypothesis' shrinking (for properties whose every call
    costs seconds: the counterexample is then the first one found, not a minimal one).
    """

    name: str
    summary: str
    strategy: Any
    check: Callable[[Any, Subject], None]
    pinned: tuple[Any, ...] = ()
    weight: float = 1.0
    min_examples: int = 2
    expect: str = "holds"
    case_of: Callable[[Any], ms.Case] = lambda example_: example_
    describe: Callable[[Any], str] | None = None
    command_options: dict[str, Any] = field(default_factory=dict)
    slow: bool = False
    shrink: bool = True

    def command(self, example_: Any) -> str:
        """The ``mesasym check-fixed-point`` command reproducing ``example_``'s setting."""
        return self.case_of(example_).command(**self.command_options)

    def explain(self, example_: Any) -> str:
        """One line naming the example."""
        if self.describe is not None:
            return self.describe(example_)
        return self.case_of(example_).describe()


def _first(example_: Any) -> ms.Case:
    return example_[0]


def _case_and_point(example_: Any) -> str:
    case, (a, b) = example_
    return f"{case.describe()}; manifold point (a, b) = ({a}, {b})"


def _case_and(label: str) -> Callable[[Any], str]:
    def describe(example_: Any) -> str:
        case, extra = example_
        return f"{case.describe()}; {label} = {extra}"

    return describe


_POINT = (sp.Rational(7, 10), sp.Rational(-3, 10))

PROPERTIES: tuple[Property, ...] = (
    Property(
        "derived-equals-claim",
        "derived a~b~ equals Theorem 1's formula exactly",
        _case_strategy(4, 60),
        check_derived_equals_claim,
        pinned=PINNED_CASES,
        weight=1.0,
    ),
    Property(
        "reduced-flow-converges",
        "a^2 - b^2 conserved along the derived reduced flow; (a, b) -> closed-form (a~, b~) from ordinary starts",
        _case_strategy(4, 30),
        check_reduced_flow_converges,
        pinned=PINNED_CASES,
        weight=0.5,
    ),
    Property(
        "degenerate-start-saddle",
        "from a0 = -b0 the reduced flow (and the full model, d <= 2) decays to the saddle at the origin",
        _case_strategy(3, 10, inits=ms.degenerate_initializations()),
        check_degenerate_start_saddle,
        pinned=tuple(_degenerate(c) for c in PINNED_CASES),
        weight=0.25,
    ),
    Property(
        "gradient-invariance-satisfying",
        "exact population gradient of the full model has no off-manifold part at (aI, bI) for satisfying laws",
        _with_point(_case_strategy(4, 10)),
        check_gradient_invariance_satisfying,
        pinned=tuple((c, _POINT) for c in PINNED_CASES),
        weight=0.5,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "gradient-violations-where-predicted",
        "for violating laws the exact gradient equals the symbolic invariance table and leaves the manifold",
        _with_point(
            st.one_of(
                _case_strategy(2, 5, laws=ms.violating_laws, min_d=2),
                ms.cases(laws=lambda d: ms.violating_laws(3), min_d=3, max_d=3, max_T=3),
            )
        ),
        check_gradient_violations_where_predicted,
        pinned=(
            (ms.Case(Ones(), d=2, T=4), _POINT),
            (ms.Case(ms.column_sum_law(), d=3, T=3), _POINT),
        ),
        weight=0.25,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "assumption2-as-stated-suffices",
        "FINDING 1: mean-zero i.i.d. laws satisfy Assumption 2 as stated, but skewed ones break the invariance",
        ms.cases(laws=lambda d: ms.mean_zero_discrete_laws(), max_d=3, max_T=6),
        check_assumption2_as_stated_suffices,
        weight=0.25,
        expect="falsified",
        command_options={"engine": "population"},
    ),
    Property(
        "d1-any-law",
        "FINDING 3: for d = 1 the gradient stays on the manifold for every law, even one violating Assumption 2",
        _with_point(ms.cases(laws=ms.violating_laws, max_d=1, max_T=10)),
        check_d1_any_law,
        pinned=((ms.Case(Ones(), d=1, T=3), _POINT), (ms.Case(ShiftedGaussian(1, 1), d=1, T=5), _POINT)),
        weight=0.5,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "full-model-population-training",
        "full model trained by the exact population gradient flow reaches a~b~, a~, b~ and stays on the manifold",
        _case_strategy(3, 8),
        check_full_model_population_training,
        pinned=PINNED_CASES[:3],
        weight=0.1,
        min_examples=3,
        command_options={"engine": "population"},
        slow=True,
    ),
    Property(
        "full-model-monte-carlo-training",
        "gradient descent on Monte Carlo samples (10 replicates) lands on a~b~ within the replicates' sampling error",
        _case_strategy(2, 6, laws=_no_heavy_tails, inits=ms.ordinary_initializations(max_abs=1)),
        check_full_model_monte_carlo_training,
        pinned=(PINNED_CASES[2],),
        weight=0.1,
        min_examples=2,
        command_options={"engine": "monte-carlo", "samples": MC_TRAINING_SAMPLES},
        slow=True,
        shrink=False,
    ),
    Property(
        "corollary-1-fresh-sequences",
        "the trained model predicts one GD step of size a~b~/(t-1) on fresh sequences",
        _case_strategy(3, 8),
        check_corollary1_fresh_sequences,
        pinned=PINNED_CASES[:3],
        weight=0.1,
        min_examples=3,
        command_options={"engine": "population"},
        slow=True,
    ),
    Property(
        "scaling-law",
        "x_1 -> s x_1 maps a~b~ -> a~b~/s^2 exactly",
        st.tuples(
            _case_strategy(4, 60, laws=lambda d: ms.satisfying_laws(d, exclude={"student-t"})),
            ms.rationals("1/4", 4, max_denominator=6).filter(lambda s: s > 0),
        ),
        check_scaling_law,
        pinned=tuple((c, sp.Integer(2)) for c in PINNED_CASES),
        case_of=_first,
        describe=_case_and("s"),
    ),
    Property(
        "long-context-limit",
        "a~b~ -> kappa1/kappa2 as T -> oo, monotonically, within kappa1 kappa3 H_(T-2) / ((T-2) kappa2^2)",
        st.tuples(ms.cases(max_d=4, max_T=10**12), st.integers(2, 10**6)),
        check_long_context_limit,
        pinned=tuple((c, 10**9) for c in PINNED_CASES),
        case_of=_first,
        describe=_case_and("T'/T"),
    ),
    Property(
        "kappa3-zero-T-independent",
        "kappa3 = 0 makes a~b~ = kappa1/kappa2 for every T (sparse: 1/c^2)",
        st.tuples(ms.cases(laws=ms.kappa3_zero_laws, max_d=4, max_T=200), ms.horizons(3, 10**4)),
        check_kappa3_zero_T_independent,
        pinned=((PINNED_CASES[0], 10**4), (PINNED_CASES[1], 3), (PINNED_CASES[3], 57)),
        case_of=_first,
        describe=_case_and("T'"),
    ),
    Property(
        "monte-carlo-rate",
        "the Monte Carlo estimate's RMS error shrinks like 1/sqrt(N)",
        _case_strategy(2, 6, laws=_no_heavy_tails),
        check_monte_carlo_rate,
        pinned=(PINNED_CASES[1], PINNED_CASES[3]),
        weight=0.05,
        min_examples=2,
        command_options={"engine": "monte-carlo", "samples": MC_RATE_SIZES[-1]},
        slow=True,
        shrink=False,
    ),
)

#: Names of the shipped properties, in run order.
PROPERTY_NAMES: tuple[str, ...] = tuple(p.name for p in PROPERTIES)


def get_property(name: str) -> Property:
    """The property called ``name`` (see :data:`PROPERTY_NAMES`)."""
    for prop in PROPERTIES:
        if prop.name == name:
            return prop
    raise InvalidInputError(f"property {name!r} is unknown; valid names are: {', '.join(PROPERTY_NAMES)}")


def budget(prop: Property, max_examples: int) -> int:
    """Examples for ``prop`` when a profile (or ``--examples``) asks for ``max_examples``.

    ``max(prop.min_examples, round(prop.weight * max_examples))``: cheap properties
    (weight 1) get the full number, population flows and Monte Carlo a tenth or
    a twentieth, never fewer than ``min_examples``.
    """
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidInputError(f"max_examples={max_examples!r} must be an integer >= 1")
    return max(prop.min_examples, round(prop.weight * max_examples))


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PropertyResult:
    """Outcome of :func:`run_property`.

    ``verdict`` is ``"passed"`` (held on every example), ``"falsified"`` (a
    :class:`PropertyFailure`) or ``"error"`` (any other exception).
    ``examples`` counts the examples tried before the first failure (all of them
    if none failed), ``shrink_calls`` the calls spent shrinking and replaying,
    ``rejected`` the examples discarded by ``assume``.
    """

    name: str
    expect: str
    verdict: str
    examples: int
    shrink_calls: int
    rejected: int
    seconds: float
    max_examples: int
    counterexample: str | None = None
    command: str | None = None
    message: str | None = None
    subject: str = "mesasym"
    shrunk: bool = True

    @property
    def as_expected(self) -> bool:
        """``passed`` for a property that should hold, ``falsified`` for a documented finding."""
        return (self.verdict == "passed" and self.expect == "holds") or (
            self.verdict == "falsified" and self.expect == "falsified"
        )

    def report(self) -> str:
        """Multi-line human-readable account (what ``mesasym property-test`` prints)."""
        status = "ok" if self.as_expected else "UNEXPECTED"
        note = " (expected: a documented finding)" if self.expect == "falsified" else ""
        lines = [
            f"{self.name}: {self.verdict}{note} after {self.examples} examples"
            + (f" (+{self.shrink_calls} shrinking)" if self.shrink_calls else "")
            + (f", {self.rejected} rejected" if self.rejected else "")
            + f", {self.seconds:.1f} s  [{status}]"
        ]
        if self.counterexample is not None:
            kind = "minimal counterexample" if self.shrunk else "counterexample (not shrunk: each example costs seconds)"
            lines.append(f"    {kind}: {self.counterexample}")
        if self.message:
            lines.append(f"    {self.message}")
        if self.command is not None:
            lines.append(f"    reproduce: {self.command}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expect": self.expect,
            "verdict": self.verdict,
            "as_expected": self.as_expected,
            "examples": self.examples,
            "shrink_calls": self.shrink_calls,
            "rejected": self.rejected,
            "max_examples": self.max_examples,
            "seconds": round(self.seconds, 3),
            "counterexample": self.counterexample,
            "command": self.command,
            "message": self.message,
            "subject": self.subject,
            "shrunk": self.shrunk,
        }


def run_property(
    prop: Property | str,
    *,
    subject: Subject = DEFAULT_SUBJECT,
    profile: str | None = None,
    max_examples: int | None = None,
    database: Any = "profile",
    pinned: bool = True,
) -> PropertyResult:
    """Run one property under a Hypothesis profile; never raises for a failing property.

    ``profile`` defaults to ``MESASYM_HYPOTHESIS_PROFILE`` (else ``dev``);
    ``max_examples`` overrides the profile's number before :func:`budget` scales
    it for the property. ``database="profile"`` keeps the profile's example
    database; pass ``None`` for none. ``pinned=False`` skips the explicit edge
    cases.
    """
    if isinstance(prop, str):
        prop = get_property(prop)
    base = profile_settings(profile)
    n = budget(prop, max_examples if max_examples is not None else base.max_examples)
    options: dict[str, Any] = dict(
        max_examples=n,
        deadline=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    if database != "profile":
        options["database"] = database
    # Hypothesis' "explain" phase (which parts of a failing example matter) re-runs the check many
    # times and its report is not shown here, so it is left out; so is shrinking for costly properties.
    skipped = {Phase.explain} if prop.shrink else {Phase.explain, Phase.shrink}
    options["phases"] = [phase for phase in base.phases if phase not in skipped]
    state: dict[str, Any] = {"calls": 0, "first_failure_at": None, "last_failure": None, "rejected": 0}

    def body(example_: Any) -> None:
        state["calls"] += 1
        try:
            prop.check(example_, subject)
        except UnsatisfiedAssumption:
            state["rejected"] += 1
            raise
        except BaseException as error:  # noqa: BLE001 - recorded, then re-raised for Hypothesis
            if state["first_failure_at"] is None:
                state["first_failure_at"] = state["calls"]
            state["last_failure"] = (example_, error)
            raise

    body.__name__ = body.__qualname__ = "property_" + prop.name.replace("-", "_")
    test = given(prop.strategy)(body)
    if pinned:
        for explicit in reversed(prop.pinned):
            test = example(explicit)(test)
    test = settings(base, **options)(test)
    start = time.perf_counter()
    verdict, message = "passed", None
    try:
        test()
    except PropertyFailure:
        verdict = "falsified"
    except Exception as error:  # noqa: BLE001 - reported as an error verdict
        verdict = "error"
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
    seconds = time.perf_counter() - start
    calls = state["calls"]
    first = state["first_failure_at"]
    counterexample = command = None
    if verdict != "passed" and state["last_failure"] is not None:
        failing, error = state["last_failure"]
        counterexample = prop.explain(failing)
        if verdict == "falsified" or message is None:
            message = str(error)
        try:
            command = prop.command(failing)
        except InvalidInputError:
            command = None
    examples = first if first is not None else calls
    return PropertyResult(
        name=prop.name,
        expect=prop.expect,
        verdict=verdict,
        examples=examples - state["rejected"] if first is None else examples,
        shrink_calls=calls - examples,
        rejected=state["rejected"],
        seconds=seconds,
        max_examples=n,
        counterexample=counterexample,
        command=command,
        message=message,
        subject=subject.name,
        shrunk=prop.shrink,
    )


def run_suite(
    names: Sequence[str] | None = None,
    *,
    subject: Subject = DEFAULT_SUBJECT,
    profile: str | None = None,
    max_examples: int | None = None,
    database: Any = "profile",
    progress: Callable[[PropertyResult], None] | None = None,
) -> list[PropertyResult]:
    """Run the named properties (default: all) in order; ``progress`` sees each result."""
    chosen = PROPERTIES if not names else tuple(get_property(name) for name in names)
    results = []
    for prop in chosen:
        result = run_property(prop, subject=subject, profile=profile, max_examples=max_examples, database=database)
        results.append(result)
        if progress is not None:
            progress(result)
    return results

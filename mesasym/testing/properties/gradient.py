"""Properties of the full model's exact population gradient at Assumption-1 points."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.laws import InitialTokenDistribution
from mesasym.numeric.model import Parameters
from mesasym.symbolic import invariance_table, reduction_violations
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import Moment
from mesasym.testing import strategies as ms
from mesasym.testing.properties.common import (
    U_BLOCK,
    entry_name,
    fail_property,
    manifold_gradient,
    gradient_rounding_bound,
    off_manifold_violations,
)
from mesasym.testing.subject import DEFAULT_SUBJECT, Subject


def check_gradient_invariance_satisfying(example_: tuple[ms.Case, tuple[sp.Rational, sp.Rational]], subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The exact population gradient at ``(aI, bI)`` stays on the manifold, as the reduction says.

    For a law meeting Assumption 2 and the reduction conditions: no entry of the
    gradient outside the two red diagonals exceeds its float64 rounding bound
    (:func:`gradient_rounding_bound`), the red diagonals are constant and real,
    and they equal the derived reduced flow, ``grad_a = -da/dtau``, ``grad_b = -db/dtau``
    (which also fixes the constant in ``g``), within the same bound.
    """
    case, (a, b) = example_
    _, grad_P, grad_Q, bound_P, bound_Q = manifold_gradient(subject, case.dist, case.d, case.T, a, b)
    problems = off_manifold_violations(grad_P, grad_Q, bound_P, bound_Q)
    if problems:
        fail_property(f"the population gradient at (a, b) = ({a}, {b}) leaves the manifold: " + "; ".join(problems))
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    expected_a = -float(ode.rhs_a.subs({S.a: a, S.b: b}))
    expected_b = -float(ode.rhs_b.subs({S.a: a, S.b: b}))
    d = case.d
    got_a, got_b = grad_Q[d, 0].real, grad_P[0, 0].real
    tol_a = bound_Q[d, 0] + 4 * U_BLOCK * abs(expected_a)
    tol_b = bound_P[0, 0] + 4 * U_BLOCK * abs(expected_b)
    if abs(got_a - expected_a) > tol_a or abs(got_b - expected_b) > tol_b:
        fail_property(
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
                found.append(f"{entry_name(matrix, row, col, d)}: {poly}")
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
        fail_property(f"{case.dist.spec()} satisfies Assumption 2 and the reduction conditions in d={d}; not a violating law")
    polys = predicted_gradient(case.dist, d, T)
    off = predicted_off_manifold(polys, d)
    if not off:
        fail_property(
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
        tolerance = bound[matrix][row, col] + 4 * U_BLOCK * abs(predicted)
        excess = abs(got - predicted) - tolerance
        if excess > 0 and (worst is None or excess > worst[0]):
            worst = (excess, matrix, row, col, got, predicted, tolerance)
        if abs(predicted) > 2 * tolerance and abs(got) <= bound[matrix][row, col]:
            fail_property(
                f"{entry_name(matrix, row, col, d)}: predicted {predicted:.6e} but the numeric gradient is zero "
                "within its bound"
            )
    if worst is not None:
        _, matrix, row, col, got, predicted, tolerance = worst
        fail_property(
            f"{entry_name(matrix, row, col, d)} at (a, b) = ({a}, {b}): numeric gradient {got:.12e} but the symbolic table "
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
    _, grad_P, grad_Q, bound_P, bound_Q = manifold_gradient(subject, case.dist, case.d, case.T, a, b)
    problems = off_manifold_violations(grad_P, grad_Q, bound_P, bound_Q)
    if problems:
        fail_property(
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



"""The full model's gradient at manifold points, entry by entry (Theorem 1's invariance)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import Moment
from mesasym.symbolic.invariance import invariance_table, reduction_violations

D, T = 2, 5


@pytest.fixture(scope="module")
def table():  # noqa: ANN201
    return invariance_table(D, T)


def _in_P_or_Q(matrix: str, row: int, col: int, d: int) -> bool:
    if matrix == "PV":
        return row < d and col >= d
    return row >= d and col >= d


def test_absent_entries_are_exactly_those_outside_P_and_Q(table) -> None:  # noqa: ANN001
    for e in table.entries:
        assert e.appears == _in_P_or_Q(e.matrix, e.row, e.col, D)
        if not e.appears:
            assert e.generic == 0 and e.classification == "structural"


def test_non_red_blocks_vanish_for_every_law(table) -> None:  # noqa: ANN001
    for e in table.entries:
        if e.appears and not e.is_red:
            assert e.classification == "zero", (e.matrix, e.row, e.col, e.generic)


def test_red_diagonals_depend_on_kappas_only(table) -> None:  # noqa: ANN001
    for matrix, block in (("KQ", (3, 2)), ("PV", (1, 2))):
        values = {e.assumption2 for e in table.block(matrix, block) if e.on_diagonal}
        assert len(values) == 1
        (value,) = values
        assert not value.atoms(Moment) and value != 0


def test_red_off_diagonals_need_more_than_assumption2(table) -> None:  # noqa: ANN001
    """Assumption 2 removes E x_1 x_2^3, E x_1 x_2^5, ... but leaves E x_1^3 x_2^3."""
    for matrix, block in (("KQ", (3, 2)), ("PV", (1, 2))):
        for e in table.block(matrix, block):
            if e.on_diagonal:
                continue
            assert e.classification == "other"
            assert e.unfixed == (Moment(3, 3),)
            assert e.classification_strengthened == "assumption2"
            assert sp.expand(e.assumption2 - sp.Rational(11, 6) * Moment(3, 3) * (
                S.a * S.b**2 if matrix == "KQ" else S.a**2 * S.b)) == 0
    killed = {m for e in table.block("KQ", (3, 2)) for m in e.killed}
    assert killed == {Moment(1, 3), Moment(1, 5), Moment(3, 1), Moment(5, 1)}


def test_d3_column_sums_enter_the_kq_diagonal() -> None:
    table = invariance_table(3, 4)
    kq = [e for e in table.block("KQ", (3, 2)) if e.on_diagonal]
    assert all(e.classification == "other" for e in kq)
    assert all(e.classification_strengthened == "kappa" for e in kq)
    pv = [e for e in table.block("PV", (1, 2)) if e.on_diagonal]
    assert all(e.classification == "kappa" for e in pv)


def test_gradient_matches_the_numeric_model_exactly() -> None:
    """Cross-check against mesasym.numeric.model (independent NumPy code with its own gradient):
    for a point mass x_1 = u the phase average is exact on the grid of N-th roots of unity
    (N = 16 exceeds every phase exponent), so the two must agree to rounding (1e-12 relative)."""
    from mesasym.numeric.model import Parameters, loss_and_gradient

    table = invariance_table(D, T)
    rng = np.random.default_rng(7)
    a, b = rng.uniform(-1.5, 1.5, size=2)
    u = rng.uniform(-2, 2, size=D)
    roots = np.exp(2j * np.pi * np.arange(16) / 16)
    lam = np.array(list(itertools.product(roots, repeat=D)))
    X = np.stack([lam**k * u for k in range(T)], axis=1)
    _, grad = loss_and_gradient(Parameters.assumption1(D, a, b), X)
    scale = max(np.abs(grad.WKQ).max(), np.abs(grad.WPV).max())
    for e in table.entries:
        moments = {m: float(np.prod(u ** np.array(m.exponents))) for m in e.generic.atoms(Moment)}
        symbolic = complex(e.generic.xreplace(moments).subs({S.a: a, S.b: b}))
        numeric = (grad.WKQ if e.matrix == "KQ" else grad.WPV)[e.row, e.col]
        assert abs(symbolic - numeric) <= 1e-12 * scale, (e.matrix, e.row, e.col)


def test_reduction_violations_for_laws() -> None:
    from mesasym.laws import parse_distribution

    gauss = parse_distribution("gaussian:sigma=1")
    assert reduction_violations(lambda i: gauss.moment(i, 3), 3, exchangeable=True) == []
    skew = parse_distribution("discrete:values=-1,2;probs=2/3,1/3")
    assert bool(skew.check_assumption2(2))  # Assumption 2 holds ...
    reasons = reduction_violations(lambda i: skew.moment(i, 2), 2, exchangeable=True)
    assert len(reasons) == 1 and "x_{1,1}^3 x_{1,2}^3" in reasons[0]  # ... the reduction does not


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInputError):
        invariance_table(0, 5)
    with pytest.raises(InvalidInputError):
        invariance_table(2, 2)

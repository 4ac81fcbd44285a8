"""The manifold loss L_t(a, b): route (i) (symbolic d, t) against route (ii) (literal model)."""

from __future__ import annotations

import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import Moment, assumption2_reduce
from mesasym.symbolic.manifold_loss import (
    brute_force_manifold_loss,
    brute_force_symbols,
    general_manifold_loss,
    instantiate_general_loss,
)
from mesasym.symbolic.reduced_flow import manifold_loss_t

CASES = [(d, t) for d in (1, 2, 3) for t in range(2, 7)]


def _route_one(d: int, t: int) -> sp.Expr:
    value = general_manifold_loss().loss.subs({S.d: d, S.t: t})
    return value.subs(S.KAPPA3, 0) if d == 1 else value


@pytest.mark.parametrize("d,t", CASES)
def test_routes_agree_under_assumption2(d: int, t: int) -> None:
    assert sp.expand(brute_force_manifold_loss(d, t) - _route_one(d, t)) == 0


@pytest.mark.parametrize("d,t", [(2, 3), (2, 5), (3, 4)])
def test_routes_agree_for_every_law(d: int, t: int) -> None:
    """Generic moments, no assumption: the phase average alone fixes L_t on the manifold."""
    brute = brute_force_manifold_loss(d, t, assumption2=False)
    assert brute.atoms(Moment)  # really generic
    assert sp.expand(brute - instantiate_general_loss(d, t)) == 0


def test_block_algebra_and_lower_index() -> None:
    general = general_manifold_loss()
    assert general.residual_top.is_ZeroMatrix
    assert general.lower_index == 2  # x_0 = 0 removes i = 1
    scalar = [a for a in general.block_summand.args if not a.is_Matrix]
    assert sp.Mul(*scalar) == S.A * S.B


def test_general_loss_closed_form_structure() -> None:
    """L_t is a polynomial in |ab|^2 and Re(ab) with the kappas as coefficients."""
    loss = general_manifold_loss().loss
    c, cbar = S.A * S.B, S.ABAR * S.BBAR
    rebuilt = (S.d / 2) * (c * cbar * (S.KAPPA2 + S.KAPPA3 / (S.t - 1)) - (c + cbar) * S.KAPPA1 + S.M2)
    assert sp.simplify(loss - rebuilt) == 0


def test_loss_is_real_and_nonnegative_at_a_sample_point() -> None:
    value = manifold_loss_t(2, (3, 15, 3), 1).subs({S.A: 0.3, S.ABAR: 0.3, S.B: 0.5, S.BBAR: 0.5, S.t: 4})
    assert float(value) > 0


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_per_entry_gradient_from_the_literal_model(d: int) -> None:
    """Each diagonal entry gets its own symbol; the gradient of one entry (2 dL/d conj) equals
    (2/d) dL/d conj(a) of the all-equal loss, given equal column sums (needed for d >= 3)."""
    t = 4
    sym = brute_force_symbols(d, per_entry=True)
    generic = brute_force_manifold_loss(d, t, per_entry=True, assumption2=False)
    loss = assumption2_reduce(generic, d, equal_column_sums=True)
    point = {}
    for key, value in (("A", S.a), ("Abar", S.a), ("B", S.b), ("Bbar", S.b)):
        point.update({s: value for s in sym[key]})
    equal = manifold_loss_t(d)
    expect_a = sp.expand((2 * sp.diff(equal, S.ABAR) / d).subs({S.A: S.a, S.ABAR: S.a, S.B: S.b, S.BBAR: S.b, S.t: t}))
    expect_b = sp.expand((2 * sp.diff(equal, S.BBAR) / d).subs({S.A: S.a, S.ABAR: S.a, S.B: S.b, S.BBAR: S.b, S.t: t}))
    if d == 1:
        expect_a, expect_b = expect_a.subs(S.KAPPA3, 0), expect_b.subs(S.KAPPA3, 0)
    for m in range(d):
        assert sp.expand(2 * sp.diff(loss, sym["Abar"][m]).subs(point) - expect_a) == 0
        assert sp.expand(2 * sp.diff(loss, sym["Bbar"][m]).subs(point) - expect_b) == 0
        # imaginary direction a_m -> a_m + i eps: d/d eps = i dL/da_m - i dL/d conj(a_m) = 0
        imag = sp.I * (sp.diff(loss, sym["A"][m]) - sp.diff(loss, sym["Abar"][m]))
        assert sp.expand(imag.subs(point)) == 0


def test_column_sums_matter_for_d3() -> None:
    """Under Assumption 2 alone (row sums), the a-gradient of one entry still depends on a
    column sum sum_{r != m} E x_r^2 x_m^4 (documented finding)."""
    d, t = 3, 4
    sym = brute_force_symbols(d, per_entry=True)
    loss = brute_force_manifold_loss(d, t, per_entry=True)
    point = {}
    for key, value in (("A", S.a), ("Abar", S.a), ("B", S.b), ("Bbar", S.b)):
        point.update({s: value for s in sym[key]})
    grad_a0 = sp.expand(2 * sp.diff(loss, sym["Abar"][0]).subs(point))
    assert grad_a0.atoms(Moment) == {Moment(4, 2, 0), Moment(4, 0, 2)}
    grad_b0 = sp.expand(2 * sp.diff(loss, sym["Bbar"][0]).subs(point))
    assert not grad_b0.atoms(Moment)


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInputError, match="d=0"):
        brute_force_manifold_loss(0, 3)
    with pytest.raises(InvalidInputError, match="t=1"):
        brute_force_manifold_loss(2, 1)

"""Corollary 1 as a symbolic identity (derived step size)."""

from __future__ import annotations

import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.corollary import corollary1_identity


@pytest.mark.parametrize("d,t", [(1, 2), (1, 6), (2, 3), (2, 5), (3, 4), (3, 6)])
def test_one_gd_step_identity(d: int, t: int) -> None:
    ident = corollary1_identity(d, t)
    assert ident.holds
    assert ident.step == S.a * S.b / (t - 1)


def test_ols_gradient_at_zero_is_minus_the_cross_correlation() -> None:
    ident = corollary1_identity(2, 3)
    x = lambda i, j: sp.Symbol(f"x_{{{i},{j}}}")  # noqa: E731
    xb = lambda i, j: sp.Symbol(rf"\bar{{x}}_{{{i},{j}}}")  # noqa: E731
    for r in (1, 2):
        for c in (1, 2):
            expected = -sum(x(i + 1, r) * xb(i, c) for i in (1, 2))
            assert sp.expand(ident.ols_gradient[r - 1, c - 1] - expected) == 0


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInputError):
        corollary1_identity(2, 1)

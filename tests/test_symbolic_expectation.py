"""Expectation rules, Kronecker-delta sums and harmonic numbers (mesasym.symbolic)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import (
    Moment,
    assumption2_reduce,
    coordinate_expectation,
    instantiate_pattern,
    phase_expectation,
    phase_expectation_poly,
    phase_moment,
    vanishes_under_assumption2,
)
from mesasym.symbolic.sums import delta_sum, harmonic_number, sum_over

lam1, lam2 = sp.symbols("lambda_1 lambda_2")
x1, x2, x3 = sp.symbols("x_1 x_2 x_3", real=True)
m = sp.Symbol("m", integer=True)
i, ip = sp.symbols("i i'", integer=True)


def test_phase_moment_concrete_and_symbolic() -> None:
    assert phase_moment(0) == 1
    assert phase_moment(3) == 0 and phase_moment(-2) == 0
    assert phase_moment(m) == sp.KroneckerDelta(m, 0)
    assert phase_moment(S.t) == 0  # t is a positive integer: never 0
    with pytest.raises(InvalidInputError):
        phase_moment(sp.Rational(1, 2))


def test_phase_expectation_independence_and_conjugation() -> None:
    # E[lambda_1 conj(lambda_1)] = 1, E[lambda_1 conj(lambda_2)] = 0, conj(lambda) = 1/lambda.
    assert phase_expectation(lam1 * sp.conjugate(lam1), [lam1, lam2]) == 1
    assert phase_expectation(lam1 * sp.conjugate(lam2), [lam1, lam2]) == 0
    expr = (2 + lam1 + lam2**2 / lam1) * (3 + 1 / lam1 + lam1 / lam2**2)
    # constant terms: 2*3, lam1 * 1/lam1, (lam2^2/lam1)(lam1/lam2^2)
    assert phase_expectation(expr, [lam1, lam2]) == 8


def test_phase_expectation_symbolic_exponents() -> None:
    t = S.t
    got = phase_expectation(lam1 ** (i - 1) * lam1 ** (2 - i) * lam1 ** (t - 1), [lam1])
    assert got == 0  # exponent t >= 1
    got = phase_expectation(lam1 ** (i - ip) * lam2 ** (t - i), [lam1, lam2])
    assert got == sp.KroneckerDelta(i - ip, 0) * sp.KroneckerDelta(t - i, 0)
    # Denominators must not be merged with phases (a former SymPy expand pitfall).
    got = phase_expectation(lam1 ** (-t) * lam1**t * x1 / (t - 1), [lam1])
    assert sp.simplify(got - x1 / (t - 1)) == 0


def test_phase_expectation_poly_agrees_with_expression_rule() -> None:
    rng = np.random.default_rng(20240531)
    R, l1, l2, c1, c2, x = sp.ring("l1,l2,c1,c2,x", sp.QQ)
    L1, L2, X = sp.symbols("L1 L2 X")
    for _ in range(20):
        poly = R.zero
        expr = sp.Integer(0)
        for _ in range(6):
            e = rng.integers(0, 3, size=5)
            coef = int(rng.integers(-3, 4))
            poly += coef * l1 ** int(e[0]) * l2 ** int(e[1]) * c1 ** int(e[2]) * c2 ** int(e[3]) * x ** int(e[4])
            expr += coef * L1 ** int(e[0] - e[2]) * L2 ** int(e[1] - e[3]) * X ** int(e[4])
        got = phase_expectation_poly(poly, [(0, 2), (1, 3)]).as_expr().subs(sp.Symbol("x"), X)
        assert sp.expand(got - phase_expectation(expr, [L1, L2])) == 0


def test_coordinate_expectation_and_moment_printing() -> None:
    got = coordinate_expectation(3 * x1**2 * x2**4 - x1 + 2, [x1, x2])
    assert got == 3 * Moment(2, 4) - Moment(1, 0) + 2
    assert Moment(0, 0) == 1
    assert sp.latex(Moment(2, 1)) == r"\mathbb{E}[x_{1,1}^{2} x_{1,2}]"
    with pytest.raises(InvalidInputError):
        Moment(-1, 2)


def test_vanishing_rule() -> None:
    assert vanishes_under_assumption2((1, 0, 0))
    assert vanishes_under_assumption2((1, 3, 2))
    assert not vanishes_under_assumption2((3, 3))  # no first power: Assumption 2 says nothing
    assert not vanishes_under_assumption2((2, 4))
    assert not vanishes_under_assumption2((1, 2, 2, 2, 2))  # five coordinates: n <= 4 only


def test_assumption2_reduce_kappas_and_row_sums() -> None:
    d = 3
    expr = Moment(4, 0, 0) + Moment(0, 6, 0) + Moment(1, 2, 0) + Moment(2, 0, 0) + Moment(0, 2, 0) + Moment(0, 0, 2)
    assert assumption2_reduce(expr, d) == S.KAPPA1 + S.KAPPA2 + d * S.M2
    row = Moment(2, 4, 0) + Moment(2, 0, 4)
    assert assumption2_reduce(row, d) == S.KAPPA3
    column = Moment(4, 2, 0) + Moment(4, 0, 2)  # a column sum: not fixed by Assumption 2
    assert any(isinstance(a, Moment) for a in assumption2_reduce(column, d).atoms(Moment))
    assert assumption2_reduce(column, d, equal_column_sums=True) == S.KAPPA3
    assert assumption2_reduce(Moment(2, 4) + Moment(4, 2), 2) == 2 * S.KAPPA3
    assert assumption2_reduce(S.KAPPA3 * Moment(4), 1) == 0  # d = 1: empty row sum


def test_instantiate_pattern_counts_distinct_labels() -> None:
    assert instantiate_pattern((2, 4), 2) == Moment(2, 4) + Moment(4, 2)
    assert instantiate_pattern((2, 4), 1) == 0
    assert instantiate_pattern((6,), 3) == Moment(6, 0, 0) + Moment(0, 6, 0) + Moment(0, 0, 6)


def test_delta_sum_kronecker_rule() -> None:
    t = S.t
    ranges = [(i, 2, t), (ip, 2, t)]
    assert sp.simplify(delta_sum(sp.KroneckerDelta(i - ip, 0), ranges, {t: 2}) - (t - 1)) == 0
    assert delta_sum(sp.KroneckerDelta(t + 1 - i, 0), [(i, 2, t)], {t: 2}) == 0  # i = t+1 out of range
    assert sp.simplify(delta_sum(i * sp.KroneckerDelta(i - t, 0), [(i, 2, t)], {t: 2}) - t) == 0
    # brute force at concrete t
    for tt in range(2, 7):
        brute = sum(1 for a in range(2, tt + 1) for b in range(2, tt + 1) if a == b)
        assert delta_sum(sp.KroneckerDelta(i - ip, 0), ranges, {t: 2}).subs(t, tt) == brute


def test_sum_over_gives_harmonic_numbers() -> None:
    c = sp.Symbol("c")
    got = sum_over(c / (S.t - 1) + 3, S.t, 2, S.T - 1)
    assert sp.simplify(got - (c * sp.harmonic(S.T - 2) + 3 * (S.T - 2))) == 0


@pytest.mark.parametrize("n", [0, 1, 2, 7, 40, 1000])
def test_harmonic_number_exact(n: int) -> None:
    assert harmonic_number(n) == sp.Rational(sum((Fraction(1, k) for k in range(1, n + 1)), Fraction(0)))

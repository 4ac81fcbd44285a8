"""High-precision fixed point: exact rationals and mpmath at any precision."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.precise import (
    fixed_point_exact,
    fixed_point_mp,
    harmonic_exact,
    harmonic_mp,
    mp_string,
)

GAUSS = (3, 15, 12)  # sigma = 1, d = 5


def test_exact_small_cases_by_hand() -> None:
    # T = 3: H_1 = 1 -> 3 / (15 + 12); T = 5: H_3 = 11/6 -> 9/(45 + 22)
    assert fixed_point_exact(3, *GAUSS) == sp.Rational(3, 27)
    assert fixed_point_exact(5, *GAUSS) == sp.Rational(9, 45 + 22)
    assert fixed_point_exact(5, Fraction(1, 2), "3/4", sp.Rational(1, 8)) == sp.Rational(3, 2) / (
        sp.Rational(9, 4) + sp.Rational(11, 48)
    )


def test_exact_requires_rational_kappas_and_respects_the_cap() -> None:
    with pytest.raises(InvalidInputError, match="rational"):
        fixed_point_exact(5, sp.sqrt(2), 1, 1)
    with pytest.raises(InvalidInputError, match="cap"):
        fixed_point_exact(10**7, *GAUSS)


@pytest.mark.parametrize("dps", [15, 50, 120])
@pytest.mark.parametrize("T", [3, 4, 17, 1000])
def test_mp_agrees_with_exact(T: int, dps: int) -> None:
    """Relative error below 10^(1-dps): the result is rounded to dps digits (half an ulp is
    5 * 10^(-dps)) after computing with 15 guard digits."""
    exact = fixed_point_exact(T, *GAUSS)
    value = fixed_point_mp(T, *GAUSS, dps=dps)
    with mpmath.mp.workdps(dps + 30):
        truth = mpmath.mpf(int(exact.p)) / int(exact.q)
        assert abs(value - truth) <= mpmath.mpf(10) ** (1 - dps) * truth


def test_large_T_against_euler_maclaurin() -> None:
    """T = 10^6 at 50 digits against H_n = ln n + gamma + 1/(2n) - sum B_2k/(2k n^2k), with
    terms to n^-16 (remainder below 1e-96), evaluated independently at 80 digits."""
    T = 10**6
    n = T - 2
    with mpmath.mp.workdps(80):
        H = mpmath.log(n) + mpmath.euler + mpmath.mpf(1) / (2 * n)
        for k in range(1, 9):
            H -= mpmath.bernoulli(2 * k) / (2 * k * mpmath.mpf(n) ** (2 * k))
        truth = 3 * mpmath.mpf(n) / (15 * mpmath.mpf(n) + 12 * H)
        value = fixed_point_mp(T, *GAUSS, dps=50)
        assert abs(value - truth) <= mpmath.mpf(10) ** (-49) * truth


def test_huge_T_has_no_loop_over_t() -> None:
    """T = 10^30 is only feasible without an O(T) loop; the value tends to kappa1/kappa2 = 1/5."""
    value = fixed_point_mp(10**30, *GAUSS, dps=40)
    with mpmath.mp.workdps(60):
        gap = mpmath.mpf(1) / 5 - value  # = (1/5) (12 H_n / 15 n) / (1 + ...) ~ 1.1e-29
        assert mpmath.mpf(10) ** -29 < gap < mpmath.mpf(2) * 10**-29


def test_global_precision_untouched() -> None:
    before = mpmath.mp.dps
    fixed_point_mp(100, *GAUSS, dps=200)
    harmonic_mp(10, dps=80)
    assert mpmath.mp.dps == before


def test_irrational_kappas() -> None:
    value = fixed_point_mp(10, sp.sqrt(2), 3, sp.pi, dps=60)
    with mpmath.mp.workdps(90):
        H = mpmath.harmonic(8)
        truth = mpmath.sqrt(2) * 8 / (3 * 8 + mpmath.pi * H)
        assert abs(value - truth) <= mpmath.mpf(10) ** -59 * truth


def test_harmonic_helpers() -> None:
    assert harmonic_exact(4) == Fraction(25, 12)
    assert harmonic_exact(0) == 0
    with mpmath.mp.workdps(40):
        assert abs(harmonic_mp(4, dps=30) - mpmath.mpf(25) / 12) < mpmath.mpf(10) ** -29


def test_mp_string_digits() -> None:
    text = mp_string(fixed_point_mp(3, *GAUSS, dps=20), 20)
    assert text == "0.11111111111111111111"


@pytest.mark.parametrize(
    "args",
    [(2, 3, 15, 12), (True, 3, 15, 12), (5.0, 3, 15, 12), (5, 0, 15, 12), (5, 3, -1, 12), (5, 3, 15, -1)],
)
def test_invalid_inputs(args: tuple) -> None:
    with pytest.raises(InvalidInputError):
        fixed_point_mp(*args)
    with pytest.raises(InvalidInputError):
        fixed_point_mp(5, 3, 15, 12, dps=0)

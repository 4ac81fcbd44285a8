"""Derived results against the paper's claims (mesasym.claims), symbolically and numerically."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from hypothesis import given
from hypothesis import strategies as hs

from mesasym import claims
from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.corollary import corollary1_identity
from mesasym.symbolic.reduced_flow import fixed_point_product


def test_theorem1_product_symbolic() -> None:
    """Derived c* - claimed product simplifies to 0 for symbolic T, d and kappas."""
    derived = fixed_point_product()
    claimed = claims.evaluate_sums(claims.theorem1_product(S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3))
    assert not claimed.has(sp.Sum)
    assert sp.simplify(derived - claimed) == 0
    assert S.d not in derived.free_symbols  # independent of d (for fixed kappas)


@pytest.mark.parametrize("seed", range(5))
def test_theorem1_product_at_random_points(seed: int) -> None:
    """Agreement at seeded random (T, kappas): exact rationals, no tolerance needed."""
    rng = np.random.default_rng(seed)
    T = int(rng.integers(3, 60))
    kappas = [sp.Rational(int(rng.integers(1, 50)), int(rng.integers(1, 9))) for _ in range(3)]
    derived = fixed_point_product(T, int(rng.integers(1, 6)), tuple(kappas))
    assert derived == claims.theorem1_product(T, *kappas)


@given(
    T=hs.integers(3, 200),
    k=hs.tuples(*(hs.fractions(min_value=0, max_value=50, max_denominator=20) for _ in range(3))),
)
def test_theorem1_product_property(T: int, k: tuple) -> None:
    """Exact agreement at many points (the derivation at concrete T, kappas substituted)."""
    k1, k2, k3 = (sp.Rational(x.numerator, x.denominator) for x in k)
    if k1 == 0 or k2 == 0:
        return
    derived = fixed_point_product(T).subs({S.KAPPA1: k1, S.KAPPA2: k2, S.KAPPA3: k3})
    assert derived == claims.theorem1_product(T, k1, k2, k3)


def test_corollary1_step_size() -> None:
    for d, t in [(1, 3), (2, 4), (3, 5)]:
        ident = corollary1_identity(d, t)
        assert sp.simplify(ident.step - claims.corollary1_step_size(S.a * S.b, t)) == 0


def test_gaussian_long_context_limit_symbolic_sigma() -> None:
    """Kappas from sympy.stats (independent of mesasym.laws), limit T -> oo of the
    derived fixed point, against 1/(5 sigma^2)."""
    sigma = sp.Symbol("sigma", positive=True)
    X, Y = st.Normal("X", 0, sigma), st.Normal("Y", 0, sigma)
    d = S.d
    k1 = st.E(X**4)
    k2 = st.E(X**6)
    k3 = sp.simplify((d - 1) * st.E(X**2 * Y**4))
    derived = fixed_point_product(S.T, d, (k1, k2, k3))
    n = sp.Symbol("n", integer=True, positive=True)
    limit = sp.limit(derived.subs(S.T, n + 2), n, sp.oo)
    assert sp.simplify(limit - claims.gaussian_long_context_limit(sigma)) == 0


@pytest.mark.parametrize("sigma", ["0.5", "1", "2"])
def test_gaussian_limit_with_project_kappas(sigma: str) -> None:
    from mesasym.laws import parse_distribution

    kap = parse_distribution(f"gaussian:sigma={sigma}").kappas(5)
    n = sp.Symbol("n", integer=True, positive=True)
    derived = fixed_point_product(S.T, 5, (kap.kappa1, kap.kappa2, kap.kappa3)).subs(S.T, n + 2)
    assert sp.limit(derived, n, sp.oo) == claims.gaussian_long_context_limit(sp.Rational(sigma))


@pytest.mark.parametrize("c", ["1/2", "1", "2"])
def test_sparse_product_for_every_T(c: str) -> None:
    from mesasym.laws import parse_distribution

    kap = parse_distribution(f"sparse:c={c}").kappas(5)
    assert kap.kappa3 == 0
    for T in (3, 10, 100):
        assert fixed_point_product(T, 5, (kap.kappa1, kap.kappa2, kap.kappa3)) == claims.sparse_product(
            sp.Rational(c)
        )


def test_a_wrong_claim_is_detected() -> None:
    """The comparison can fail: a claim with H_{T-1} instead of H_{T-2} differs."""
    wrong = S.KAPPA1 / (S.KAPPA2 + S.KAPPA3 * sp.harmonic(S.T - 1) / (S.T - 2))
    assert sp.simplify(fixed_point_product() - wrong) != 0


def test_claim_validation() -> None:
    with pytest.raises(InvalidInputError):
        claims.theorem1_product(2, 1, 1, 1)
    with pytest.raises(InvalidInputError):
        claims.gaussian_long_context_limit(0)
    with pytest.raises(InvalidInputError):
        claims.corollary1_step_size(1, 1)
    assert claims.gaussian_prediction_ratio_limit() == sp.Rational(1, 5)


# That the symbolic, precise and numeric sources never import the claims is an import-linter
# contract (pyproject.toml, 'claims-only-compared'), checked in tests/test_layering.py.

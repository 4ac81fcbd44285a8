"""Capability limitation (THEORY §7): the derivation steps and the recovery verdicts.

Exact comparisons (SymPy rationals, ``== 0`` after ``simplify``) wherever the
quantity is symbolic; the numeric check of the off-diagonal closed form uses
float64 sums of at most a few hundred unit-modulus terms, so ``1e-12`` relative
leaves three orders of magnitude above rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mesasym import claims
from mesasym.symbolic.capability import (
    X,
    X_J,
    X_K,
    THETA_J,
    THETA_K,
    GAP,
    U_T,
    derive_operator_limit,
    derive_ratio,
    derive_recovery_condition,
    long_context_product,
    manifold_sums,
    position_loss,
    position_mse,
    product_at,
)
from mesasym.compare.capability import decide_recovery
from mesasym.laws import parse_distribution
from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.reduced_flow import derive_reduced_flow


def _c_symbol(expr: sp.Expr) -> sp.Symbol:
    return next(s for s in expr.free_symbols if s.name == "c")


# --- 1. the learned operator -------------------------------------------------


def test_diagonal_entry_is_exact_for_every_t() -> None:
    op = derive_operator_limit()
    assert sp.simplify(op.diagonal_entry - S.c * X_J**2 * sp.exp(sp.I * THETA_J)) == 0
    assert not op.diagonal_entry.has(S.t)
    assert op.lower_index == 2  # x_0 = 0 removes i = 1


def test_off_diagonal_closed_form_against_the_literal_sum() -> None:
    """The closed form (distinct phases) equals sum_{i=2}^t x_{i,j} conj(x_{i-1,k}) and obeys the bound.

    Tolerance: both sides are sums of ``t`` terms of size ``|x_j x_k|``; the closed form
    also divides by ``|1 - e^{i(theta_j - theta_k)}|``, so rounding is below
    ``64 eps t |x_j x_k| / |1 - e^{i phi}|``.
    """
    op = derive_operator_limit()
    closed = sp.lambdify((THETA_J, THETA_K, X_J, X_K, S.t), op.off_diagonal_sum, "numpy")
    bound = sp.lambdify((THETA_J, THETA_K, X_J, X_K, S.t, S.c), op.off_diagonal_bound, "numpy")
    rng = np.random.default_rng(0)
    for _ in range(20):
        tj, tk = rng.uniform(0, 2 * np.pi, 2)
        xj, xk = rng.standard_normal(2)
        t = int(rng.integers(2, 300))
        i = np.arange(2, t + 1)
        literal = np.sum(np.exp(1j * tj * (i - 1)) * xj * np.exp(-1j * tk * (i - 2)) * xk)
        value = closed(tj, tk, xj, xk, t)
        tolerance = 64 * np.finfo(float).eps * t * abs(xj * xk) / abs(1 - np.exp(1j * (tj - tk)))
        assert abs(value - literal) <= tolerance
        assert abs(0.7 * value / (t - 1)) <= bound(tj, tk, xj, xk, t, 0.7) * (1 + 1e-12)
    assert op.off_diagonal_limit == 0


def test_limit_residual() -> None:
    op = derive_operator_limit()
    assert sp.simplify(op.residual_factor - X_J * (S.c * X_J**2 - 1)) == 0


# --- 2. the recovery condition -----------------------------------------------


def test_recovery_condition_steps() -> None:
    cond = derive_recovery_condition()
    c = _c_symbol(cond.expected_indicator)
    assert cond.allowed_squares == (0, 1 / c)
    assert cond.squared_residual_identity == 0  # (residual)^2 = c^2 p(x)
    assert sp.expand(cond.indicator - X**2 * (X**2 - 1 / c) ** 2) == 0
    assert sp.simplify(cond.long_context_product - S.KAPPA1 / S.KAPPA2) == 0
    expected = S.KAPPA2 * (S.M2 * S.KAPPA2 - S.KAPPA1**2) / S.KAPPA1**2
    assert sp.simplify(cond.long_context_indicator - expected) == 0
    assert sp.simplify(cond.position_excess - S.c**2 * S.d * S.KAPPA3 / (2 * (S.t - 1))) == 0


def test_finite_T_excess_is_nonnegative_and_zero_only_without_kappa3() -> None:
    """A polynomial in u_T (>= 0) with coefficients >= 0 given the gap >= 0; no constant term."""
    excess = derive_recovery_condition().finite_T_excess
    numerator, denominator = sp.fraction(sp.together(excess))
    assert denominator.is_positive
    poly = sp.Poly(sp.expand(numerator), U_T)
    assert poly.coeff_monomial(1) == 0
    for coeff in poly.coeffs():
        assert sp.expand(coeff).subs({GAP: 0}).is_nonnegative
        assert all(term.is_nonnegative for term in sp.Add.make_args(sp.expand(coeff)))
    assert sp.expand(numerator).subs(U_T, 0) == 0


def test_ratio_is_c_times_second_moment_at_every_t() -> None:
    ratio = derive_ratio()
    assert sp.simplify(ratio.expected_ratio - S.c * S.M2) == 0
    names = [row[0] for row in ratio.terms]
    assert names == ["k=j", "k!=j"]
    assert ratio.terms[1][3] == 0  # the cross terms average to zero for every t >= 2


def test_long_context_product() -> None:
    assert sp.simplify(long_context_product() - S.KAPPA1 / S.KAPPA2) == 0


# --- manifold loss from the four sums ----------------------------------------


@pytest.mark.parametrize("spec", ["gaussian:sigma=1/2", "uniform", "sparse:c=2", "rademacher"])
def test_two_routes_of_the_position_loss_agree(spec: str) -> None:
    """Generic pattern sums of the law == Assumption-2 loss of the reduced flow (exact)."""
    law = parse_distribution(spec)
    d = 4
    k = law.kappas(d)
    generic = position_loss(manifold_sums(law, d))
    flow = derive_reduced_flow(S.T, d, (k.kappa1, k.kappa2, k.kappa3), k.second_moment)
    reduced = flow.loss_t.subs({S.a: S.c, S.b: 1})
    assert sp.simplify(generic - reduced) == 0


def test_manifold_sums_of_ones() -> None:
    sums = manifold_sums(parse_distribution("ones"), 3)
    assert (sums.S2, sums.S4, sums.S6, sums.S24) == (3, 3, 3, 6)


# --- 3. the verdicts -------------------------------------------------------------


@pytest.mark.parametrize("sigma", ["1/2", "1", "2"])
def test_gaussian_no_recovery_ratio_one_fifth(sigma: str) -> None:
    T, d = 100, 5
    v = decide_recovery(parse_distribution(f"gaussian:sigma={sigma}"), d, T)
    s = sp.Rational(sigma)
    assert v.verdict == "none" and v.recovers_long_context is False and v.recovers_at_T is False
    assert v.ratio_limit == claims.gaussian_prediction_ratio_limit()
    assert v.product_limit == claims.gaussian_long_context_limit(s)
    # exact finite-T ratio: c*(T) sigma^2 with Theorem 1's product (independent typed claim)
    claimed_c = claims.theorem1_product(T, 3 * s**4, 15 * s**6, 3 * (d - 1) * s**6)
    assert v.ratio_T == claimed_c * s**2
    H = sp.harmonic(T - 2)
    assert v.ratio_T == sp.Rational(T - 2) / (5 * (T - 2) + (d - 1) * H)  # independent of sigma
    assert v.mse_long_context_limit == d * (s**2 - sp.Rational(3, 5) * s**2)


def test_gaussian_reason_names_the_variance() -> None:
    v = decide_recovery(parse_distribution("gaussian:sigma=1"), 5, 100)
    assert len(v.reasons) == 1
    assert "x_{1,j}^2 is not almost surely" in v.reasons[0]
    assert "variance under the x_{1,j}^2-weighted law is (m2 kappa2 - kappa1^2)/m2^2 = 6" in v.reasons[0]


@pytest.mark.parametrize("c", ["1/2", "1", "2"])
def test_sparse_exact_recovery_for_every_t_and_T(c: str) -> None:
    v = decide_recovery(parse_distribution(f"sparse:c={c}"), 5, 100)
    assert v.verdict == "exact"
    assert v.recovers_every_T and v.recovers_every_position and v.recovers_at_T and v.recovers_long_context
    assert v.product_T == claims.sparse_product(sp.Rational(c)) == v.product_limit
    assert v.mse_last_T == 0 and v.test_loss_T == 0 and v.mse_long_context_limit == 0
    assert v.ratio_T == sp.Rational(1, 5)  # authors' metric: zero-truth entries count 0, so 1/d
    sums = manifold_sums(parse_distribution(f"sparse:c={c}"), 5)
    for t in (2, 3, 7, 50):
        assert position_mse(sums, t, v.product_T) == 0


def test_rademacher_recovers_only_in_the_limit_unless_d_is_1() -> None:
    law = parse_distribution("rademacher:s=1")
    v = decide_recovery(law, 5, 100)
    assert v.verdict == "long-context-only"
    assert v.recovers_long_context is True and v.recovers_at_T is False and v.recovers_every_position is False
    assert v.product_limit == 1 and 0 < float(v.product_T) < 1
    assert v.mse_long_context_limit == 0 and v.mse_long_context_T > 0
    one = decide_recovery(law, 1, 100)
    assert one.verdict == "exact" and one.product_T == 1 and one.mse_last_T == 0


def test_zero_atom_with_iid_coordinates_is_long_context_only() -> None:
    """x^2 in {0, 4} a.s. (so the limit recovers) but coordinates are independent (kappa3 > 0)."""
    law = parse_distribution("discrete:values=-2,0,2;probs=1/4,1/2,1/4")
    v = decide_recovery(law, 3, 50)
    assert v.verdict == "long-context-only"
    assert all(g == 0 for g in v.gap)


def test_one_hot_vector_law_is_exact() -> None:
    law = parse_distribution("discrete-vector:atoms=[3,0],[-3,0],[0,3],[0,-3];probs=1/4,1/4,1/4,1/4")
    v = decide_recovery(law, 2, 20)
    assert v.verdict == "exact" and v.product_T == sp.Rational(1, 9)


@pytest.mark.parametrize("spec", ["uniform", "laplace", "bernoulli-gaussian", "student-t:nu=9"])
def test_other_assumption2_laws_do_not_recover(spec: str) -> None:
    v = decide_recovery(parse_distribution(spec), 3, 30)
    assert v.verdict == "none" and all(g > 0 for g in v.gap)


def test_laws_violating_the_hypotheses_are_undetermined() -> None:
    v = decide_recovery(parse_distribution("ones"), 5, 100)
    assert v.verdict == "undetermined" and not v.hypotheses_satisfied
    assert v.recovers_long_context is None
    assert v.manifold_product_T == product_at((1, 1, 4), 100)  # same four sums as rademacher
    w = decide_recovery(parse_distribution("shifted-gaussian"), 3, 10)
    assert w.verdict == "undetermined"


def test_large_T_keeps_harmonic_number_symbolic() -> None:
    v = decide_recovery(parse_distribution("gaussian"), 5, 10**7)
    assert v.verdict == "none"
    assert 0.19999 < v.to_dict()["ratio"]["finite_T"]["float"] < 0.2
    r = decide_recovery(parse_distribution("rademacher"), 5, 10**7)
    assert r.verdict == "long-context-only"


def test_manifold_minimiser_equals_the_fixed_point_under_assumption2() -> None:
    v = decide_recovery(parse_distribution("uniform:w=2"), 3, 12)
    assert v.manifold_product_T == v.product_T


def test_to_dict_is_json_ready() -> None:
    import json

    data = json.loads(json.dumps(decide_recovery(parse_distribution("gaussian"), 5, 100).to_dict()))
    assert data["verdict"] == "none" and data["recovers"]["long_context_limit"] is False
    assert data["ratio"]["limit_T_to_infinity"] == {"exact": "1/5", "float": 0.2}


@pytest.mark.parametrize("T, d", [(2, 5), (10, 0), (3.5, 2), (True, 2)])
def test_invalid_T_or_d(T: object, d: object) -> None:
    with pytest.raises(InvalidInputError):
        decide_recovery(parse_distribution("gaussian"), d, T)  # type: ignore[arg-type]


def test_verdict_can_fail_on_a_wrong_condition() -> None:
    """Sanity: with the wrong limit product the Gaussian indicator would still be > 0, and the
    sparse one would not vanish; the decision depends on the derived values."""
    cond = derive_recovery_condition()
    c = _c_symbol(cond.expected_indicator)
    sparse_m = {S.M2: sp.Rational(1, 5), S.KAPPA1: sp.Rational(1, 5), S.KAPPA2: sp.Rational(1, 5)}
    assert cond.expected_indicator.subs(sparse_m).subs(c, 1) == 0
    assert cond.expected_indicator.subs(sparse_m).subs(c, sp.Rational(1, 2)) != 0

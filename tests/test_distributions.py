"""Tests for :mod:`mesasym.laws`.

Three independent checks meet here:

* exact moments against closed forms typed in below (textbook formulas, not
  taken from the module);
* exact moments against Monte Carlo sample moments of the sampler (z-scores
  from the samples' own standard errors);
* the generic code paths (``moment_tensor``, generic ``kappas``) against the
  specialised ones.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from mesasym.laws import (
    DISTRIBUTION_NAMES,
    Assumption2Report,
    BernoulliGaussian,
    Discrete,
    DiscreteVectorLaw,
    Gaussian,
    IIDCoordinateLaw,
    InitialTokenDistribution,
    Kappas,
    Laplace,
    Mixture,
    Ones,
    Rademacher,
    ShiftedGaussian,
    Sparse,
    StudentT,
    Uniform,
    parse_distribution,
)
from mesasym.errors import InvalidInputError

R = sympy.Rational

# A correlated law: x_1 = (1, 1) or (-1, -1). Mean zero, equal kappas, but
# E[x_{1,1} x_{1,2}] = 1, so it violates Assumption 2.
CORRELATED = DiscreteVectorLaw([[1, 1], [-1, -1]], [R(1, 2), R(1, 2)])
# A scale mixture of Gaussians: dependent coordinates, satisfies Assumption 2.
SCALE_MIXTURE = Mixture((Gaussian(1), Gaussian(2)), (R(1, 4), R(3, 4)))


# ---------------------------------------------------------------------------
# Exact moments against closed forms
# ---------------------------------------------------------------------------


def _scalar_cases() -> list[tuple[IIDCoordinateLaw, dict[int, sympy.Expr]]]:
    """(law, {k: E[x^k]}) with the closed forms written out by hand."""
    s, w, b, nu, p, mu = R(3, 2), R(2, 3), R(1, 3), R(19, 2), R(1, 4), R(1, 2)
    root2 = sympy.sqrt(2)
    return [
        (Gaussian(s), {1: 0, 2: s**2, 3: 0, 4: 3 * s**4, 5: 0, 6: 15 * s**6}),
        (Gaussian(root2), {2: 2, 4: 12, 6: 120}),
        (Uniform(w), {1: 0, 2: w**2 / 3, 4: w**4 / 5, 5: 0, 6: w**6 / 7}),
        (Rademacher(s), {1: 0, 2: s**2, 3: 0, 4: s**4, 6: s**6}),
        (Laplace(b), {1: 0, 2: 2 * b**2, 3: 0, 4: 24 * b**4, 6: 720 * b**6}),
        (
            StudentT(nu),
            {
                1: 0,
                2: nu / (nu - 2),
                3: 0,
                4: 3 * nu**2 / ((nu - 2) * (nu - 4)),
                5: 0,
                6: 15 * nu**3 / ((nu - 2) * (nu - 4) * (nu - 6)),
            },
        ),
        (BernoulliGaussian(p, s), {0: 1, 1: 0, 2: p * s**2, 4: 3 * p * s**4, 6: 15 * p * s**6}),
        (
            Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)]),
            {
                k: R(1, 5) * (-2) ** k + R(1, 2) * 1**k + R(3, 10) * 3**k
                for k in range(7)
            },
        ),
        (
            ShiftedGaussian(mu, s),
            {
                1: mu,
                2: mu**2 + s**2,
                3: mu**3 + 3 * mu * s**2,
                4: mu**4 + 6 * mu**2 * s**2 + 3 * s**4,
                6: mu**6 + 15 * mu**4 * s**2 + 45 * mu**2 * s**4 + 15 * s**6,
            },
        ),
    ]


@pytest.mark.parametrize("law, table", _scalar_cases(), ids=lambda x: repr(x)[:40])
def test_coordinate_moments_match_closed_forms(law, table):
    # Exact equality (SymPy); simplify only to compare sqrt-expressions.
    for k, expected in table.items():
        got = law.coordinate_moment(k)
        assert sympy.simplify(got - expected) == 0, (law, k, got, expected)
        # the vector moment of a single repeated coordinate is the same number
        assert sympy.simplify(law.moment((1,) * k, d=3) - expected) == 0


def test_moments_are_exact_rationals_for_rational_parameters():
    law = parse_distribution("gaussian:sigma=0.1")
    m6 = law.moment((0,) * 6, d=2)
    assert isinstance(m6, sympy.Rational)
    assert m6 == 15 * R(1, 10) ** 6  # exactly, not 15 * 0.1**6 in floating point


def test_iid_cross_moments_factorise():
    s = R(3, 2)
    law = Gaussian(s)
    assert law.moment((0, 0, 1, 1, 1, 1), d=3) == s**2 * 3 * s**4
    assert law.moment((2, 0, 1, 0, 2, 1), d=3) == s**6  # three pairs
    assert law.moment((0, 1), d=3) == 0
    assert law.moment((), d=3) == 1


def test_sparse_moments():
    c, d = R(3, 2), 4
    law = Sparse(c)
    assert law.moment((), d) == 1
    assert law.moment((2,), d) == 0
    assert law.moment((1, 1), d) == c**2 / d
    assert law.moment((1, 1, 1), d) == 0  # random sign
    assert law.moment((3,) * 6, d) == c**6 / d
    assert law.moment((0, 0, 1, 1), d) == 0  # only one nonzero coordinate at a time


def test_ones_moments():
    for indices in [(), (0,), (0, 1, 2), (2, 2, 2, 2, 2, 2)]:
        assert Ones().moment(indices, d=3) == 1


def test_discrete_vector_and_mixture_moments():
    law = DiscreteVectorLaw([[1, 2], [-3, 0]], [R(1, 4), R(3, 4)])
    # E[x_1 x_2^2] = 1/4 * 1 * 4 + 3/4 * (-3) * 0
    assert law.moment((0, 1, 1), d=2) == 1
    # E[x_1^2] = 1/4 + 3/4 * 9
    assert law.moment((0, 0), d=2) == 7
    # Scale mixture: E[x_1^2 x_2^2] = sum_c w_c sigma_c^4 differs from
    # (E[x_1^2])^2 = (sum_c w_c sigma_c^2)^2: the coordinates are dependent.
    e22 = SCALE_MIXTURE.moment((0, 0, 1, 1), d=2)
    assert e22 == R(1, 4) * 1 + R(3, 4) * 16
    assert e22 != SCALE_MIXTURE.moment((0, 0), d=2) ** 2
    assert SCALE_MIXTURE.moment((0, 0, 0, 0, 0, 0), d=2) == 15 * (R(1, 4) + R(3, 4) * 64)


def test_discrete_vector_law_with_irrational_atoms_stays_exact():
    r2 = sympy.sqrt(2)
    law = DiscreteVectorLaw([[r2, 0], [-r2, 1]], [R(1, 2), R(1, 2)])
    assert law.moment((0, 0, 1), d=2) == 1  # 1/2 * 2 * 1
    assert law.moment((0, 0, 0, 0), d=2) == 4
    assert sympy.simplify(law.moment((0, 1), d=2) + r2 / 2) == 0
    assert parse_distribution(law.spec()) == law


def test_student_t_moments_beyond_nu():
    law = StudentT(9)
    assert law.coordinate_moment(8) == 9**4 * R(1 * 3 * 5 * 7, 7 * 5 * 3 * 1)
    assert law.coordinate_moment(10) == sympy.oo
    with pytest.raises(InvalidInputError, match="does not exist"):
        law.coordinate_moment(9)


# ---------------------------------------------------------------------------
# Exact moments against the sampler (Monte Carlo)
# ---------------------------------------------------------------------------

# Index tuples checked for every law, d = 3: means, second moments, cross
# moments, fourth and sixth moments (pure and mixed).
MC_INDICES = [
    (0,),
    (1, 1),
    (0, 1),
    (2, 2, 2),
    (0, 0, 0, 0),
    (0, 0, 1, 1),
    (0, 1, 1, 1),
    (1,) * 6,
    (0, 0, 1, 1, 2, 2),
    (0, 0, 2, 2, 2, 2),
]
MC_LAWS = [
    Gaussian(R(3, 2)),
    Uniform(2),
    Rademacher(R(1, 2)),
    Laplace(R(1, 2)),
    StudentT(30),  # nu > 12: x^6 has finite variance, so its standard error is meaningful
    BernoulliGaussian(R(3, 10), 2),
    Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)]),
    Discrete([-2, 1], [R(1, 3), R(2, 3)]),
    ShiftedGaussian(R(1, 2), 1),
    Sparse(2),
    Ones(),
    DiscreteVectorLaw([[1, 1, 0], [-1, -1, 2], [0, 1, -1]], [R(1, 2), R(1, 4), R(1, 4)]),
    SCALE_MIXTURE,
    Mixture((Sparse(1), ShiftedGaussian(1, 1)), (R(1, 2), R(1, 2))),
]
MC_SAMPLES = 100_000
Z_MAX = 5.0


def _z_scores(law: InitialTokenDistribution, indices_list, n: int, seed: int, d: int = 3):
    """(indices, z, mean, exact) per tuple; z = (sample mean - exact) / (sample std / sqrt(n)).

    If the statistic is constant in the sample (standard error 0), z is
    replaced by an exact-equality check up to floating-point rounding of a
    product of at most 6 numbers (relative 1e-12).
    """
    X = law.sample(np.random.default_rng(seed), n, d)
    out = []
    for indices in indices_list:
        values = np.prod(X[:, list(indices)], axis=1)
        exact = float(law.moment(indices, d))
        mean = values.mean()
        se = values.std(ddof=1) / math.sqrt(n)
        if se == 0.0:
            z = 0.0 if abs(mean - exact) <= 1e-12 * max(1.0, abs(exact)) else math.inf
        else:
            z = (mean - exact) / se
        out.append((indices, z, mean, exact))
    return out


@pytest.mark.parametrize("law", MC_LAWS, ids=lambda law: law.spec()[:40])
def test_sampler_agrees_with_exact_moments(law):
    # Each statistic prod_l x_{1,i_l} has finite variance for these laws
    # (moments up to order 12 are finite), so by the CLT the sample mean is
    # approximately N(exact, se^2) with se estimated from the same sample.
    # |z| < 5 has a false-alarm probability of about 6e-7 per comparison
    # under normality; the seed is fixed, so the test is deterministic.
    for indices, z, mean, exact in _z_scores(law, MC_INDICES, MC_SAMPLES, seed=20240516):
        assert abs(z) < Z_MAX, (law, indices, mean, exact, z)


def test_student_t_nu9_low_moments_agree_with_sampler():
    # For nu = 9 only moments up to order 8 are finite, so z-scores are
    # meaningful for statistics of degree <= 4 (their variance needs order 8).
    law = StudentT(9)
    indices = [(0,), (0, 0), (0, 1), (0, 0, 0, 0), (0, 0, 1, 1)]
    for idx, z, mean, exact in _z_scores(law, indices, MC_SAMPLES, seed=7):
        assert abs(z) < Z_MAX, (idx, mean, exact, z)


def test_monte_carlo_check_has_power():
    # The same z-test, fed the exact moments of a slightly wrong law
    # (sigma 3% too large: E x^2 is 6% and E x^4 12% too large), fails:
    # the comparison above can detect errors of this size.
    X = Gaussian(1).sample(np.random.default_rng(1), MC_SAMPLES, 3)
    wrong = Gaussian(R(103, 100))
    for indices in [(0, 0), (1, 1, 1, 1), (0, 0, 1, 1)]:
        values = np.prod(X[:, list(indices)], axis=1)
        se = values.std(ddof=1) / math.sqrt(MC_SAMPLES)
        z = (values.mean() - float(wrong.moment(indices, 3))) / se
        assert abs(z) > Z_MAX, (indices, z)


# ---------------------------------------------------------------------------
# moment_tensor
# ---------------------------------------------------------------------------

TENSOR_LAWS = [
    Gaussian(R(7, 10)),
    Gaussian(sympy.sqrt(3)),
    ShiftedGaussian(R(-1, 3), R(1, 2)),
    Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)]),
    Sparse(R(3, 2)),
    Ones(),
    DiscreteVectorLaw([[1, 2, 0], [-1, R(1, 3), 5], [0, 0, -2]], [R(1, 2), R(1, 3), R(1, 6)]),
    SCALE_MIXTURE,
]


@pytest.mark.parametrize("law", TENSOR_LAWS, ids=lambda law: law.spec()[:40])
def test_moment_tensor_equals_moment_entrywise_and_is_symmetric(law):
    d, order = 3, 6
    T = law.moment_tensor(order, d)
    assert T.shape == (d,) * order and T.dtype == np.float64
    for index in itertools.product(range(d), repeat=order):
        assert T[index] == float(law.moment(index, d)), index  # bit-exact by contract
    for perm in itertools.permutations(range(order)):
        assert np.array_equal(T, T.transpose(perm))


def test_moment_tensor_low_orders():
    law = ShiftedGaussian(R(1, 2), 1)
    assert law.moment_tensor(0, 2).shape == ()
    assert float(law.moment_tensor(0, 2)) == 1.0
    np.testing.assert_array_equal(law.moment_tensor(1, 2), [0.5, 0.5])
    # E[x x^T] = mu^2 11^T + sigma^2 I
    np.testing.assert_array_equal(law.moment_tensor(2, 2), [[1.25, 0.25], [0.25, 1.25]])


def test_moment_tensor_order6_d8_shape_and_entries():
    law = Gaussian(R(1, 2))
    T = law.moment_tensor(6, 8)
    assert T.shape == (8,) * 6
    assert T[3, 3, 3, 3, 3, 3] == 15 / 64
    assert T[0, 1, 0, 1, 7, 7] == 1 / 64
    assert T[0, 1, 2, 3, 4, 4] == 0.0
    # nonzero entries: exactly the index tuples in which every coordinate
    # occurs an even number of times
    assert np.count_nonzero(T) == _even_tuples(8, 6)


def _even_tuples(d: int, k: int) -> int:
    """Number of length-k tuples over d symbols in which every symbol occurs an even number of times."""
    # coefficient of x^k/k! in cosh(x)^d = 2^-d sum_j C(d, j) e^{(2j - d) x}
    return sum(math.comb(d, j) * (2 * j - d) ** k for j in range(d + 1)) // 2**d


# ---------------------------------------------------------------------------
# kappas
# ---------------------------------------------------------------------------


def test_kappas_closed_forms():
    s, d = R(3, 2), 4
    assert Gaussian(s).kappas(d) == Kappas(3 * s**4, 15 * s**6, 3 * (d - 1) * s**6, s**2)
    w = R(2, 3)
    assert Uniform(w).kappas(d) == Kappas(w**4 / 5, w**6 / 7, (d - 1) * w**2 / 3 * w**4 / 5, w**2 / 3)
    assert Rademacher(s).kappas(d) == Kappas(s**4, s**6, (d - 1) * s**6, s**2)
    b = R(1, 3)
    assert Laplace(b).kappas(d) == Kappas(24 * b**4, 720 * b**6, (d - 1) * 2 * b**2 * 24 * b**4, 2 * b**2)
    p = R(1, 4)
    assert BernoulliGaussian(p, s).kappas(d) == Kappas(
        3 * p * s**4, 15 * p * s**6, (d - 1) * p * s**2 * 3 * p * s**4, p * s**2
    )
    c = R(1, 2)
    assert Sparse(c).kappas(d) == Kappas(c**4 / d, c**6 / d, 0, c**2 / d)
    assert Ones().kappas(5) == Kappas(1, 1, 4, 1)
    nu = 9
    t = StudentT(nu).kappas(2)
    assert t.kappa1 == R(3 * nu**2, (nu - 2) * (nu - 4))
    assert t.kappa2 == R(15 * nu**3, (nu - 2) * (nu - 4) * (nu - 6))
    assert t.kappa3 == R(nu, nu - 2) * t.kappa1
    assert Gaussian(1).kappas(1).kappa3 == 0  # no r != j
    # scale mixture: weighted sums, kappa3 = (d-1) sum_c w_c sigma_c^2 * 3 sigma_c^4
    assert SCALE_MIXTURE.kappas(3) == Kappas(
        3 * (R(1, 4) + R(3, 4) * 16),
        15 * (R(1, 4) + R(3, 4) * 64),
        2 * 3 * (R(1, 4) + R(3, 4) * 64),
        R(1, 4) + R(3, 4) * 4,
    )


def test_kappas_as_floats():
    assert Gaussian(2).kappas(3).as_floats() == (48.0, 960.0, 384.0)


@pytest.mark.parametrize("law", [law for law, _ in _scalar_cases()], ids=lambda x: repr(x)[:40])
def test_iid_closed_form_kappas_match_generic_definition(law):
    # The i.i.d. shortcut (kappa3 = (d-1) m2 m4) against the definition
    # kappa3 = sum_{r != j} E[x_j^2 x_r^4] evaluated through moment().
    for d in (1, 2, 4):
        assert law.kappas(d) == InitialTokenDistribution.kappas(law, d)


def test_kappas_refuse_coordinate_dependent_values():
    law = DiscreteVectorLaw([[1, 0], [-1, 0], [0, 2], [0, -2]], [R(1, 4)] * 4)
    with pytest.raises(InvalidInputError, match="coordinate 2"):
        law.kappas(2)


# ---------------------------------------------------------------------------
# Assumption 2
# ---------------------------------------------------------------------------

SATISFYING = [
    Gaussian(R(1, 2)),
    Uniform(3),
    Rademacher(2),
    Laplace(1),
    StudentT(7),
    BernoulliGaussian(R(1, 10), 3),
    Discrete([-1, 0, 1], [R(1, 4), R(1, 2), R(1, 4)]),
    # skewed but mean zero: satisfies Assumption 2 by its letter
    Discrete([-2, 1], [R(1, 3), R(2, 3)]),
    ShiftedGaussian(0, 2),
    Sparse(R(1, 2)),
    SCALE_MIXTURE,
    DiscreteVectorLaw([[1, 0], [-1, 0], [0, 1], [0, -1]], [R(1, 4)] * 4),
    Mixture((StudentT(7), Uniform(2), Sparse(1)), (R(1, 2), R(1, 4), R(1, 4))),
]


@pytest.mark.parametrize("law", SATISFYING, ids=lambda law: law.spec()[:40])
def test_assumption2_satisfied(law):
    dims = [law.fixed_dimension] if law.fixed_dimension else [1, 2, 5]
    for d in dims:
        report = law.check_assumption2(d)
        assert report.satisfied and bool(report) and report.reasons == (), (d, report)


def test_skewed_mean_zero_discrete_law_is_reported_satisfied():
    law = parse_distribution("discrete:values=-2,1;probs=1/3,2/3")
    assert law.coordinate_moment(1) == 0 and law.coordinate_moment(3) == -2
    assert law.check_assumption2(4)


@pytest.mark.parametrize(
    "law, d, expected_reason",
    [
        (Ones(), 3, "E[x_{1,1}] = 1 is not 0"),
        (Ones(), 3, "E[x_{1,1} x_{1,2}] = 1 is not 0"),
        (Ones(), 1, "E[x_{1,1}] = 1 is not 0"),
        (ShiftedGaussian(R(1, 2), 1), 3, "E[x_{1,1}] = 1/2 is not 0 (the coordinates do not have mean zero)"),
        (Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)]), 2, "E[x_{1,1}] = 1 is not 0"),
        (CORRELATED, 2, "E[x_{1,1} x_{1,2}] = 1 is not 0"),
        (CORRELATED, 2, "E[x_{1,1}^3 x_{1,2}] = 1 is not 0"),
        (
            DiscreteVectorLaw([[1, 0], [-1, 0], [0, 2], [0, -2]], [R(1, 4)] * 4),
            2,
            "kappa1 = E[x_{1,j}^4] is not the same for every coordinate: it is 1/2 for coordinate 1 but 8 for coordinate 2",
        ),
    ],
)
def test_assumption2_violated_with_reason(law, d, expected_reason):
    report = law.check_assumption2(d)
    assert not report.satisfied and not bool(report)
    assert any(expected_reason in reason for reason in report.reasons), report.reasons


def test_correlated_law_lists_exactly_the_offending_monomials():
    # E[x1^a x2^b] = 1 if a + b is even, else 0; the checked monomials have a
    # first power and degree <= 6: x1 x2, x1 x2^3, x1^3 x2, x1 x2^5, x1^5 x2.
    reasons = CORRELATED.check_assumption2(2).reasons
    assert len(reasons) == 5, reasons


def test_assumption2_distinct_coordinate_limit():
    # Atoms: the sign vectors s in {+-1}^n with prod(s) = 1, equally likely.
    # Then E[prod_{i in S} x_i] = 0 unless S is empty or all n coordinates.
    def law(n: int) -> DiscreteVectorLaw:
        atoms = [s for s in itertools.product([1, -1], repeat=n) if math.prod(s) == 1]
        return DiscreteVectorLaw(atoms, [R(1, len(atoms))] * len(atoms))

    # n = 4: E[x1 x2 x3 x4] = 1 involves 4 distinct coordinates -> violation
    report4 = law(4).check_assumption2(4)
    assert not report4 and any("E[x_{1,1} x_{1,2} x_{1,3} x_{1,4}] = 1" in r for r in report4.reasons)
    # n = 5: the only nonzero such mean needs 5 distinct coordinates, outside
    # Assumption 2 (n <= 4) -> satisfied
    assert law(5).check_assumption2(5)


def test_assumption2_report_invariant():
    with pytest.raises(InvalidInputError):
        Assumption2Report(True, ("a reason",))
    with pytest.raises(InvalidInputError):
        Assumption2Report(False, ())


# ---------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------

MINIMAL_SPECS = {
    "discrete": "discrete:values=-1,1;probs=0.5,0.5",
    "discrete-vector": "discrete-vector:atoms=[1,0],[0,1];probs=0.5,0.5",
    "mixture": "mixture:components=[gaussian],[sparse:c=2];weights=0.5,0.5",
}


def test_every_name_parses():
    assert len(set(DISTRIBUTION_NAMES)) == len(DISTRIBUTION_NAMES)
    for name in DISTRIBUTION_NAMES:
        law = parse_distribution(MINIMAL_SPECS.get(name, name))
        assert law.name == name
        assert parse_distribution(law.spec()) == law


def test_defaults():
    assert parse_distribution("gaussian") == Gaussian(1) == Gaussian()
    assert parse_distribution("uniform").w == 1
    assert parse_distribution("rademacher").s == 1
    assert parse_distribution("laplace").scale == 1
    assert parse_distribution("student-t").nu == 9
    bg = parse_distribution("bernoulli-gaussian")
    assert (bg.p, bg.sigma) == (R(3, 10), 1)
    assert parse_distribution("bernoulli-gaussian:sigma=2") == BernoulliGaussian(R(3, 10), 2)
    sg = parse_distribution("shifted-gaussian")
    assert (sg.mu, sg.sigma) == (R(1, 2), 1)
    assert parse_distribution("sparse").c == 1
    assert parse_distribution("ones") == Ones() == parse_distribution("ones:")


def test_numbers_are_stored_exactly():
    law = parse_distribution("gaussian:sigma=0.5")
    assert law.sigma == R(1, 2) and isinstance(law.sigma, sympy.Rational)
    assert Gaussian(0.1).sigma == R(1, 10)  # float through its decimal repr
    assert Gaussian(Fraction(1, 3)).sigma == R(1, 3)
    assert parse_distribution("gaussian:sigma=1/3").sigma == R(1, 3)
    assert parse_distribution("gaussian:sigma=2.5e-3").sigma == R(1, 400)
    assert Gaussian(sympy.sqrt(2)).sigma == sympy.sqrt(2)
    assert parse_distribution("gaussian:sigma=sqrt(2)/2").sigma == sympy.sqrt(2) / 2
    assert Gaussian(np.float64(0.25)).sigma == R(1, 4)


ROUND_TRIP = [
    Gaussian(R(1, 3)),
    Gaussian(sympy.sqrt(2) / 3),
    Gaussian(1 + sympy.sqrt(3)),
    Uniform(R(5, 4)),
    Rademacher(R(7, 1000)),
    Laplace(12),
    StudentT(R(13, 2)),
    BernoulliGaussian(1, R(1, 7)),
    Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)]),
    Discrete([R(-1, 3), sympy.sqrt(2)], [R(1, 3), R(2, 3)]),
    ShiftedGaussian(R(-5, 2), R(1, 8)),
    Sparse(R(2, 3)),
    Ones(),
    DiscreteVectorLaw([[1, R(1, 3)], [-1, 0]], [R(1, 3), R(2, 3)]),
    SCALE_MIXTURE,
    Mixture((SCALE_MIXTURE, Sparse(2)), (R(1, 3), R(2, 3))),  # nested brackets
]


@pytest.mark.parametrize("law", ROUND_TRIP, ids=lambda law: law.spec()[:50])
def test_spec_round_trips(law):
    again = parse_distribution(law.spec())
    assert again == law and hash(again) == hash(law)
    assert again.spec() == law.spec()


def test_spec_tolerates_whitespace_case_and_separators():
    expected = Discrete([-2, 1, 3], [R(1, 5), R(1, 2), R(3, 10)])
    assert parse_distribution(" Discrete : values = -2 , 1 ,3 ; probs = 0.2, 0.5 ,0.3 ") == expected
    assert parse_distribution("discrete:values=-2,1,3,probs=0.2,0.5,0.3") == expected
    assert parse_distribution("bernoulli-gaussian: p=0.5; sigma=2") == BernoulliGaussian(R(1, 2), 2)
    assert parse_distribution("bernoulli-gaussian:sigma=2,p=0.5") == BernoulliGaussian(R(1, 2), 2)
    assert parse_distribution("discrete-vector: atoms = [1, 0], [0, 1] ; probs = 1/2, 1/2").fixed_dimension == 2


def test_spec_canonical_text():
    assert Discrete([3, -2, 1], [0.3, 0.2, 0.5]).spec() == "discrete:values=-2,1,3;probs=0.2,0.5,0.3"
    assert BernoulliGaussian(0.3, 1).spec() == "bernoulli-gaussian:p=0.3,sigma=1"
    assert Gaussian(R(1, 3)).spec() == "gaussian:sigma=1/3"
    assert Ones().spec() == "ones"


@pytest.mark.parametrize(
    "spec, fragments",
    [
        ("foo:x=1", ["unknown distribution name 'foo'", *DISTRIBUTION_NAMES]),
        ("student-t:nu=4", ["nu=4", "sixth moment", "nu must be > 6"]),
        ("student-t:nu=6", ["nu=6", "nu must be > 6"]),
        ("gaussian:sigma=-1", ["sigma=-1 must be a positive finite number"]),
        ("gaussian:sigma=0", ["sigma=0 must be a positive finite number"]),
        ("gaussian:sigma=inf", ["sigma=inf must be a positive finite number"]),
        ("gaussian:sigma=nan", ["sigma=nan must be a positive finite number"]),
        ("gaussian:sigma=abc", ["sigma=abc", "not a number"]),
        ("gaussian:sigma=__import__('os')", ["not a number"]),
        ("gaussian:sigma=9**9**9", ["not a number"]),
        ("gaussian:sigma=1e999999", ["not a number"]),
        ("gaussian:foo=1", ["unknown key 'foo'", "valid keys are: sigma"]),
        ("gaussian:sigma=1,sigma=2", ["'sigma' is given twice", "'gaussian:sigma=1,sigma=2'"]),
        ("gaussian:sigma=1,2", ["'2'", "not of the form key=value", "valid keys are: sigma"]),
        ("gaussian:sigma=", ["'sigma' has no value"]),
        ("gaussian:1", ["not of the form key=value", "valid keys are: sigma"]),
        ("gaussian:sigma=1,,", ["empty parameter"]),
        ("uniform:w=-2", ["w=-2 must be a positive finite number"]),
        ("rademacher:s=0", ["s=0 must be a positive finite number"]),
        ("laplace:scale=-0.5", ["scale=-0.5 must be a positive finite number"]),
        ("sparse:c=-1", ["c=-1 must be a positive finite number"]),
        ("bernoulli-gaussian:p=0", ["p=0 must be in (0, 1]", "degenerate"]),
        ("bernoulli-gaussian:p=1.5", ["p=1.5 must be in (0, 1]"]),
        ("shifted-gaussian:mu=inf", ["mu=inf must be a finite real number"]),
        ("discrete:values=1,2;probs=0.5,0.6", ["sum to 11/10", "must sum exactly to 1"]),
        ("discrete:values=1,2,3;probs=0.5,0.5", ["values has 3 entries but probs has 2", "same length"]),
        ("discrete:values=1,2;probs=1.5,-0.5", ["probs[1]=1.5 must be a probability"]),
        ("discrete:values=1,x;probs=0.5,0.5", ["values[2]=x", "not a number"]),
        ("discrete:values=1,2", ["missing key 'probs'", "valid keys are: values, probs"]),
        ("discrete:values=0,0;probs=0.5,0.5", ["degenerate", "x_1 = 0"]),
        ("discrete:values=0,3;probs=1,0", ["degenerate"]),
        ("ones:c=1", ["unknown key 'c'"]),
        ("discrete-vector:atoms=[0,0],[0,0];probs=0.5,0.5", ["x_1 = 0 almost surely"]),
        ("discrete-vector:atoms=[1,0],[1];probs=0.5,0.5", ["different lengths"]),
        ("discrete-vector:atoms=1,0;probs=0.5,0.5", ["in brackets"]),
        ("mixture:components=[gaussian],[nope];weights=0.5,0.5", ["unknown distribution name 'nope'"]),
        ("mixture:components=[gaussian],[discrete-vector:atoms=[1,0];probs=1];weights=0.5,0.5", []),
        ("mixture:components=[gaussian;weights=1", ["unbalanced brackets"]),
    ],
)
def test_spec_errors(spec, fragments):
    if not fragments:  # a valid spec in the list, to keep the table honest
        parse_distribution(spec)
        return
    with pytest.raises(InvalidInputError) as info:
        parse_distribution(spec)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_programmatic_parameter_errors():
    with pytest.raises(InvalidInputError, match=r"sigma=-1\.0 must be a positive finite number"):
        Gaussian(-1.0)
    with pytest.raises(InvalidInputError, match="positive finite"):
        Gaussian(float("nan"))
    with pytest.raises(InvalidInputError, match="not a number"):
        Gaussian(True)
    with pytest.raises(InvalidInputError, match="real number"):
        Gaussian(sympy.I)
    with pytest.raises(InvalidInputError, match="free symbols"):
        Gaussian(sympy.Symbol("s"))
    with pytest.raises(InvalidInputError, match="not a number"):
        Gaussian([1])
    with pytest.raises(InvalidInputError, match="not an InitialTokenDistribution"):
        Mixture(("gaussian",), (1,))
    with pytest.raises(InvalidInputError, match="different dimensions"):
        Mixture((DiscreteVectorLaw([[1, 0]], [1]), DiscreteVectorLaw([[1, 0, 0]], [1])), (0.5, 0.5))
    with pytest.raises(InvalidInputError, match="must be a string"):
        parse_distribution(3)  # type: ignore[arg-type]


def test_canonical_forms_merge_and_drop_atoms():
    assert Discrete([1, 1, -2], [R(1, 3)] * 3) == Discrete([-2, 1], [R(1, 3), R(2, 3)])
    assert Discrete([1, 5, -1], [0.5, 0, 0.5]) == Discrete([-1, 1], [0.5, 0.5])
    assert Mixture((Gaussian(1), Gaussian(1.0)), (0.5, 0.5)) == Mixture((Gaussian(1),), (1,))


def test_laws_are_hashable_comparable_and_readable():
    laws = {Gaussian(1), Gaussian(1.0), parse_distribution("gaussian"), Uniform(1), Ones()}
    assert len(laws) == 3
    assert Gaussian(1) != Uniform(1)
    assert repr(Gaussian(R(1, 2))) == "Gaussian(sigma=1/2)"
    assert "probs=(1/5, 1/2, 3/10)" in repr(Discrete([-2, 1, 3], [0.2, 0.5, 0.3]))
    with pytest.raises(AttributeError):
        Gaussian(1).sigma = 2  # type: ignore[misc]


@given(
    values=st.lists(st.integers(-20, 20), min_size=1, max_size=5),
    data=st.data(),
)
def test_discrete_spec_round_trip_and_moments_property(values, data):
    weights = data.draw(st.lists(st.integers(1, 9), min_size=len(values), max_size=len(values)))
    total = sum(weights)
    probs = [Fraction(w, total) for w in weights]
    if all(v == 0 for v in values):
        with pytest.raises(InvalidInputError, match="degenerate"):
            Discrete(values, probs)
        return
    law = Discrete(values, probs)
    assert parse_distribution(law.spec()) == law
    for k in range(7):
        direct = sum(Fraction(w, total) * Fraction(v) ** k for v, w in zip(values, weights))
        assert law.coordinate_moment(k) == R(direct.numerator, direct.denominator)


# ---------------------------------------------------------------------------
# Dimensions, indices, sampling
# ---------------------------------------------------------------------------


def test_dimension_and_index_validation():
    law = Gaussian(1)
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(InvalidInputError):
            law.validate_dimension(bad)  # type: ignore[arg-type]
    law.validate_dimension(np.int64(3))
    with pytest.raises(InvalidInputError, match="d must be 2"):
        CORRELATED.validate_dimension(3)
    with pytest.raises(InvalidInputError, match="out of range"):
        law.moment((0, 3), d=3)
    with pytest.raises(InvalidInputError, match="out of range"):
        law.moment((-1,), d=3)
    with pytest.raises(InvalidInputError, match="must be an integer"):
        law.moment((0.5,), d=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="d must be 2"):
        CORRELATED.sample(np.random.default_rng(0), 5, 3)
    with pytest.raises(InvalidInputError, match="numpy.random.Generator"):
        law.sample(0, 5, 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="non-negative"):
        law.sample(np.random.default_rng(0), -1, 3)


ALL_LAWS = MC_LAWS + [StudentT(9), CORRELATED]


@pytest.mark.parametrize("law", ALL_LAWS, ids=lambda law: law.spec()[:40])
def test_sampling_is_reproducible_with_shape_and_dtype(law):
    d = law.fixed_dimension or 4
    a = law.sample(np.random.default_rng(123), 50, d)
    b = law.sample(np.random.default_rng(123), 50, d)
    assert a.shape == (50, d) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert law.sample(np.random.default_rng(123), 0, d).shape == (0, d)
    if not isinstance(law, Ones):
        c = law.sample(np.random.default_rng(124), 50, d)
        assert not np.array_equal(a, c)


def test_sparse_samples_have_one_nonzero_entry_of_size_c():
    X = Sparse(R(3, 2)).sample(np.random.default_rng(5), 1000, 4)
    assert np.all(np.count_nonzero(X, axis=1) == 1)
    assert np.all(np.abs(X[X != 0]) == 1.5)


def test_discrete_samples_take_only_the_atoms():
    X = Discrete([-2, 1, 3], [0.2, 0.5, 0.3]).sample(np.random.default_rng(5), 1000, 3)
    assert set(np.unique(X)) == {-2.0, 1.0, 3.0}
    rows = DiscreteVectorLaw([[1, 2], [-3, 0]], [0.25, 0.75]).sample(np.random.default_rng(5), 500, 2)
    assert {tuple(r) for r in rows} == {(1.0, 2.0), (-3.0, 0.0)}

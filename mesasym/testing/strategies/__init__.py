r"""Hypothesis strategies for mesasym: laws of ``x_1``, initializations, ``T`` and ``d``.

Every parameter is an exact rational (:class:`sympy.Rational`), so every
moment, kappa and fixed point drawn from these strategies is exact. All
strategies shrink towards simple examples (small integers, few atoms, ``d = 1``,
``T = 3``).

Laws that satisfy the hypotheses of Theorem 1
    :func:`satisfying_laws` -- Assumption 2 *and* the two extra moment conditions
    the reduction to one ``(a, b)`` needs (see "Findings" below): every family
    with random valid parameters (:func:`gaussian_laws`, :func:`uniform_laws`,
    :func:`rademacher_laws`, :func:`laplace_laws`, :func:`student_t_laws`,
    :func:`bernoulli_gaussian_laws`, :func:`centred_shifted_gaussian_laws`,
    :func:`symmetric_discrete_laws`, :func:`sparse_laws`), mixtures of them
    (:func:`mixture_laws`) and, for a given ``d >= 2``, non-exchangeable
    sign- and cyclically-symmetric discrete vector laws
    (:func:`cyclic_symmetric_laws`). :func:`kappa3_zero_laws` draws laws with
    :math:`\kappa_3 = 0`.

Laws that violate them
    :func:`violating_laws` -- :func:`shifted_laws` (mean ``mu != 0``),
    :func:`asymmetric_laws` (i.i.d. discrete with nonzero mean),
    :func:`ones_laws`, :func:`correlated_laws` (``x_1 = +-v``),
    :func:`unequal_coordinate_laws` (coordinates with different scales),
    :func:`skewed_mean_zero_laws` (mean zero, :math:`E x^3 \ne 0`: satisfies
    Assumption 2 *as stated* but not the reduction, ``d >= 2``) and
    :func:`column_sum_laws` (``d = 3``: equal kappas and row sums, unequal
    column sums). :func:`mean_zero_discrete_laws` draws arbitrary mean-zero
    i.i.d. discrete laws, symmetric or skewed: all satisfy Assumption 2 as
    stated.

Initializations and sizes
    :func:`ordinary_initializations` (``a0 != -b0``: the flow reaches the fixed
    point), :func:`degenerate_initializations` (``a0 = -b0``: the flow goes to the
    saddle at the origin), :func:`initializations` (both), :func:`manifold_points`,
    :func:`dimensions`, :func:`horizons`, :func:`seeds`, and :func:`cases`, which
    draws a whole :class:`Case` (law, ``d``, ``T``, ``a0``, ``b0``, seed) that prints
    itself as a ``mesasym check-fixed-point`` command.

Findings the strategies respect (THEORY §4, issue 6)
    1. Assumption 2 as stated is not sufficient for Theorem 1's invariance: a
       mean-zero skewed i.i.d. law has :math:`E[x_j^3 x_k^3] = (E x^3)^2 \ne 0`,
       which gives the off-diagonal entries of both red blocks a nonzero
       population gradient at Assumption-1 points (``d >= 2``).
    2. For ``d >= 3`` a non-exchangeable law also needs equal column sums
       :math:`\sum_{r \ne j} E[x_r^2 x_j^4]`.

    :func:`satisfying_laws` only draws laws meeting both (sign-symmetric
    coordinates; exchangeable or cyclically symmetric), and the test suite
    checks that every drawn law passes
    :meth:`~mesasym.laws.InitialTokenDistribution.check_assumption2`
    and :func:`mesasym.symbolic.reduction_violations`.

Modules: :mod:`.numbers` (rationals, sizes, seeds), :mod:`.satisfying` (laws meeting the
hypotheses), :mod:`.violating` (laws breaking them), :mod:`.cases` (initializations, :class:`Case`,
:func:`cases`, :func:`scale_law`); everything is re-exported here.

Example::

    from hypothesis import given
    from mesasym.testing import strategies as ms

    @given(ms.cases(laws=ms.satisfying_laws, max_d=3, max_T=10))
    def test_fixed_point_is_positive(case):
        k = case.dist.kappas(case.d)
        assert k.kappa1 > 0
"""

from __future__ import annotations

from mesasym.testing.strategies.numbers import LawStrategy, dimensions, horizons, rationals, seeds
from mesasym.testing.strategies.satisfying import (
    SATISFYING_FAMILIES,
    bernoulli_gaussian_laws,
    centred_shifted_gaussian_laws,
    cyclic_symmetric_laws,
    gaussian_laws,
    iid_symmetric_laws,
    kappa3_zero_laws,
    laplace_laws,
    mixture_laws,
    rademacher_laws,
    satisfying_laws,
    sparse_laws,
    student_t_laws,
    symmetric_discrete_laws,
    uniform_laws,
)
from mesasym.testing.strategies.violating import (
    asymmetric_laws,
    column_sum_law,
    column_sum_laws,
    correlated_laws,
    law_families,
    mean_zero_discrete_laws,
    ones_laws,
    shifted_laws,
    skewed_mean_zero_laws,
    unequal_coordinate_laws,
    violating_laws,
)
from mesasym.testing.strategies.case import (
    Case,
    cases,
    degenerate_initializations,
    initializations,
    manifold_points,
    ordinary_initializations,
    scale_law,
)

__all__ = [
    "Case",
    "rationals",
    "dimensions",
    "horizons",
    "seeds",
    "gaussian_laws",
    "uniform_laws",
    "rademacher_laws",
    "laplace_laws",
    "student_t_laws",
    "bernoulli_gaussian_laws",
    "centred_shifted_gaussian_laws",
    "symmetric_discrete_laws",
    "sparse_laws",
    "iid_symmetric_laws",
    "mixture_laws",
    "cyclic_symmetric_laws",
    "satisfying_laws",
    "kappa3_zero_laws",
    "shifted_laws",
    "asymmetric_laws",
    "ones_laws",
    "correlated_laws",
    "unequal_coordinate_laws",
    "skewed_mean_zero_laws",
    "mean_zero_discrete_laws",
    "column_sum_law",
    "column_sum_laws",
    "violating_laws",
    "ordinary_initializations",
    "degenerate_initializations",
    "initializations",
    "manifold_points",
    "cases",
    "scale_law",
    "law_families",
    "SATISFYING_FAMILIES",
    "LawStrategy",
]

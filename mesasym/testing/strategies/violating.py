"""Hypothesis strategies for laws of ``x_1`` that violate the hypotheses of Theorem 1 (see the package docstring)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import sympy as sp
from hypothesis import strategies as st

from mesasym.errors import InvalidInputError
from mesasym.laws import Discrete, DiscreteVectorLaw, InitialTokenDistribution, Mixture, Ones, ShiftedGaussian
from mesasym.testing.strategies.numbers import LawStrategy, positive_numbers, rationals
from mesasym.testing.strategies.satisfying import iid_symmetric_laws, kappa3_zero_laws, satisfying_laws, symmetric_discrete_laws


# --------------------------------------------------------------------------
# Laws violating the hypotheses
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def shifted_laws() -> LawStrategy:
    """``N(mu 1, sigma^2 I)`` with ``mu != 0`` (Assumption 2's mean-zero part fails)."""
    return st.builds(
        ShiftedGaussian, mu=rationals(-1, 1, exclude_zero=True), sigma=positive_numbers("1/4", 2)
    )


@functools.lru_cache(maxsize=64)
def asymmetric_laws(max_atoms: int = 3) -> LawStrategy:
    """I.i.d. discrete coordinates with a nonzero mean."""
    pairs = st.lists(
        st.tuples(st.integers(-3, 3), st.integers(1, 5)), min_size=1, max_size=max_atoms, unique_by=lambda p: p[0]
    ).filter(lambda pairs_: any(v for v, _ in pairs_))

    def build(pairs_: list[tuple[int, int]]) -> InitialTokenDistribution:
        values = [v for v, _ in pairs_]
        total = sum(w for _, w in pairs_)
        probs = [sp.Rational(w, total) for _, w in pairs_]
        if sum(v * p for v, p in zip(values, probs)) == 0:  # nudge to a nonzero mean
            k = max(range(len(values)), key=lambda i: abs(values[i]))
            values[k] += 1 if values[k] > 0 else -1
        return Discrete(values, probs)

    return st.builds(build, pairs)


def ones_laws() -> LawStrategy:
    """The all-ones start ``x_1 = 1_d`` (THEORY §8)."""
    return st.just(Ones())


@functools.lru_cache(maxsize=16)
def correlated_laws(d: int) -> LawStrategy:
    """``x_1 = +-v`` (fair sign) for a random vector ``v`` with ``>= 2`` nonzero entries (``d >= 2``).

    Mean zero, but ``E[x_i x_j] = v_i v_j != 0``: correlated coordinates.
    """
    if d < 2:
        raise InvalidInputError(f"d={d!r} must be >= 2 for correlated coordinates")
    vectors = st.lists(st.integers(-2, 2), min_size=d, max_size=d).filter(lambda v: sum(1 for x in v if x) >= 2)
    return vectors.map(lambda v: DiscreteVectorLaw([tuple(v), tuple(-x for x in v)], [sp.Rational(1, 2)] * 2))


@functools.lru_cache(maxsize=16)
def unequal_coordinate_laws(d: int) -> LawStrategy:
    """Independent ``+-s_j`` coordinates whose scales ``s_j`` are not all equal (``d >= 2``).

    Symmetric and uncorrelated, but ``kappa_1 = E x_j^4`` differs across ``j``.
    """
    if d < 2:
        raise InvalidInputError(f"d={d!r} must be >= 2 for coordinates with different scales")

    def build(scales: list[int]) -> InitialTokenDistribution:
        atoms = [tuple(sign * s for sign, s in zip(signs, scales)) for signs in itertools.product((1, -1), repeat=d)]
        return DiscreteVectorLaw(atoms, [sp.Rational(1, len(atoms))] * len(atoms))

    return st.lists(st.integers(1, 3), min_size=d, max_size=d).filter(lambda s: len(set(s)) > 1).map(build)


@functools.lru_cache(maxsize=16)
def mean_zero_discrete_laws(max_atoms: int = 3, symmetric: bool = False) -> LawStrategy:
    """I.i.d. discrete coordinates centred to mean zero: symmetric or skewed.

    Integer atoms with integer weights, shifted by their mean. Every such law
    satisfies Assumption 2 *as stated* (i.i.d. and mean zero); the skewed ones
    violate ``E x_j^3 x_k^3 = 0`` for ``d >= 2``. ``symmetric=True`` draws
    only symmetric laws (atoms ``+-v``, equal weights).
    """
    if symmetric:
        return symmetric_discrete_laws(max_atoms=max_atoms)
    pairs = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 4)), min_size=2, max_size=max_atoms, unique_by=lambda p: p[0])

    def build(pairs_: list[tuple[int, int]]) -> InitialTokenDistribution:
        total = sum(w for _, w in pairs_)
        probs = [sp.Rational(w, total) for _, w in pairs_]
        mean = sum(v * p for (v, _), p in zip(pairs_, probs))
        return Discrete([v - mean for v, _ in pairs_], probs)

    return st.builds(build, pairs)


def skewed_mean_zero_laws(max_atoms: int = 3) -> LawStrategy:
    """Mean-zero i.i.d. discrete laws with ``E x^3 != 0`` (finding 1).

    They satisfy Assumption 2 as stated, yet for ``d >= 2``
    ``E x_j^3 x_k^3 = (E x^3)^2 != 0`` moves the off-diagonal entries of both red
    blocks away from zero.
    """
    return mean_zero_discrete_laws(max_atoms=max_atoms).filter(lambda law: law.coordinate_moment(3) != 0)


# The column-sum example (found with a small linear programme, then made exact):
# atoms v with weight w out of 229, each spread evenly over the sign flips of v.
_COLUMN_SUM_BASES: tuple[tuple[tuple[int, int, int], int], ...] = (
    ((0, 2, 0), 27),
    ((0, 2, 2), 37),
    ((1, 0, 1), 64),
    ((2, 1, 2), 64),
    ((2, 2, 0), 37),
)


def column_sum_law() -> DiscreteVectorLaw:
    r"""A ``d = 3`` law meeting Assumption 2 but not the column-sum condition (finding 2).

    Sign-symmetric (so every monomial with an odd power vanishes and
    :math:`E x_j^3 x_k^3 = 0`), with :math:`\kappa_1, \kappa_2` and the row sums
    :math:`\kappa_3 = \sum_{r \ne j} E x_j^2 x_r^4` the same for every ``j``, but
    with column sums :math:`\sum_{r \ne j} E x_r^2 x_j^4` that differ, so the
    diagonal of :math:`W^{KQ}_{32}` does not stay a multiple of the identity.
    """
    atoms, probs = [], []
    total = sum(w for _, w in _COLUMN_SUM_BASES)
    for base, w in _COLUMN_SUM_BASES:
        support = [i for i, v in enumerate(base) if v]
        flips = list(itertools.product((1, -1), repeat=len(support)))
        for signs in flips:
            atom = list(base)
            for i, s in zip(support, signs):
                atom[i] *= s
            atoms.append(tuple(atom))
            probs.append(sp.Rational(w, total * len(flips)))
    return DiscreteVectorLaw(atoms, probs)


@functools.lru_cache(maxsize=64)
def column_sum_laws() -> LawStrategy:
    """:func:`column_sum_law` mixed with a random i.i.d. symmetric law (``d = 3``).

    Mixing with an exchangeable symmetric law keeps the kappas and row sums
    equal and the column sums unequal.
    """

    def build(other: InitialTokenDistribution, weight: int) -> InitialTokenDistribution:
        if weight == 4:
            return column_sum_law()
        return Mixture([column_sum_law(), other], [sp.Rational(weight, 4), sp.Rational(4 - weight, 4)])

    return st.builds(build, iid_symmetric_laws(heavy_tails=False), st.integers(1, 4))


def violating_laws(d: int | None = None) -> LawStrategy:
    """Laws that violate Assumption 2 or the reduction conditions in dimension ``d``.

    ``d=None`` (or 1) draws the dimension-free ones: shifted, asymmetric and
    all-ones; ``d >= 2`` adds correlated, unequal-coordinate and skewed mean-zero
    laws; ``d = 3`` adds the column-sum laws.
    """
    choices: list[LawStrategy] = [shifted_laws(), asymmetric_laws(), ones_laws()]
    if d is not None and d >= 2:
        choices += [correlated_laws(d), unequal_coordinate_laws(d), skewed_mean_zero_laws()]
    if d == 3:
        choices.append(column_sum_laws())
    return st.one_of(choices)


def law_families() -> dict[str, Callable[..., LawStrategy]]:
    """Name -> strategy factory, for listing (``mesasym property-test --list``)."""
    return {
        "satisfying": satisfying_laws,
        "kappa3-zero": kappa3_zero_laws,
        "violating": violating_laws,
        "mean-zero-discrete": mean_zero_discrete_laws,
        "skewed-mean-zero": skewed_mean_zero_laws,
        "column-sum": column_sum_laws,
    }

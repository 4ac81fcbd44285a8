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

Example::

    from hypothesis import given
    from mesasym.testing import strategies as ms

    @given(ms.cases(laws=ms.satisfying_laws, max_d=3, max_T=10))
    def test_fixed_point_is_positive(case):
        k = case.dist.kappas(case.d)
        assert k.kappa1 > 0
"""

from __future__ import annotations

import functools
import itertools
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from mesasym.laws import (
    BernoulliGaussian,
    Discrete,
    DiscreteVectorLaw,
    Gaussian,
    InitialTokenDistribution,
    Laplace,
    Mixture,
    Ones,
    Rademacher,
    ShiftedGaussian,
    Sparse,
    StudentT,
    Uniform,
)
from mesasym.errors import InvalidInputError

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
]

LawStrategy = st.SearchStrategy[InitialTokenDistribution]

#: Family names :func:`satisfying_laws` can draw (``exclude`` takes a subset).
SATISFYING_FAMILIES: tuple[str, ...] = (
    "gaussian",
    "uniform",
    "rademacher",
    "laplace",
    "student-t",
    "bernoulli-gaussian",
    "shifted-gaussian",
    "discrete",
    "sparse",
    "mixture",
    "cyclic",
)


# --------------------------------------------------------------------------
# Numbers and sizes
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def rationals(
    min_value: Any = 0, max_value: Any = 1, *, max_denominator: int = 8, exclude_zero: bool = False
) -> st.SearchStrategy[sp.Rational]:
    """Exact rationals in ``[min_value, max_value]`` with denominators ``<= max_denominator``.

    Shrinks towards 0 (or the bound closest to it) and small denominators.
    """
    low, high = Fraction(str(min_value)), Fraction(str(max_value))
    if low > high:
        raise InvalidInputError(f"min_value={min_value!r} must not exceed max_value={max_value!r}")
    base = st.fractions(min_value=low, max_value=high, max_denominator=max_denominator)
    if exclude_zero:
        base = base.filter(lambda f: f != 0)
    return base.map(lambda f: sp.Rational(f.numerator, f.denominator))


def _positive(min_value: Any, max_value: Any, max_denominator: int = 8) -> st.SearchStrategy[sp.Rational]:
    if Fraction(str(min_value)) <= 0:
        raise InvalidInputError(f"min_value={min_value!r} must be positive for a scale parameter")
    return rationals(min_value, max_value, max_denominator=max_denominator)


@functools.lru_cache(maxsize=64)
def dimensions(min_d: int = 1, max_d: int = 4) -> st.SearchStrategy[int]:
    """Token dimensions ``d`` in ``[min_d, max_d]`` (shrinks to ``min_d``)."""
    if not 1 <= min_d <= max_d:
        raise InvalidInputError(f"dimensions({min_d!r}, {max_d!r}) needs 1 <= min_d <= max_d")
    return st.integers(min_d, max_d)


@functools.lru_cache(maxsize=64)
def horizons(min_T: int = 3, max_T: int = 50) -> st.SearchStrategy[int]:
    """Sequence lengths ``T`` in ``[min_T, max_T]`` (shrinks to ``min_T``; ``T >= 3``)."""
    if not 3 <= min_T <= max_T:
        raise InvalidInputError(f"horizons({min_T!r}, {max_T!r}) needs 3 <= min_T <= max_T")
    return st.integers(min_T, max_T)


@functools.lru_cache(maxsize=64)
def seeds() -> st.SearchStrategy[int]:
    """Seeds for :func:`numpy.random.default_rng` (``0 <= seed < 2**32``)."""
    return st.integers(0, 2**32 - 1)


# --------------------------------------------------------------------------
# Laws satisfying Assumption 2 and the reduction conditions
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def gaussian_laws(min_sigma: Any = "1/4", max_sigma: Any = 2) -> LawStrategy:
    """``N(0, sigma^2 I_d)`` with rational ``sigma``."""
    return _positive(min_sigma, max_sigma).map(Gaussian)


@functools.lru_cache(maxsize=64)
def uniform_laws(min_w: Any = "1/4", max_w: Any = 3) -> LawStrategy:
    """I.i.d. coordinates uniform on ``[-w, w]``."""
    return _positive(min_w, max_w).map(Uniform)


@functools.lru_cache(maxsize=64)
def rademacher_laws(min_s: Any = "1/4", max_s: Any = 2) -> LawStrategy:
    """I.i.d. coordinates ``+-s``."""
    return _positive(min_s, max_s).map(Rademacher)


@functools.lru_cache(maxsize=64)
def laplace_laws(min_scale: Any = "1/4", max_scale: Any = 1) -> LawStrategy:
    """I.i.d. Laplace coordinates (``E x^6 = 720 scale^6``)."""
    return _positive(min_scale, max_scale).map(Laplace)


@functools.lru_cache(maxsize=64)
def student_t_laws(min_nu: Any = "25/4", max_nu: Any = 30) -> LawStrategy:
    """I.i.d. standard Student-t coordinates, ``nu > 6`` rational (finite sixth moment).

    Heavy tails: for ``nu <= 12`` the Monte Carlo estimates involve infinite
    twelfth moments (their error then shrinks more slowly than ``1/sqrt(N)``).
    """
    if Fraction(str(min_nu)) <= 6:
        raise InvalidInputError(f"min_nu={min_nu!r} must be > 6 (the sixth moment must be finite)")
    return rationals(min_nu, max_nu, max_denominator=4).map(StudentT)


@functools.lru_cache(maxsize=64)
def bernoulli_gaussian_laws() -> LawStrategy:
    """Each coordinate ``N(0, sigma^2)`` with probability ``p``, else 0."""
    return st.builds(BernoulliGaussian, p=rationals("1/8", 1, exclude_zero=True), sigma=_positive("1/4", 2))


@functools.lru_cache(maxsize=64)
def centred_shifted_gaussian_laws() -> LawStrategy:
    """The ``shifted-gaussian`` family at ``mu = 0`` (its only satisfying member)."""
    return _positive("1/4", 2).map(lambda sigma: ShiftedGaussian(mu=0, sigma=sigma))


@functools.lru_cache(maxsize=64)
def symmetric_discrete_laws(max_atoms: int = 3, zero_atom: bool = True) -> LawStrategy:
    """I.i.d. coordinates on ``{+-v_1, ..., +-v_k}`` (and possibly 0), ``+v`` and ``-v`` equally likely."""
    pairs = st.lists(
        st.tuples(_positive("1/4", 3, 4), st.integers(1, 5)), min_size=1, max_size=max_atoms, unique_by=lambda p: p[0]
    )
    zero_weights = st.integers(0, 3) if zero_atom else st.just(0)

    def build(pairs_: list[tuple[sp.Rational, int]], zero_weight: int) -> InitialTokenDistribution:
        total = 2 * sum(w for _, w in pairs_) + zero_weight
        values, probs = [], []
        for v, w in pairs_:
            values += [v, -v]
            probs += [sp.Rational(w, total)] * 2
        if zero_weight:
            values.append(sp.Integer(0))
            probs.append(sp.Rational(zero_weight, total))
        return Discrete(values, probs)

    return st.builds(build, pairs, zero_weights)


@functools.lru_cache(maxsize=64)
def sparse_laws(min_c: Any = "1/4", max_c: Any = 2) -> LawStrategy:
    """``x_1 = +-c e_J`` (``J`` uniform, fair sign): ``kappa_3 = 0``."""
    return _positive(min_c, max_c).map(Sparse)


@functools.lru_cache(maxsize=64)
def iid_symmetric_laws(*, heavy_tails: bool = True) -> LawStrategy:
    """Every i.i.d. family with symmetric coordinates (optionally without Student t)."""
    choices = [
        gaussian_laws(),
        uniform_laws(),
        rademacher_laws(),
        laplace_laws(),
        bernoulli_gaussian_laws(),
        centred_shifted_gaussian_laws(),
        symmetric_discrete_laws(),
    ]
    if heavy_tails:
        choices.append(student_t_laws())
    return st.one_of(choices)


def _mixtures(components: LawStrategy, max_components: int) -> LawStrategy:
    parts = st.lists(st.tuples(components, st.integers(1, 5)), min_size=2, max_size=max_components)

    def build(parts_: list[tuple[InitialTokenDistribution, int]]) -> InitialTokenDistribution:
        total = sum(w for _, w in parts_)
        return Mixture([law for law, _ in parts_], [sp.Rational(w, total) for _, w in parts_])

    return st.builds(build, parts)


@functools.lru_cache(maxsize=64)
def mixture_laws(components: LawStrategy | None = None, max_components: int = 3) -> LawStrategy:
    """Mixtures (one component per sample) of laws drawn from ``components``.

    The default components are the i.i.d. symmetric laws and the sparse laws;
    a mixture of exchangeable sign-symmetric laws is again one (its coordinates
    are dependent, but Assumption 2 and the reduction conditions hold).
    """
    if components is None:
        components = st.one_of(iid_symmetric_laws(heavy_tails=False), sparse_laws())
    return _mixtures(components, max_components)


def _cyclic_sign_orbit(base: tuple[sp.Rational, ...]) -> list[tuple[sp.Rational, ...]]:
    d = len(base)
    atoms = set()
    for shift in range(d):
        rotated = base[shift:] + base[:shift]
        for signs in itertools.product((1, -1), repeat=d):
            atoms.add(tuple(s * v for s, v in zip(signs, rotated)))
    return sorted(atoms, key=lambda atom: tuple(float(v) for v in atom))


@functools.lru_cache(maxsize=16)
def cyclic_symmetric_laws(d: int, max_bases: int = 2) -> LawStrategy:
    """Discrete vector laws invariant under coordinate sign flips and cyclic shifts (``d >= 2``).

    Atoms: the orbits of 1-2 random base vectors under the ``2^d`` sign flips
    and the ``d`` cyclic shifts, each orbit with a random weight spread evenly.
    Sign flips make every monomial with an odd power vanish (Assumption 2's
    mean-zero part and ``E x_j^3 x_k^3 = 0``); the cyclic shifts make the kappas,
    the row sums and the column sums equal. For ``d >= 3`` such a law is in
    general *not* exchangeable (e.g. ``E x_1^2 x_2^4 != E x_1^4 x_2^2``), so
    it exercises the general (non-exchangeable) code paths.
    """
    if d < 2:
        raise InvalidInputError(f"d={d!r} must be >= 2 for a cyclically symmetric vector law")
    entry = st.integers(0, 3).map(sp.Integer)
    vector = st.lists(entry, min_size=d, max_size=d).map(tuple).filter(any)
    bases = st.lists(st.tuples(vector, st.integers(1, 4)), min_size=1, max_size=max_bases, unique_by=lambda b: b[0])

    def build(bases_: list[tuple[tuple[sp.Integer, ...], int]]) -> InitialTokenDistribution:
        total = sum(w for _, w in bases_)
        atoms, probs = [], []
        for base, w in bases_:
            orbit = _cyclic_sign_orbit(base)
            atoms += orbit
            probs += [sp.Rational(w, total * len(orbit))] * len(orbit)
        return DiscreteVectorLaw(atoms, probs)

    return st.builds(build, bases)


def satisfying_laws(d: int | None = None, *, exclude: frozenset[str] | set[str] = frozenset()) -> LawStrategy:
    """Laws satisfying Assumption 2 and the reduction conditions in dimension ``d``.

    ``d=None`` draws only laws valid in every dimension (no cyclic vector
    laws). ``exclude`` removes families by name (see :data:`SATISFYING_FAMILIES`),
    e.g. ``{"student-t"}`` for laws with a scale parameter and finite
    twelfth moments.
    """
    return _satisfying_laws(d, frozenset(exclude))


@functools.lru_cache(maxsize=64)
def _satisfying_laws(d: int | None, exclude: frozenset[str]) -> LawStrategy:
    unknown = set(exclude) - set(SATISFYING_FAMILIES)
    if unknown:
        raise InvalidInputError(
            f"exclude={sorted(unknown)!r} names unknown families; valid names are: {', '.join(SATISFYING_FAMILIES)}"
        )
    table: dict[str, LawStrategy] = {
        "gaussian": gaussian_laws(),
        "uniform": uniform_laws(),
        "rademacher": rademacher_laws(),
        "laplace": laplace_laws(),
        "student-t": student_t_laws(),
        "bernoulli-gaussian": bernoulli_gaussian_laws(),
        "shifted-gaussian": centred_shifted_gaussian_laws(),
        "discrete": symmetric_discrete_laws(),
        "sparse": sparse_laws(),
    }
    if "mixture" not in exclude:
        parts = [s for name, s in table.items() if name not in exclude and name != "student-t"]
        table["mixture"] = mixture_laws(st.one_of(parts) if parts else None)
    if d is not None and d >= 2 and "cyclic" not in exclude:
        table["cyclic"] = cyclic_symmetric_laws(d)
    chosen = [s for name, s in table.items() if name not in exclude]
    if not chosen:
        raise InvalidInputError(f"exclude={sorted(exclude)!r} leaves no family to draw from")
    return st.one_of(chosen)


@functools.lru_cache(maxsize=16)
def kappa3_zero_laws(d: int | None = None) -> LawStrategy:
    r"""Laws with :math:`\kappa_3 = 0` (then ``a~b~ = kappa_1/kappa_2`` for every ``T``).

    For ``d = 1`` every satisfying law (the row sum is empty); otherwise laws
    with one nonzero coordinate: sparse laws and mixtures of sparse laws.
    """
    sparse_like = st.one_of(sparse_laws(), mixture_laws(sparse_laws()))
    if d == 1:
        return st.one_of(sparse_like, satisfying_laws(1))
    return sparse_like


# --------------------------------------------------------------------------
# Laws violating the hypotheses
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def shifted_laws() -> LawStrategy:
    """``N(mu 1, sigma^2 I)`` with ``mu != 0`` (Assumption 2's mean-zero part fails)."""
    return st.builds(
        ShiftedGaussian, mu=rationals(-1, 1, exclude_zero=True), sigma=_positive("1/4", 2)
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


# --------------------------------------------------------------------------
# Initializations
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def ordinary_initializations(max_abs: Any = 2) -> st.SearchStrategy[tuple[sp.Rational, sp.Rational]]:
    """``(a0, b0)`` with ``a0 != -b0``: the reduced flow reaches ``a~b~`` (THEORY §5)."""
    value = rationals(-max_abs, max_abs, max_denominator=10)
    return st.tuples(value, value).filter(lambda ab: ab[0] + ab[1] != 0)


@functools.lru_cache(maxsize=64)
def degenerate_initializations(max_abs: Any = 2) -> st.SearchStrategy[tuple[sp.Rational, sp.Rational]]:
    """``(a0, -a0)``, including the origin: the flow goes to the saddle at the origin."""
    return rationals(-max_abs, max_abs, max_denominator=10).map(lambda a: (a, -a))


@functools.lru_cache(maxsize=64)
def initializations(max_abs: Any = 2) -> st.SearchStrategy[tuple[sp.Rational, sp.Rational]]:
    """Ordinary and degenerate initializations."""
    return st.one_of(ordinary_initializations(max_abs), degenerate_initializations(max_abs))


@functools.lru_cache(maxsize=64)
def manifold_points(max_abs: Any = 2) -> st.SearchStrategy[tuple[sp.Rational, sp.Rational]]:
    """Any ``(a, b)`` for the Assumption-1 point ``W^{KQ}_{32} = aI``, ``W^{PV}_{12} = bI``."""
    value = rationals(-max_abs, max_abs, max_denominator=10)
    return st.tuples(value, value)


# --------------------------------------------------------------------------
# Whole cases
# --------------------------------------------------------------------------


def _number(x: Any) -> str:
    return str(sp.Rational(x)) if not isinstance(x, str) else x


@dataclass(frozen=True)
class Case:
    """One setting of Theorem 1: a law of ``x_1``, ``d``, ``T``, ``(a0, b0)`` and a seed.

    :meth:`command` prints the ``mesasym check-fixed-point`` command that checks
    it from scratch (useful for a counterexample).
    """

    dist: InitialTokenDistribution
    d: int
    T: int
    a0: sp.Rational = field(default_factory=lambda: sp.Rational(1, 10))
    b0: sp.Rational = field(default_factory=lambda: sp.Rational(1, 10))
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.dist, InitialTokenDistribution):
            raise InvalidInputError(f"dist={self.dist!r} must be an InitialTokenDistribution")
        self.dist.validate_dimension(self.d)
        if isinstance(self.T, bool) or not isinstance(self.T, int) or self.T < 3:
            raise InvalidInputError(f"T={self.T!r} must be an integer >= 3")
        object.__setattr__(self, "a0", sp.Rational(self.a0))
        object.__setattr__(self, "b0", sp.Rational(self.b0))

    def command(self, *, engine: str | None = None, samples: int | None = None, seed: bool = False) -> str:
        """The ready-to-run ``mesasym check-fixed-point`` command for this case."""
        parts = [
            "mesasym",
            "check-fixed-point",
            f"--T {self.T}",
            f"--d {self.d}",
            f"--dist {shlex.quote(self.dist.spec())}",
            f"--a0={_number(self.a0)}",
            f"--b0={_number(self.b0)}",
        ]
        if engine is not None:
            parts.append(f"--engine {engine}")
        if samples is not None:
            parts.append(f"--samples {samples}")
        if seed or engine == "monte-carlo":
            parts.append(f"--seed {self.seed}")
        return " ".join(parts)

    def describe(self) -> str:
        """One line: ``T=.., d=.., dist=.., (a0, b0)=(.., ..), seed=..``."""
        return (
            f"T={self.T}, d={self.d}, dist={self.dist.spec()}, "
            f"(a0, b0)=({_number(self.a0)}, {_number(self.b0)}), seed={self.seed}"
        )


_LAW_STRATEGY_CACHE: dict[tuple[Callable[[int], LawStrategy], int], LawStrategy] = {}


def _laws_for(laws: Callable[[int], LawStrategy], d: int) -> LawStrategy:
    """``laws(d)``, built once per ``(laws, d)`` (building a strategy costs far more than drawing from it)."""
    key = (laws, d)
    if key not in _LAW_STRATEGY_CACHE:
        if len(_LAW_STRATEGY_CACHE) > 256:
            _LAW_STRATEGY_CACHE.clear()
        _LAW_STRATEGY_CACHE[key] = laws(d)
    return _LAW_STRATEGY_CACHE[key]


def cases(
    laws: Callable[[int], LawStrategy] = satisfying_laws,
    *,
    min_d: int = 1,
    max_d: int = 3,
    min_T: int = 3,
    max_T: int = 12,
    inits: st.SearchStrategy[tuple[sp.Rational, sp.Rational]] | None = None,
) -> st.SearchStrategy[Case]:
    """A whole :class:`Case`: ``d`` first, then a law from ``laws(d)``, ``T``, ``(a0, b0)``, a seed.

    ``laws`` maps a dimension to a law strategy (e.g. :func:`satisfying_laws`); a
    law with a fixed dimension (vector laws) overrides the drawn ``d``.
    """
    dims = dimensions(min_d, max_d)
    Ts = horizons(min_T, max_T)
    starts = inits if inits is not None else ordinary_initializations()
    seed_values = seeds()

    @st.composite
    def draw_case(draw: Callable) -> Case:
        d = draw(dims)
        dist = draw(_laws_for(laws, d))
        fixed = dist.fixed_dimension
        if fixed is not None:
            d = fixed
        T = draw(Ts)
        a0, b0 = draw(starts)
        return Case(dist, d, T, a0, b0, draw(seed_values))

    return draw_case()


# --------------------------------------------------------------------------
# Scaling
# --------------------------------------------------------------------------


def scale_law(dist: InitialTokenDistribution, s: Any) -> InitialTokenDistribution:
    """The law of ``s x_1`` for ``s > 0``, in the same family (exact parameters).

    Every family with a scale parameter is supported (``student-t`` has none
    and ``ones`` becomes a one-atom ``discrete-vector`` law only when the
    dimension is known, so both raise :class:`InvalidInputError`).
    """
    factor = sp.Rational(s) if not isinstance(s, sp.Expr) else s
    if not (factor.is_positive and factor.is_finite):
        raise InvalidInputError(f"s={s!r} must be a positive finite number")
    if isinstance(dist, Gaussian):
        return Gaussian(dist.sigma * factor)
    if isinstance(dist, Uniform):
        return Uniform(dist.w * factor)
    if isinstance(dist, Rademacher):
        return Rademacher(dist.s * factor)
    if isinstance(dist, Laplace):
        return Laplace(dist.scale * factor)
    if isinstance(dist, BernoulliGaussian):
        return BernoulliGaussian(dist.p, dist.sigma * factor)
    if isinstance(dist, ShiftedGaussian):
        return ShiftedGaussian(dist.mu * factor, dist.sigma * factor)
    if isinstance(dist, Discrete):
        return Discrete([v * factor for v in dist.values], dist.probs)
    if isinstance(dist, Sparse):
        return Sparse(dist.c * factor)
    if isinstance(dist, DiscreteVectorLaw):
        return DiscreteVectorLaw([tuple(v * factor for v in atom) for atom in dist.atoms], dist.probs)
    if isinstance(dist, Mixture):
        return Mixture([scale_law(c, factor) for c in dist.components], dist.weights)
    raise InvalidInputError(f"the {dist.name} law {dist.spec()} has no scale parameter, so s x_1 is not in its family")

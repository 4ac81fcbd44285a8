"""Hypothesis strategies for laws of ``x_1`` that satisfy the hypotheses of Theorem 1 (see the package docstring)."""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from mesasym.errors import InvalidInputError
from mesasym.laws import BernoulliGaussian, Discrete, DiscreteVectorLaw, Gaussian, InitialTokenDistribution, Laplace, Mixture, Rademacher, ShiftedGaussian, Sparse, StudentT, Uniform
from mesasym.testing.strategies.numbers import LawStrategy, positive_numbers, rationals


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
# Laws satisfying Assumption 2 and the reduction conditions
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def gaussian_laws(min_sigma: Any = "1/4", max_sigma: Any = 2) -> LawStrategy:
    """``N(0, sigma^2 I_d)`` with rational ``sigma``."""
    return positive_numbers(min_sigma, max_sigma).map(Gaussian)


@functools.lru_cache(maxsize=64)
def uniform_laws(min_w: Any = "1/4", max_w: Any = 3) -> LawStrategy:
    """I.i.d. coordinates uniform on ``[-w, w]``."""
    return positive_numbers(min_w, max_w).map(Uniform)


@functools.lru_cache(maxsize=64)
def rademacher_laws(min_s: Any = "1/4", max_s: Any = 2) -> LawStrategy:
    """I.i.d. coordinates ``+-s``."""
    return positive_numbers(min_s, max_s).map(Rademacher)


@functools.lru_cache(maxsize=64)
def laplace_laws(min_scale: Any = "1/4", max_scale: Any = 1) -> LawStrategy:
    """I.i.d. Laplace coordinates (``E x^6 = 720 scale^6``)."""
    return positive_numbers(min_scale, max_scale).map(Laplace)


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
    return st.builds(BernoulliGaussian, p=rationals("1/8", 1, exclude_zero=True), sigma=positive_numbers("1/4", 2))


@functools.lru_cache(maxsize=64)
def centred_shifted_gaussian_laws() -> LawStrategy:
    """The ``shifted-gaussian`` family at ``mu = 0`` (its only satisfying member)."""
    return positive_numbers("1/4", 2).map(lambda sigma: ShiftedGaussian(mu=0, sigma=sigma))


@functools.lru_cache(maxsize=64)
def symmetric_discrete_laws(max_atoms: int = 3, zero_atom: bool = True) -> LawStrategy:
    """I.i.d. coordinates on ``{+-v_1, ..., +-v_k}`` (and possibly 0), ``+v`` and ``-v`` equally likely."""
    pairs = st.lists(
        st.tuples(positive_numbers("1/4", 3, 4), st.integers(1, 5)), min_size=1, max_size=max_atoms, unique_by=lambda p: p[0]
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
    return positive_numbers(min_c, max_c).map(Sparse)


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

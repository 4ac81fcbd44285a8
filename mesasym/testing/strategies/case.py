"""Hypothesis strategies for initializations and whole cases (:class:`Case`), and :func:`scale_law`."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from mesasym.errors import InvalidInputError
from mesasym.laws import BernoulliGaussian, Discrete, DiscreteVectorLaw, Gaussian, InitialTokenDistribution, Laplace, Mixture, Rademacher, ShiftedGaussian, Sparse, Uniform
from mesasym.testing.strategies.numbers import LawStrategy, dimensions, horizons, rationals, seeds
from mesasym.testing.strategies.satisfying import satisfying_laws


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

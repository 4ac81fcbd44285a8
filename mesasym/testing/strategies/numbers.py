"""Hypothesis strategies for numbers and sizes: exact rationals, ``d``, ``T``, seeds."""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from mesasym.errors import InvalidInputError
from mesasym.laws import InitialTokenDistribution


LawStrategy = st.SearchStrategy[InitialTokenDistribution]


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


def positive_numbers(min_value: Any, max_value: Any, max_denominator: int = 8) -> st.SearchStrategy[sp.Rational]:
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

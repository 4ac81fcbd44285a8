"""Coincidence patterns of coordinate labels: the one enumeration both engines use.

Averaging a product of factors ``lambda_j^e x_{1,j}`` over independent coordinates depends only
on *which* factors share a coordinate: the set partition of the factor positions by coordinate.
The symbolic reduction (:mod:`mesasym.symbolic.phase_laws`) and the population engine
(:mod:`mesasym.numeric.population`) both sum over these patterns, so they enumerate them here,
below both of them. Each side is also checked against an independent computation (exact
cubature; tests/test_coincidences.py enumerates the patterns by brute force over label tuples).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["set_partitions", "pattern_code"]


@lru_cache(maxsize=None)
def set_partitions(n: int) -> tuple[tuple[int, ...], ...]:
    """Every set partition of ``n >= 1`` positions as a restricted growth string, in lexicographic order.

    A string ``p`` labels position ``q`` with the block ``p[q]``; ``p[0] = 0`` and each label is at
    most one more than the largest before it, so each partition appears exactly once (Bell(n) of them).
    """
    if n < 1:
        raise ValueError(f"n={n!r} must be an integer >= 1")
    out: list[tuple[int, ...]] = []

    def grow(prefix: list[int], top: int) -> None:
        if len(prefix) == n:
            out.append(tuple(prefix))
            return
        for label in range(top + 2):
            grow(prefix + [label], max(top, label))

    grow([0], 0)
    return tuple(out)


def pattern_code(partition: tuple[int, ...]) -> int:
    """The restricted growth string read as base-``len(partition)`` digits (most significant first)."""
    k = len(partition)
    return sum(label * k ** (k - 1 - position) for position, label in enumerate(partition))

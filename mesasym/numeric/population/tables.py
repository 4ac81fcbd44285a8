"""The layout of the population engine's phase tables, shared by the counting tables of the paper's
law (:func:`~mesasym.numeric.population.objective.count_tables`) and the tables of any other
transition law (:func:`~mesasym.numeric.population.process_tables.process_count_tables`).

A *slot* is one factor ``lambda_j^{sign * (time_var + offset)} x_{1j}`` of an entry of ``G`` (six
slots) or ``h`` (four). A table has one row per coincidence pattern of the slots' coordinates
(:func:`mesasym.laws.coincidences.set_partitions`, row :func:`~mesasym.laws.coincidences.pattern_code`)
and one column per choice of the shifts ``s`` (bits, slot 0 most significant).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from mesasym.laws.coincidences import pattern_code, set_partitions

__all__ = ["Slot", "G_SLOTS", "H_SLOTS", "CountTables", "fill_table"]


@dataclass(frozen=True)
class Slot:
    """One factor of a table entry.

    Time variables: 0 = t (range 2..T-1), 1 = i, 2 = i' (range lo..t). For ``z_v[a]`` with
    shift ``s`` the offset is ``-1 - s`` and the variable must be ``>= 1 + s``; the target
    ``x_{t+1}`` has exponent ``t`` (var 0, offset 0).
    """

    var: int  # 0 = t, 1 = i, 2 = i'
    sign: int  # +1 for a factor, -1 for a conjugated factor
    shifted: bool  # True if its shift s is free (a z entry), False for the target


#: conj(F_alpha) F_beta with alpha = (a, b, c), beta = (a', b', c').
G_SLOTS = (
    Slot(1, -1, True),  # conj z_i[a]
    Slot(1, +1, True),  # z_i[b]
    Slot(0, -1, True),  # conj z_t[c]
    Slot(2, +1, True),  # z_i'[a']
    Slot(2, -1, True),  # conj z_i'[b']
    Slot(0, +1, True),  # z_t[c']
)
#: conj(x_{t+1,m}) F_beta; the inner variable i' is relabelled 1.
H_SLOTS = (
    Slot(0, -1, False),  # conj x_{t+1}[m] = conj(lambda^t x_1)
    Slot(1, +1, True),  # z_i'[a']
    Slot(1, -1, True),  # conj z_i'[b']
    Slot(0, +1, True),  # z_t[c']
)


@dataclass(frozen=True)
class CountTables:
    """Phase tables for one ``T`` (law-independent counts for the paper's law).

    ``G[rgs_code, shift_code]`` is :math:`N_G` and ``h[...]`` is :math:`N_h`,
    both already weighted and summed over ``t``. ``rgs_code`` is the restricted
    growth string of the coordinate partition read as base-``k`` digits,
    ``shift_code`` the shifts as bits (slot 0 most significant). For ``h`` slot 0
    is the target, so its shift bit is always 0.
    """

    T: int
    G: np.ndarray  # (6**6, 64)
    h: np.ndarray  # (4**4, 16)
    n_systems: int


def fill_table(
    slots: tuple[Slot, ...],
    system_of: Callable[[tuple[int, ...], tuple[int, ...]], Hashable | None],
    value_of: Callable[[Hashable], float],
) -> tuple[np.ndarray, int]:
    """The table of ``slots`` and the number of distinct systems evaluated.

    ``system_of(partition, shifts)`` is a hashable description of one entry (``None``: the entry is
    0); ``value_of(system)`` its value, computed once per distinct system.
    """
    k = len(slots)
    table = np.zeros((k**k, 2**k))
    values: dict[Hashable, float] = {}
    shift_options = [(0, 1) if slot.shifted else (0,) for slot in slots]
    for partition in set_partitions(k):
        row = pattern_code(partition)
        for shifts in itertools.product(*shift_options):
            system = system_of(partition, shifts)
            if system is None:
                continue
            if system not in values:
                values[system] = value_of(system)
            table[row, sum(s << (k - 1 - p) for p, s in enumerate(shifts))] = values[system]
    return table, len(values)

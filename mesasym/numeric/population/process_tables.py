"""Phase tables of the population engine for a general transition law of ``W``.

:mod:`mesasym.numeric.population.objective` reduces every entry of ``G`` and ``h`` to a mixed moment
of ``x_1`` times a *phase table* ``N(pi, s)``: the sum over ``t`` (and the inner times ``i, i'``)
of the weight ``1/(t-1)^p`` times the phase expectation of the product of the six (four) factors
``lambda_j^{e}`` or ``conj(lambda_j)^{e}``. For the paper's uniform law that expectation is an
indicator (``E lambda^m = [m = 0]``), so the tables are solution counts of linear systems
(:func:`~mesasym.numeric.population.objective.count_tables`, unchanged and still used for
``uniform``). For any other law of the i.i.d. eigenvalues the coordinates of one block ``B`` of the
partition share one eigenvalue, and independence across blocks gives

.. math::

    N(\\pi, s) = \\sum_{t=2}^{T-1} \\frac{1}{(t-1)^p} \\sum_{i, i'}
        \\prod_{B \\in \\pi} \\mu\\bigl(a_B(t,i,i'),\\, b_B(t,i,i')\\bigr),
    \\qquad \\mu(a, b) = E[\\lambda^a \\bar\\lambda^b],

with ``a_B`` (``b_B``) the summed exponents of the unconjugated (conjugated) factors of the block,
each an affine function of ``(t, i, i')`` (a factor ``z_{v,a}`` with shift ``s`` has exponent
``v - 1 - s >= 0`` and needs ``v >= 1 + s``; the target ``x_{t+1}`` has exponent ``t``). The sum
runs over the whole grid ``2 <= t <= T-1``, ``1 <= i, i' <= t`` with those lower bounds; the
law enters only through the table ``mu(a, b)`` for ``a, b <= 3 (T - 1)``
(:meth:`mesasym.laws.TransitionLaw.moment_matrix`). Cost: one vectorized pass over the
``~T^3/3`` grid per distinct system (about 1-2 thousand), so seconds at ``T = 20``, a minute or so
at ``T = 50``; tables are cached per ``(T, law)``.
"""

from __future__ import annotations

import functools

import numpy as np

from mesasym.errors import require
from mesasym.numeric.population.tables import G_SLOTS, H_SLOTS, CountTables, Slot, fill_table

__all__ = [
    "BYTES_PER_T3",
    "PROCESS_TABLES_T_MAX",
    "SECONDS_PER_T3",
    "process_count_tables",
    "process_tables_seconds",
    "require_process_tables",
]

#: Measured cost of the tables of one law on an idle core: about ``SECONDS_PER_T3 * T^3`` seconds and
#: ``BYTES_PER_T3 * T^3`` bytes at their peak (one vectorized pass over the ~T^3/3 grid per distinct
#: system, ~11,000 systems, with the law's factors on the grid kept): 12 s and 0.5 GiB at T = 80
#: (``benchmarks/bench_budgets.py``).
SECONDS_PER_T3 = 3e-5
BYTES_PER_T3 = 1100
#: Largest ``T`` of the tables of a law other than the uniform one: memory decides, about 2 GiB
#: (and a minute); at T = 1000 they would take hours and a terabyte.
PROCESS_TABLES_T_MAX = 120


def process_tables_seconds(T: int) -> float:
    """The expected time of :func:`process_count_tables` at ``T`` (from :data:`SECONDS_PER_T3`)."""
    return SECONDS_PER_T3 * float(T) ** 3


def require_process_tables(T: int) -> None:
    """Refuse, before any work, tables beyond :data:`PROCESS_TABLES_T_MAX`, with the expected cost."""
    seconds = process_tables_seconds(T)
    expected = f"{seconds / 3600:.1f} hours" if seconds >= 5400 else f"{seconds / 60:.0f} minutes"
    require(
        T <= PROCESS_TABLES_T_MAX,
        f"T={T}: the population engine's phase tables for a transition law other than uniform would take about "
        f"{expected} and {BYTES_PER_T3 * float(T) ** 3 / 2**30:.0f} GiB of memory (measured ~{SECONDS_PER_T3:.0e} * T^3 s, "
        f"{BYTES_PER_T3} * T^3 bytes); at most T={PROCESS_TABLES_T_MAX}",
    )


def _block_system(slots: tuple[Slot, ...], n_inner: int, partition: tuple[int, ...], shifts: tuple[int, ...]):
    """``(lower bounds, blocks)``; each block is ``(plus coefficients, plus constant, minus ..., minus ...)``
    over the time variables ``(t, inner...)``: its exponents of ``lambda`` and of ``conj(lambda)``."""
    lower = [1] * n_inner
    n_blocks = max(partition) + 1
    plus = [[0] * (2 + n_inner) for _ in range(n_blocks)]  # coefficients..., constant
    minus = [[0] * (2 + n_inner) for _ in range(n_blocks)]
    for slot, block, s in zip(slots, partition, shifts):
        offset = -1 - s if slot.shifted else 0
        row = plus[block] if slot.sign > 0 else minus[block]
        row[slot.var] += 1
        row[-1] += offset
        if slot.var > 0:
            lower[slot.var - 1] = max(lower[slot.var - 1], 1 + s)
    blocks = tuple(sorted((tuple(p), tuple(m)) for p, m in zip(plus, minus)))
    return tuple(lower), blocks


def _table(slots: tuple[Slot, ...], n_inner: int, T: int, weight_power: int, M: np.ndarray) -> tuple[np.ndarray, int]:
    t_all = np.arange(2, T)
    if n_inner == 1:
        tt, ii = np.meshgrid(t_all, np.arange(1, T), indexing="ij")
        keep = ii <= tt
        variables = [tt[keep], ii[keep]]
    else:
        tt, ii, jj = np.meshgrid(t_all, np.arange(1, T), np.arange(1, T), indexing="ij")
        keep = (ii <= tt) & (jj <= tt)
        variables = [tt[keep], ii[keep], jj[keep]]
    weights = 1.0 / (variables[0] - 1.0) ** weight_power
    factor_cache: dict = {}

    def exponent(row: tuple[int, ...]) -> np.ndarray:
        value = np.full(variables[0].shape, row[-1], dtype=np.int64)
        for var, c in enumerate(row[:-1]):
            if c:
                value = value + c * variables[var]
        return value

    def factor(block) -> np.ndarray:
        if block not in factor_cache:
            a, b = exponent(block[0]), exponent(block[1])
            # Negative exponents only occur at grid points the lower bounds exclude.
            factor_cache[block] = M[np.maximum(a, 0), np.maximum(b, 0)]
        return factor_cache[block]

    def value(system) -> float:
        lower, blocks = system
        mask = np.ones(variables[0].shape, dtype=bool)
        for n, bound in enumerate(lower):
            mask &= variables[1 + n] >= bound
        product = np.where(mask, weights, 0.0)
        for block in blocks:
            product = product * factor(block)
        return float(np.sum(product))

    return fill_table(slots, lambda partition, shifts: _block_system(slots, n_inner, partition, shifts), value)


@functools.lru_cache(maxsize=8)
def process_count_tables(T: int, process) -> CountTables:
    """The phase tables ``N_G, N_h`` of the population engine for the transition law ``process``.

    Same layout as :func:`~mesasym.numeric.population.objective.count_tables` (which they equal,
    up to rounding, for the uniform law). ``process`` needs ``moment_matrix(n)``.
    """
    require(isinstance(T, (int, np.integer)) and T >= 3, f"T={T!r} must be an integer >= 3")
    require(hasattr(process, "moment_matrix"), f"process={process!r} must be a transition law with moment_matrix(n)")
    T = int(T)
    require_process_tables(T)
    M = np.asarray(process.moment_matrix(3 * (T - 1)), dtype=np.float64)
    G, n_g = _table(G_SLOTS, 2, T, 2, M)
    h, n_h = _table(H_SLOTS, 1, T, 1, M)
    return CountTables(T, G, h, n_g + n_h)

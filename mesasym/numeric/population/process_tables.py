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

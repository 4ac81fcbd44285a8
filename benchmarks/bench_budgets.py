"""The measurements behind the budgets that refuse work (``mesasym.commands.options``).

Run ``python benchmarks/bench_budgets.py [--quick]``. Prints, measured in this run:

1. **Training work** (``TRAINING_WORK_MAX``, ``TRAINING_RATE``): one loss + gradient evaluation of
   the fixed-sample objective (:class:`mesasym.numeric.training.SampleObjective`, the compiled
   kernel every Monte Carlo trainer uses, all threads) at the authors' size (``d = 5``, ``T = 100``,
   10,000 sequences; ``--quick``: 2,000) in complex128 and complex64; the rate in sequence entries
   times steps per CPU second (``n T d / CPU seconds``: what an idle core does, whatever else runs on
   the shared machine; the wall time is printed beside it); the stated rate against it (ratio), and
   the time the budget allows at the measured rate. Baseline in the same run: the NumPy path
   (``method="reduced"``).
2. **Phase tables of other transition laws** (``PROCESS_TABLES_T_MAX``, ``SECONDS_PER_T3`` in
   :mod:`mesasym.numeric.population.process_tables`): the tables of ``von-mises:kappa=2`` at two
   ``T`` (``--quick``: 20 and 40; else 40 and 80), the cost per ``T^3`` against the stated one, and the
   time the largest accepted ``T`` takes at the measured cost. Baseline: the counting tables of the
   uniform law at the same ``T``.
3. **Sequence memory** (``SEQUENCE_ENTRIES_MAX``): the peak bytes that sampling ``n`` sequences and
   building their objective allocate (``tracemalloc``), per sequence entry, and what the budget's
   ``2 * 10^7`` entries take at that rate.

The figures are for this machine class (2 shared cores): rerun here after a change of the kernel
and set the constants from the printed rate (they are stated once, in ``options.py``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from mesasym.commands import options
from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.numeric.sequences import sample_sequences
from mesasym.numeric.training import SampleObjective


def _sample(n: int, T: int, d: int, dtype: type) -> np.ndarray:
    return sample_sequences(parse_distribution("gaussian:sigma=1"), n, T, d, np.random.default_rng(0), dtype).X


def _params(d: int, dtype: type) -> Parameters:
    noise = Parameters.random(d, np.random.default_rng(1), scale=0.1)
    start = Parameters.assumption1(d, 0.1, 0.1, dtype)
    return Parameters((start.WKQ + noise.WKQ).astype(dtype), (start.WPV + noise.WPV).astype(dtype))


def _best(run, repeat: int = 3) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``run()`` (CPU time: the cost on an idle core, whatever the load)."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        run()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    return wall, cpu


def training_rate(n: int, T: int = 100, d: int = 5) -> float:
    """Print the rates per dtype and implementation; return the slowest compiled rate per CPU second."""
    print(f"== training work: one loss + gradient, d={d}, T={T}, n={n:,} (n*T*d = {n * T * d:.2g} entries) ==")
    slowest = float("inf")
    for dtype in (np.complex128, np.complex64):
        X, params = _sample(n, T, d, dtype), _params(d, dtype)
        seconds = {}
        for method in ("reduced", "compiled"):
            objective = SampleObjective(X, method=method)
            objective.loss_and_gradient(params)  # compile or load the kernel from numba's cache
            seconds[method] = _best(lambda: objective.loss_and_gradient(params))
        for method, (wall, cpu) in seconds.items():
            extra = "   (baseline)" if method == "reduced" else f"   {seconds['reduced'][1] / cpu:5.1f}x the NumPy path"
            print(
                f"  {np.dtype(dtype).name:<10} {method:<9}: wall {wall:7.4f} s, CPU {cpu:7.4f} s = "
                f"{n * T * d / cpu:9.3g} entries*steps per CPU second{extra}"
            )
        slowest = min(slowest, n * T * d / seconds["compiled"][1])
    stated = options.TRAINING_RATE
    print(f"  measured (slowest compiled, per CPU second): {slowest:.3g}; stated TRAINING_RATE {stated:.3g} "
          f"({stated / slowest:.2f}x the measured rate)")
    limit = options.TRAINING_WORK_MAX
    print(f"  TRAINING_WORK_MAX = {limit:.3g}: {limit / slowest / 3600:.2f} hours at the measured rate "
          f"(the previous 5e10: {5e10 / slowest / 60:.0f} minutes)")
    return slowest


def process_tables(sizes: tuple[int, ...]) -> float:
    """Print the CPU cost of the phase tables per T^3; return the one at the largest ``T``."""
    from mesasym.laws import parse_process
    from mesasym.numeric.population import process_tables as P
    from mesasym.numeric.population.objective import count_tables

    print("== phase tables of von-mises:kappa=2 (the population engine for another transition law) ==")
    for T in sizes:
        tracemalloc.start()
        _, seconds = _best(lambda: P.process_count_tables.__wrapped__(T, parse_process("von-mises:kappa=2")), repeat=1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _, baseline = _best(lambda: count_tables.__wrapped__(T), repeat=1)
        print(f"  T={T:4d}: CPU {seconds:7.2f} s = {seconds / T**3:.2e} * T^3 s, peak {peak / 2**20:6.0f} MiB = "
              f"{peak / T**3:5.0f} * T^3 bytes   ({seconds / baseline:5.0f}x the uniform law's counting tables, {baseline:.3f} s)")
    worst, bytes_per = seconds / sizes[-1] ** 3, peak / sizes[-1] ** 3  # the T^3 terms dominate at the larger T
    T_max = P.PROCESS_TABLES_T_MAX
    print(f"  stated SECONDS_PER_T3 {P.SECONDS_PER_T3:.2e} ({P.SECONDS_PER_T3 / worst:.2f}x the measured), "
          f"BYTES_PER_T3 {P.BYTES_PER_T3:.0f} ({P.BYTES_PER_T3 / bytes_per:.2f}x); PROCESS_TABLES_T_MAX = {T_max}: "
          f"{worst * T_max**3:.0f} s and {bytes_per * T_max**3 / 2**30:.1f} GiB at the measured costs")
    return worst


def sequence_memory(n: int, T: int = 50, d: int = 5) -> float:
    """Print and return the peak bytes per sequence entry of a sample and its objective."""
    print(f"== sequence memory: sample + objective, d={d}, T={T}, n={n:,}, complex128 ==")
    tracemalloc.start()
    X = _sample(n, T, d, np.complex128)
    objective = SampleObjective(X)
    objective.loss_and_gradient(_params(d, np.complex128))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_entry = peak / (n * T * d)
    limit = options.SEQUENCE_ENTRIES_MAX
    print(f"  peak {peak / 2**20:.0f} MiB = {per_entry:.0f} bytes per entry; SEQUENCE_ENTRIES_MAX = {limit:.0e} entries "
          f"-> {limit * per_entry / 2**30:.1f} GiB")
    return per_entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 sequences instead of 10,000")
    args = parser.parse_args()
    training_rate(2_000 if args.quick else 10_000)
    process_tables((20, 40) if args.quick else (40, 80))
    sequence_memory(4_000 if args.quick else 20_000)


if __name__ == "__main__":
    main()

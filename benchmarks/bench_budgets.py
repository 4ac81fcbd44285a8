"""The measurements behind the budgets that refuse work (``mesasym.commands.options``).

Run ``python benchmarks/bench_budgets.py [--quick]``. Prints, measured in this run:

1. **Training work** (``TRAINING_WORK_MAX``, ``TRAINING_RATE``): one loss + gradient evaluation of
   the fixed-sample objective (:class:`mesasym.numeric.training.SampleObjective`, the compiled
   kernel every Monte Carlo trainer uses, all threads) at the authors' size (``d = 5``, ``T = 100``,
   10,000 sequences; ``--quick``: 2,000) in complex128 and complex64; the rate in sequence entries
   times steps per second (``n T d / seconds``); the stated rate against it (ratio), and the time the
   budget allows at the measured rate. Baseline in the same run: the NumPy path (``method="reduced"``).
2. **Sequence memory** (``SEQUENCE_ENTRIES_MAX``): the peak bytes that sampling ``n`` sequences and
   building their objective allocate (``tracemalloc``), per sequence entry, and what the budget's
   ``2 * 10^7`` entries take at that rate.

The figures are for this machine class (2 shared cores): rerun here after a change of the kernel
and set the constants from the printed rate (they are stated once, in ``options.py``).
"""

from __future__ import annotations

import argparse
import timeit
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


def training_rate(n: int, T: int = 100, d: int = 5) -> float:
    """Print the rates per dtype and implementation; return the slowest compiled rate (entries*steps/s)."""
    print(f"== training work: one loss + gradient, d={d}, T={T}, n={n:,} (n*T*d = {n * T * d:.2g} entries) ==")
    slowest = float("inf")
    for dtype in (np.complex128, np.complex64):
        X, params = _sample(n, T, d, dtype), _params(d, dtype)
        seconds = {}
        for method in ("reduced", "compiled"):
            objective = SampleObjective(X, method=method)
            objective.loss_and_gradient(params)  # compile or load the kernel from numba's cache
            seconds[method] = min(timeit.repeat(lambda: objective.loss_and_gradient(params), number=1, repeat=3))
        for method, value in seconds.items():
            rate = n * T * d / value
            extra = "   (baseline)" if method == "reduced" else f"   {seconds['reduced'] / value:5.1f}x the NumPy path"
            print(f"  {np.dtype(dtype).name:<10} {method:<9}: {value:8.4f} s  = {rate:9.3g} entries*steps/s{extra}")
        slowest = min(slowest, n * T * d / seconds["compiled"])
    stated = options.TRAINING_RATE
    print(f"  measured (slowest compiled): {slowest:.3g} entries*steps/s; stated TRAINING_RATE {stated:.3g} "
          f"({stated / slowest:.2f}x the measured rate)")
    limit = options.TRAINING_WORK_MAX
    print(f"  TRAINING_WORK_MAX = {limit:.3g}: {limit / slowest / 3600:.2f} hours at the measured rate "
          f"(the previous 5e10: {5e10 / slowest / 60:.0f} minutes)")
    return slowest


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
    sequence_memory(4_000 if args.quick else 20_000)


if __name__ == "__main__":
    main()

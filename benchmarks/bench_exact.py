"""Time of the exact engine (build + first loss and gradient, which includes JAX's compile) per (L, d, T).

Usage: python benchmarks/bench_exact.py   (prints one line per setting; the load average is printed too,
since the machine is shared). The largest settings that finish within a minute are in docs/deep-theory.md.
"""

from __future__ import annotations

import os
import time

import numpy as np

from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation
from mesasym.models.exact_linear import DeepParameters

SETTINGS = [(1, 3, 6), (1, 3, 8), (2, 1, 20), (2, 2, 6), (2, 2, 8), (2, 2, 10), (3, 1, 6), (3, 1, 10), (3, 2, 3)]


def main() -> None:
    dist = parse_distribution("gaussian")
    for layers, d, T in SETTINGS:
        start = time.perf_counter()
        pop = ExactPopulation(dist, d, T, layers)
        pop.loss_and_gradient(DeepParameters.random(layers, d, np.random.default_rng(0), 0.3))
        first = time.perf_counter() - start
        start = time.perf_counter()
        pop.loss_and_gradient(DeepParameters.random(layers, d, np.random.default_rng(1), 0.3))
        again = time.perf_counter() - start
        print(f"L={layers} d={d} T={T}: {pop.rule.size:>9,} sequences, build+first {first:6.1f} s, "
              f"next loss+gradient {again:6.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()

"""Capability benchmark: the verdict, the beyond-Assumption-2 flows, and the cost of Figure 1.

Run from the repository root::

    python benchmarks/bench_capability.py [--quick]

Prints (1) the time of ``decide_recovery`` (first call, which derives the
symbolic pieces, and a second law, which reuses them); (2) the full and clip
population flows of ``mesasym explore --dist ones`` at ``d = 5``, ``T = 100``;
(3) one step of the Figure 1 reproduction at ``d = 5``, ``T = 100``: the
training loss + gradient on ``n`` sequences (the baseline), the per-step test
metrics (last-position ratio/MSE on 10,000 test sequences and the exact
population test loss) as a ratio to it, for ``n = 2000`` (the command's
default) and ``n = 10000`` (the authors'), and the projected wall time of the
3,210 steps of the 18 runs. Absolute times on a shared machine are noisy; the
ratios are measured in the same run.
"""

from __future__ import annotations

import timeit
import argparse
import time

import numpy as np

from mesasym.numeric.sequences import sample_sequences
from mesasym.compare.beyond_assumption import explore
from mesasym.compare.capability import decide_recovery
from mesasym.laws import parse_distribution
from mesasym.compare.figure1 import FIGURE1_SETTINGS, INITS, LastPositionTest
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.training import SampleObjective
from mesasym.numeric.model import Parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 500 and 2000 only, 2 repeats")
    args = parser.parse_args()
    sizes = (500, 2000) if args.quick else (2000, 10_000)
    repeats = 2 if args.quick else 3
    d, T = 5, 100

    start = time.perf_counter()
    decide_recovery(parse_distribution("gaussian:sigma=1"), d, T)
    first = time.perf_counter() - start
    second = min(timeit.repeat(lambda: decide_recovery(parse_distribution("rademacher"), d, T), number=1, repeat=1))
    print(f"decide_recovery (d=5, T=100): first call {first:.2f} s (derivation), another law {second:.2f} s")

    start = time.perf_counter()
    report = explore(parse_distribution("ones"), d, T)
    print(
        f"explore ones (d=5, T=100): {time.perf_counter() - start:.2f} s for both flows "
        f"({report.full.n_steps} + {report.clip.n_steps} solver steps)"
    )

    gaussian = parse_distribution("gaussian:sigma=1")
    rng = np.random.default_rng(0)
    test = LastPositionTest(sample_sequences(gaussian, 10_000, T, d, rng, np.complex64).X)
    population = PopulationObjective(gaussian, d, T)
    params = Parameters.assumption1(d, 0.1, 0.1, dtype=np.complex64)
    metrics = min(timeit.repeat(lambda: (test.metrics(params), population.loss(params)), number=1, repeat=repeats))
    total_steps = sum((s.steps + 1) * len(INITS) for s in FIGURE1_SETTINGS)
    baseline = None
    for n in sizes:
        objective = SampleObjective(sample_sequences(gaussian, n, T, d, rng, np.complex64).X)
        step = min(timeit.repeat(lambda: objective.loss_and_gradient(params), number=1, repeat=repeats))
        baseline = baseline or step
        print(
            f"Figure 1 step, n = {n:>6}: loss + gradient {step:.3f} s ({step / baseline:.2f} x n = {sizes[0]}); "
            f"test metrics {metrics:.3f} s ({metrics / step:.2f} x the step); "
            f"projected {total_steps} steps: {total_steps * (step + metrics) / 60:.1f} min"
        )


if __name__ == "__main__":
    main()

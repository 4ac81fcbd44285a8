"""Training benchmark: the fixed-sample objective, the authors' run end to end, and Figure 1.

Run from the repository root::

    python benchmarks/bench_train.py [--quick] [--seeds K] [--figure1]

Prints (2 and 3 run first, in fresh processes started while this one is still small)

1. one loss + gradient evaluation on the authors' sample size (``d = 5``,
   ``T = 100``, 10,000 sequences, complex64, Assumption-1 start perturbed by
   random full parameters of size 0.1) for every implementation, measured in
   this run: the per-``t`` loop of the definition (baseline), the generic
   ``2d x 2d`` prefix-sum path with its prefix sums cached (the previous
   implementation, ``SampleObjective(method="prefix")``), the ``d x d`` path in
   NumPy (``"reduced"``) and in the compiled kernel (``"compiled"``) with one
   thread and with all threads; times are the best of 3 (the per-``t`` loop: 1);
   ratios are against the per-``t`` loop and against the prefix-sum path;
2. the authors' run end to end as a user runs it, ``python -m mesasym train
   --dist gaussian:sigma=1 --d 5 --T 100 --samples 10000 --steps 150 --lr 1e-4
   --a0 0.1 --b0 0.1 --dtype complex64 --json`` in a fresh process: wall time,
   peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``), final ``ab``
   and its distance to the derived ``a~b~``; ``--seeds K`` repeats it for seeds
   ``0..K-1`` and prints the spread of the final ``ab`` over samples;
3. with ``--figure1``: ``python -m mesasym reproduce figure1`` with its defaults
   (several minutes), wall time and peak memory.

``--quick`` uses 1,000 sequences in (1) and 15 steps in (2). Absolute times on
a shared 2-core machine are noisy; the ratios in (1) are measured in one run.
"""

from __future__ import annotations

import timeit
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from mesasym.laws import parse_distribution
from mesasym.numeric import _ar_kernel
from mesasym.numeric.model import Parameters, loss_and_gradient_reference, single_threaded_blas
from mesasym.numeric.sequences import sample_sequences
from mesasym.numeric.training import SampleObjective


def _child(argv: list[str]) -> tuple[float, float, str]:
    """Run ``python -m mesasym argv`` in a fresh process: (wall seconds, its peak RSS in MB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mesasym", *argv], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mesasym {' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest single child so far; report it when this one raised it
    return wall, max(peak, before) / 1024, done.stdout


def per_step(n: int) -> None:
    d, T = 5, 100
    X = sample_sequences(parse_distribution("gaussian:sigma=1"), n, T, d, np.random.default_rng(0), np.complex64).X
    noise = Parameters.random(d, np.random.default_rng(1), scale=0.1)
    start = Parameters.assumption1(d, 0.1, 0.1, np.complex64)
    params = Parameters((start.WKQ + noise.WKQ).astype(np.complex64), (start.WPV + noise.WPV).astype(np.complex64))
    print(f"== one loss + gradient, d={d}, T={T}, n={n:,}, complex64 ==")
    with single_threaded_blas():
        reference = min(timeit.repeat(lambda: loss_and_gradient_reference(params, X), number=1, repeat=1))
    setup = {}
    objectives = {}
    for method in ("prefix", "reduced", "compiled"):
        begin = time.perf_counter()
        objectives[method] = SampleObjective(X, method=method)
        setup[method] = time.perf_counter() - begin
    objectives["compiled"].loss_and_gradient(params)  # compile or load the kernel from numba's cache
    rows = [("per-t loop (definition, baseline)", reference, None)]
    rows.append(("2d x 2d prefix sums, cached (previous)", min(timeit.repeat(lambda: objectives["prefix"].loss_and_gradient(params), number=1, repeat=3)), "prefix"))
    rows.append(("d x d prefix sums, NumPy", min(timeit.repeat(lambda: objectives["reduced"].loss_and_gradient(params), number=1, repeat=3)), "reduced"))
    threads = _ar_kernel.get_threads()
    _ar_kernel.set_threads(1)
    rows.append(("d x d compiled kernel, 1 thread", min(timeit.repeat(lambda: objectives["compiled"].loss_and_gradient(params), number=1, repeat=3)), "compiled"))
    _ar_kernel.set_threads(threads)
    rows.append((f"d x d compiled kernel, {threads} threads", min(timeit.repeat(lambda: objectives["compiled"].loss_and_gradient(params), number=1, repeat=3)), "compiled"))
    prefix = rows[1][1]
    for label, seconds, method in rows:
        extra = f"   {reference / seconds:7.1f}x vs per-t   {prefix / seconds:6.1f}x vs prefix" if method else ""
        print(f"{label:<40}: {seconds:8.4f} s{extra}")
    print("one-off setup (phases check, prefix sums or packing): " + ", ".join(f"{m} {s:.2f} s" for m, s in setup.items()))


def authors_run(steps: int, seeds: int) -> None:
    argv = [
        "train", "--dist", "gaussian:sigma=1", "--d", "5", "--T", "100", "--samples", "10000", "--steps", str(steps),
        "--lr", "1e-4", "--a0", "0.1", "--b0", "0.1", "--dtype", "complex64", "--json",
    ]
    print(f"\n== the authors' run end to end: mesasym {' '.join(argv)} ==")
    finals = []
    for seed in range(seeds):
        wall, peak, out = _child([*argv, "--seed", str(seed)])
        data = json.loads(out)
        final, derived = data["final"]["ab"], data["derived_ab"]
        finals.append(final)
        print(
            f"seed {seed}: wall {wall:6.1f} s (data {data['seconds']['data']:.1f} s, training {data['seconds']['training']:.1f} s, "
            f"{data['seconds']['training'] / (steps + 1):.3f} s per step incl. test losses), peak memory {peak:5.0f} MB, "
            f"final ab {final:.5f} ({100 * (final / derived - 1):+.2f} % from the derived {derived:.5f})"
        )
    if seeds > 1:
        values = np.array(finals)
        print(f"final ab over {seeds} samples: mean {values.mean():.5f}, standard deviation {values.std(ddof=1):.5f} "
              f"({100 * values.std(ddof=1) / values.mean():.2f} %)")


def figure1() -> None:
    with tempfile.TemporaryDirectory() as out:
        argv = ["reproduce", "figure1", "--out", out, "--json"]
        print(f"\n== Figure 1 with the defaults: mesasym {' '.join(argv[:-1])} DIR ==")
        wall, peak, stdout = _child(argv)
        data = json.loads(stdout)
        print(f"wall {wall:.1f} s ({wall / 60:.2f} min), peak memory {peak:.0f} MB, "
              f"{data['settings']['sequences']} training sequences, {len(data['runs'])} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 sequences in (1), 15 steps in (2)")
    parser.add_argument("--seeds", type=int, default=1, help="repeat the authors' run for seeds 0..K-1 (default 1)")
    parser.add_argument("--figure1", action="store_true", help="also time `reproduce figure1` (minutes)")
    args = parser.parse_args()
    # the child processes first, while this process is small: a child's ru_maxrss starts from the
    # resident size of the process that spawned it (Linux keeps the high-water mark across exec)
    authors_run(15 if args.quick else 150, max(1, args.seeds))
    if args.figure1:
        figure1()
    per_step(1_000 if args.quick else 10_000)


if __name__ == "__main__":
    main()

"""Foundation benchmark: the full transformer's loss + gradient, and the authors' run.

Run from the repository root::

    python benchmarks/bench_foundation.py [--quick]

Prints (1) one loss + gradient evaluation at ``d = 5``, ``T = 100`` on 10,000
sequences: the vectorized prefix-sum implementation, the same with the prefix
sums cached (``SampleObjective(method="prefix")``; the faster ``d x d`` paths the
trainer now uses are compared in ``bench_train.py``), and the per-``t`` loop that
follows the definition literally (the baseline), with their ratios; (2) the
authors' Gaussian experiment end to end (THEORY §9: ``sigma = 1``, ``d = 5``,
``T = 100``, 10,000 sequences, ``a0 = b0 = 0.1``, 150 full-batch steps of
``lr = 1e-4``) in the authors' precision (complex64, PyTorch's ``cfloat``;
``--complex128`` for double precision). The authors' loss is ours (1/2 squared error summed over
``t = 2..T-1`` and coordinates, averaged over sequences) and PyTorch's complex
``.grad`` of a real loss is ``dL/dRe + i dL/dIm`` like ours, so their step size
carries over unchanged and ``tau = 150 * 1e-4 = 0.015``. Absolute times on a
shared machine are noisy; the ratios are measured in the same run.
"""

from __future__ import annotations

import timeit
import argparse
import time

import numpy as np

from mesasym.numeric.sequences import sample_sequences
from mesasym.claims import theorem1_product
from mesasym.laws import parse_distribution
from mesasym.numeric.training import SampleObjective, train
from mesasym.numeric.model import (
    Parameters,
    loss_and_gradient,
    loss_and_gradient_reference,
    prefix_grams,
    single_threaded_blas,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 sequences and 15 steps (a smoke run)")
    parser.add_argument("--complex128", action="store_true", help="train the authors' run in double precision")
    args = parser.parse_args()
    n, steps = (1_000, 15) if args.quick else (10_000, 150)
    d, T, lr = 5, 100, 1e-4
    gaussian = parse_distribution("gaussian:sigma=1")

    start = time.perf_counter()
    sample = sample_sequences(gaussian, n, T, d, np.random.default_rng(0))
    generation = time.perf_counter() - start
    X = sample.X
    params = Parameters.random(d, np.random.default_rng(1), scale=0.1)

    print(f"== loss + gradient, d={d}, T={T}, n={n:,} (complex128), best of 3 ==")
    vectorized = min(timeit.repeat(lambda: loss_and_gradient(params, X), number=1, repeat=3))
    grams = prefix_grams(X)
    cached = min(timeit.repeat(lambda: loss_and_gradient(params, X, grams), number=1, repeat=3))
    with single_threaded_blas():  # the same BLAS setting as the vectorized code
        reference = min(timeit.repeat(lambda: loss_and_gradient_reference(params, X), number=1, repeat=1))
    print(f"per-t loop (definition, baseline): {reference:8.3f} s")
    print(f"vectorized prefix sums          : {vectorized:8.3f} s   ({reference / vectorized:5.1f}x faster)")
    print(f"prefix sums cached (fixed data) : {cached:8.3f} s   ({reference / cached:5.1f}x faster)")

    dtype = np.complex128 if args.complex128 else np.complex64
    print(
        f"\n== authors' Gaussian run: sigma=1, d={d}, T={T}, n={n:,}, a0=b0=0.1, {steps} steps of lr={lr:g}, "
        f"{np.dtype(dtype).name} =="
    )
    start = time.perf_counter()
    objective = SampleObjective(sample_sequences(gaussian, n, T, d, np.random.default_rng(2), dtype).X)
    result = train(objective, Parameters.assumption1(d, 0.1, 0.1, dtype), lr, steps)
    total = time.perf_counter() - start + generation
    history = result.history
    print(f"data generation       : {generation:8.3f} s")
    print(f"end to end (data+train): {total:8.3f} s   ({total / steps:.3f} s per step incl. data)")
    print(f"tau reached            : {history.tau[-1]:.4f}")
    theory = theorem1_product(T, 3, 15, 3 * (d - 1))  # the claim, for orientation only
    print(f"final ab (authors' metric, mean of a_j b_j): {history.ab[-1]:.6f}   (Theorem 1: {float(theory):.6f})")
    print(f"final a, b: {history.a[-1]:.6f}, {history.b[-1]:.6f};  off-manifold norm: {history.off_manifold[-1]:.3e}")


if __name__ == "__main__":
    main()

"""How much the skew of the per-sequence gradient distorts the Monte Carlo t test (linear proxy).

Run ``python benchmarks/monte_carlo_skew_proxy.py [--sequences 2000000] [--samples 20000]
[--draws 20000]`` from the project root (Gaussian sigma = 1, ``d = 5``, ``T = 50``: the default
setting of ``check-fixed-point --engine monte-carlo``; about 3 minutes on one core).

To first order the trained ``ab`` moves by ``-a~ g_a / 144`` (docs/check-fixed-point.md), with
``g_a`` the sample's mean gradient at the fixed point ``theta* = (a~ I, a~ I)``: an average of
per-sequence terms whose law is strongly right-skewed. The script computes ``g_a`` on chunks of
20 sequences for ``--sequences`` fresh sequences (a pool), then draws ``--draws`` samples of
``--samples`` sequences from the pool (chunks without replacement), cuts each into ``R`` groups,
and applies the test of :mod:`mesasym.compare.monte_carlo` to the group means: reject when
``|t| > t_{1-alpha/2, R-1}`` with ``t = (mean - pool mean) / (sd / sqrt(R))``. It prints the
rejection rate in each tail at ``alpha = 1 %`` and ``5 %`` for ``R = 5, 10, 20, 40`` (binomial
SE ``sqrt(p (1 - p) / draws)``, 0.07 % at 1 %). The proxy has no bias and no off-manifold fit;
it isolates the skew. The pool holds no sequence rarer than about ``1/sequences``.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.objective import manifold_gradient_split
from mesasym.numeric.sequences import sample_sequences
from mesasym.numeric.training import SampleObjective
from mesasym.precise import fixed_point_mp

D, T, CHUNK, BATCH = 5, 50, 20, 10_000


def chunk_gradients(sequences: int, seed: int) -> np.ndarray:
    """``g_a`` at ``theta*`` on consecutive chunks of ``CHUNK`` fresh sequences."""
    dist = parse_distribution("gaussian:sigma=1")
    k = dist.kappas(D)
    a = float(fixed_point_mp(T, k.kappa1, k.kappa2, k.kappa3, dps=30)) ** 0.5
    star = Parameters.assumption1(D, a, a)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(sequences // BATCH):
        X = sample_sequences(dist, BATCH, T, D, rng).X
        for j in range(0, BATCH, CHUNK):
            gradient = SampleObjective(X[j : j + CHUNK]).loss_and_gradient(star)[1]
            out.append(manifold_gradient_split(gradient)[0].real)
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=2_000_000)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pool = chunk_gradients(args.sequences, args.seed)
    mu = pool.mean()
    print(f"pool: {len(pool)} chunks of {CHUNK}; chunk skewness {stats.skew(pool):.2f}, excess kurtosis {stats.kurtosis(pool):.1f}")
    chunks = args.samples // CHUNK
    rng = np.random.default_rng(0)
    for R in (5, 10, 20, 40):
        tails = np.zeros(4)
        for _ in range(args.draws):
            means = pool[rng.choice(len(pool), chunks, replace=False)].reshape(R, -1).mean(axis=1)
            t = (means.mean() - mu) / (means.std(ddof=1) / np.sqrt(R))
            q1, q5 = stats.t.ppf(0.995, R - 1), stats.t.ppf(0.975, R - 1)
            tails += [t < -q1, t > q1, t < -q5, t > q5]
        p = tails / args.draws
        print(f"R = {R:>2}: alpha = 1 %: low {p[0]:.4f} high {p[1]:.4f} (two-sided {p[0] + p[1]:.4f}) | "
              f"alpha = 5 %: low {p[2]:.3f} high {p[3]:.3f} (two-sided {p[2] + p[3]:.3f})")


if __name__ == "__main__":
    main()

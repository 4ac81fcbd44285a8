"""Population-engine benchmark: precomputation, one exact loss + gradient, the full-model flow.

Run from the repository root::

    python benchmarks/bench_population.py [--quick]

Prints, for ``(d, T) = (5, 100)`` (the issue's targets: precomputation <= 30 s,
one loss + gradient <= 0.1 s) and ``(6, 200)``:

* the law-independent phase-count tables (cold, i.e. the first build for that
  ``T``; they are cached per ``T`` afterwards), the assembly of ``G`` and ``h``
  from the moments of the Gaussian law, and their sum (the precomputation);
* one exact loss + gradient (best of several) with multi-threaded BLAS and
  with BLAS limited to one thread;
* the Monte Carlo loss + gradient of the foundation on 10,000 sequences at
  ``d = 5, T = 100`` (1,000 with ``--quick``) as the baseline, and the ratio;
* the full-model population gradient flow from the authors' three starts
  (Gaussian, ``d = 5, T = 100``), with the relative error of the limit ``ab``
  against Theorem 1 and the largest relative off-manifold norm.

Absolute times on a shared 2-core machine are noisy; ratios are measured in
the same run.
"""

from __future__ import annotations

import timeit
import argparse
import time

import numpy as np

from mesasym.numeric.sequences import sample_sequences
from mesasym.claims import theorem1_product
from mesasym.laws import parse_distribution
from mesasym.numeric.population.objective import PopulationObjective, count_tables
from mesasym.numeric.population.flow import population_flow
from mesasym.numeric.model import Parameters, loss_and_gradient, single_threaded_blas


def _engine(d: int, T: int) -> tuple[PopulationObjective, float]:
    gaussian = parse_distribution("gaussian:sigma=1")
    start = time.perf_counter()
    count_tables(T)
    tables = time.perf_counter() - start
    start = time.perf_counter()
    obj = PopulationObjective(gaussian, d, T)
    assembly = time.perf_counter() - start
    params = Parameters.random(d, np.random.default_rng(1), scale=0.1)
    multi = min(timeit.repeat(lambda: obj.loss_and_gradient(params), number=1, repeat=20))
    with single_threaded_blas():
        single = min(timeit.repeat(lambda: obj.loss_and_gradient(params), number=1, repeat=20))
    print(
        f"d={d} T={T}: phase-count tables {tables:.2f} s (cold), G/h assembly {assembly:.3f} s, "
        f"precomputation {tables + assembly:.2f} s; G is {obj.G.shape[0]} x {obj.G.shape[1]}"
    )
    print(f"  one exact loss+gradient: {1e3 * multi:.2f} ms (BLAS threads), {1e3 * single:.2f} ms (1 thread)")
    return obj, min(multi, single)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 Monte Carlo sequences")
    args = parser.parse_args()
    n = 1_000 if args.quick else 10_000

    obj, exact = _engine(5, 100)
    gaussian = parse_distribution("gaussian:sigma=1")
    X = sample_sequences(gaussian, n, 100, 5, np.random.default_rng(0)).X
    params = Parameters.random(5, np.random.default_rng(1), scale=0.1)
    monte_carlo = min(timeit.repeat(lambda: loss_and_gradient(params, X), number=1, repeat=2))
    print(
        f"  Monte Carlo loss+gradient on {n:,} sequences: {monte_carlo:.3f} s "
        f"-> the exact engine is {monte_carlo / exact:,.0f} times faster"
    )
    _engine(6, 200)

    d, T = 5, 100
    k = gaussian.kappas(d)
    claim = float(theorem1_product(T, k.kappa1, k.kappa2, k.kappa3))
    print(f"population flow, gaussian d={d} T={T} (LSODA, rtol 1e-12, stop at stationarity ratio 1e-13):")
    for a0, b0 in [(0.1, 0.1), (0.5, 1.5), (2.0, 2.0)]:
        start = time.perf_counter()
        flow = population_flow(obj, (a0, b0))
        elapsed = time.perf_counter() - start
        scale = np.array([flow.parameters_at(i).norm() for i in range(len(flow.tau))])
        print(
            f"  (a0, b0) = ({a0}, {b0}): {elapsed:.2f} s, {len(flow.tau) - 1} steps, {flow.n_rhs} gradient "
            f"and {flow.n_jac} Hessian evaluations, tau_end = {flow.tau[-1]:.4g}, "
            f"ab/claim - 1 = {flow.ab[-1] / claim - 1:.1e}, max off-manifold/norm = {np.max(flow.off_manifold / scale):.1e}"
        )


if __name__ == "__main__":
    main()

"""Where the Monte Carlo ``ab`` of ``check-fixed-point`` comes from: sampling fluctuation vs bias.

Run ``python benchmarks/diagnose_monte_carlo_offset.py [--samples 10000 40000] [--seeds 1 2 3]
[--steps 89] [--no-train]`` from the project root (default setting of ``check-fixed-point``:
Gaussian sigma = 1, ``T = 50``, ``d = 5``, ``a0 = b0 = 0.1``). For every (seed, n) it draws the
command's training sample (same generator stream: ``SeedSequence(seed).spawn(2)[0]``) and prints

* ``g``: the sample gradient at the population fixed point ``theta* = (a~ I, b~ I)``, component
  ``g_a`` (mean of the diagonal of the ``W^KQ_32`` block; ``g_b = g_a`` there), whose population
  value is 0, with its standard error ``sd/sqrt(n)`` (``sd`` measured on this sample);
* ``g (fresh phases)``: the same with the phases redrawn (same ``x_1``): how much of ``g`` is
  the ``x_1`` draw;
* ``linear``: the first-order response of the manifold optimum to ``g``,
  ``d(ab) = a~ (da + db)`` with ``(da, db) = -H^+ (g_a, g_b)`` and ``H`` the 2 x 2 Hessian of
  the population loss restricted to the manifold (central differences of the exact gradient;
  singular, as the manifold loss depends on ``ab`` only: ``H^+`` is its pseudo-inverse);
* ``trained``: ``ab - a~b~`` after ``--steps`` gradient steps at ``lr = 1/lambda_max`` (the
  command's schedule at this setting is 89 steps), unless ``--no-train``.

``trained - linear`` is what the sample's fluctuation at first order does not explain (the
finite-sample bias plus higher-order terms). Figures: docs/check-fixed-point.md ("Monte Carlo
evidence").
"""

from __future__ import annotations

import argparse

import numpy as np

from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.objective import (
    PopulationObjective,
    manifold_gradient_split,
)
from mesasym.numeric.sequences import sample_phases, sample_sequences, sequences_from
from mesasym.numeric.training import SampleObjective, train
from mesasym.precise import fixed_point_mp

D, T, A0 = 5, 50, 0.1


def manifold_gradient(objective, a: float, b: float) -> np.ndarray:
    g_a, g_b, _ = manifold_gradient_split(objective.loss_and_gradient(Parameters.assumption1(D, a, b))[1])
    return np.array([g_a.real, g_b.real])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[10000, 40000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, default=89)
    parser.add_argument("--no-train", action="store_true")
    args = parser.parse_args()

    dist = parse_distribution("gaussian:sigma=1")
    k = dist.kappas(D)
    c_star = float(fixed_point_mp(T, k.kappa1, k.kappa2, k.kappa3, dps=30))
    a_t = c_star**0.5  # a0 = b0: a~ = b~
    population = PopulationObjective(dist, D, T)
    h = 1e-4
    hessian = np.column_stack(
        [
            (manifold_gradient(population, a_t + h * e[0], a_t + h * e[1]) - manifold_gradient(population, a_t - h * e[0], a_t - h * e[1]))
            / (2 * h)
            for e in ((1, 0), (0, 1))
        ]
    )
    star = Parameters.assumption1(D, a_t, a_t)
    point = Parameters.assumption1(D, A0, A0)
    lam = max(float(np.max(np.linalg.eigvalsh(population.gradient_jacobian_blocks(p.P, p.Q)))) for p in (point, star))
    lr = 1.0 / lam
    print(f"a~b~ = {c_star:.6f}, manifold Hessian {np.round(hessian, 2).tolist()}, lr = {lr:.6g}, steps = {args.steps}")
    print(f"{'seed':>4} {'n':>6} {'g_a':>8} {'SE':>6} {'z':>6} {'g_a fresh':>9} {'linear':>9} {'trained':>9} {'diff':>9}")
    for seed in args.seeds:
        for n in args.samples:
            rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0])
            sample = sample_sequences(dist, n, T, D, rng)
            objective = SampleObjective(sample.X)
            g = manifold_gradient(objective, a_t, a_t)
            parts = [manifold_gradient(SampleObjective(sample.X[part]), a_t, a_t)[0] for part in np.array_split(np.arange(n), 20)]
            se = float(np.std(parts, ddof=1) / np.sqrt(20))
            fresh = sequences_from(sample.x1, sample_phases(np.random.default_rng([seed, n]), n, D), T)
            g_fresh = manifold_gradient(SampleObjective(fresh), a_t, a_t)[0]
            delta = -np.linalg.pinv(hessian) @ g  # H is singular: the manifold loss depends on ab only
            linear = a_t * float(delta.sum())
            line = f"{seed:>4} {n:>6} {g[0]:>+8.3f} {se:>6.3f} {g[0] / se:>+6.2f} {g_fresh:>+9.3f} {linear:>+9.5f}"
            if not args.no_train:
                trained = train(objective, point, lr, args.steps).params.ab - c_star
                line += f" {trained:>+9.5f} {trained - linear:>+9.5f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()

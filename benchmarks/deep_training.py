"""Population training of 2- and 3-layer linear attention (exact engine, every entry free).

Usage: python benchmarks/deep_training.py   (prints the table of docs/deep-theory.md; a few minutes)

From the paper's per-layer start (a_l = b_l = 0.1) and from random full complex starts (scale 0.3),
a local minimiser of the exact loss with every entry free, reached by L-BFGS
(compare.deep_training.population_minimize; the full flow is too stiff to integrate here); the loss
there against the best point of the paper's manifold (one-step GD), the best two GD steps (step sizes
fitted on the same exact sum, a local fit) and OLS (Monte Carlo, 20,000 sequences).
"""

from __future__ import annotations

import time

import numpy as np

from mesasym.compare.deep_fixed_point import DeepSettings, gd2_fit, ols_loss
from mesasym.compare.deep_training import population_minimize
from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation
from mesasym.models.exact_linear import DeepParameters
from mesasym.models.manifold import coordinate_name, manifold_split
from mesasym.symbolic.phase_laws import manifold_fixed_point, manifold_loss_value

SETTINGS = [("gaussian", 2, 1, 5), ("gaussian", 3, 1, 4)]


def main() -> None:
    print("| law | L | d | T | start | loss at the minimiser | max grad entry | largest blocks | one-step GD best | GD-2 best | OLS (MC) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for law, L, d, T in SETTINGS:
        dist = parse_distribution(law)
        pop = ExactPopulation(dist, d, T, L)
        c_star = float(manifold_fixed_point(None, dist, d, T))
        one = float(manifold_loss_value(None, dist, d, T, c_star))
        _, gd2 = gd2_fit(pop.rule)
        ols, ols_se = ols_loss(dist, DeepSettings(layers=L, d=d, T=T, dist=law), np.random.default_rng(0))
        starts = [("paper a=b=0.1", DeepParameters.diagonal(d, (0.1,) * L, (0.1,) * L))]
        starts += [(f"random seed {s}", DeepParameters.random(L, d, np.random.default_rng(s), 0.3)) for s in (1, 2)]
        for name, start in starts:
            t0 = time.perf_counter()
            res = population_minimize(pop, start, maxiter=3000)
            split = manifold_split(res.params, [])
            top = sorted(split.off.items(), key=lambda kv: -kv[1])[:3]
            blocks = ", ".join(f"{coordinate_name(c)} {v:.2f}" for c, v in top)
            print(
                f"| {law} | {L} | {d} | {T} | {name} | {res.loss:.6g} | {res.gradient_max:.1e} | {blocks} "
                f"| {one:.6g} | {gd2:.6g} | {ols:.4g} ± {ols_se:.1g} |  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""The invariance table of deep linear attention: the per-layer diagonal manifold under the exact gradient.

For each law and depth: the exact population gradient (:class:`mesasym.models.exact.ExactPopulation`)
at random points of the per-layer diagonal manifold (:math:`W^{KQ}_{l,32} = a_l I`,
:math:`W^{PV}_{l,12} = b_l I`), its off-manifold part relative to its largest entry, the blocks
that carry it, and the smallest block-scalar manifold containing the paper's that the gradient
keeps (:func:`mesasym.models.manifold.invariant_closure`), with its own off-manifold residue.

Tolerance for "zero": 1e-10 of the gradient's largest entry. The engine's values are exact up to
float64 rounding of sums over at most 2e6 nodes (relative error below 1e-13, see
tests/test_models_exact.py); nonzero off-manifold parts measured here are 1e-2 .. 1 of the scale,
so the verdict is far from the threshold either way.

Regenerate the table of docs/deep-theory.md with ``python benchmarks/deep_invariance.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation
from mesasym.models.manifold import (
    Coordinate,
    block_scalar_point,
    coordinate_name,
    invariant_closure,
    manifold_split,
    paper_coordinates,
)

__all__ = ["InvarianceRow", "invariance_row", "TABLE_SETTINGS", "ZERO", "markdown"]

#: Relative size below which an off-manifold gradient counts as zero (module docstring).
ZERO = 1e-10

#: (law, layers, d, T) of the table in docs/deep-theory.md.
TABLE_SETTINGS = tuple(
    [(law, 2, 2, 5) for law in ("gaussian", "uniform", "laplace", "sparse", "rademacher", "ones", "shifted-gaussian",
                                "mixture:components=[gaussian:sigma=1],[gaussian:sigma=2];weights=1/2,1/2")]
    + [(law, 3, 1, 5) for law in ("gaussian", "uniform", "laplace", "sparse", "ones", "shifted-gaussian")]
    + [(law, 3, 2, 3) for law in ("gaussian", "ones")]
)


@dataclass(frozen=True)
class InvarianceRow:
    law: str
    layers: int
    d: int
    T: int
    paper_off: float  # max over points of off-manifold / largest entry, paper's manifold
    breaking: tuple[Coordinate, ...]
    closure: tuple[Coordinate, ...]
    closure_scalar: bool
    closure_off: float  # same as paper_off, on the closure

    @property
    def invariant(self) -> bool:
        return self.paper_off <= ZERO


def _worst(pop: ExactPopulation, coordinates, rng, points: int):
    worst, blocks = 0.0, set()
    for _ in range(points):
        values = {c: rng.uniform(-1, 1) for c in coordinates}
        split = manifold_split(pop.gradient(block_scalar_point(pop.d, pop.layers, values)), coordinates)
        worst = max(worst, split.off_max / split.scale)
        blocks |= set(split.breaking(ZERO))
    return worst, tuple(sorted(blocks))


def invariance_row(law: str, layers: int, d: int, T: int, seed: int = 0, points: int = 2) -> InvarianceRow:
    pop = ExactPopulation(parse_distribution(law), d, T, layers)
    rng = np.random.default_rng(seed)
    paper_off, breaking = _worst(pop, paper_coordinates(layers), rng, points)
    closure, _, scalar = invariant_closure(pop.gradient, d, layers, rng, ZERO, points)
    closure_off, _ = _worst(pop, closure, rng, points)
    return InvarianceRow(law, layers, d, T, paper_off, breaking, closure, scalar, closure_off)


def _names(coordinates) -> str:
    return ", ".join(coordinate_name(c) for c in coordinates) or "-"


def markdown(rows: list[InvarianceRow]) -> str:
    lines = [
        "| law | L | d | T | off-manifold / max entry (paper's manifold) | blocks that break it "
        "| extra blocks of the closure | closure block-scalar | off-manifold on the closure |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        extra = [c for c in r.closure if c not in paper_coordinates(r.layers)]
        lines.append(
            f"| {r.law} | {r.layers} | {r.d} | {r.T} | {r.paper_off:.1e} | {_names(r.breaking)} "
            f"| {_names(extra) if len(extra) < 12 else f'{len(extra)} blocks'} | {'yes' if r.closure_scalar else 'no'} "
            f"| {r.closure_off:.1e} |"
        )
    return "\n".join(lines)


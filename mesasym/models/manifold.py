r"""Block-scalar manifolds of deep linear attention and the gradient's split over them.

A *block-scalar coordinate* ``(l, m, r, s)`` is the ``d x d`` block ``(r, s)`` (0-based) of
matrix ``m`` (``"KQ"`` or ``"PV"``) of layer ``l``, set to a real multiple of ``I``. The
paper's per-layer diagonal manifold has the ``2L`` coordinates :math:`W^{KQ}_{l,32} = a_l I`,
:math:`W^{PV}_{l,12} = b_l I` (:func:`paper_coordinates`), every other entry zero.

A gradient at a point of a manifold with coordinates ``C`` splits into

* the **on-manifold** part: for each ``c`` in ``C``, the mean real diagonal of its block
  (the derivative along :math:`c` divided by ``d``);
* the **off-manifold** rest: per block, the largest entry of the block minus its on-manifold
  part (for blocks outside ``C``: the largest entry).

The manifold is invariant under the gradient flow iff the off-manifold part vanishes at
every point of it.

**Why block-scalar manifolds are the right family** (symmetry argument). For a law of
:math:`x_1` that is invariant under permutations of the coordinates and under the sign flip
of any one coordinate (i.i.d. symmetric coordinates, ``sparse``), the population loss is
invariant under :math:`W \mapsto D W D^{-1}` applied to every block of every matrix, for
:math:`D` a signed permutation matrix, because such a :math:`D` acting on every token
(:math:`x_t \mapsto D x_t`, with the phases permuted alike) maps the data law to itself. At a
point whose blocks are all multiples of ``I`` (fixed by every such ``D``), the gradient is
therefore fixed too: every block of the gradient commutes with all signed permutations,
hence is a multiple of ``I``. Conjugating the phases (:math:`\lambda \mapsto \bar\lambda`, same
law) makes the loss invariant under :math:`W \mapsto \bar W`, so at real points the
multiples are real. Hence the set of block-scalar points with real scalars is invariant
for such laws; the question is which blocks the gradient fills in
(:func:`invariant_closure`), checked numerically by the exact engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mesasym.models.exact_linear import DeepParameters

__all__ = [
    "Coordinate",
    "ManifoldSplit",
    "manifold_split",
    "paper_coordinates",
    "block_scalar_point",
    "coordinate_name",
    "invariant_closure",
]

#: ``(layer, matrix, row block, column block)``, 0-based.
Coordinate = tuple[int, str, int, int]


def paper_coordinates(layers: int) -> tuple[Coordinate, ...]:
    """The per-layer diagonal manifold's ``2L`` coordinates: ``a_l`` (KQ32) and ``b_l`` (PV12)."""
    return tuple(c for l in range(layers) for c in ((l, "KQ", 2, 1), (l, "PV", 0, 1)))


def coordinate_name(c: Coordinate) -> str:
    """``"l2 KQ21"``: 1-based layer and paper block indices."""
    return f"l{c[0] + 1} {c[1]}{c[2] + 1}{c[3] + 1}"


def _block(params: DeepParameters, c: Coordinate) -> np.ndarray:
    l, m, r, s = c
    d = params.d
    W = params.WKQ[l] if m == "KQ" else params.WPV[l]
    return np.asarray(W[r * d : (r + 1) * d, s * d : (s + 1) * d])


def block_scalar_point(d: int, layers: int, values: dict[Coordinate, float]) -> DeepParameters:
    """Parameters whose block ``c`` is ``values[c] * I``, every other entry zero."""
    WKQ = np.zeros((layers, 3 * d, 3 * d), complex)
    WPV = np.zeros((layers, 3 * d, 3 * d), complex)
    for (l, m, r, s), v in values.items():
        W = WKQ if m == "KQ" else WPV
        W[l, r * d : (r + 1) * d, s * d : (s + 1) * d] = v * np.eye(d)
    return DeepParameters(WKQ, WPV)


@dataclass(frozen=True)
class ManifoldSplit:
    """``on[c]`` (mean real diagonal of block ``c``), ``off[c]`` for every block, ``scale``."""

    on: dict[Coordinate, float]
    off: dict[Coordinate, float]
    scale: float  # the gradient's largest entry

    @property
    def off_max(self) -> float:
        return max(self.off.values())

    def breaking(self, tolerance: float) -> list[Coordinate]:
        """Blocks whose off-manifold part exceeds ``tolerance * scale``."""
        return [c for c, v in sorted(self.off.items()) if v > tolerance * self.scale]


def manifold_split(grad: DeepParameters, coordinates: Sequence[Coordinate] | None = None) -> ManifoldSplit:
    """Split ``grad`` over the manifold of ``coordinates`` (default: the paper's)."""
    inside = set(paper_coordinates(grad.layers) if coordinates is None else coordinates)
    d = grad.d
    on: dict[Coordinate, float] = {}
    off: dict[Coordinate, float] = {}
    for l in range(grad.layers):
        for m in ("KQ", "PV"):
            for r in range(3):
                for s in range(3):
                    c = (l, m, r, s)
                    block = _block(grad, c)
                    if c in inside:
                        on[c] = float(np.mean(np.diagonal(block).real))
                        block = block - on[c] * np.eye(d)
                    off[c] = float(np.max(np.abs(block)))
    scale = float(max(np.max(np.abs(grad.WKQ)), np.max(np.abs(grad.WPV))))
    return ManifoldSplit(on, off, scale)


def invariant_closure(
    gradient: Callable[[DeepParameters], DeepParameters],
    d: int,
    layers: int,
    rng: np.random.Generator,
    tolerance: float = 1e-10,
    points: int = 2,
) -> tuple[tuple[Coordinate, ...], tuple[tuple[Coordinate, ...], ...], bool]:
    """The smallest block-scalar manifold containing the paper's that the gradient keeps.

    From :func:`paper_coordinates`, evaluate ``gradient`` at ``points`` random points of the
    current manifold (scalars uniform in ``[-1, 1]``) and add every block whose off-manifold
    part exceeds ``tolerance`` times the gradient's largest entry; repeat until nothing is
    added. Returns ``(coordinates, rounds, scalar)``: ``rounds[k]`` is what round ``k`` added
    and ``scalar`` whether every gradient block seen was a real multiple of ``I`` (to the
    tolerance), i.e. whether the closure is a block-scalar manifold at all.
    """
    current = list(paper_coordinates(layers))
    rounds: list[tuple[Coordinate, ...]] = []
    scalar = True
    while True:
        added: set[Coordinate] = set()
        for _ in range(points):
            grad = gradient(block_scalar_point(d, layers, {c: rng.uniform(-1, 1) for c in current}))
            split = manifold_split(grad, list(current) + [c for c in manifold_split(grad).off])
            scalar &= split.off_max <= tolerance * split.scale
            added |= {
                c for c, v in manifold_split(grad, current).off.items() if c not in current and v > tolerance * split.scale
            }
        if not added:
            return tuple(current), tuple(rounds), scalar
        rounds.append(tuple(sorted(added)))
        current += sorted(added)

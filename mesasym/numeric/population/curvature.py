r"""Curvature of the full model's population loss: the largest stable gradient-descent step.

Gradient descent with step ``eta`` in the convention of THEORY §3
(:math:`\nabla = \partial/\partial\operatorname{Re} + i\,\partial/\partial\operatorname{Im}`) is
plain gradient descent on the real vector ``x = (Re P, Re Q, Im P, Im Q)`` (``12 d^2``
numbers; every other entry of ``W^{KQ}, W^{PV}`` has zero gradient and zero curvature).
Near a minimum ``x*`` the error obeys ``e_{k+1} = (I - eta H) e_k`` with ``H`` the real
``12d^2 x 12d^2`` Hessian (:meth:`PopulationObjective.gradient_jacobian_blocks`), so GD is
linearly stable iff ``0 < eta < 2 / lambda_max(H)`` (and ``H >= 0``).

:func:`step_size_limit` returns ``lambda_max``, ``2/lambda_max``, the smallest eigenvalue, how
the top eigenvector splits over the parameter directions (the Assumption-1 manifold, the
rest of the red diagonals, the red off-diagonals, the other real entries of ``P, Q``, the
imaginary parts), and the curvature of the manifold alone: the largest eigenvalue of ``H``
restricted to the two directions ``(a I, 0)`` and ``(0, b I)`` (normalised), which is the
per-entry curvature the reduced ``(a, b)`` map sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesasym.errors import require
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.objective import PopulationObjective

__all__ = ["DIRECTIONS", "StepSizeLimit", "block_split", "direction_masks", "step_size_limit"]

#: Names of the parameter directions the top eigenvector is split over.
DIRECTIONS = ("manifold", "red-diagonal-rest", "red-off-diagonal", "other-real", "imaginary")


def _index_arrays(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the real vector ``x`` for ``P`` and ``Q`` entries (real parts)."""
    nP, nQ = d * 2 * d, (2 * d) ** 2
    return np.arange(nP).reshape(d, 2 * d), nP + np.arange(nQ).reshape(2 * d, 2 * d)


def direction_masks(d: int) -> dict[str, np.ndarray]:
    """Orthonormal bases (columns) of the five direction subspaces of ``x`` (see the module doc).

    ``manifold`` has two columns: all of ``diag(W^{KQ}_{32})`` and all of
    ``diag(W^{PV}_{12})`` (real parts), each divided by ``sqrt(d)``.
    """
    n_real = 6 * d * d
    P_index, Q_index = _index_arrays(d)
    kq_diag = np.array([Q_index[d + j, j] for j in range(d)])
    pv_diag = np.array([P_index[j, j] for j in range(d)])
    red_all = set(Q_index[d:, :d].ravel()) | set(P_index[:, :d].ravel())
    red_diag = set(kq_diag) | set(pv_diag)

    def unit(indices: np.ndarray) -> np.ndarray:
        out = np.zeros((2 * n_real, indices.size))
        out[indices, np.arange(indices.size)] = 1.0
        return out

    manifold = np.zeros((2 * n_real, 2))
    manifold[kq_diag, 0] = 1 / np.sqrt(d)
    manifold[pv_diag, 1] = 1 / np.sqrt(d)
    # rest of the diagonals: orthogonal complement of the uniform vector in each diagonal
    rest = []
    for diag in (kq_diag, pv_diag):
        if d > 1:
            basis = np.linalg.svd(np.eye(d) - 1.0 / d, full_matrices=False)[0][:, : d - 1]
            block = np.zeros((2 * n_real, d - 1))
            block[diag, :] = basis
            rest.append(block)
    red_diag_rest = np.hstack(rest) if rest else np.zeros((2 * n_real, 0))
    off = np.array(sorted(red_all - red_diag), dtype=int)
    other = np.array(sorted(set(range(n_real)) - red_all), dtype=int)
    return {
        "manifold": manifold,
        "red-diagonal-rest": red_diag_rest,
        "red-off-diagonal": unit(off),
        "other-real": unit(other),
        "imaginary": unit(np.arange(n_real, 2 * n_real)),
    }


def block_split(vector: np.ndarray, d: int) -> dict[str, float]:
    """Squared norm of a real vector ``x`` per ``d x d`` block (real and imaginary parts together).

    Keys use the paper's 1-based block labels: ``PV12``, ``PV13`` (of ``P``) and ``KQ22``,
    ``KQ23``, ``KQ32``, ``KQ33`` (of ``Q``).
    """
    n_real = 6 * d * d
    squared = vector[:n_real] ** 2 + vector[n_real:] ** 2
    P_index, Q_index = _index_arrays(d)
    out = {f"PV1{s + 2}": float(np.sum(squared[P_index[:, s * d : (s + 1) * d]])) for s in (0, 1)}
    for r in (0, 1):
        for s in (0, 1):
            out[f"KQ{r + 2}{s + 2}"] = float(np.sum(squared[Q_index[r * d : (r + 1) * d, s * d : (s + 1) * d]]))
    return out


def _limiting(split: dict[str, float]) -> str:
    """The directions holding at least a quarter of the largest share, e.g. ``"other-real+imaginary"``
    for a degenerate top eigenspace split evenly between real and imaginary parts."""
    top = max(split.values())
    names = sorted((name for name, share in split.items() if share >= 0.25 * top), key=lambda n: -split[n])
    return "+".join(names)


@dataclass(frozen=True)
class StepSizeLimit:
    """The Hessian's extreme eigenvalues at one point and the GD step limit ``2/lambda_max``."""

    lambda_max: float
    lambda_min: float
    max_stable_lr: float  # 2 / lambda_max
    top_direction: dict[str, float]  # share of the top eigenspace in each direction (sum 1)
    limiting_direction: str  # the directions holding most of it, joined by '+'
    top_blocks: dict[str, float]  # squared norm of the top eigenspace per block (sum = multiplicity)
    top_multiplicity: int  # eigenvalues within 1e-9 relative of lambda_max
    manifold_curvature: float  # largest eigenvalue of H restricted to the manifold directions
    manifold_lr: float  # 2 / manifold_curvature
    eigenvalues: np.ndarray  # all, ascending


def step_size_limit(objective: PopulationObjective, params: Parameters) -> StepSizeLimit:
    """``lambda_max`` of the exact population Hessian at ``params`` and ``2/lambda_max`` (module doc)."""
    require(isinstance(objective, PopulationObjective), f"objective must be a PopulationObjective, got {type(objective).__name__}")
    require(isinstance(params, Parameters) and params.d == objective.d, f"params must be Parameters with d={objective.d}")
    H = objective.gradient_jacobian_blocks(params.P, params.Q)
    H = 0.5 * (H + H.T)
    values, vectors = np.linalg.eigh(H)
    top = vectors[:, -1]
    lam = float(values[-1])
    top_space = vectors[:, values >= lam - 1e-9 * abs(lam)]
    blocks = {name: 0.0 for name in block_split(top, objective.d)}
    for column in top_space.T:
        for name, value in block_split(column, objective.d).items():
            blocks[name] += value
    masks = direction_masks(objective.d)
    # share of the (possibly degenerate) top eigenspace in each direction: trace of the
    # projector onto the eigenspace restricted to the direction, over the multiplicity
    split = {
        name: float(np.sum((basis.T @ top_space) ** 2)) / top_space.shape[1] for name, basis in masks.items()
    }
    manifold = masks["manifold"]
    restricted = manifold.T @ H @ manifold
    manifold_curvature = float(np.max(np.linalg.eigvalsh(0.5 * (restricted + restricted.T))))
    return StepSizeLimit(
        lambda_max=lam,
        lambda_min=float(values[0]),
        max_stable_lr=2.0 / lam if lam > 0 else float("inf"),
        top_direction=split,
        limiting_direction=_limiting(split),
        top_blocks=blocks,
        top_multiplicity=int(top_space.shape[1]),
        manifold_curvature=manifold_curvature,
        manifold_lr=2.0 / manifold_curvature if manifold_curvature > 0 else float("inf"),
        eigenvalues=values,
    )

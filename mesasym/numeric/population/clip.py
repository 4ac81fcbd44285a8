"""The clip objective: the population loss with the red blocks' off-diagonal entries frozen.

The continuous-time version of the authors' ``--clip`` (THEORY §8): after every
step their script zeroes the off-diagonal entries of :math:`W^{KQ}_{32}` and
:math:`W^{PV}_{12}`; in the flow their gradient is projected out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesasym.numeric.population.objective import PopulationObjective

__all__ = ["ClipObjective"]


def _red_off_diagonal_masks(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the frozen entries of ``P`` (``d x 2d``) and ``Q`` (``2d x 2d``) under clip."""
    off = ~np.eye(d, dtype=bool)
    frozen_P = np.zeros((d, 2 * d), dtype=bool)
    frozen_P[:, :d] = off  # W^PV_12 = P[:, 0:d]
    frozen_Q = np.zeros((2 * d, 2 * d), dtype=bool)
    frozen_Q[d:, :d] = off  # W^KQ_32 = Q[d:2d, 0:d]
    return frozen_P, frozen_Q


class ClipObjective(PopulationObjective):
    """The population objective with the red off-diagonal gradient projected out (the clip flow).

    Its gradient is :meth:`PopulationObjective.loss_and_gradient_blocks` with the
    entries of the two red blocks' off-diagonals set to zero, and its Jacobian the
    corresponding rows of the Hessian set to zero, so the flow integrated by
    :func:`~mesasym.numeric.population.flow.population_flow` keeps those entries at their
    initial value (zero from an Assumption-1 start) and moves everything else.
    """

    def __init__(self, dist: Any, d: int, T: int, process: Any = None) -> None:
        super().__init__(dist, d, T, process=process)
        self.frozen_P, self.frozen_Q = _red_off_diagonal_masks(self.d)

    def __repr__(self) -> str:
        return f"ClipObjective(dist={self.dist!r}, d={self.d}, T={self.T})"

    def loss_and_gradient_blocks(self, P: np.ndarray, Q: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad_P, grad_Q = super().loss_and_gradient_blocks(P, Q)
        grad_P = np.where(self.frozen_P, 0.0, grad_P)
        grad_Q = np.where(self.frozen_Q, 0.0, grad_Q)
        return value, grad_P, grad_Q

    def gradient_jacobian_blocks(self, P: np.ndarray, Q: np.ndarray) -> np.ndarray:
        jacobian = super().gradient_jacobian_blocks(P, Q)
        frozen = np.concatenate([self.frozen_P.ravel(), self.frozen_Q.ravel()])
        rows = np.concatenate([frozen, frozen])  # (Re, Im) halves
        jacobian[rows, :] = 0.0
        return jacobian

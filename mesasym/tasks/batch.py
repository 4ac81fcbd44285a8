"""The one shape every in-context task is given in, and the predictor interface.

Every task (the paper's AR process and its variants, in-context regression) is a batch of
``n`` independent in-context problems, each a sequence of ``P`` (input, output) pairs
:math:`(u_p, v_p)`. Position ``p`` (1-indexed) asks for :math:`v_p` given the query
:math:`u_p` and the context pairs :math:`(u_j, v_j)_{j<p}`:

* AR tasks (``x_{t+1} = W x_t`` and variants): :math:`u_p = x_p`, :math:`v_p = x_{p+1}`,
  ``P = T - 1``; the raw sequences ``x_1..x_T`` are kept in :attr:`Batch.sequences`.
* regression tasks: :math:`u_p = x_p`, :math:`v_p = y_p`, ``P = N + 1`` (the last position
  is the query of an ``N``-example context).

Positions ``2..P`` are scored (position 1 has no context), so a prediction array has shape
``(n, P - 1, d_out)``; for AR tasks this is the paper's ``t = 2..T-1`` and the alignment of
:func:`mesasym.numeric.model.predict`. The in-context least-squares loss at position ``p`` is
:math:`L_p(V) = \\frac{1}{2\\rho_p}\\sum_{j<p}\\lVert v_j - V u_j\\rVert^2`, :math:`\\rho_p = p-1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Batch", "Predictor"]


@dataclass(frozen=True)
class Batch:
    """``n`` in-context problems of ``P`` pairs (module docstring).

    ``oracle`` is the noiseless conditional mean of each scored output given the truth
    (``W x_p`` for AR tasks, the teacher's ``f(x_p)`` for regression), shape ``(n, P-1, d_out)``.
    """

    inputs: np.ndarray  # (n, P, d_in)
    outputs: np.ndarray  # (n, P, d_out)
    oracle: np.ndarray  # (n, P - 1, d_out)
    sequences: np.ndarray | None = None  # AR tasks: x_1..x_T, (n, T, d)

    @property
    def targets(self) -> np.ndarray:
        """The scored outputs :math:`v_2..v_P`, shape ``(n, P-1, d_out)``."""
        return self.outputs[:, 1:]

    @property
    def layout(self) -> str:
        """``"ar"`` when the pairs come from one sequence (:attr:`sequences` set), else ``"regression"``."""
        return "regression" if self.sequences is None else "ar"

    @property
    def n(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def positions(self) -> int:
        """``P``, the number of (input, output) pairs per problem."""
        return int(self.inputs.shape[1])


class Predictor(Protocol):
    """Anything that predicts every scored output of a batch: models, algorithms, loaded files."""

    def predict(self, batch: Batch) -> np.ndarray:
        """Predictions of :attr:`Batch.targets`, shape ``(n, P - 1, d_out)``."""
        ...

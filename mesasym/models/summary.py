r"""Per-layer summaries of a model for the training history.

For layer ``l`` with heads ``h`` and the paper's blocks of :mod:`mesasym.models.layout`
(:math:`K_h = W^{KQ}_h[\text{context input}, \text{query}]`, :math:`V_h = W^{PV}_h[\text{output},
\text{context output}]`, the red blocks :math:`W^{KQ}_{32}`, :math:`W^{PV}_{12}` on AR tasks):

* ``a_l`` -- the mean over heads of the mean real diagonal of :math:`K_h`;
* ``b_l`` -- the sum over heads of the mean real diagonal of :math:`V_h` (heads add up);
* ``ab_l`` -- :math:`\sum_h \operatorname{mean}_j \operatorname{Re}(K_h)_{jj}\operatorname{Re}(V_h)_{jj}`
  (on regression tasks, where :math:`K_h` is ``d x d`` and :math:`V_h` is ``1 x 1``, the sum over
  heads of the product of the two means);
* ``off_manifold_l`` -- the Frobenius norm of both attention matrices of every head minus
  :math:`\bar a_h I` and :math:`\bar b_h I` in the two blocks (:math:`\bar a_h`, :math:`\bar b_h`
  the complex means of the diagonals): zero exactly on the paper's manifold (MLP and norm
  weights are not included).

One entry per distinct block (one for ``shared`` models). With one head these are :attr:`~mesasym.numeric.model.Parameters.a`, ``.b``, ``.ab`` and
``.off_manifold_norm()`` of the NumPy model.
"""

from __future__ import annotations

import numpy as np

from mesasym.models.transformer import Model

__all__ = ["layer_summaries"]


def layer_summaries(model: Model) -> dict[str, float]:
    """``{"a_1": .., "b_1": .., "ab_1": .., "off_manifold_1": .., "a_2": ..}`` (module docstring)."""
    layout = model.layout
    out: dict[str, float] = {}
    for number, block in enumerate(model.blocks, start=1):
        kq, pv = np.asarray(block.attention.kq), np.asarray(block.attention.pv)
        K = kq[:, layout.context_input, layout.query]
        V = pv[:, layout.output, layout.context_output]
        dk, dv = np.diagonal(K, axis1=1, axis2=2), np.diagonal(V, axis1=1, axis2=2)
        off_kq, off_pv = kq.copy(), pv.copy()
        off_kq[:, layout.context_input, layout.query] -= dk.mean(axis=1)[:, None, None] * np.eye(K.shape[1])
        off_pv[:, layout.output, layout.context_output] -= dv.mean(axis=1)[:, None, None] * np.eye(V.shape[1])
        off = float(np.sqrt(np.sum(np.abs(off_kq) ** 2) + np.sum(np.abs(off_pv) ** 2)))
        ab = float(np.sum(np.mean(dk.real * dv.real, axis=1))) if K.shape[1] == V.shape[1] else float(np.sum(dk.real.mean(1) * dv.real.mean(1)))
        out.update({
            f"a_{number}": float(dk.real.mean()), f"b_{number}": float(dv.real.mean(axis=1).sum()),
            f"ab_{number}": ab, f"off_manifold_{number}": off,
        })
    return out

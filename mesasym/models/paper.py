"""The paper's model in both engines: :class:`mesasym.numeric.model.Parameters` <-> :class:`~mesasym.models.transformer.Model`.

The NumPy pair :math:`(W^{KQ}, W^{PV})` (``3d x 3d``) is exactly the one head of a
``layers=1,heads=1,attention=linear`` model on the AR layout (same blocks, same order), so the
conversion copies the two matrices.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from mesasym.errors import require
from mesasym.models.layout import Layout
from mesasym.models.spec import ModelSpec, parse_model
from mesasym.models.transformer import Attention, Block, Model
from mesasym.numeric.model import Parameters

__all__ = ["from_parameters", "to_parameters"]


def from_parameters(params: Parameters, spec: ModelSpec | str | None = None) -> Model:
    """The :class:`~mesasym.models.transformer.Model` with the two matrices of ``params`` (``spec``: the paper's, its init is kept as a label)."""
    spec = parse_model(spec)
    require(spec.is_paper, f"from_parameters needs the paper's architecture, got {spec.spec()}")
    attention = Attention(jnp.asarray(params.WKQ)[None], jnp.asarray(params.WPV)[None])
    return Model((Block(attention),), spec, Layout.of("ar", params.d, params.d))


def to_parameters(model: Model) -> Parameters:
    """The NumPy :class:`~mesasym.numeric.model.Parameters` of a paper-architecture model on an AR task."""
    require(
        model.spec.is_paper and model.layout.kind == "ar",
        f"only the paper's one-layer linear model on an AR task converts to Parameters, got {model.spec.spec()}",
    )
    attention = model.blocks[0].attention
    kq, pv = (np.asarray(m[0]) for m in (attention.kq, attention.pv))
    if kq.dtype.kind != "c":
        kq, pv = kq.astype(np.complex128), pv.astype(np.complex128)
    return Parameters(kq, pv)

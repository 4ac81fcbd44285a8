r"""The transformer family as an Equinox module, and its pure forward pass.

Why Equinox: a model is then a pytree of arrays that *carries its static description*
(:class:`~mesasym.models.spec.ModelSpec`, :class:`~mesasym.models.layout.Layout`) as static
fields, so ``jax.grad``, ``jax.jit``, ``jax.vmap`` and optax act on the weights alone while
every function still knows the architecture; gradients come back with the model's own
structure and names (used by the history and the save format).

Forward pass. Tokens :math:`h^0_p = e_p` (:mod:`mesasym.models.layout`), then for each block
:math:`l = 1..L` (the same weights for every block when ``shared``)

.. math::

    h \leftarrow h + \operatorname{Attn}_l(N_l(h)),\qquad
    h \leftarrow h + \operatorname{MLP}_l(N'_l(h))\ \text{(when ``mlp`` is set)},

with :math:`N, N'` LayerNorm (``norm=layer``, pre-norm) or the identity. Attention over the
causal prefix :math:`i \le t` of :math:`g = N_l(h)`, with per-head ``width x width`` matrices:

* linear (the paper's): :math:`\operatorname{Attn}(g)_t = \sum_h W^{PV}_h \sum_{i\le t} g_i\,
  (g_i^* W^{KQ}_h g_t)/\rho_t`, :math:`\rho_t = \max(t-1, 1)` (``t - 1`` at every scored position);
* softmax: :math:`\sum_h W^{PV}_h \sum_{i\le t} \operatorname{softmax}_i(s_{ti})\, g_i` with real
  scores :math:`s_{ti} = \operatorname{Re}(g_i^* W^{KQ}_h g_t)/\sqrt{\text{width}}`
  (``score=modulus``: :math:`|\cdot|` instead of :math:`\operatorname{Re}`).

On complex tokens LayerNorm is :math:`N(h) = \gamma \odot (h - \mu)/\sqrt{\overline{|h-\mu|^2} + 10^{-5}} + \beta`
(:math:`\mu` the complex mean over the features, the variance that of the moduli), and the
MLP is :math:`W_2\,\phi(W_1 h + c_1) + c_2` with :math:`\phi` applied to the real and the
imaginary part separately (``relu``, or the exact ``gelu``); on real tokens both are the usual
ones. The prediction of :math:`v_p` is the output slot of :math:`h^L_p` (the first ``d_out``
coordinates), for the scored positions ``p = 2..P``.

The loss of one problem is the paper's summand :math:`\sum_{p=2}^{P} \tfrac12\lVert\hat y_p - v_p\rVert^2`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from mesasym.models.layout import Layout, embed
from mesasym.models.spec import ModelSpec

if TYPE_CHECKING:
    from mesasym.tasks.batch import Batch

__all__ = ["Attention", "Norm", "MLP", "Block", "Model", "apply", "predict", "per_problem_loss", "loss"]

NORM_EPS = 1e-5


class Attention(eqx.Module):
    """Per-head :math:`W^{KQ}_h`, :math:`W^{PV}_h`, shape ``(heads, width, width)``."""

    kq: jax.Array
    pv: jax.Array


class Norm(eqx.Module):
    """LayerNorm gain :math:`\\gamma` and bias :math:`\\beta`, shape ``(width,)``."""

    gain: jax.Array
    bias: jax.Array


class MLP(eqx.Module):
    """:math:`W_1` ``(mlp_width, width)``, :math:`c_1`, :math:`W_2` ``(width, mlp_width)``, :math:`c_2`."""

    w1: jax.Array
    c1: jax.Array
    w2: jax.Array
    c2: jax.Array


class Block(eqx.Module):
    """One transformer block; absent parts are ``None``."""

    attention: Attention
    norm_attention: Norm | None = None
    mlp: MLP | None = None
    norm_mlp: Norm | None = None


class Model(eqx.Module):
    """A model of the family: its blocks (one when ``shared``), its spec and its token layout.

    ``model.predict(batch)`` (NumPy in, NumPy out) makes it a :class:`~mesasym.tasks.batch.Predictor`.
    """

    blocks: tuple[Block, ...]
    spec: ModelSpec = eqx.field(static=True)
    layout: Layout = eqx.field(static=True)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.blocks[0].attention.kq.dtype)

    def layer_blocks(self) -> tuple[Block, ...]:
        """The block of every layer ``1..L`` (the same object repeated when ``shared``)."""
        return self.blocks * self.spec.layers if self.spec.shared else self.blocks

    def predict(self, batch: Batch) -> np.ndarray:
        """Predictions of the scored outputs, ``(n, P-1, d_out)``, as a NumPy array."""
        return np.asarray(_predict_jit(self, batch.inputs, batch.outputs))


def _norm(norm: Norm | None, h: jax.Array) -> jax.Array:
    if norm is None:
        return h
    centred = h - jnp.mean(h, axis=-1, keepdims=True)
    variance = jnp.mean(jnp.real(centred * jnp.conj(centred)), axis=-1, keepdims=True)
    return norm.gain * centred / jnp.sqrt(variance + NORM_EPS) + norm.bias


def _activation(kind: str, x: jax.Array) -> jax.Array:
    fn = jax.nn.relu if kind == "relu" else (lambda v: jax.nn.gelu(v, approximate=False))
    if jnp.iscomplexobj(x):
        return fn(jnp.real(x)) + 1j * fn(jnp.imag(x))
    return fn(x)


def _mlp(kind: str, mlp: MLP, h: jax.Array) -> jax.Array:
    hidden = _activation(kind, jnp.einsum("ma,npa->npm", mlp.w1, h) + mlp.c1)
    return jnp.einsum("am,npm->npa", mlp.w2, hidden) + mlp.c2


def _attention(spec: ModelSpec, attention: Attention, g: jax.Array, rows: slice = slice(None)) -> jax.Array:
    """Causal attention of every head, summed (module docstring), rows ``rows`` of the result.

    The values are projected first, :math:`\\sum_i w_{ti} (W^{PV}_h g_i)[\\text{rows}]`, so
    the last block of a model without MLP mixes only the output slot.
    """
    P, width = g.shape[1], g.shape[2]
    q = jnp.einsum("hab,npb->nhpa", attention.kq, g)  # W^KQ_h g_t
    scores = jnp.einsum("nhta,nia->nhti", q, jnp.conj(g))  # g_i^* W^KQ_h g_t
    causal = jnp.tril(jnp.ones((P, P), dtype=bool))
    if spec.attention == "linear":
        rho = jnp.maximum(jnp.arange(P), 1).astype(jnp.real(g).dtype)  # t - 1 for t = 1..P, at least 1
        weights = jnp.where(causal, scores, 0) / rho[:, None]
    else:
        real = jnp.real(scores) if spec.score == "real" else jnp.abs(scores)
        weights = jax.nn.softmax(jnp.where(causal, real / math.sqrt(width), -jnp.inf), axis=-1)
    values = jnp.einsum("hab,nib->nhia", attention.pv[:, rows], g)  # (W^PV_h g_i)[rows]
    return jnp.einsum("nhti,nhia->nta", weights, values)


def apply(model: Model, tokens: jax.Array, rows: slice = slice(None)) -> jax.Array:
    """The final token representations ``(n, P, width)`` (module docstring), coordinates ``rows``."""
    spec = model.spec
    h = tokens
    blocks = model.layer_blocks()
    for number, block in enumerate(blocks, start=1):
        g = _norm(block.norm_attention, h)
        if number == len(blocks) and block.mlp is None:  # nothing after: only the rows asked for
            return h[..., rows] + _attention(spec, block.attention, g, rows)
        h = h + _attention(spec, block.attention, g)
        if block.mlp is not None:
            h = h + _mlp(spec.mlp, block.mlp, _norm(block.norm_mlp, h))
    return h[..., rows]


def _predict_arrays(model: Model, inputs: jax.Array, outputs: jax.Array) -> jax.Array:
    tokens = embed(model.layout, inputs, outputs, model.dtype)
    return apply(model, tokens, model.layout.output)[:, 1:]


_predict_jit = eqx.filter_jit(_predict_arrays)


def predict(model: Model, batch: Batch) -> jax.Array:
    """Predictions :math:`\\hat y_p` of the scored outputs ``p = 2..P``: ``(n, P-1, d_out)``.

    Pure (jit, grad and vmap apply; :class:`~mesasym.tasks.batch.Batch` is a pytree once
    :mod:`mesasym.models` is imported).
    """
    return _predict_arrays(model, batch.inputs, batch.outputs)


def per_problem_loss(model: Model, batch: Batch) -> jax.Array:
    """:math:`\\sum_{p=2}^{P} \\tfrac12\\lVert\\hat y_p - v_p\\rVert^2` for each problem: ``(n,)``."""
    residual = predict(model, batch) - jnp.asarray(batch.outputs)[:, 1:]
    return 0.5 * jnp.sum(jnp.real(residual * jnp.conj(residual)), axis=(1, 2))


def loss(model: Model, batch: Batch) -> jax.Array:
    """The mean of :func:`per_problem_loss` (the paper's empirical :math:`L`)."""
    return jnp.mean(per_problem_loss(model, batch))

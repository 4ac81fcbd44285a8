r"""The one place where JAX's complex gradient is converted to mesasym's convention (THEORY §3).

mesasym's gradient of a real loss :math:`L` with respect to a complex weight :math:`z` is
:math:`\nabla L = \partial L/\partial\operatorname{Re} z + i\,\partial L/\partial\operatorname{Im} z`
(:math:`= 2\,\partial L/\partial\bar z`, PyTorch's ``.grad``; gradient-flow time
:math:`\tau = k\eta` after ``k`` steps of size :math:`\eta`). For a real function of complex
inputs ``jax.grad`` returns the *conjugate* of that, :math:`\partial L/\partial\operatorname{Re} z
- i\,\partial L/\partial\operatorname{Im} z`; :func:`value_and_gradient` conjugates every leaf
once (a no-op on real weights). Tested against :func:`mesasym.numeric.model.loss_and_gradient`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from mesasym.models.transformer import Model, loss, per_problem_loss
from mesasym.tasks.batch import Batch

__all__ = ["to_convention", "value_and_gradient", "loss_and_gradient", "chunked_loss_and_gradient", "CHUNK_ENTRIES"]

#: Target size (array entries) of the largest intermediate of one chunk of problems.
CHUNK_ENTRIES = 1 << 23


def to_convention(jax_gradient: Any) -> Any:
    """JAX's gradient pytree in mesasym's convention (the complex conjugate of every leaf)."""
    return jax.tree_util.tree_map(lambda g: jnp.conj(g) if jnp.iscomplexobj(g) else g, jax_gradient)


def value_and_gradient(fn: Callable[..., jax.Array], model: Model, *args: Any) -> tuple[jax.Array, Model]:
    """``(fn(model, *args), gradient)`` with the gradient in mesasym's convention."""
    value, gradient = eqx.filter_value_and_grad(fn)(model, *args)
    return value, to_convention(gradient)


def loss_and_gradient(model: Model, batch: Any) -> tuple[jax.Array, Model]:
    """The mean loss of :func:`mesasym.models.transformer.loss` and its gradient (convention above)."""
    return value_and_gradient(loss, model, batch)


def chunk_size(model: Model, n: int, P: int) -> int:
    """Problems per chunk so that the largest intermediate (prefix sums or scores) stays near
    :data:`CHUNK_ENTRIES` entries."""
    width = model.layout.width
    linear_prefix = model.spec.attention == "linear" and width < P
    per_problem = P * (width * width if linear_prefix else model.spec.heads * P)
    return int(max(1, min(n, CHUNK_ENTRIES // max(per_problem, 1))))


def _padded(x: np.ndarray, total: int, chunk: int) -> jax.Array:
    x = jnp.asarray(x)
    pad = jnp.zeros((total - x.shape[0], *x.shape[1:]), x.dtype)
    return jnp.concatenate([x, pad]).reshape(total // chunk, chunk, *x.shape[1:])


@eqx.filter_jit
def _scan_chunks(model: Model, inputs: jax.Array, outputs: jax.Array, weights: jax.Array) -> tuple[jax.Array, Model]:
    def weighted(m: Model, i: jax.Array, o: jax.Array, w: jax.Array) -> jax.Array:
        return jnp.sum(w * per_problem_loss(m, Batch(i, o, o[:, 1:])))

    zero = jax.tree_util.tree_map(jnp.zeros_like, eqx.filter(model, eqx.is_array))

    def body(carry, chunk):
        total, gradient = carry
        value, part = eqx.filter_value_and_grad(weighted)(model, *chunk)
        return (total + value, jax.tree_util.tree_map(jnp.add, gradient, part)), None

    (total, gradient), _ = jax.lax.scan(body, (jnp.zeros((), weights.dtype), zero), (inputs, outputs, weights))
    return total, gradient


def chunked_loss_and_gradient(model: Model, batch: Batch, chunk: int | None = None) -> tuple[jax.Array, Model]:
    """:func:`loss_and_gradient` summed over chunks of ``chunk`` problems (memory bounded by one chunk).

    The sample is padded with zero-weight problems to a multiple of ``chunk``; the result equals
    the full-batch mean loss and gradient up to the order of summation.
    """
    n, P = batch.n, batch.positions
    chunk = chunk_size(model, n, P) if chunk is None else int(chunk)
    total = -(-n // chunk) * chunk
    real = np.finfo(model.dtype).dtype
    weights = np.zeros(total, real)
    weights[:n] = 1.0 / n
    value, gradient = _scan_chunks(
        model, _padded(batch.inputs, total, chunk), _padded(batch.outputs, total, chunk), _padded(weights, total, chunk)
    )
    return value, to_convention(gradient)

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

__all__ = ["to_convention", "value_and_gradient", "loss_and_gradient", "chunked_loss_and_gradient", "chunked_loss", "Chunks", "CHUNK_ENTRIES"]

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
    """Problems per chunk so that the attention scores of all layers stay near :data:`CHUNK_ENTRIES` entries."""
    per_problem = P * P * model.spec.heads * model.spec.layers
    largest = max(1, min(n, CHUNK_ENTRIES // max(per_problem, 1)))
    count = -(-n // largest)
    return -(-n // count)  # equal chunks, the least padding


class Chunks(eqx.Module):
    """A batch cut into ``k`` chunks of ``m`` problems, padded with zero-weight problems:
    ``inputs (k, m, P, d)``, ``outputs (k, m, P, d_out)``, ``weights (k, m)`` (``1/n`` or 0)."""

    inputs: jax.Array
    outputs: jax.Array
    weights: jax.Array

    @classmethod
    def of(cls, model: Model, batch: Batch, chunk: int | None = None) -> Chunks:
        n, P = batch.n, batch.positions
        chunk = chunk_size(model, n, P) if chunk is None else int(chunk)
        total = -(-n // chunk) * chunk

        def cut(x: np.ndarray) -> jax.Array:
            padded = np.zeros((total, *x.shape[1:]), x.dtype)
            padded[: x.shape[0]] = x
            return jnp.asarray(padded.reshape(total // chunk, chunk, *x.shape[1:]))

        weights = np.zeros(total, np.finfo(model.dtype).dtype)
        weights[:n] = 1.0 / n
        return cls(cut(np.asarray(batch.inputs)), cut(np.asarray(batch.outputs)), cut(weights))


def _weighted(model: Model, inputs: jax.Array, outputs: jax.Array, weights: jax.Array) -> jax.Array:
    return jnp.sum(weights * per_problem_loss(model, Batch(inputs, outputs, outputs[:, 1:])))


def chunked_value_and_jax_gradient(model: Model, chunks: Chunks) -> tuple[jax.Array, Model]:
    """The mean loss and JAX's raw gradient, accumulated chunk by chunk (traceable; not converted)."""
    zero = jax.tree_util.tree_map(jnp.zeros_like, eqx.filter(model, eqx.is_array))

    def body(carry, chunk):
        total, gradient = carry
        value, part = eqx.filter_value_and_grad(_weighted)(model, *chunk)
        return (total + value, jax.tree_util.tree_map(jnp.add, gradient, part)), None

    start = (jnp.zeros((), chunks.weights.dtype), zero)
    (total, gradient), _ = jax.lax.scan(body, start, (chunks.inputs, chunks.outputs, chunks.weights))
    return total, gradient


@eqx.filter_jit
def chunked_loss(model: Model, chunks: Chunks) -> jax.Array:
    """The mean loss, chunk by chunk (forward only)."""

    def body(total, chunk):
        return total + _weighted(model, *chunk), None

    total, _ = jax.lax.scan(body, jnp.zeros((), chunks.weights.dtype), (chunks.inputs, chunks.outputs, chunks.weights))
    return total


@eqx.filter_jit
def _chunked_jit(model: Model, chunks: Chunks) -> tuple[jax.Array, Model]:
    return chunked_value_and_jax_gradient(model, chunks)


def chunked_loss_and_gradient(model: Model, batch: Batch | Chunks, chunk: int | None = None) -> tuple[jax.Array, Model]:
    """:func:`loss_and_gradient` summed over chunks of ``chunk`` problems (memory bounded by one chunk).

    The result equals the full-batch mean loss and gradient up to the order of summation.
    """
    chunks = batch if isinstance(batch, Chunks) else Chunks.of(model, batch, chunk)
    value, gradient = _chunked_jit(model, chunks)
    return value, to_convention(gradient)

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

from mesasym.models.transformer import Model, loss

__all__ = ["to_convention", "value_and_gradient", "loss_and_gradient"]


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

"""Context statistics of a batch, shared by every algorithm (JAX, differentiable).

For scored position ``p = 2..P`` (array index ``q = p - 1 = 1..P-1``) the context is
``j < p`` and

.. math:: A_p = \\frac{1}{\\rho_p}\\sum_{j<p} u_j u_j^*, \\qquad
          B_p = \\frac{1}{\\rho_p}\\sum_{j<p} v_j u_j^*, \\qquad \\rho_p = p - 1,

so that the in-context loss is :math:`L_p(V) = \\tfrac12\\operatorname{tr}(V A_p V^*) -
\\operatorname{Re}\\operatorname{tr}(V^* B_p) + \\text{const}` and its gradient (real-gradient
convention :math:`\\partial/\\partial\\operatorname{Re} + i\\,\\partial/\\partial\\operatorname{Im}`
for complex ``V``, THEORY §3) is :math:`\\nabla L_p(V) = V A_p - B_p`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

__all__ = ["Context", "context_of"]


class Context(NamedTuple):
    """``A`` ``(n, P-1, d_in, d_in)``, ``B`` ``(n, P-1, d_out, d_in)``, queries ``(n, P-1, d_in)``, ``rho`` ``(P-1,)``."""

    A: jnp.ndarray
    B: jnp.ndarray
    queries: jnp.ndarray
    rho: jnp.ndarray


def context_of(inputs: jnp.ndarray, outputs: jnp.ndarray) -> Context:
    """The normalised prefix sums :math:`A_p, B_p` and the queries :math:`u_p`, ``p = 2..P`` (a cumulative sum)."""
    uu = inputs[:, :, :, None] * jnp.conj(inputs[:, :, None, :])
    vu = outputs[:, :, :, None] * jnp.conj(inputs[:, :, None, :])
    rho = jnp.arange(1, inputs.shape[1], dtype=jnp.float64)
    scale = rho[None, :, None, None]
    A = jnp.cumsum(uu, axis=1)[:, :-1] / scale
    B = jnp.cumsum(vu, axis=1)[:, :-1] / scale
    return Context(A, B, inputs[:, 1:], rho)

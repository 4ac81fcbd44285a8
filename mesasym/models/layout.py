r"""The token embedding of every task, and the blocks the paper's initialization addresses.

AR tasks (the paper's embedding, THEORY §2): token ``p`` is :math:`e_p = (0_d; x_p; x_{p-1})`
with :math:`x_0 = 0`, i.e. :math:`(0; u_p; u_{p-1})` in the pairs of
:class:`~mesasym.tasks.batch.Batch` (for AR tasks :math:`v_{p-1} = u_p`).

Regression tasks (a causal form of von Oswald et al.'s layout, shifted as the paper's):
token ``p`` is :math:`e_p = (0_{d_{out}}; x_p; y_{p-1}; x_{p-1})` with :math:`x_0 = y_0 = 0`.
Token ``p`` thus carries the query :math:`x_p` and the previous pair, so causal attention at
``p`` sees exactly the context pairs :math:`(x_j, y_j)_{j<p}` and never :math:`y_p`.

A wider embedding (``width`` above the minimum) appends zero coordinates. The prediction is
read from the first block (the output slot). The paper's initialization sets
:math:`W^{KQ}[\text{context input}, \text{query}] = a I_d` and
:math:`W^{PV}[\text{output}, \text{context output}] = b I_{d_{out}}`; for AR tasks these are
the paper's red blocks :math:`W^{KQ}_{32}` and :math:`W^{PV}_{12}` (the context output of
token ``p`` is :math:`x_p`, block 2). With them a one-layer linear model predicts
:math:`\frac{ab}{p-1}\sum_{j<p} v_j u_j^* u_p`, one gradient-descent step on the in-context
least squares (Corollary 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from mesasym.errors import require

__all__ = ["Layout", "embed"]


@dataclass(frozen=True)
class Layout:
    """Dimensions of a model's tokens: ``kind`` (``ar``/``regression``), ``d``, ``d_out``, ``width``."""

    kind: str
    d: int
    d_out: int
    width: int

    @staticmethod
    def minimum_width(kind: str, d: int, d_out: int) -> int:
        """``3d`` for AR tasks, ``2 d + 2 d_out`` for regression."""
        return 3 * d if kind == "ar" else 2 * d + 2 * d_out

    @classmethod
    def of(cls, kind: str, d: int, d_out: int, width: int | None = None) -> Layout:
        """The layout of a task; ``width`` ``None`` is the minimum, a smaller one is an error."""
        low = cls.minimum_width(kind, d, d_out)
        require(
            width is None or width >= low,
            f"width={width} is below the task's minimum {low} ({'3d' if kind == 'ar' else '2d + 2'} for d={d})",
        )
        return cls(kind, d, d_out, low if width is None else int(width))

    @property
    def output(self) -> slice:
        return slice(0, self.d_out)

    @property
    def query(self) -> slice:
        return slice(self.d_out, self.d_out + self.d)

    @property
    def context_output(self) -> slice:
        """Where token ``p`` holds :math:`v_{p-1}` (for AR tasks the query block itself)."""
        return self.query if self.kind == "ar" else slice(self.d_out + self.d, 2 * self.d_out + self.d)

    @property
    def context_input(self) -> slice:
        """Where token ``p`` holds :math:`u_{p-1}`."""
        start = self.d_out + self.d if self.kind == "ar" else 2 * self.d_out + self.d
        return slice(start, start + self.d)


def _shift(x: jnp.ndarray) -> jnp.ndarray:
    """``x_{p-1}`` at position ``p`` (zero at ``p = 1``) along axis 1."""
    return jnp.concatenate([jnp.zeros_like(x[:, :1]), x[:, :-1]], axis=1)


def embed(layout: Layout, inputs: jnp.ndarray, outputs: jnp.ndarray, dtype: object) -> jnp.ndarray:
    """Tokens ``(n, P, width)`` of the pairs (module docstring), in ``dtype``."""
    u = jnp.asarray(inputs).astype(dtype)
    n, P, d = u.shape
    require(d == layout.d, f"the batch has d={d} but the model was built for d={layout.d}")
    parts = [jnp.zeros((n, P, layout.d_out), dtype), u]
    if layout.kind == "regression":
        v = jnp.asarray(outputs).astype(dtype)
        require(v.shape[2] == layout.d_out, f"the batch has d_out={v.shape[2]} but the model expects {layout.d_out}")
        parts.append(_shift(v))
    parts.append(_shift(u))
    used = sum(p.shape[2] for p in parts)
    if layout.width > used:
        parts.append(jnp.zeros((n, P, layout.width - used), dtype))
    return jnp.concatenate(parts, axis=2)

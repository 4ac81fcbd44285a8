r"""The deep linear-attention model in JAX, as the exact engine evaluates it.

``L`` layers of the paper's linear causal self-attention with residual connections on the
paper's embedding (THEORY §2), no MLP and no norm:

.. math::

    e^{(0)}_t = (0_d;\, x_t;\, x_{t-1}),\qquad
    e^{(l)}_t = e^{(l-1)}_t + W^{PV}_l \sum_{i \le t} e^{(l-1)}_i\,
        \frac{e^{(l-1)*}_i W^{KQ}_l e^{(l-1)}_t}{\rho_t},\qquad
    \hat y_t = [e^{(L)}_t]_{1:d},

with :math:`\rho_t = t - 1` for :math:`t \ge 2` and :math:`\rho_1 = 1` (position 1 has no
context to normalise by; its token still feeds the next layer). At ``L = 1`` this is
:func:`mesasym.numeric.model.predict` (tested to rounding). The cost of one sequence is
:math:`O(L\,T^2 d + L\,T d^2)`.

This module is the compact reference the exact engine (:mod:`mesasym.models.exact`) differentiates;
the deep model family's :func:`mesasym.models.transformer.per_problem_loss` of ``layers=L`` linear
models equals it to rounding (tests/test_models_exact.py).

Gradient convention (THEORY §3): :math:`\nabla = \partial/\partial\operatorname{Re} +
i\,\partial/\partial\operatorname{Im}`. ``jax.grad`` of a real function of a complex array
returns the complex conjugate of that; :func:`convention_gradient` converts, once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesasym.errors import require
from mesasym.numeric.model import Parameters

__all__ = ["DeepParameters", "predict", "per_sequence_loss", "convention_gradient", "enable_x64"]


def enable_x64() -> None:
    """Double precision in JAX (the exact engine's rounding claims are made in float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)


@dataclass(frozen=True, eq=False)
class DeepParameters:
    """Per-layer ``W^{KQ}_l, W^{PV}_l`` stacked: two complex arrays of shape ``(L, 3d, 3d)``."""

    WKQ: np.ndarray
    WPV: np.ndarray

    def __post_init__(self) -> None:
        for name in ("WKQ", "WPV"):
            value = np.asarray(getattr(self, name))
            require(
                value.ndim == 3 and value.shape[1] == value.shape[2] and value.shape[1] % 3 == 0 and value.shape[0] >= 1,
                f"{name} must have shape (L, 3d, 3d), got {value.shape}",
            )
        require(np.shape(self.WKQ) == np.shape(self.WPV), "WKQ and WPV must have the same shape")

    @property
    def layers(self) -> int:
        return int(self.WKQ.shape[0])

    @property
    def d(self) -> int:
        return int(self.WKQ.shape[1] // 3)

    @classmethod
    def diagonal(cls, d: int, a: tuple[float, ...], b: tuple[float, ...]) -> DeepParameters:
        """The per-layer diagonal point: :math:`W^{KQ}_{l,32} = a_l I`, :math:`W^{PV}_{l,12} = b_l I`."""
        require(len(a) == len(b) and len(a) >= 1, f"a={a!r} and b={b!r} must have the same length >= 1")
        layers = [Parameters.assumption1(d, float(x), float(y)) for x, y in zip(a, b)]
        return cls.from_layers(layers)

    @classmethod
    def from_layers(cls, layers: list[Parameters]) -> DeepParameters:
        return cls(np.stack([p.WKQ for p in layers]).astype(complex), np.stack([p.WPV for p in layers]).astype(complex))

    @classmethod
    def random(cls, layers: int, d: int, rng: np.random.Generator, scale: float = 1.0) -> DeepParameters:
        """Every entry i.i.d. complex Gaussian with ``E|w|^2 = scale^2``."""
        shape = (2, layers, 3 * d, 3 * d)
        draw = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * (scale / np.sqrt(2))
        return cls(draw[0], draw[1])

    def layer(self, l: int) -> Parameters:
        return Parameters(np.array(self.WKQ[l]), np.array(self.WPV[l]))

    def flat(self) -> np.ndarray:
        return np.concatenate([np.ravel(self.WKQ), np.ravel(self.WPV)])

    def ab(self) -> tuple[np.ndarray, np.ndarray]:
        """Per layer, the mean real diagonal of :math:`W^{KQ}_{l,32}` and of :math:`W^{PV}_{l,12}`."""
        d = self.d
        a = np.array([np.mean(np.diagonal(w[2 * d :, d : 2 * d]).real) for w in self.WKQ])
        b = np.array([np.mean(np.diagonal(w[:d, d : 2 * d]).real) for w in self.WPV])
        return a, b


def predict(WKQ, WPV, X):
    """Predictions :math:`\\hat y_t`, ``t = 2..T-1``: ``(n, T-2, d)`` for ``X`` of shape ``(n, T, d)``."""
    import jax.numpy as jnp

    n, T, d = X.shape
    previous = jnp.concatenate([jnp.zeros_like(X[:, :1]), X[:, :-1]], axis=1)
    E = jnp.concatenate([jnp.zeros_like(X), X, previous], axis=-1)  # (n, T, 3d)
    rho = jnp.maximum(jnp.arange(T) * 1.0, 1.0)  # 0-based position p is t = p + 1
    causal = jnp.tril(jnp.ones((T, T)))  # [t, i] = 1 for i <= t
    for l in range(WKQ.shape[0]):
        queries = E @ WKQ[l].T  # W^KQ e_t
        scores = jnp.einsum("nif,ntf->nti", jnp.conj(E), queries) * causal / rho[:, None]
        values = E @ WPV[l].T  # W^PV e_i
        E = E + jnp.einsum("nti,nif->ntf", scores, values)
    return E[:, 1 : T - 1, :d]


def per_sequence_loss(WKQ, WPV, X):
    """:math:`\\sum_{t=2}^{T-1} \\tfrac12 \\lVert \\hat y_t - x_{t+1}\\rVert^2` per sequence: ``(n,)``."""
    import jax.numpy as jnp

    residual = predict(WKQ, WPV, X) - X[:, 2:]
    return 0.5 * jnp.sum(residual.real**2 + residual.imag**2, axis=(1, 2))


def convention_gradient(jax_gradient):
    """THEORY §3's :math:`\\partial/\\partial\\operatorname{Re} + i\\,\\partial/\\partial\\operatorname{Im}`
    from ``jax.grad``'s output (its conjugate)."""
    return np.conj(np.asarray(jax_gradient))

r"""Exact population loss and gradient of deep linear attention (``layers`` 1–3).

.. math::

    L(\theta) = \sum_{t=2}^{T-1} E\,\tfrac12\lVert \hat y_t - x_{t+1}\rVert^2
              = \sum_k w_k\, \ell(\theta; X^{(k)}),

where :math:`\ell` is the per-sequence loss of :mod:`mesasym.models.exact_linear` and
:math:`(X^{(k)}, w_k)` the cubature rule of :func:`mesasym.numeric.quadrature.sequence_rule`.
**Exactness**: :math:`\ell` is, per sequence, a polynomial of degree :math:`2\cdot 3^L` in
each coordinate of :math:`x_1` and a trigonometric polynomial of degree :math:`3^L(T-2)` in
each phase (proof in :mod:`mesasym.numeric.quadrature`); the rule integrates exactly that
class, so the sum *is* the population loss up to float64 rounding. The gradient is the
autodiff of the same finite sum (a finite sum commutes with differentiation), hence exact too.

**Cost** (uniform phases, i.i.d. coordinates): ``(3^L + 1)^d (3^L (T-2) + 1)^d`` sequences,
each :math:`O(L T^2 d + L T d^2)`: exponential in ``d`` with base growing like ``9^L T``.
Measured limits are in docs/deep-theory.md; settings above
:data:`mesasym.numeric.quadrature.MAX_NODES` sequences are refused before any work.
Only linear attention has such an engine (softmax is not a polynomial): the model spec is
checked by :func:`check_exact_model`.
"""

from __future__ import annotations

import numpy as np

from mesasym.errors import InvalidInputError, require
from mesasym.models.exact_linear import DeepParameters, convention_gradient, enable_x64, per_sequence_loss
from mesasym.numeric.quadrature import sequence_rule

__all__ = ["ExactPopulation", "MAX_LAYERS", "check_exact_model", "parse_exact_model"]

#: Deepest model the exact engine accepts (the node count grows like 9^L per coordinate).
MAX_LAYERS = 3

_CHUNK = 32_768


def check_exact_model(spec: dict) -> int:
    """The number of layers of a linear model spec, or one-line refusal for other models.

    ``spec`` maps keys to text values (``layers``, ``attention``, ``mlp``, ``norm``, ``heads``,
    ``shared``, ``width``); absent keys take the paper's defaults.
    """
    defaults = {"layers": "1", "attention": "linear", "mlp": "none", "norm": "none", "heads": "1", "shared": "false"}
    known = set(defaults) | {"init", "width", "mlp_width"}
    for key in spec:
        if key not in known:
            raise InvalidInputError(f"--model key {key!r} is unknown; valid: {', '.join(sorted(known))}")
    values = {**defaults, **{k: str(v) for k, v in spec.items()}}
    for key in ("init", "width", "mlp_width"):
        if key in spec:
            raise InvalidInputError(
                f"--model {key}={spec[key]} is not supported by the exact engine; valid: the paper's embedding "
                "and the start given by --a0/--b0"
            )
    for key, wanted in (("attention", "linear"), ("mlp", "none"), ("norm", "none")):
        if values[key] != wanted:
            raise InvalidInputError(
                f"--model {key}={values[key]} has no exact population engine; valid: {key}={wanted} "
                "(only linear attention without MLP or norm is a polynomial in the tokens)"
            )
    for key, wanted in (("heads", "1"), ("shared", "false")):
        if values[key] != wanted:
            raise InvalidInputError(f"--model {key}={values[key]} is not supported by the exact engine yet; valid: {key}={wanted}")
    try:
        layers = int(values["layers"])
    except ValueError:
        raise InvalidInputError(f"--model layers={values['layers']!r} must be an integer 1..{MAX_LAYERS}") from None
    if not 1 <= layers <= MAX_LAYERS:
        raise InvalidInputError(f"--model layers={layers} is beyond the exact engine's limit; valid: 1..{MAX_LAYERS}")
    return layers


_MODEL_KEYS = ("layers", "heads", "attention", "mlp", "mlp_width", "norm", "width", "shared", "init")


def parse_exact_model(text: str) -> int:
    """``--model`` text (e.g. ``"layers=2"``) -> number of layers, or a one-line refusal.

    Parsed by the one spec grammar (:func:`mesasym.specs.parse_spec`); only linear attention
    without MLP or norm has an exact engine (:func:`check_exact_model`).
    """
    from mesasym.specs import Key, parse_spec

    parsed = parse_spec(text, kind="model", families={"": tuple(Key(k, "") for k in _MODEL_KEYS)}, default="")
    return check_exact_model({k: v for k, v in parsed.values.items() if v != ""})


class ExactPopulation:
    """:math:`L(\\theta)` and :math:`\\nabla L` of ``layers``-layer linear attention, exactly.

    Example::

        pop = ExactPopulation(parse_distribution("gaussian"), d=2, T=5, layers=2)
        value, grad = pop.loss_and_gradient(DeepParameters.diagonal(2, (0.1, 0.2), (0.3, 0.1)))
    """

    def __init__(self, dist, d: int, T: int, layers: int, process=None, extra: int = 0) -> None:
        require(
            isinstance(layers, int) and not isinstance(layers, bool) and 1 <= layers <= MAX_LAYERS,
            f"layers={layers!r} must be an integer 1..{MAX_LAYERS}",
        )
        self.rule = sequence_rule(dist, d, T, layers, process, extra)
        self.dist, self.d, self.T, self.layers, self.process = dist, int(d), int(T), layers, process
        enable_x64()
        import jax
        import jax.numpy as jnp

        self._chunks = []
        for X, w in self.rule.chunks(_CHUNK):
            pad = _CHUNK - len(w) if self.rule.size > _CHUNK else 0
            if pad:
                X = np.concatenate([X, np.repeat(X[:1], pad, axis=0)])
                w = np.concatenate([w, np.zeros(pad)])
            self._chunks.append((jnp.asarray(X), jnp.asarray(w)))

        def weighted(WKQ, WPV, X, w):
            return jnp.sum(w * per_sequence_loss(WKQ, WPV, X))

        self._value = jax.jit(weighted)
        self._value_and_grad = jax.jit(jax.value_and_grad(weighted, argnums=(0, 1)))

    def __repr__(self) -> str:
        return f"ExactPopulation({self.dist.spec()}, d={self.d}, T={self.T}, layers={self.layers}, nodes={self.rule.size})"

    def _check(self, params: DeepParameters) -> None:
        require(
            params.layers == self.layers and params.d == self.d,
            f"parameters have layers={params.layers}, d={params.d}; this engine has layers={self.layers}, d={self.d}",
        )

    def loss(self, params: DeepParameters) -> float:
        self._check(params)
        return float(sum(self._value(params.WKQ, params.WPV, X, w) for X, w in self._chunks))

    def loss_and_gradient(self, params: DeepParameters) -> tuple[float, DeepParameters]:
        """The loss and :math:`\\nabla = \\partial/\\partial\\operatorname{Re} + i\\,\\partial/\\partial\\operatorname{Im}`."""
        self._check(params)
        total, gKQ, gPV = 0.0, 0.0, 0.0
        for X, w in self._chunks:
            value, (a, b) = self._value_and_grad(params.WKQ, params.WPV, X, w)
            total, gKQ, gPV = total + float(value), gKQ + a, gPV + b
        return total, DeepParameters(convention_gradient(gKQ), convention_gradient(gPV))

    def gradient(self, params: DeepParameters) -> DeepParameters:
        return self.loss_and_gradient(params)[1]

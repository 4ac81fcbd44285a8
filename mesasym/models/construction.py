r"""Hand-built transformers with a known algorithm: ``construction=gd,steps=K[,eta=η_1,...,η_K]``.

A ``K``-layer, two-head linear-attention model of the family whose every prediction is exactly
``K`` steps of gradient descent from :math:`V_0 = 0` on the in-context loss
:math:`L_p(V) = \frac{1}{2\rho_p}\sum_{j<p}\lVert v_j - V u_j\rVert^2` (what the algorithm
``gd:k=K,steps=η_1,...,η_K`` predicts). Derivation (docs/probe.md, "The GD construction"):

With :math:`A = \frac1\rho\sum_{j<p}u_ju_j^*`, :math:`B = \frac1\rho\sum_{j<p}v_ju_j^*`, GD gives
:math:`V_K u_p = B z_K` with :math:`z_k = z_{k-1} + \eta_k w_{k-1}`, :math:`z_0 = 0`, where
:math:`w_k = u_p - A z_k` obeys :math:`w_k = w_{k-1} - \eta_k A w_{k-1}`, :math:`w_0 = u_p`.
Von Oswald et al.'s construction keeps each context token's residual :math:`v_j - V_k u_j`; with
causal prediction at every position that residual depends on the query's prefix (``V_k`` is
different for every ``p``), so one slot per token cannot hold it. The query-side form above
needs only the query's own :math:`w_k`: the embedding gets one extra ``d``-block holding
:math:`\delta_k = w_k - u_p` (zero at the start, so the embedding's zero padding is its
initial value). Layer ``k`` has two heads reading the token before the layer:

* readout: :math:`W^{KQ}[\text{ctx-in}, \text{query}] = W^{KQ}[\text{ctx-in}, \delta] = \eta_k I`,
  :math:`W^{PV}[\text{output}, \text{ctx-out}] = I`: adds :math:`\eta_k B w_{k-1}` to the output;
* update: :math:`W^{KQ}[\text{ctx-in}, \text{query}] = W^{KQ}[\text{ctx-in}, \delta] = I`,
  :math:`W^{PV}[\delta, \text{ctx-in}] = -\eta_k I`: adds :math:`-\eta_k A w_{k-1}` to :math:`\delta`.

The linear attention's sum over :math:`i \le t` of the shifted pairs :math:`(u_{i-1}, v_{i-1})`
normalised by :math:`\rho_t = t - 1` is exactly the context sum of :math:`A` and :math:`B`
(:mod:`mesasym.models.layout`), so after ``K`` layers the output slot holds
:math:`\sum_k \eta_k B w_{k-1} = B z_K = V_K u_p`.
"""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np

from mesasym.errors import InvalidInputError, require
from mesasym.models.layout import Layout
from mesasym.models.spec import ModelSpec, parse_model, register_key
from mesasym.models.transformer import Attention, Block, Model
from mesasym.specs import Key

__all__ = ["build_construction", "is_construction", "default_steps"]

#: Most GD steps a construction builds (the issue's probes use up to 4; 16 layers stay cheap).
MAX_STEPS = 16


def _construction(value: str) -> str:
    require(value.lower() in ("none", "gd"), f"construction={value} is not valid; valid values are: none, gd")
    return value.lower()


def _steps(value: str) -> str:
    require(value.isdigit() and 1 <= int(value) <= MAX_STEPS, f"construction: steps={value} must be an integer in [1, {MAX_STEPS}]")
    return value


register_key(Key("construction", "none"), _construction)
register_key(Key("steps", "1"), _steps)
register_key(Key("eta", "auto", many=True))


def default_steps(K: int) -> np.ndarray:
    """:math:`\\eta_k = 1/(k+1)`, ``k = 1..K``: distinct (their polynomial has simple roots, so a
    probe recovers each step), and each below 1, so GD on normalised data contracts."""
    return 1.0 / np.arange(2, K + 2)


def is_construction(spec: ModelSpec) -> bool:
    """Whether ``spec`` asks for a hand-built model (``construction=gd``)."""
    return spec.option("construction") not in (None, "none")


def _etas(spec: ModelSpec, K: int) -> np.ndarray:
    text = spec.option("eta") or "auto"
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    text = ",".join(tokens)
    if tokens == ["auto"]:
        return default_steps(K)
    try:
        values = np.array([float(t) for t in tokens])
    except ValueError:
        raise InvalidInputError(f"construction: eta={text} must be {K} finite numbers or 'auto'") from None
    require(len(values) == K and np.all(np.isfinite(values)), f"construction: eta={text} must be {K} finite numbers (one per step) or 'auto'")
    return values


def build_construction(spec: ModelSpec | str, task: object, d: int, dtype: object | None = None) -> Model:
    """The ``construction=gd,steps=K`` model for ``task`` at dimension ``d`` (module docstring).

    Its spec is the given one with ``layers=K``, ``heads=2``, ``width`` = the task's minimum + ``d``.
    """
    from mesasym.models.init import model_dtype
    from mesasym.tasks import parse_task

    spec = parse_model(spec)
    require(is_construction(spec), f"model spec {spec.spec()!r} has no construction=gd")
    require(
        (spec.attention, spec.mlp, spec.norm, spec.shared) == ("linear", "none", "none", False),
        "construction=gd builds linear attention without MLP, norm or sharing; drop those keys",
    )
    task = parse_task(task)  # type: ignore[arg-type]
    K = int(spec.option("steps") or 1)
    etas = _etas(spec, K)
    minimum = Layout.minimum_width(task.layout, d, task.output_dim(d))
    layout = Layout.of(task.layout, d, task.output_dim(d), minimum + d)
    delta = slice(minimum, minimum + d)
    dt = model_dtype(task, dtype)
    eye_in, eye_out = np.eye(d), np.eye(layout.d_out)
    blocks = []
    for eta in etas:
        kq, pv = np.zeros((2, layout.width, layout.width), dt), np.zeros((2, layout.width, layout.width), dt)
        for head, scale in ((0, eta), (1, 1.0)):
            kq[head, layout.context_input, layout.query] = scale * eye_in
            kq[head, layout.context_input, delta] = scale * eye_in
        pv[0, layout.output, layout.context_output] = eye_out
        pv[1, delta, layout.context_input] = -eta * eye_in
        blocks.append(Block(Attention(jnp.asarray(kq), jnp.asarray(pv))))
    built = replace(spec, layers=K, heads=2, width=layout.width)
    return Model(tuple(blocks), built, layout)

r"""Initial weights of the family (``init=`` of the model spec) and :func:`init_model`.

* ``paper:a=A,b=B`` -- Assumption 1 in every block: :math:`W^{KQ}_h[\text{context input},
  \text{query}] = a I`, :math:`W^{PV}_h[\text{output}, \text{context output}] = (b/H) I` for each of
  the ``H`` heads (so the heads together are the paper's one-head model; identical heads stay
  identical under gradient descent, use ``random`` to break the symmetry), every other attention
  entry 0. The MLP starts with :math:`W_2 = 0` (the block computes the paper's model) and
  :math:`W_1` i.i.d. :math:`N(0, 1/\text{width})` (so :math:`W_2` has a gradient); biases 0,
  LayerNorm gains 1.
* ``random:scale=S`` -- every weight-matrix entry i.i.d. with :math:`E|w|^2 = S^2` (complex
  models: real and imaginary parts :math:`N(0, S^2/2)`); biases 0, gains 1.
* ``ones`` -- every weight-matrix entry :math:`1/\text{width}` (a deterministic start off the
  paper's manifold); biases 0, gains 1.

:data:`INITIALIZERS` maps each name to its builder; an extension registers new ones there (and
their keys in :data:`mesasym.models.spec.INIT_KEYS`).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from mesasym.errors import require
from mesasym.models.layout import Layout
from mesasym.models.spec import ModelSpec, parse_model
from mesasym.models.transformer import MLP, Attention, Block, Model, Norm

__all__ = ["INITIALIZERS", "init_model", "model_dtype"]

Builder = Callable[[ModelSpec, Layout, np.dtype, jax.Array], Block]


def _normal(key: jax.Array, shape: tuple[int, ...], scale: float, dtype: np.dtype) -> jax.Array:
    if np.dtype(dtype).kind == "c":
        real, imag = jax.random.normal(key, (2, *shape), dtype=np.finfo(dtype).dtype) * (scale / np.sqrt(2))
        return (real + 1j * imag).astype(dtype)
    return (jax.random.normal(key, shape, dtype=dtype) * scale).astype(dtype)


def _parts(spec: ModelSpec, layout: Layout, dtype: np.dtype, key: jax.Array, attention: Attention, fill) -> Block:
    """A block around ``attention``; ``fill(key, shape)`` gives the MLP matrices."""
    D = layout.width
    norm = (lambda: Norm(jnp.ones(D, dtype), jnp.zeros(D, dtype))) if spec.norm == "layer" else (lambda: None)
    mlp = None
    if spec.mlp != "none":
        M = spec.mlp_width or 4 * D
        k1, k2 = jax.random.split(key)
        mlp = MLP(fill(k1, (M, D), "w1"), jnp.zeros(M, dtype), fill(k2, (D, M), "w2"), jnp.zeros(D, dtype))
    return Block(attention, norm(), mlp, norm() if mlp is not None else None)


def _paper(spec: ModelSpec, layout: Layout, dtype: np.dtype, key: jax.Array) -> Block:
    H, D = spec.heads, layout.width
    kq = np.zeros((H, D, D), dtype)
    pv = np.zeros((H, D, D), dtype)
    kq[:, layout.context_input, layout.query] = spec.init["a"] * np.eye(layout.d)
    pv[:, layout.output, layout.context_output] = spec.init["b"] / H * np.eye(layout.d_out)

    def fill(k, shape, name):
        return _normal(k, shape, 1 / np.sqrt(D), dtype) if name == "w1" else jnp.zeros(shape, dtype)

    return _parts(spec, layout, dtype, key, Attention(jnp.asarray(kq), jnp.asarray(pv)), fill)


def _random(spec: ModelSpec, layout: Layout, dtype: np.dtype, key: jax.Array) -> Block:
    H, D, scale = spec.heads, layout.width, spec.init["scale"]
    k1, k2, k3 = jax.random.split(key, 3)
    attention = Attention(_normal(k1, (H, D, D), scale, dtype), _normal(k2, (H, D, D), scale, dtype))
    return _parts(spec, layout, dtype, k3, attention, lambda k, shape, name: _normal(k, shape, scale, dtype))


def _ones(spec: ModelSpec, layout: Layout, dtype: np.dtype, key: jax.Array) -> Block:
    H, D = spec.heads, layout.width
    full = jnp.full((H, D, D), 1 / D, dtype)
    return _parts(spec, layout, dtype, key, Attention(full, full), lambda k, shape, name: jnp.full(shape, 1 / D, dtype))


#: init name -> builder of one block ``(spec, layout, dtype, key) -> Block``.
INITIALIZERS: dict[str, Builder] = {"paper": _paper, "random": _random, "ones": _ones}


def model_dtype(task: object, dtype: object | None) -> np.dtype:
    """The weights' dtype: the task's data dtype (complex tasks complex, real tasks real)."""
    return np.dtype(task.data_dtype(dtype))  # type: ignore[attr-defined]


def init_model(spec: ModelSpec | str, task: object, d: int, seed: int = 0, dtype: object | None = None) -> Model:
    """A model of ``spec`` for ``task`` (a :class:`~mesasym.tasks.base.Task` or its spec) at dimension ``d``.

    ``seed`` (an int) is the JAX key of the random parts; ``dtype`` the precision
    (default complex128 / float64; a complex task gets complex weights, a real task real ones).
    """
    from mesasym.tasks import parse_task

    spec = parse_model(spec)
    task = parse_task(task)  # type: ignore[arg-type]
    require(isinstance(d, (int, np.integer)) and d >= 1, f"d={d!r} must be an integer >= 1")
    require(isinstance(seed, (int, np.integer)) and 0 <= seed < 2**32, f"seed={seed!r} must be an integer in [0, 2^32)")
    require(spec.init.name in INITIALIZERS, f"init {spec.init.name!r} has no builder; valid: {', '.join(INITIALIZERS)}")
    layout = Layout.of(task.layout, int(d), task.output_dim(int(d)), spec.width)
    dt = model_dtype(task, dtype)
    keys = jax.random.split(jax.random.PRNGKey(int(seed)), 1 if spec.shared else spec.layers)
    blocks = tuple(INITIALIZERS[spec.init.name](spec, layout, dt, k) for k in keys)
    return Model(blocks, spec, layout)

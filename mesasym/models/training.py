r"""Training a model of the family: full-batch gradient descent or an optax optimizer.

Each step evaluates the loss :math:`L(\theta_k)` and its gradient (mesasym's convention,
:mod:`mesasym.models.gradient`) on the step's sample -- the fixed training sample, or a fresh
sample per step -- and applies the optimizer (``gd``: :math:`\theta_{k+1} = \theta_k - \eta\nabla L`,
``tau = k * lr``). The history (:class:`~mesasym.numeric.history.Recorder`, every
``record_every`` steps, step 0 and the last always) holds ``train_loss`` (the loss *before* the
step, as the NumPy trainer), ``test_loss`` (at the steps in ``test_at``, NaN elsewhere; every
recorded step when ``test_at`` is ``None``) and the per-layer summaries of
:mod:`mesasym.models.summary`. A non-finite loss, or one above ``divergence_factor`` times the
first, raises :class:`~mesasym.errors.DivergenceError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import equinox as eqx
import jax
import numpy as np

from mesasym.errors import DivergenceError, require
from mesasym.models.gradient import Chunks, chunked_loss, chunked_value_and_jax_gradient, to_convention
from mesasym.models.optimizers import OptimizerSpec, parse_optimizer
from mesasym.models.summary import layer_summaries
from mesasym.models.transformer import Model
from mesasym.numeric.history import Recorder
from mesasym.tasks.batch import Batch

__all__ = ["TrainingRun", "train", "evaluate", "step_function"]


@dataclass(frozen=True)
class TrainingRun:
    """The trained model, the recorded history (:meth:`~mesasym.numeric.history.Recorder.columns`) and the last loss."""

    model: Model
    history: Mapping[str, np.ndarray]
    final_loss: float
    steps: int


def evaluate(model: Model, batch: Batch | Chunks) -> float:
    """The mean loss on ``batch`` (chunked, as in training)."""
    return float(chunked_loss(model, batch if isinstance(batch, Chunks) else Chunks.of(model, batch)))


def step_function(optimizer):
    """One jitted step: the loss at the current model and the model after the optimizer's update."""

    @eqx.filter_jit
    def step(model: Model, state, chunks: Chunks):
        value, gradient = chunked_value_and_jax_gradient(model, chunks)
        updates, state = optimizer.update(to_convention(gradient), state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), state, value

    return step


def train(
    model: Model,
    sample: Batch | Callable[[int], Batch],
    *,
    steps: int,
    lr: float,
    optimizer: OptimizerSpec | str | None = None,
    test: Batch | None = None,
    test_at: Collection[int] | None = None,
    record_every: int = 1,
    divergence_factor: float = 1e6,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingRun:
    """Train ``model`` for ``steps`` steps of size ``lr`` (module docstring).

    ``sample`` is the fixed training :class:`~mesasym.tasks.batch.Batch` or ``step -> Batch`` (a fresh sample per
    step). ``on_step(step, loss)`` is called at every step ``0..steps``.
    """
    require(isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0, f"lr={lr!r} must be a positive finite number")
    require(isinstance(steps, (int, np.integer)) and steps >= 0, f"steps={steps!r} must be an integer >= 0")
    spec = parse_optimizer(optimizer) if not isinstance(optimizer, OptimizerSpec) else optimizer
    transform = spec.build(float(lr), int(steps))
    state = transform.init(eqx.filter(model, eqx.is_array))
    step_fn = step_function(transform)
    recorder = Recorder(record_every, last=steps)
    initial = math.nan
    value = math.nan
    fixed = None if callable(sample) else Chunks.of(model, sample)
    tests = None if test is None else Chunks.of(model, test)
    for k in range(steps + 1):
        chunks = fixed if fixed is not None else Chunks.of(model, sample(k))  # type: ignore[operator]
        if k < steps:
            updated, new_state, loss_k = step_fn(model, state, chunks)
        else:
            loss_k = chunked_loss(model, chunks)
        value = float(loss_k)
        if k == 0:
            initial = value
        if not math.isfinite(value) or value > divergence_factor * max(initial, 1e-300):
            raise DivergenceError(
                f"training diverged at step {k} (loss={value:.3g}) with lr={lr:g}; use a smaller step size, e.g. lr={lr / 10:.2g}"
            )
        if recorder.due(k):
            tested = tests is not None and (test_at is None or k in test_at)
            recorder.record(
                k, train_loss=value, test_loss=evaluate(model, tests) if tested else math.nan, **layer_summaries(model)
            )
        if on_step is not None:
            on_step(k, value)
        if k < steps:
            model, state = updated, new_state
    jax.block_until_ready(model)
    return TrainingRun(model, recorder.columns(), value, int(steps))

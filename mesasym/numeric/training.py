"""Numeric training of the full transformer: full-batch gradient descent.

Each step is :math:`\\theta \\leftarrow \\theta - \\eta \\nabla L(\\theta)` with the
gradient convention of :mod:`mesasym.numeric.model`
(:math:`\\nabla = \\partial/\\partial\\operatorname{Re} + i\\,\\partial/\\partial\\operatorname{Im}`,
which is also PyTorch's for a real loss), so the gradient-flow time after ``k``
steps is :math:`\\tau = k\\eta`. Every entry of both ``3d x 3d`` matrices is free.

The objective is anything with ``loss_and_gradient(params) -> (float, Parameters)``:
:class:`SampleObjective` (a fixed sample, as the authors train),
:class:`FreshSampleObjective` (a new sample every step), or the exact
population objective of :mod:`mesasym.numeric.population.objective`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from mesasym.numeric.sequences import sample_sequences
from mesasym.errors import DivergenceError, require
from mesasym.numeric.model import Parameters, loss_and_gradient, prefix_grams

if TYPE_CHECKING:
    from mesasym.laws import InitialTokenDistribution

__all__ = [
    "Objective",
    "SampleObjective",
    "FreshSampleObjective",
    "TrainingHistory",
    "TrainingResult",
    "train",
]


class Objective(Protocol):
    """Anything that returns a loss and its gradient at given parameters."""

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]: ...


class SampleObjective:
    """Empirical loss on a fixed sample ``X`` of shape ``(n, T, d)``.

    The prefix sums :math:`S_t` do not depend on the parameters; they are
    computed once and kept when they take at most ``cache_bytes`` (about
    ``16 n T (2d)^2`` bytes at complex128), which roughly halves the cost of a
    step. Arithmetic is done in the sample's dtype.
    """

    def __init__(self, X: np.ndarray, cache_bytes: int = 2**31) -> None:
        require(isinstance(X, np.ndarray) and X.ndim == 3, f"X must have shape (n, T, d), got {np.shape(X)}")
        self.X = X
        n, T, d = X.shape
        needed = n * max(T - 2, 0) * (2 * d) ** 2 * X.dtype.itemsize
        self._grams = prefix_grams(X) if T >= 3 and needed <= cache_bytes else None

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        return loss_and_gradient(params, self.X, self._grams)


@dataclass
class FreshSampleObjective:
    """Empirical loss on ``n`` fresh sequences drawn at every call (online GD)."""

    dist: InitialTokenDistribution
    d: int
    T: int
    n: int
    rng: np.random.Generator
    dtype: type = np.complex128

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        sample = sample_sequences(self.dist, self.n, self.T, self.d, self.rng, self.dtype)
        return loss_and_gradient(params, sample.X)


@dataclass(frozen=True)
class TrainingHistory:
    """Recorded quantities, one entry per recorded step (step 0 included).

    ``a``, ``b`` are the means of the real diagonals of the red blocks, ``ab``
    the mean of their products (the authors' metric), ``off_manifold`` the
    Frobenius norm of everything that is not ``aI`` / ``bI`` in the red blocks,
    ``loss`` the objective *before* the step and ``tau = step * lr``.
    """

    step: np.ndarray
    tau: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray
    off_manifold: np.ndarray
    loss: np.ndarray


@dataclass(frozen=True)
class TrainingResult:
    """Final parameters, the recorded history and the settings used."""

    params: Parameters
    history: TrainingHistory
    lr: float
    steps: int
    clip: bool
    final_loss: float = field(default=math.nan)


def _divergence_message(step: int, value: float, lr: float) -> str:
    return (
        f"training diverged at step {step} (loss={value:.3g}) with lr={lr:g}; "
        f"use a smaller step size, e.g. lr={lr / 10:g}"
    )


def train(
    objective: Objective,
    params0: Parameters,
    lr: float,
    steps: int,
    *,
    clip: bool = False,
    record_every: int = 1,
    divergence_factor: float = 1e6,
    progress: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    """Full-batch gradient descent :math:`\\theta_{k+1} = \\theta_k - \\eta\\nabla L(\\theta_k)`.

    ``clip=True`` zeroes the off-diagonal entries of the two red blocks after
    every step (the authors' ``--clip``). A non-finite loss, or a loss above
    ``divergence_factor`` times the initial loss, raises
    :class:`~mesasym.errors.DivergenceError` suggesting a smaller step.
    ``progress(step, loss)`` is called after every recorded step.
    """
    require(isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0, f"lr={lr!r} must be a positive finite number")
    require(isinstance(steps, (int, np.integer)) and steps >= 0, f"steps={steps!r} must be an integer >= 0")
    require(
        isinstance(record_every, (int, np.integer)) and record_every >= 1,
        f"record_every={record_every!r} must be an integer >= 1",
    )
    rows: list[tuple[float, ...]] = []
    params = params0.clip_red_off_diagonals() if clip else params0
    initial_loss = math.nan
    value = math.nan
    for step in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            value, gradient = objective.loss_and_gradient(params)
        if step == 0:
            initial_loss = value
        if not math.isfinite(value) or value > divergence_factor * max(initial_loss, 1e-300):
            raise DivergenceError(_divergence_message(step, value, lr))
        if step % record_every == 0 or step == steps:
            rows.append((step, step * lr, params.a, params.b, params.ab, params.off_manifold_norm(), value))
            if progress is not None:
                progress(step, value)
        if step == steps:
            break
        params = params.step(gradient, lr)
        if clip:
            params = params.clip_red_off_diagonals()
    columns = np.array(rows, dtype=np.float64).T
    history = TrainingHistory(
        step=columns[0].astype(np.int64),
        tau=columns[1],
        a=columns[2],
        b=columns[3],
        ab=columns[4],
        off_manifold=columns[5],
        loss=columns[6],
    )
    return TrainingResult(params=params, history=history, lr=float(lr), steps=int(steps), clip=clip, final_loss=value)

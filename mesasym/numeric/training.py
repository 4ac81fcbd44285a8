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
from mesasym.numeric.history import ManifoldTrace, Recorder
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
    "largest_stable_step",
    "SAMPLE_METHODS",
]


class Objective(Protocol):
    """Anything that returns a loss and its gradient at given parameters."""

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]: ...


#: Implementations of :class:`SampleObjective` (see there).
SAMPLE_METHODS: tuple[str, ...] = ("auto", "compiled", "reduced", "prefix")


class SampleObjective:
    """Empirical loss on a fixed sample ``X`` of shape ``(n, T, d)``.

    ``method`` chooses the implementation; all give the same numbers to rounding:

    * ``"compiled"`` -- AR samples only (``x_t = Lambda x_{t-1}``, checked by
      :func:`~mesasym.numeric.ar_objective.ar_phases`): the ``d x d`` prefix sums of
      :mod:`mesasym.numeric.ar_objective` in the compiled kernel (numba), both cores,
      result independent of the thread count;
    * ``"reduced"`` -- the same formulas in plain NumPy (the kernel's reference);
    * ``"prefix"`` -- the generic ``2d x 2d`` prefix sums :math:`S_t` of
      :mod:`mesasym.numeric.model` (any complex sample), computed once and kept
      when they take at most ``cache_bytes`` (about ``16 n T (2d)^2`` bytes at
      complex128);
    * ``"auto"`` (default) -- ``"compiled"`` for AR samples when numba is
      importable, ``"reduced"`` for AR samples without it, ``"prefix"`` otherwise.

    Arithmetic is done in the sample's dtype. ``self.method`` is the one used.
    """

    def __init__(self, X: np.ndarray, cache_bytes: int = 2**31, method: str = "auto") -> None:
        from mesasym.numeric import _ar_kernel
        from mesasym.numeric.ar_objective import PackedSample, ar_phases

        require(isinstance(X, np.ndarray) and X.ndim == 3, f"X must have shape (n, T, d), got {np.shape(X)}")
        require(method in SAMPLE_METHODS, f"method={method!r} must be one of {', '.join(SAMPLE_METHODS)}")
        self.X = X
        n, T, d = X.shape
        self._lam = ar_phases(X) if method != "prefix" and T >= 3 else None
        if method in ("compiled", "reduced"):
            require(self._lam is not None, f"method={method!r} needs an AR sample (X[:, t] = lambda * X[:, t-1])")
        if method == "auto":
            method = "prefix" if self._lam is None else "compiled" if _ar_kernel.available() else "reduced"
        self.method = method
        self._packed = PackedSample(X, self._lam) if method == "compiled" else None
        needed = n * max(T - 2, 0) * (2 * d) ** 2 * X.dtype.itemsize
        self._grams = prefix_grams(X) if method == "prefix" and T >= 3 and needed <= cache_bytes else None

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        if self._packed is not None:
            return self._packed.loss_and_gradient(params)
        if self.method == "reduced":
            from mesasym.numeric.ar_objective import loss_and_gradient_numpy

            return loss_and_gradient_numpy(params, self.X, self._lam)
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
class TrainingHistory(ManifoldTrace):
    """Recorded quantities, one entry per recorded step (step 0 included): the
    :class:`~mesasym.numeric.history.ManifoldTrace` fields with ``loss`` the objective
    *before* the step and ``tau = step * lr``, and the ``step``."""

    step: np.ndarray


@dataclass(frozen=True)
class TrainingResult:
    """Final parameters, the recorded history and the settings used."""

    params: Parameters
    history: TrainingHistory
    lr: float
    steps: int
    clip: bool
    final_loss: float = field(default=math.nan)


def _divergence_message(step: int, value: float, lr: float, suggestion: float | None = None, note: str = "") -> str:
    suggestion = lr / 10 if suggestion is None else suggestion
    return f"training diverged at step {step} (loss={value:.3g}) with lr={lr:g}{note}; use a smaller step size, e.g. lr={suggestion:.2g}"


def _inner(u: Parameters, v: Parameters) -> float:
    """Real inner product of the real vectors ``(Re, Im)`` of two parameter pairs."""
    return float(np.vdot(u.WKQ, v.WKQ).real + np.vdot(u.WPV, v.WPV).real)


def _scaled(u: Parameters, factor: float) -> Parameters:
    return Parameters(u.WKQ * factor, u.WPV * factor)


def largest_stable_step(objective: Objective, params: Parameters, iterations: int = 20, seed: int = 0) -> float:
    """:math:`2/\\lambda_{\\max}`, the largest step size for which gradient descent is stable near ``params``.

    :math:`\\lambda_{\\max}` is the largest eigenvalue of the Hessian of the loss in
    the real coordinates ``(Re, Im)`` of every entry (the gradient convention of
    :mod:`mesasym.numeric.model`, so the GD map is :math:`\\theta - \\eta\\nabla L`
    and is stable for :math:`\\eta < 2/\\lambda_{\\max}`). Estimated by ``iterations``
    power-iteration steps with Hessian-vector products from central differences
    of the gradient, :math:`Hv \\approx (\\nabla L(\\theta + \\epsilon v) - \\nabla L(\\theta - \\epsilon v))/(2\\epsilon)`,
    :math:`\\epsilon = 10^{-3}\\max(\\lVert\\theta\\rVert, 1)`; a negative dominant eigenvalue
    is removed by a shift. An estimate (a few per cent), for advice only;
    ``inf`` when the Hessian has no positive eigenvalue.
    """
    rng = np.random.default_rng(seed)
    shape = params.WKQ.shape
    start = Parameters(
        (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(params.dtype),
        (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(params.dtype),
    )
    eps = 1e-3 * max(params.norm(), 1.0)

    def hessian_times(v: Parameters) -> Parameters:
        up = objective.loss_and_gradient(params.step(v, -eps))[1]
        down = objective.loss_and_gradient(params.step(v, eps))[1]
        return _scaled(up.step(down, 1.0), 1.0 / (2 * eps))

    def dominant(shift: float) -> float:
        v = _scaled(start, 1.0 / start.norm())
        value = 0.0
        for _ in range(iterations):
            hv = hessian_times(v).step(v, shift)  # (H - shift I) v
            value = _inner(v, hv)
            size = hv.norm()
            if not math.isfinite(size) or size == 0:
                break
            v = _scaled(hv, 1.0 / size)
        return value + shift

    with np.errstate(over="ignore", invalid="ignore"):
        top = dominant(0.0)
        if top < 0:
            top = dominant(top)
    return 2.0 / top if top > 0 and math.isfinite(top) else math.inf


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
    on_step: Callable[[int, Parameters, float], None] | None = None,
    estimate_stable_step: bool = False,
) -> TrainingResult:
    """Full-batch gradient descent :math:`\\theta_{k+1} = \\theta_k - \\eta\\nabla L(\\theta_k)`.

    ``clip=True`` zeroes the off-diagonal entries of the two red blocks after
    every step (the authors' ``--clip``). A non-finite loss, or a loss above
    ``divergence_factor`` times the initial loss, raises
    :class:`~mesasym.errors.DivergenceError` suggesting a smaller step; with
    ``estimate_stable_step`` the message also gives :func:`largest_stable_step`
    at the last step whose loss did not increase (where the instability set in).
    ``progress(step, loss)`` is called after every recorded step and
    ``on_step(step, params, loss)`` at every step ``0..steps`` with the
    parameters before that step's update.
    """
    require(isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0, f"lr={lr!r} must be a positive finite number")
    require(isinstance(steps, (int, np.integer)) and steps >= 0, f"steps={steps!r} must be an integer >= 0")
    recorder = Recorder(every=record_every, last=steps)  # checks record_every
    params = params0.clip_red_off_diagonals() if clip else params0
    initial_loss = math.nan
    value = math.nan
    previous = math.inf
    settled = (0, params)  # the last step whose loss did not increase
    for step in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            value, gradient = objective.loss_and_gradient(params)
        if step == 0:
            initial_loss = value
        if not math.isfinite(value) or value > divergence_factor * max(initial_loss, 1e-300):
            if not estimate_stable_step:
                raise DivergenceError(_divergence_message(step, value, lr))
            at, where = settled
            limit = largest_stable_step(objective, where)
            note = f"; the largest stable step size at step {at} is about {limit:.3g} (2 / largest Hessian eigenvalue there)"
            suggestion = 0.9 * limit if limit < lr else lr / 2  # just inside the limit; halve if it cannot explain the divergence
            raise DivergenceError(_divergence_message(step, value, lr, suggestion, note))
        if value <= previous:
            settled = (step, params)
        previous = value
        if on_step is not None:
            on_step(step, params, value)
        if recorder.due(step):
            recorder.record(
                step, tau=step * lr, a=params.a, b=params.b, ab=params.ab, off_manifold=params.off_manifold_norm(), loss=value
            )
            if progress is not None:
                progress(step, value)
        if step == steps:
            break
        params = params.step(gradient, lr)
        if clip:
            params = params.clip_red_off_diagonals()
    history = TrainingHistory(**recorder.columns())  # the recorded columns are the history's fields
    return TrainingResult(params=params, history=history, lr=float(lr), steps=int(steps), clip=clip, final_loss=value)

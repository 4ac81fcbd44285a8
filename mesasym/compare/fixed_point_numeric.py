"""The full model trained for :func:`mesasym.compare.fixed_point.verify_fixed_point`: the exact
population flow, or Monte Carlo gradient descent on a sample and on each of its disjoint
groups (independent replicates with a 1/n bias model, :mod:`mesasym.compare.monte_carlo`)
with its automatic schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mesasym.numeric.sequences import sample_sequences
from mesasym.laws import InitialTokenDistribution, TransitionLaw
from mesasym.errors import DivergenceError, InvalidInputError, require
from mesasym.precise import ReducedTrajectory
from mesasym.numeric.model import Parameters
from mesasym.compare import monte_carlo as mc
from mesasym.compare.fixed_point_report import MC_CONVERGED_FRACTION, FixedPointSettings, NumericResult

#: Local relative error of the population flow's ODE solver (``rtol``; ``atol`` is it times the start's
#: scale): the ``trajectory`` row's tolerance is derived from it, and the flow's stopping accuracy 1e-13
#: sits below ``POPULATION_RTOL``.
POPULATION_FLOW_RTOL = 1e-12
#: The automatic Monte Carlo schedule runs three times the time the followed flow needs to come within
#: this (relative) of its limit; it sets the step count, and ``numeric-converged`` judges whether it sufficed.
SCHEDULE_RTOL = 1e-6


def population_numeric(
    dist: InitialTokenDistribution, s: FixedPointSettings, a0: float, b0: float, process: TransitionLaw | None = None
) -> NumericResult:
    """The exact population flow of the full model from ``(a0 I, b0 I)`` (``process``: the law of ``W``,
    ``None`` for the paper's uniform phases)."""
    from mesasym.numeric.population.objective import PopulationObjective
    from mesasym.numeric.population.flow import population_flow

    objective = PopulationObjective(dist, s.d, s.T, process=process)
    rtol = POPULATION_FLOW_RTOL
    flow = population_flow(objective, (a0, b0), rtol=rtol)
    norms = np.array([flow.parameters_at(i).norm() for i in range(len(flow.tau))])
    return NumericResult(
        engine="population",
        params=flow.final,
        tau=flow.tau,
        a=flow.a,
        b=flow.b,
        ab=flow.ab,
        off_manifold=flow.off_manifold,
        converged=flow.converged,
        detail={
            "solver": flow.method,
            "criterion": flow.criterion,
            "steps": int(len(flow.tau) - 1),
            "rtol": rtol,
            "atol": rtol * max(1.0, abs(a0), abs(b0)),  # population_flow's default atol
            "max_relative_off_manifold": float(np.max(flow.off_manifold / np.maximum(norms, 1e-300))),
        },
    )


def train_monte_carlo(
    X: np.ndarray, d: int, a0: float, b0: float, lr: float, steps: int, adapt: bool, report=None
) -> tuple[Any, float, int]:
    """Full-batch gradient descent on ``X``; with ``adapt``, halve a diverging step (and double the steps)."""
    from mesasym.numeric.training import SampleObjective, train

    for _ in range(6):
        try:
            return train(SampleObjective(X), Parameters.assumption1(d, a0, b0), lr, steps, progress=report), lr, steps
        except DivergenceError:
            if not adapt:
                raise
            lr, steps = lr / 2, steps * 2
    raise DivergenceError(f"training diverged even with lr={lr:g}; give a smaller --lr")


def monte_carlo_numeric(
    dist: InitialTokenDistribution,
    s: FixedPointSettings,
    a0: float,
    b0: float,
    schedule: Callable[[], tuple[float, int]],
    progress: Callable[[str], None] | None,
    process: TransitionLaw | None = None,
) -> NumericResult:
    """Gradient descent on ``s.samples`` sequences of ``(dist, process)`` and on each of its
    ``R = s.replicates`` disjoint groups alone; the estimate, its standard error and bias are
    :func:`mesasym.compare.monte_carlo.replicate_estimate`'s.

    The sample is ``SeedSequence(s.seed).spawn(2)[0]``'s ``s.samples`` sequences; group ``r``
    holds the sequences ``i`` with ``i mod R = r``; every training uses the same ``lr`` and
    ``steps`` from the same start, and records ``ab`` at every step (``replicate_ab_history``).
    ``schedule()`` gives the automatic ``(lr, steps)`` (:func:`mc_schedule`), asked only when
    ``s.lr`` or ``s.steps`` is not given.
    """
    rng = np.random.default_rng(np.random.SeedSequence(s.seed).spawn(2)[0])
    X = sample_sequences(dist, s.samples, s.T, s.d, rng, process=process).X
    R = s.replicates
    require(
        s.samples >= 2 * R,
        f"samples={s.samples} must be at least {2 * R} for the Monte Carlo engine "
        f"(it trains again on each of {R} disjoint groups of the sample)",
    )
    lr, steps = s.lr, s.steps
    if lr is None or steps is None:
        auto_lr, auto_steps = schedule()
        lr = auto_lr if lr is None else lr
        steps = auto_steps if steps is None else steps
    adapt = s.lr is None

    def report(step: int, value: float) -> None:
        if progress is not None and (step % max(1, steps // 10) == 0 or step == steps):
            progress(f"monte-carlo training on {s.samples} sequences: step {step}/{steps}, loss {value:.6g}")

    result, lr, steps = train_monte_carlo(X, s.d, a0, b0, lr, steps, adapt, report)
    history = result.history
    group = np.arange(s.samples) % R
    replicates, histories = [], []
    for r in range(R):
        if progress is not None:
            progress(f"monte-carlo replicate {r + 1}/{R}: training on group {r + 1} alone")
        part = train_monte_carlo(X[group == r], s.d, a0, b0, lr, steps, adapt)[0]
        replicates.append(part.params.ab)
        histories.append(np.asarray(part.history.ab))
    estimate = floored_estimate(float(history.ab[-1]), replicates, s.samples)
    standard_error = estimate.standard_error
    last_change = float(abs(history.ab[-1] - history.ab[-2])) if len(history.ab) > 1 else math.inf
    low, high = estimate.interval(s.alpha)
    return NumericResult(
        engine="monte-carlo",
        params=result.params,
        tau=history.tau,
        a=history.a,
        b=history.b,
        ab=history.ab,
        off_manifold=history.off_manifold,
        converged=bool(last_change <= MC_CONVERGED_FRACTION * standard_error),
        estimate=estimate.estimate,
        detail={
            "samples": s.samples,
            "lr": lr,
            "steps": steps,
            "correction": mc.CORRECTION,
            "replicates": R,
            "alpha": s.alpha,
            "ab_trained": estimate.trained,
            "standard_error": standard_error,
            "bias_estimate": estimate.bias_estimate,
            "interval": [low, high],
            "detectable_relative_error": None,  # set against a~b~ by verify_fixed_point
            "replicate_ab": list(estimate.replicates),
            "last_step_change": last_change,
        },
        replicate_ab_history=tuple(histories),
    )


def floored_estimate(trained: float, replicates: Sequence[float], n: int) -> mc.ReplicateEstimate:
    """:func:`mesasym.compare.monte_carlo.replicate_estimate` of the ``ab`` trained on ``n`` sequences and
    on each of the disjoint groups ``i mod R``, the standard error at least
    :data:`~mesasym.compare.monte_carlo.SE_FLOOR_RTOL` of ``|trained|`` (rounding)."""
    sizes = mc.group_sizes(n, len(replicates))
    return mc.replicate_estimate(trained, replicates, sizes, n, mc.SE_FLOOR_RTOL * abs(trained))


def mc_schedule(
    objective: Any, start: Parameters, limit: Parameters, tau: Sequence[Any], ab: Sequence[Any], target: float
) -> tuple[float, int]:
    """A stable step size and a step count that brings ``ab`` to the fixed point.

    ``lr = 1 / lambda_max``, the largest eigenvalue of the population Hessian (``objective``) at
    ``start`` and at the ``limit``, so that gradient descent is stable in every direction; the number
    of steps covers three times the time a flow (``tau``, ``ab``: the derived reduced flow, or the
    population flow of another law of ``W``) needs to come within :data:`SCHEDULE_RTOL` of ``target`` (a finite
    sample moves more slowly along some directions than the population).
    """
    curvature = 0.0
    for point in (start, limit):
        curvature = max(curvature, float(np.max(np.linalg.eigvalsh(objective.gradient_jacobian_blocks(point.P, point.Q)))))
    lr = 1.0 / curvature
    reached = next((float(t) for t, c in zip(tau, ab) if abs(float(c) - target) <= SCHEDULE_RTOL * abs(target)), float(tau[-1]))
    return lr, max(1, math.ceil(3 * reached / lr))


def automatic_schedule(
    dist: InitialTokenDistribution,
    s: FixedPointSettings,
    a0: float,
    b0: float,
    process: TransitionLaw | None,
    reduced: ReducedTrajectory | None,
    population: NumericResult | None,
) -> Callable[[], tuple[float, int]]:
    """The automatic Monte Carlo schedule (:func:`mc_schedule`): along the derived reduced flow for the
    paper's law, along the population flow of another law of ``W``."""

    def schedule() -> tuple[float, int]:
        from mesasym.numeric.population.objective import PopulationObjective

        start = Parameters.assumption1(s.d, a0, b0)
        objective = PopulationObjective(dist, s.d, s.T, process=process)
        if population is not None:
            return mc_schedule(objective, start, population.params, population.tau, population.ab, population.final_ab)
        if reduced is None:
            raise InvalidInputError("this law has no common kappas: give --lr and --steps for the Monte Carlo engine")
        limit = Parameters.assumption1(s.d, float(reduced.a[-1]), float(reduced.b[-1]))
        ab = [a * b for a, b in zip(reduced.a, reduced.b)]
        return mc_schedule(objective, start, limit, reduced.tau, ab, float(reduced.c_star))

    return schedule


def test_sequences(dist: InitialTokenDistribution, s: FixedPointSettings, process: TransitionLaw | None = None) -> np.ndarray:
    """``s.test_sequences`` fresh sequences of ``(dist, process)`` (their own seed stream)."""
    rng = np.random.default_rng(np.random.SeedSequence(s.seed).spawn(2)[1])
    return sample_sequences(dist, s.test_sequences, s.T, s.d, rng, process=process).X

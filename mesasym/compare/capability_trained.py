"""Recovery decided on the trained full model itself, for any law of ``W`` (a piece of
:func:`mesasym.compare.capability.assess_capability`).

For the paper's uniform phases the verdict is derived symbolically (:func:`~mesasym.compare.capability.decide_recovery`);
for another law of ``W`` the derivation does not apply and the verdict is decided here: the full model
(every entry free) is trained by the exact population gradient flow with the law's phase moments
(:mod:`mesasym.numeric.population`) from the Assumption-1 start, and

* the **exact** criterion: the population loss at the limit relative to the loss of the zero
  predictor, :math:`L(\\theta^*)/L(0)` (both exact; ``L(0) = \\tfrac12\\sum_t E\\lVert x_{t+1}\\rVert^2``).
  The model recovers the process at this ``T`` iff it is 0; we call it recovered when it is below
  ``1e-10`` (the flow stops at stationarity 1e-13; rounding of the loss is ~1e-15 relative);
* the authors' metrics at the last position on ``n`` fresh sequences of the law (seeded): relative MSE
  :math:`E|\\hat y_{T-1} - x_T|^2 / E|x_T|^2` and the mean ratio :math:`\\operatorname{Re}(\\hat y/x)`,
  each with its standard error from the sample.

The paper's verdict (uniform phases, same ``x_1``, same ``T``) is given alongside, so a change of
verdict is visible in one line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mesasym.errors import require
from mesasym.laws import parse_process
from mesasym.numeric.model import Parameters, predict
from mesasym.numeric.population.flow import population_flow
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.sequences import sample_sequences

__all__ = ["TrainedCapability", "trained_capability", "is_recovered", "RECOVERY_RTOL", "TRAINED_MAX_D", "TRAINED_MAX_T"]

#: ``L(theta*) / L(0)`` below which the process counts as recovered (see the module docstring).
RECOVERY_RTOL = 1e-10
#: Largest ``d`` and ``T`` of the trained verdict (the population engine with a law's phase tables).
TRAINED_MAX_D = 8
TRAINED_MAX_T = 200


def is_recovered(relative_loss: float) -> bool:
    """The exact criterion: ``L(theta*) / L(0) <= RECOVERY_RTOL``."""
    return bool(relative_loss <= RECOVERY_RTOL)


@dataclass(frozen=True)
class TrainedCapability:
    """The trained full model's capability on one law of ``x_1`` and one law of ``W``."""

    process: str
    dist: str
    d: int
    T: int
    start: tuple[float, float]
    converged: bool
    ab: float
    off_manifold: float  # ||theta - (aI, bI)|| / ||theta|| at the limit
    loss: float
    loss_zero: float
    relative_loss: float
    recovers: bool
    paper_law_relative_loss: float
    paper_law_recovers: bool
    samples: int
    last_mse: float
    last_mse_se: float
    last_ratio: float
    last_ratio_se: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _trained(dist, d: int, T: int, process, start) -> tuple[PopulationObjective, Any]:
    objective = PopulationObjective(dist, d, T, process=process)
    return objective, population_flow(objective, start)


def trained_capability(
    dist, process, d: int, T: int, n: int, rng: np.random.Generator, start: tuple[float, float] = (0.1, 0.1)
) -> TrainedCapability:
    """Train the full model on the exact population loss of ``(dist, process)`` and measure recovery."""
    require(
        d <= TRAINED_MAX_D and T <= TRAINED_MAX_T,
        f"capability --process needs d <= {TRAINED_MAX_D} and T <= {TRAINED_MAX_T} (population engine), got d={d}, T={T}",
    )
    require(isinstance(n, int) and n >= 2, f"n={n!r} must be an integer >= 2 (fresh test sequences)")
    law = parse_process(process)
    objective, flow = _trained(dist, d, T, law, start)
    zero = objective.loss(Parameters(np.zeros((3 * d, 3 * d), complex), np.zeros((3 * d, 3 * d), complex)))
    loss = float(flow.loss[-1])
    paper_objective, paper_flow = _trained(dist, d, T, None, start)
    paper_zero = paper_objective.loss(Parameters(np.zeros((3 * d, 3 * d), complex), np.zeros((3 * d, 3 * d), complex)))
    paper_relative = float(paper_flow.loss[-1]) / paper_zero
    X = sample_sequences(dist, n, T, d, rng, process=law).X
    prediction = predict(flow.final, X)[:, -1]  # yhat_{T-1}
    truth = X[:, -1]
    error = np.sum(np.abs(prediction - truth) ** 2, axis=1)
    power = np.sum(np.abs(truth) ** 2, axis=1)
    mse, mse_se = float(error.mean() / power.mean()), float(error.std(ddof=1) / np.sqrt(n) / power.mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.real(prediction / truth)
    ratio = ratio[np.isfinite(ratio)]
    norm = flow.final.norm()
    return TrainedCapability(
        process=law.spec(),
        dist=dist.spec(),
        d=d,
        T=T,
        start=tuple(float(x) for x in start),
        converged=bool(flow.converged),
        ab=float(flow.final.ab),
        off_manifold=float(flow.final.off_manifold_norm() / norm) if norm else 0.0,
        loss=loss,
        loss_zero=float(zero),
        relative_loss=loss / zero,
        recovers=is_recovered(loss / zero),
        paper_law_relative_loss=paper_relative,
        paper_law_recovers=is_recovered(paper_relative),
        samples=n,
        last_mse=mse,
        last_mse_se=mse_se,
        last_ratio=float(ratio.mean()) if ratio.size else float("nan"),
        last_ratio_se=float(ratio.std(ddof=1) / np.sqrt(ratio.size)) if ratio.size > 1 else float("nan"),
    )

"""What did it learn? A target predictor against the algorithm zoo (``mesasym probe``).

The target (a model, a loaded model file or an algorithm) is given as a pure JAX function
``f(inputs, outputs) -> predictions`` of a batch's context. For every algorithm of the zoo:

1. its free hyperparameters are fitted on a *probe* batch to the target's predictions
   (:func:`mesasym.algorithms.fit.fit_algorithm`);
2. on a fresh *held-out* batch of the same task it reports the relative prediction distance
   :math:`D = \\sum_{i,p}\\lVert\\hat y^{target}_{ip} - \\hat y^{alg}_{ip}\\rVert^2 / \\sum_{i,p}\\lVert\\hat y^{alg}_{ip}\\rVert^2`
   (overall with a delta-method standard error over problems, and per position), the
   sensitivity cosine :math:`\\langle J_t, J_a\\rangle_F / (\\lVert J_t\\rVert_F\\lVert J_a\\rVert_F)`
   between the Jacobians of the two predictions with respect to the context (autodiff; per
   problem, then mean and standard error), and each predictor's own error against the truth.

The verdict (:func:`verdict`): among the algorithms *equivalent* to the nearest one
(distance within its two standard errors plus :data:`EQUIVALENCE_FLOOR`) the one with the
fewest fitted hyperparameters is named (``gd:k=4`` contains ``gd:k=3`` with a zero step, so
distance alone cannot tell them apart); it is *close* when its distance plus two standard
errors is at most the threshold :math:`\\tau = \\min(\\tau_{max}, D_{next}/s)`: at most
:data:`TAU_MAX` and :data:`SEPARATION` times nearer than the nearest *neighbour*, the nearest
non-equivalent algorithm that neither contains nor is contained in the named one (a larger
family that fits worse on held-out problems, e.g. ``gd:k=2`` over-fitted to a one-step target,
is not a different algorithm).
Otherwise the verdict is ``none``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mesasym.algorithms import Algorithm, fit_algorithm, parse_algorithm
from mesasym.algorithms.fit import real_view
from mesasym.algorithms.spec import NO_JACOBIAN
from mesasym.errors import InvalidInputError, require
from mesasym.tasks.batch import Batch

__all__ = [
    "EQUIVALENCE_FLOOR",
    "SEPARATION",
    "TAU_MAX",
    "AlgorithmRow",
    "PredictFn",
    "ProbeReport",
    "default_zoo",
    "probe",
    "step_agreement",
    "trained_ab",
    "verdict",
]

#: ``f(inputs, outputs) -> (n, P-1, d_out)``, pure JAX (differentiable in the context).
PredictFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]

#: Largest relative squared distance called close: predictions within 10 % RMS of the algorithm's.
#: The zoo's own members differ by more on the shipped tasks (``gd:k=1`` vs ``ols``, ``gd:k=2``
#: vs ``gd:k=3``: 1e-2 to 1; docs/probe.md), so a looser threshold would not separate them.
TAU_MAX = 1e-2
#: The nearest non-equivalent algorithm must be at least this many times farther (squared distance;
#: twice in RMS), so the named algorithm is resolved from its neighbours in the zoo.
SEPARATION = 4.0
#: Distances this small count as equal: the double-precision floor of a fitted exact match
#: (measured ~1e-30 for exact matches; the ground truths ask for 1e-10).
EQUIVALENCE_FLOOR = 1e-10
#: Problems of the held-out batch on which the Jacobians are taken (each costs one Jacobian).
JACOBIAN_PROBLEMS = 8


@dataclass(frozen=True)
class AlgorithmRow:
    """One algorithm's comparison with the target on the held-out batch."""

    name: str
    family: str
    k: int | None
    hyperparameters: dict[str, Any]
    parameter_count: int
    distance: float
    distance_se: float
    distance_by_position: list[float]
    cosine: float | None
    cosine_se: float | None
    error: float
    error_by_position: list[float]

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ProbeReport:
    """The probe's rows, the target's own error, and the verdict."""

    target: str
    rows: list[AlgorithmRow]
    target_error: float
    target_error_by_position: list[float]
    closest: str
    verdict: str
    close: bool
    threshold: float
    reason: str
    settings: dict[str, Any] = field(default_factory=dict)
    step: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "algorithms": [row.as_json() for row in self.rows],
            "closest": self.closest,
            "verdict": self.verdict,
            "close": self.close,
            "threshold": self.threshold,
            "reason": self.reason,
            "target_error": self.target_error,
            "target_error_by_position": self.target_error_by_position,
            "settings": self.settings,
            "step": self.step,
            "distance_of": {column_name(r.name): r.distance for r in self.rows},
            "last_error_of": {"target": self.target_error_by_position[-1], **{column_name(r.name): r.error_by_position[-1] for r in self.rows}},
        }


def column_name(name: str) -> str:
    """An algorithm's name as a plain identifier for tables (``pgd:k=1,precond=diag`` -> ``pgd_k_1_precond_diag``)."""
    return "".join(c if c.isalnum() else "_" for c in name)


def default_zoo(layout: str) -> list[str]:
    """The algorithm specs probed by default (``copy`` only where inputs and outputs share a space)."""
    zoo = ["gd:k=1", "gd:k=2", "gd:k=3", "gd:k=4", "pgd:k=1,precond=diag", "pgd:k=1,precond=full"]
    zoo += ["pgd:k=2,precond=diag", "ols", "ridge", "oracle", "zero"]
    return zoo + (["copy"] if layout == "ar" else [])


def _squared(values: np.ndarray) -> np.ndarray:
    return np.real(values * np.conj(values))


def relative_distance(target: np.ndarray, algorithm: np.ndarray, scale: np.ndarray) -> tuple[float, float, list[float]]:
    """:math:`D` overall, its delta-method standard error over problems, and :math:`D` per position.

    The denominator is the algorithm's :math:`\\sum\\lVert\\hat y^{alg}\\rVert^2`, or that of ``scale``
    (the truth) when the algorithm predicts 0 everywhere (``zero``).
    """
    a = _squared(target - algorithm).sum(axis=2)  # (n, P-1)
    b = _squared(algorithm).sum(axis=2)
    if not np.any(b):
        b = _squared(scale).sum(axis=2)
    per_problem_a, per_problem_b = a.sum(axis=1), b.sum(axis=1)
    D = per_problem_a.sum() / per_problem_b.sum()
    n = len(per_problem_a)
    se = float(np.std(per_problem_a - D * per_problem_b, ddof=1) / np.sqrt(n) / per_problem_b.mean()) if n > 1 else float("nan")
    by_position = (a.sum(axis=0) / np.maximum(b.sum(axis=0), np.finfo(float).tiny)).tolist()
    return float(D), se, by_position


def own_error(prediction: np.ndarray, batch: Batch) -> tuple[float, list[float]]:
    """:math:`\\sum\\lVert\\hat y - v\\rVert^2/\\sum\\lVert v\\rVert^2` overall and at every position (relative errors)."""
    residual = _squared(prediction - batch.targets).sum(axis=2)
    scale = _squared(batch.targets).sum(axis=2)
    return float(residual.sum() / scale.sum()), (residual.sum(axis=0) / np.maximum(scale.sum(axis=0), np.finfo(float).tiny)).tolist()


def _context_variables(batch: Batch) -> tuple[np.ndarray, Callable[[jnp.ndarray], tuple[jnp.ndarray, jnp.ndarray]]]:
    """The variables the Jacobians are taken over and how they rebuild ``(inputs, outputs)``.

    AR tasks: the sequence ``x_1..x_T`` (inputs and outputs are the same tokens, shifted);
    regression tasks: the inputs and outputs themselves.
    """
    if batch.sequences is not None:
        return np.asarray(batch.sequences), lambda x: (x[:, :-1], x[:, 1:])
    d_in = batch.inputs.shape[2]
    joined = np.concatenate([batch.inputs, batch.outputs], axis=2)
    return joined, lambda z: (z[:, :, :d_in], z[:, :, d_in:])


def jacobians(fn: PredictFn, batch: Batch, problems: int) -> np.ndarray:
    """Per-problem Jacobians ``(m, outputs, variables)`` of the realified predictions w.r.t. the realified context."""
    variables, rebuild = _context_variables(batch)
    variables = variables[:problems]
    is_complex = np.iscomplexobj(variables)

    def realified(z: jnp.ndarray) -> jnp.ndarray:
        x = (z[0] + 1j * z[1]) if is_complex else z[0]
        inputs, outputs = rebuild(x[None])
        return real_view(fn(inputs, outputs))

    stacked = np.stack([variables.real, variables.imag], axis=1) if is_complex else variables[:, None]
    jac = jax.jit(jax.vmap(jax.jacfwd(realified)))(jnp.asarray(stacked))
    return np.asarray(jac).reshape(len(variables), -1, stacked[0].size)


def sensitivity_cosine(target: np.ndarray, algorithm: np.ndarray) -> tuple[float | None, float | None]:
    """Mean over problems of :math:`\\langle J_t, J_a\\rangle_F/(\\lVert J_t\\rVert_F\\lVert J_a\\rVert_F)`, and its standard error."""
    inner = np.einsum("moi,moi->m", target, algorithm)
    norms = np.linalg.norm(target.reshape(len(target), -1), axis=1) * np.linalg.norm(algorithm.reshape(len(algorithm), -1), axis=1)
    if np.any(norms == 0):
        return None, None
    cos = inner / norms
    se = float(np.std(cos, ddof=1) / np.sqrt(len(cos))) if len(cos) > 1 else None
    return float(cos.mean()), se


def _nested(a: str, b: str) -> bool:
    """Whether one of the two algorithms contains the other (:meth:`mesasym.algorithms.spec.Algorithm.contains`); unknown names are not nested."""
    try:
        first, second = parse_algorithm(a), parse_algorithm(b)
    except InvalidInputError:
        return False
    return first.contains(second) or second.contains(first)


def verdict(rows: Sequence[AlgorithmRow]) -> tuple[str, bool, float, str]:
    """``(closest, close, threshold, reason)`` by the rule of the module docstring."""
    require(len(rows) > 0, "the algorithm zoo is empty; name at least one algorithm")
    best = min(rows, key=lambda r: r.distance)
    limit = best.distance + 2 * np.nan_to_num(best.distance_se) + EQUIVALENCE_FLOOR
    equivalent = [r for r in rows if r.distance <= limit]
    chosen = min(equivalent, key=lambda r: (r.parameter_count, r.distance))
    others = [r.distance for r in rows if r.distance > limit and not _nested(chosen.name, r.name)]
    next_distance = min(others) if others else float("inf")
    threshold = min(TAU_MAX, next_distance / SEPARATION)
    upper = chosen.distance + 2 * np.nan_to_num(chosen.distance_se)
    close = bool(upper <= threshold)
    reason = (
        f"{chosen.name}: distance {chosen.distance:.3g} (+2 SE = {upper:.3g}) "
        f"{'<=' if close else '>'} threshold {threshold:.3g} = min({TAU_MAX:g}, nearest neighbour {next_distance:.3g} / {SEPARATION:g})"
    )
    return chosen.name, close, threshold, reason


def probe(
    target_name: str,
    target: PredictFn,
    probe_batch: Batch,
    held_out: Batch,
    algorithms: Sequence[Algorithm],
    *,
    jacobian_problems: int = JACOBIAN_PROBLEMS,
    on_algorithm: Callable[[str], None] | None = None,
) -> ProbeReport:
    """Fit every algorithm to ``target`` on ``probe_batch`` and compare them on ``held_out`` (module docstring)."""
    require(held_out.n >= 2, f"the held-out batch has {held_out.n} problem(s); at least 2 are needed for a standard error")
    reference = np.asarray(target(jnp.asarray(probe_batch.inputs), jnp.asarray(probe_batch.outputs)))
    predicted = np.asarray(target(jnp.asarray(held_out.inputs), jnp.asarray(held_out.outputs)))
    target_jac = jacobians(target, held_out, jacobian_problems) if jacobian_problems else None
    rows = []
    for algorithm in algorithms:
        if on_algorithm is not None:
            on_algorithm(algorithm.name)
        fitted = fit_algorithm(algorithm, probe_batch, reference)
        prediction = fitted.predict(held_out)
        distance, se, by_position = relative_distance(predicted, prediction, held_out.targets)
        cosine = cosine_se = None
        if target_jac is not None and fitted.family not in NO_JACOBIAN:
            alg_jac = jacobians(lambda u, v, a=fitted: a.predict_arrays(u, v), held_out, jacobian_problems)
            cosine, cosine_se = sensitivity_cosine(target_jac, alg_jac)
        error, error_by_position = own_error(prediction, held_out)
        count = fitted.parameter_count(held_out.inputs.shape[2])
        rows.append(AlgorithmRow(fitted.name, fitted.family, fitted.k or None, fitted.hyperparameters(), count, distance, se, by_position, cosine, cosine_se, error, error_by_position))
    closest, close, threshold, reason = verdict(rows)
    target_error, target_by_position = own_error(predicted, held_out)
    settings = {"probe_problems": probe_batch.n, "held_out_problems": held_out.n, "positions": held_out.positions, "jacobian_problems": jacobian_problems}
    return ProbeReport(target_name, rows, target_error, target_by_position, closest, closest if close else "none", close, threshold, reason, settings)


def step_agreement(target: PredictFn, probe_batch: Batch, trained_step: float, fitted_step: float, threshold: float) -> dict[str, Any]:
    r"""Is the target one GD step of its *own* step size (the paper's trained ``ab``), not just of a fitted one?

    The check is :math:`D_\eta \le \tau`: the relative distance of the target to ``gd:k=1`` at the
    trained step :math:`\eta` (no fit) on the probe batch, against the verdict's threshold ``τ``.
    With :math:`g` the one-step prediction at unit step, the fitted step is
    :math:`\hat\eta = \langle t, g\rangle/\lVert g\rVert^2`, so Cauchy–Schwarz gives
    :math:`|\hat\eta - \eta|/|\eta| \le \sqrt{D_\eta}`: passing the check puts the fitted step
    within :math:`\sqrt\tau` of the trained one (reported as ``tolerance``), and the measured
    difference is reported beside it.
    """

    reference = np.asarray(target(jnp.asarray(probe_batch.inputs), jnp.asarray(probe_batch.outputs)))
    one_step = parse_algorithm(f"gd:k=1,steps={trained_step!r}").predict(probe_batch)
    distance = float(_squared(reference - one_step).sum() / _squared(one_step).sum())
    return {
        "trained_step": trained_step,
        "fitted_step": fitted_step,
        "relative_difference": abs(fitted_step - trained_step) / abs(trained_step),
        "tolerance": float(np.sqrt(threshold)),
        "distance_at_trained_step": distance,
        "threshold": threshold,
        "within": bool(distance <= threshold),
    }


def trained_ab(model: Any) -> float | None:
    """The paper's trained ``ab`` of a paper-architecture model on an AR task, else ``None``.

    The mean of the real parts of the diagonal of the red-block product :math:`W^{PV}_{12}W^{KQ}_{32}`
    (THEORY §9; unlike ``Re a_j Re b_j`` it is unchanged by the phase rotation
    :math:`a_j \\to a_j e^{i\\phi}`, :math:`b_j \\to b_j e^{-i\\phi}` that leaves the predictions unchanged).
    """
    from mesasym.models import to_parameters

    if not (getattr(model, "spec", None) is not None and model.spec.is_paper and model.layout.kind == "ar"):
        return None
    params = to_parameters(model)
    return float(np.mean(np.real(np.diagonal(params.pv12 @ params.kq32))))

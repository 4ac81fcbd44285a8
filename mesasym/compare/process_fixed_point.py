"""``check-fixed-point --process SPEC``: Theorem 1's reduction for another transition law of ``W``.

The sources compared (see :mod:`mesasym.compare.fixed_point` for the paper's law):

* the **symbolic** side (:mod:`mesasym.symbolic.phase_laws`): which step of the reduction holds
  for the law (phase rule, invariance of the Assumption-1 manifold, dependence on the kappas only,
  closed form) and the closed-form limit :math:`c^* = \\sum_t B_t / \\sum_t A_t` (exact for rational
  phase moments);
* the **full model** (every entry of both ``3d x 3d`` matrices free) trained on its exact population
  loss with the law's phase moments, or by Monte Carlo gradient descent on sequences of the law.

Where the manifold stays invariant the full model's limit must equal the closed form (1e-10, as for
the paper's law), its off-manifold entries must stay at rounding level and it is one step of GD with
step :math:`c^*/(t-1)` (Corollary 1). Where it does not, the engine must confirm that the gradient
leaves the manifold, and the full model's loss must be at most the best loss on the manifold; the
limit's ``ab``, its off-manifold mass and its distance from the best one-step-GD predictor are reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from mesasym.compare.fixed_point import (
    MC_REPLICATES,
    OFF_MANIFOLD_RTOL,
    POPULATION_RTOL,
    Check,
    FixedPointReport,
    FixedPointSettings,
    NumericResult,
    _hypotheses,
    _relative,
    _t_quantile,
)
from mesasym.compare.fixed_point_numeric import train_monte_carlo
from mesasym.compare.fixed_point_report import exact_rational
from mesasym.errors import InvalidInputError, require
from mesasym.laws import InitialTokenDistribution, TransitionLaw, parse_distribution, parse_process
from mesasym.numeric.model import Parameters, one_step_gd_predict, predict
from mesasym.numeric.sequences import sample_sequences
from mesasym.symbolic import derive_reduced_flow
from mesasym.symbolic import symbols as S
from mesasym.symbolic.phase_laws import manifold_coefficients, manifold_fixed_point, reduction_steps

__all__ = ["verify_process_fixed_point", "one_step_gd_distance"]

#: The off-manifold gradient at the start, relative to the red gradient, that counts as "nonzero"
#: when the symbolic table predicts it (rounding leaves ~1e-16; predicted values are O(phi_m)).
NONZERO_RTOL = 1e-8


def _mpf(value: Any, dps: int) -> mpmath.mpf:
    with mpmath.mp.workdps(dps):
        if isinstance(value, Fraction):
            return mpmath.mpf(value.numerator) / value.denominator
        return mpmath.mpf(value)


def one_step_gd_distance(params: Parameters, X: np.ndarray, step: float | None = None) -> tuple[float, float]:
    """``(distance, step)``: RMS(model - one-step GD with ``step/(t-1)``) / RMS(model) on ``X``,
    ``t = 2..T-1``. Without ``step``, the least-squares best step (``Re<gd, model>/|gd|^2``)."""
    model = predict(params, X)
    unit = one_step_gd_predict(X, 1.0)
    if step is None:
        step = float(np.real(np.vdot(unit, model)) / np.real(np.vdot(unit, unit)))
    scale = float(np.sqrt(np.mean(np.abs(model) ** 2)))
    residual = float(np.sqrt(np.mean(np.abs(model - step * unit) ** 2)))
    if scale == 0.0:  # the zero model (a flow that stayed at the saddle): relative to one GD step instead
        scale = float(np.sqrt(np.mean(np.abs(unit) ** 2))) * max(abs(step), 1.0)
    return residual / scale, step


def _population(dist, law, s: FixedPointSettings, a0: float, b0: float):
    from mesasym.numeric.population.flow import population_flow
    from mesasym.numeric.population.objective import PopulationObjective

    objective = PopulationObjective(dist, s.d, s.T, process=law)
    flow = population_flow(objective, (a0, b0))
    norms = np.array([flow.parameters_at(i).norm() for i in range(len(flow.tau))])
    numeric = NumericResult(
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
            "max_relative_off_manifold": float(np.max(flow.off_manifold / np.maximum(norms, 1e-300))),
            "loss": float(flow.loss[-1]),
        },
    )
    return objective, flow, numeric


def _monte_carlo(dist, law, s: FixedPointSettings, a0: float, b0: float, objective, flow, progress) -> NumericResult:
    """Full-batch GD on sequences of the law; SE from ``MC_REPLICATES`` disjoint parts (as for the paper's law).
    Automatic schedule: ``lr = 1/lambda_max`` of the population Hessian at the start and at the population
    limit, steps = 3 x the population flow's time to come within 1e-6 of its limit, over ``lr``."""
    require(
        s.samples >= 2 * MC_REPLICATES,
        f"samples={s.samples} must be at least {2 * MC_REPLICATES} for the Monte Carlo engine",
    )
    rng = np.random.default_rng(np.random.SeedSequence(s.seed).spawn(2)[0])
    X = sample_sequences(dist, s.samples, s.T, s.d, rng, process=law).X
    lr, steps = s.lr, s.steps
    if lr is None:
        curvature = max(
            float(np.max(np.linalg.eigvalsh(objective.gradient_jacobian_blocks(p.P, p.Q))))
            for p in (Parameters.assumption1(s.d, a0, b0), flow.final)
        )
        lr = 1.0 / curvature
    if steps is None:
        target = float(flow.ab[-1])
        tau = next((float(t) for t, c in zip(flow.tau, flow.ab) if abs(c - target) <= 1e-6 * abs(target)), float(flow.tau[-1]))
        steps = max(1, math.ceil(3 * tau / lr))
    adapt = s.lr is None

    def report(step: int, value: float) -> None:
        if progress is not None and (step % max(1, steps // 10) == 0 or step == steps):
            progress(f"monte-carlo training on {s.samples} sequences: step {step}/{steps}, loss {value:.6g}")

    result, lr, steps = train_monte_carlo(X, s.d, a0, b0, lr, steps, adapt, report)
    replicates = [
        train_monte_carlo(X[k::MC_REPLICATES], s.d, a0, b0, lr, steps, adapt)[0].params.ab for k in range(MC_REPLICATES)
    ]
    history = result.history
    standard_error = max(float(np.std(replicates, ddof=1)) / math.sqrt(MC_REPLICATES), 1e-12 * abs(history.ab[-1]))
    last_change = float(abs(history.ab[-1] - history.ab[-2])) if len(history.ab) > 1 else math.inf
    return NumericResult(
        engine="monte-carlo",
        params=result.params,
        tau=history.tau,
        a=history.a,
        b=history.b,
        ab=history.ab,
        off_manifold=history.off_manifold,
        converged=bool(last_change <= 0.01 * standard_error),
        detail={
            "samples": s.samples,
            "lr": lr,
            "steps": steps,
            "standard_error": standard_error,
            "replicate_ab": [float(v) for v in replicates],
            "last_step_change": last_change,
        },
    )


def verify_process_fixed_point(
    settings: FixedPointSettings, process: TransitionLaw | str, progress: Callable[[str], None] | None = None
) -> FixedPointReport:
    """Check Theorem 1's reduction for the transition law ``process`` (see the module docstring)."""
    start_time = time.perf_counter()
    s = settings.validated()
    law = parse_process(process)
    dist: InitialTokenDistribution = parse_distribution(s.dist) if isinstance(s.dist, str) else s.dist
    dist.validate_dimension(s.d)
    a0, b0 = exact_rational(s.a0, "a0"), exact_rational(s.b0, "b0")
    say = progress or (lambda _message: None)
    require(
        s.T <= 60,
        f"T={s.T}: with --process the symbolic closed form sums O(T^3) phase terms; use T <= 60",
    )
    try:
        kappas = dist.kappas(s.d)
    except InvalidInputError:
        kappas = None
    flow_symbolic = None
    if kappas is not None:
        say("deriving the reduced flow symbolically")
        flow_symbolic = derive_reduced_flow(s.T, s.d, kappas=(kappas.kappa1, kappas.kappa2, kappas.kappa3))
    checks = _hypotheses(dist, s.d, a0, b0, flow_symbolic)

    say(f"deciding the reduction steps for {law.spec()}")
    steps = reduction_steps(law, dist, s.d, s.T)
    for step in steps:
        checks.append(
            Check(
                f"step:{step.name}",
                None,
                {True: "holds", False: "fails", None: "undecided"}[step.holds] + f": {step.detail}",
                None,
                "derived symbolically (mesasym.symbolic.phase_laws) from the model and the law's phase moments",
                "info",
            )
        )
    invariant = next(step.holds for step in steps if step.name == "invariance")
    c_closed = manifold_fixed_point(law, dist, s.d, s.T)
    c_mp = _mpf(c_closed, s.dps)
    c_float = float(c_mp)
    a_tilde = b_tilde = None
    if flow_symbolic is not None:
        # On the manifold L depends on (a, b) through c = ab only (block algebra), so a^2 - b^2 is
        # conserved and a~^2 = (delta + sqrt(delta^2 + 4 c*^2)) / 2 as for the paper's law (derived form).
        with mpmath.mp.workdps(s.dps + 10):
            # the derived closed form with its sign rule, at this law's c*
            a_form = flow_symbolic.a_tilde_c.subs({S.a0: a0, S.b0: b0, S.DELTA: a0**2 - b0**2})
            a_tilde = sp.lambdify(S.CSTAR, a_form, "mpmath")(c_mp)
            b_tilde = c_mp / a_tilde if a_tilde else None  # (0, 0) is an equilibrium: no limit
            a_tilde = a_tilde if a_tilde else None

    say(f"training the full transformer (population, process {law.spec()})")
    objective, flow, population = _population(dist, law, s, float(a0), float(b0))
    g_a, _, off = _manifold_split(objective.gradient(Parameters.assumption1(s.d, float(a0), float(b0))))
    relative = off / max(abs(g_a), 1e-300)
    if invariant is None:
        checks.append(Check("invariance-numeric", None, relative, None, _INVARIANCE_REASON, "info"))
    elif invariant:
        checks.append(Check("invariance-numeric", relative <= 1e-12, relative, 1e-12, _INVARIANCE_REASON + "; predicted 0, rounding leaves ~1e-16", "independent"))
    else:
        checks.append(Check("invariance-numeric", relative > NONZERO_RTOL, relative, NONZERO_RTOL, _INVARIANCE_REASON + "; predicted nonzero: must exceed the tolerance", "independent", relation=">"))

    engine = s.resolved_engine
    numeric = population
    if engine == "monte-carlo":
        say("training the full transformer (monte-carlo)")
        numeric = _monte_carlo(dist, law, s, float(a0), float(b0), objective, flow, progress)

    rng = np.random.default_rng(np.random.SeedSequence(s.seed).spawn(2)[1])
    X_test = sample_sequences(dist, s.test_sequences, s.T, s.d, rng, process=law).X
    holds = bool(invariant)
    if engine == "population":
        if holds:
            checks.append(Check("numeric-ab", _relative(population.final_ab, c_float) <= POPULATION_RTOL if population.converged else None,
                                _relative(population.final_ab, c_float), POPULATION_RTOL,
                                "relative error of the full model's population-flow limit against the closed form "
                                "c* = sum_t B_t / sum_t A_t (flow stopped at stationarity 1e-13; 1000x margin)", "independent",
                                inconclusive=None if population.converged else "the population flow stopped before stationarity"))
            if a_tilde is not None:
                error = max(_relative(float(population.a[-1]), float(a_tilde)), _relative(float(population.b[-1]), float(b_tilde)))
                checks.append(Check("numeric-a-b", error <= POPULATION_RTOL, error, POPULATION_RTOL,
                                    "relative error of the limits a, b against a~, b~ from the conserved a^2 - b^2", "independent"))
            rel_off = population.detail["max_relative_off_manifold"]
            checks.append(Check("off-manifold", rel_off <= OFF_MANIFOLD_RTOL, rel_off, OFF_MANIFOLD_RTOL,
                                "max over the flow of ||theta - (a I, b I)|| / ||theta||: zero off-manifold gradient, rounding only", "independent"))
            deviation, _ = one_step_gd_distance(population.params, X_test, c_float)
            checks.append(Check("corollary-1", deviation <= POPULATION_RTOL, deviation, POPULATION_RTOL,
                                f"RMS(model - one-step GD with step c*/(t-1)) / RMS(model) on {s.test_sequences} fresh "
                                "sequences of the law; on the manifold it equals |ab - c*|/c*", "independent"))
        else:
            manifold_loss = _manifold_loss(law, dist, s, c_closed)
            full_loss = population.detail["loss"]
            checks.append(Check("loss-below-manifold", full_loss <= manifold_loss * (1 + 1e-12), full_loss - manifold_loss,
                                abs(manifold_loss) * 1e-12, f"the full model's limit loss minus the best loss on the manifold "
                                f"({manifold_loss:.10g} at c* = {c_float:.10g}); leaving the manifold can only help "
                                "(tolerance: 1e-12 relative, rounding)", "consistency"))
            checks.append(Check("numeric-ab", None, population.final_ab, None,
                                f"the full model's limit ab; the best point on the manifold is c* = {c_float:.10g}", "info"))
            checks.append(Check("off-manifold", None, float(population.off_manifold[-1] / max(population.params.norm(), 1e-300)),
                                None, "||theta - (a I, b I)|| / ||theta|| at the limit (the flow leaves the manifold)", "info"))
            deviation, step = one_step_gd_distance(population.params, X_test)
            checks.append(Check("corollary-1", None, deviation, None,
                                f"RMS(model - best one-step GD, step {step:.6g}/(t-1)) / RMS(model) on {s.test_sequences} "
                                "fresh sequences: the distance of the trained model from one step of GD", "info"))
    else:
        se = numeric.detail["standard_error"]
        quantile = _t_quantile()
        reference = c_float if holds else population.final_ab
        z = (numeric.final_ab - reference) / se
        checks.append(Check("numeric-converged", True if numeric.converged else None, numeric.detail["last_step_change"], 0.01 * se,
                            "change of ab in the last gradient step against 1 % of the standard error", "consistency",
                            inconclusive=None if numeric.converged else "the Monte Carlo run did not converge in --steps; raise --steps"))
        checks.append(Check("numeric-ab", abs(z) <= quantile, numeric.final_ab - reference, quantile * se,
                            f"trained ab minus {'the closed form c*' if holds else 'the population limit ab'} against "
                            f"{quantile:.2f} standard errors (Student-t, {MC_REPLICATES - 1} d.o.f.); SE from "
                            f"{MC_REPLICATES} disjoint parts; |t| = {abs(z):.2f}", "independent", relation="abs<="))
        checks.append(Check("off-manifold", None, float(numeric.off_manifold[-1]), None,
                            "finite-sample fit; the exact invariance check is invariance-numeric", "info"))
    info = {
        "spec": law.spec(),
        "steps": [{"name": st.name, "holds": st.holds, "detail": st.detail} for st in steps],
        "closed_form_ab": c_float if holds else None,
        "manifold_ab": c_float,
        "manifold_ab_exact": str(c_closed) if isinstance(c_closed, Fraction) else None,
        "population_ab": float(population.final_ab),
        "population_off_manifold": float(population.off_manifold[-1]),
    }
    return FixedPointReport(
        settings=s,
        dist=dist,
        kappas=kappas,
        c_star_exact=sp.Rational(c_closed.numerator, c_closed.denominator) if isinstance(c_closed, Fraction) and holds else None,
        c_star_mp=c_mp if holds else None,
        a_tilde=a_tilde if holds else None,
        b_tilde=b_tilde if holds else None,
        reduced=None,
        numeric=numeric,
        checks=tuple(checks),
        seconds=time.perf_counter() - start_time,
        process_info=info,
    )


_INVARIANCE_REASON = (
    "||off-manifold gradient|| / |red-diagonal gradient| of the population engine at the Assumption-1 start, "
    "against the symbolic invariance step"
)


def _manifold_split(gradient: Parameters) -> tuple[complex, complex, float]:
    from mesasym.numeric.population.objective import manifold_gradient_split

    return manifold_gradient_split(gradient)


def _manifold_loss(law, dist, s: FixedPointSettings, c) -> float:
    k = manifold_coefficients(law, dist, s.d, s.T)
    return float(sum(c * c * k.A[t] - 2 * c * k.B[t] + k.C[t] for t in k.A) / 2)

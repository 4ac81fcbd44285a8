r"""Training dynamics of one setting: the derived closed forms beside the full model's curvature.

:func:`analyse_dynamics` puts together

* the **symbolic** closed forms (:mod:`mesasym.symbolic.dynamics`, derived from the reduced
  flow): ``c(tau)``, the rate ``r``, ``tau_eps``, the reduced GD map and its threshold ``2/r``;
* their **high-precision** evaluation (:mod:`mesasym.precise.dynamics`): the trajectory at
  ``tau``, the GD map iterated exactly, the steps to ``eps``;
* the **full model's** step-size limit ``2/lambda_max`` from the exact population Hessian
  at the flow's limit ``(a~ I, b~ I)`` (:mod:`mesasym.numeric.population.curvature`), with
  the direction that limits it and the manifold-restricted curvature, which must equal ``r``
  (an independent check of the reduced threshold).

Gradient convention: ``grad = dL/dRe + i dL/dIm``; GD with step ``eta`` reaches ``tau = k eta``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from mesasym.errors import HypothesesViolatedError, InvalidInputError, require
from mesasym.laws import parse_process

__all__ = [
    "DynamicsSettings",
    "DynamicsReport",
    "analyse_dynamics",
    "FIGURE1_SETTINGS",
    "figure1_step_limits",
    "reduced_gd_ab",
    "CONVENTION",
]

CONVENTION = "grad = dL/dRe + i dL/dIm; flow d(theta)/d(tau) = -grad L; GD step eta advances tau by eta"
#: Largest ``d``/``T`` at which the full model's Hessian is computed (the population engine's limits).
FULL_MAX_D = 8
FULL_MAX_T = 1000


def _exact(value: Any, name: str) -> sp.Rational:
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = sp.Rational(text)
    except (TypeError, ValueError, sp.SympifyError):
        raise InvalidInputError(f"{name}={value!r} must be a finite real number") from None
    return number


@dataclass(frozen=True)
class DynamicsSettings:
    """One setting (CLI defaults of ``mesasym dynamics``)."""

    dist: str = "gaussian:sigma=1"
    d: int = 5
    T: int = 100
    a0: Any = "0.1"
    b0: Any = "0.1"
    lr: Any = None
    steps: int | None = None
    eps: Any = "1e-3"
    tau: Any = None
    dps: int = 30
    max_steps: int = 100_000
    full: bool = True
    #: The law of the eigenvalues of ``W`` (spec or law); the paper's uniform phases by default.
    process: Any = "uniform"

    def validated(self) -> DynamicsSettings:
        for name, low in (("d", 1), ("T", 3), ("dps", 15), ("max_steps", 1)):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value >= low,
                f"{name}={value!r} must be an integer >= {low}",
            )
        require(self.dps <= 1000, f"dps={self.dps!r} must be at most 1000")
        a0, b0 = _exact(self.a0, "a0"), _exact(self.b0, "b0")
        require(a0 + b0 != 0, f"a0={self.a0}, b0={self.b0} lies on the non-convergent line a0 = -b0 (the flow goes to the saddle at 0)")
        eps = _exact(self.eps, "eps")
        require(0 < eps < 1, f"eps={self.eps!r} must be in (0, 1)")
        if self.lr is not None:
            require(_exact(self.lr, "lr") > 0, f"lr={self.lr!r} must be a positive number")
        if self.steps is not None:
            require(
                isinstance(self.steps, int) and not isinstance(self.steps, bool) and 0 <= self.steps <= 10_000_000,
                f"steps={self.steps!r} must be an integer in [0, 10000000]",
            )
            require(self.lr is not None, "steps needs lr (the GD step size)")
        if self.tau is not None:
            require(_exact(self.tau, "tau") >= 0, f"tau={self.tau!r} must be >= 0")
        parse_process(self.process)
        return self


@dataclass(frozen=True)
class DynamicsReport:
    """Everything :func:`analyse_dynamics` computed (``to_dict`` is the ``--json`` output)."""

    settings: DynamicsSettings
    dist_spec: str
    kappas: tuple[sp.Expr, sp.Expr, sp.Expr]
    hypotheses: list[str]
    slope: sp.Expr
    c_star: sp.Expr
    c_of_tau: sp.Expr
    rate_exact: sp.Expr
    max_lr_exact: sp.Expr
    evaluator: Any  # DynamicsEvaluator
    ab_at_tau: tuple | None
    tau_eps: mpmath.mpf
    gd_run: Any  # GDRun or None
    steps_to_eps: dict | None
    full: Any  # StepSizeLimit or None
    full_reason: str
    #: A law of ``W`` other than the paper's: its spec and the reduction steps (``None`` for the paper's).
    process: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        s, ev = self.settings, self.evaluator
        dps = s.dps

        def num(value: Any) -> dict[str, Any]:
            return {"value": float(value), "digits": _digits(value, dps)}

        a_tilde, b_tilde = ev.limits()
        flow: dict[str, Any] = {
            "c_of_tau": sp.sstr(self.c_of_tau),
            "c_star": {"exact": sp.sstr(self.c_star), **num(mpmath.mpf(a_tilde * b_tilde))},
            "a_tilde": num(a_tilde),
            "b_tilde": num(b_tilde),
            "rate": {"exact": sp.sstr(self.rate_exact), **num(ev.rate)},
            "ab_at_tau": None,
            "tau_to_relative_error": {"eps": float(_exact(s.eps, "eps")), "relative_error_of": "c = ab", **num(self.tau_eps)},
        }
        if self.ab_at_tau is not None:
            a, b, c = self.ab_at_tau
            flow["ab_at_tau"] = {"tau": float(_exact(s.tau, "tau")), "ab": float(c), "a": float(a), "b": float(b), "ab_digits": _digits(c, dps)}
        gd: dict[str, Any] = {
            "max_stable_lr_reduced": {"exact": sp.sstr(self.max_lr_exact), **num(ev.max_stable_lr), "monotone_below": float(ev.monotone_lr)},
            "max_stable_lr_full": None,
            "ab_after_steps": None,
            "steps_to_relative_error": self.steps_to_eps,
        }
        if self.full is not None:
            f = self.full
            gd["max_stable_lr_full"] = {
                "value": f.max_stable_lr,
                "lambda_max": f.lambda_max,
                "lambda_min": f.lambda_min,
                "limiting_direction": f.limiting_direction,
                "top_direction": f.top_direction,
                "top_blocks": f.top_blocks,
                "top_multiplicity": f.top_multiplicity,
                "manifold_curvature": f.manifold_curvature,
                "manifold_curvature_vs_rate": abs(f.manifold_curvature - float(ev.rate)) / float(ev.rate),
                "at": "the flow's limit (a~ I, b~ I)",
            }
        else:
            gd["max_stable_lr_full_reason"] = self.full_reason
        if self.gd_run is not None:
            run = self.gd_run
            gd["ab_after_steps"] = {
                "lr": float(run.lr),
                "steps": len(run.a) - 1,
                "ab": float(run.a[-1] * run.b[-1]),
                "a": float(run.a[-1]),
                "b": float(run.b[-1]),
                "ab_digits": _digits(run.a[-1] * run.b[-1], dps),
                "diverged": run.diverged,
                "tau": float(run.lr) * (len(run.a) - 1),
            }
        out = {
            "settings": {
                "dist": self.dist_spec,
                "d": s.d,
                "T": s.T,
                "a0": float(_exact(s.a0, "a0")),
                "b0": float(_exact(s.b0, "b0")),
                "lr": None if s.lr is None else float(_exact(s.lr, "lr")),
                "steps": s.steps,
                "eps": float(_exact(s.eps, "eps")),
                "tau": None if s.tau is None else float(_exact(s.tau, "tau")),
                "dps": dps,
            },
            "kappas": {f"kappa{i + 1}": str(k) for i, k in enumerate(self.kappas)},
            "hypotheses": {"satisfied": not self.hypotheses, "reasons": self.hypotheses},
            "gradient_convention": CONVENTION,
            "flow": flow,
            "gd": gd,
        }
        if self.process is not None:
            out["process"] = self.process
        return out


def _readable_c_of_tau(dyn: Any, subs: dict) -> sp.Expr:
    """``c(tau)`` with 20-digit constants, as a ratio of polynomials in ``E = exp(-r tau)``.

    Built from the derived ``c(w)`` and the explicit inversion ``w(tau)`` (nothing new is
    derived here); the exact expression is ``dyn.c_of_tau`` with ``subs``.
    """
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.dynamics import W

    E = sp.Symbol("E", positive=True)
    rate = sp.N(dyn.rate.subs(subs), 20)
    w_tau = sp.N(dyn.w_of_tau.subs(subs), 20)
    # w(tau) is a Moebius function of exp(r tau); write it in E = exp(-r tau)
    w_E = sp.N(w_tau.subs(sp.exp(S.tau * dyn.rate.subs(subs)), 1 / E), 20)
    w_E = w_E.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(sp.N(e.args[0], 20)))
    w_E = w_E.subs(sp.exp(rate * S.tau), 1 / E)
    c_E = sp.cancel(sp.N(dyn.c_of_w.subs(subs).subs(W, w_E), 20))
    if c_E.free_symbols - {E}:
        return sp.N(dyn.c_of_tau.subs(subs), 20)
    numerator, denominator = sp.fraction(c_E)
    lead = sp.Poly(denominator, E).TC() or sp.Poly(denominator, E).LC()
    c_E = sp.Poly(numerator / lead, E).as_expr() / sp.Poly(denominator / lead, E).as_expr()
    return sp.N(c_E.subs(E, sp.exp(-rate * S.tau)), 17)


def _digits(value: Any, dps: int) -> str:
    with mpmath.mp.workdps(dps):
        return mpmath.nstr(mpmath.mpf(value), dps, strip_zeros=False)


def _law(spec: str, d: int):
    from mesasym.laws import parse_distribution
    from mesasym.symbolic.invariance import reduction_violations

    law = parse_distribution(spec)
    law.validate_dimension(d)
    report = law.check_assumption2(d)
    reasons = list(report.reasons)
    try:
        k = law.kappas(d)
    except InvalidInputError as error:
        raise InvalidInputError(f"--dist={spec!r}: {error} (the reduced flow needs common kappas)") from None
    if report:
        reasons += reduction_violations(lambda idx: law.moment(idx, d), d, exchangeable=law.exchangeable)
    kappas = (k.kappa1, k.kappa2, k.kappa3)
    require(
        sp.sympify(kappas[0]).is_positive and sp.sympify(kappas[1]).is_positive,
        f"--dist={spec!r} gives kappa1={kappas[0]}, kappa2={kappas[1]}; both must be > 0",
    )
    return law, kappas, reasons


def law_of(spec: str, d: int) -> Any:
    """The law of ``spec`` (parsed and checked for dimension ``d``)."""
    from mesasym.laws import parse_distribution

    law = parse_distribution(spec)
    law.validate_dimension(d)
    return law


def full_step_limit(law: Any, d: int, T: int, a_tilde: float, b_tilde: float, process: Any = None) -> Any:
    """The full model's :class:`~mesasym.numeric.population.curvature.StepSizeLimit` at ``(a~ I, b~ I)``
    (``process``: the law of ``W``, ``None`` for the paper's)."""
    from mesasym.numeric.model import Parameters
    from mesasym.numeric.population.curvature import step_size_limit
    from mesasym.numeric.population.objective import PopulationObjective

    objective = PopulationObjective(law, d, T, process=process)
    return step_size_limit(objective, Parameters.assumption1(d, a_tilde, b_tilde))


def analyse_dynamics(settings: DynamicsSettings | None = None) -> DynamicsReport:
    """Derive and evaluate the dynamics of one setting (see the module docstring)."""
    from mesasym.precise.dynamics import DynamicsEvaluator
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.dynamics import W0, derive_dynamics

    s = (settings or DynamicsSettings()).validated()
    law, kappas, reasons = _law(s.dist, s.d)
    process, slope, c_star, process_info = _reduced_flow(law, kappas, s)
    dyn = derive_dynamics()
    a0, b0 = _exact(s.a0, "a0"), _exact(s.b0, "b0")
    delta = a0**2 - b0**2
    subs = {S.K: slope, S.CSTAR: c_star, S.DELTA: delta, W0: (a0 + b0) ** 2}
    c_of_tau = _readable_c_of_tau(dyn, subs)
    rate_exact = sp.radsimp(dyn.rate.subs(subs))
    max_lr_exact = sp.radsimp(dyn.max_stable_lr.subs(subs))
    ev = DynamicsEvaluator(slope, c_star, a0, b0, dps=s.dps)
    ab_at_tau = None if s.tau is None else ev.at(_exact(s.tau, "tau"))
    tau_eps = ev.tau_to_relative_error(_exact(s.eps, "eps"))
    gd_run = steps_to_eps = None
    if s.lr is not None:
        lr = _exact(s.lr, "lr")
        if s.steps is not None:
            gd_run = ev.gd(lr, s.steps)
        steps_to_eps = ev.steps_to_relative_error(lr, _exact(s.eps, "eps"), max_steps=s.max_steps)
    full, full_reason = None, ""
    if not s.full:
        full_reason = "not computed (full=False)"
    elif s.d > FULL_MAX_D or s.T > FULL_MAX_T:
        full_reason = f"the population Hessian is computed for d <= {FULL_MAX_D} and T <= {FULL_MAX_T} only"
    else:
        a_tilde, b_tilde = ev.limits()
        full = full_step_limit(law, s.d, s.T, float(a_tilde), float(b_tilde), process)
    return DynamicsReport(
        settings=s,
        dist_spec=law.spec(),
        kappas=kappas,
        hypotheses=reasons,
        slope=slope,
        c_star=c_star,
        c_of_tau=c_of_tau,
        rate_exact=rate_exact,
        max_lr_exact=max_lr_exact,
        evaluator=ev,
        ab_at_tau=ab_at_tau,
        tau_eps=tau_eps,
        gd_run=gd_run,
        steps_to_eps=steps_to_eps,
        full=full,
        full_reason=full_reason,
        process=process_info,
    )


def _reduced_flow(law: Any, kappas: tuple, s: DynamicsSettings) -> tuple[Any, sp.Expr, sp.Expr, dict[str, Any] | None]:
    """``(process, K, c*, process info)`` of the reduced flow ``a' = -b K (ab - c*)``, ``b' = -a K (ab - c*)``.

    The paper's phases: Theorem 1's derived slope and fixed point (``process`` ``None``). Another law of ``W``:
    ``K = sum_t A_t / d`` and ``c* = sum_t B_t / sum_t A_t`` from the manifold loss
    (:mod:`mesasym.compare.fixed_point_reduction`), valid only where the manifold is invariant; elsewhere
    :class:`~mesasym.errors.HypothesesViolatedError` with the reason (the flow leaves the manifold, no closed form).
    """
    from mesasym.laws import is_uniform_process
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    transition = parse_process(s.process)
    if is_uniform_process(transition):
        flow = derive_reduced_flow(s.T, s.d, kappas=kappas)
        return None, flow.slope, flow.fixed_product, None
    from mesasym.compare.fixed_point_reduction import as_sympy, reduce_law

    reduction = reduce_law(transition, law, s.d, s.T)
    if not reduction.invariant:
        step = next(step for step in reduction.steps if step.name == "invariance")
        raise HypothesesViolatedError(
            f"--process={transition.spec()}: no closed form, the flow leaves the Assumption-1 manifold "
            f"(invariance {'undecided' if step.holds is None else 'fails'}: {step.detail}); "
            "see mesasym check-fixed-point --process or mesasym explore --process"
        )
    info = {"spec": reduction.spec, "steps": [{"name": st.name, "holds": st.holds, "detail": st.detail} for st in reduction.steps]}
    return transition, as_sympy(reduction.slope, s.dps), as_sympy(reduction.c_star, s.dps), info


def reduced_gd_ab(spec: str, d: int, T: int, a0: Any, b0: Any, lr: Any, steps: int, dps: int = 20) -> np.ndarray:
    """``ab`` after ``0..steps`` steps of the derived reduced GD map (exact iteration, as floats).

    For the Figure 1 overlay: the full model's gradient descent on the exact population loss
    follows this curve (the manifold is invariant); a trained run leaves it by its finite
    sample (sampling error, off-manifold entries fitted to noise).
    """
    from mesasym.precise.dynamics import DynamicsEvaluator
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    law, kappas, _ = _law(spec, d)
    flow = derive_reduced_flow(T, d, kappas=kappas)
    ev = DynamicsEvaluator(flow.slope, flow.fixed_product, _exact(a0, "a0"), _exact(b0, "b0"), dps=dps)
    run = ev.gd(_exact(lr, "lr"), steps)
    return np.array([float(x * y) for x, y in zip(run.a, run.b)])


#: The paper's Figure 1 runs (THEORY §9): law, the authors' step size, d = 5, T = 100.
FIGURE1_SETTINGS = (
    ("gaussian:sigma=0.5", "1e-3"),
    ("gaussian:sigma=1", "1e-4"),
    ("gaussian:sigma=2", "2e-6"),
    ("sparse:c=0.5", "3e-2"),
    ("sparse:c=1", "1e-3"),
    ("sparse:c=2", "1e-4"),
)
FIGURE1_STARTS = (("0.1", "0.1"), ("0.5", "1.5"), ("2", "2"))


def figure1_step_limits(d: int = 5, T: int = 100, dps: int = 20) -> list[dict[str, Any]]:
    """For every Figure 1 law and start: the authors' lr against ``2/r`` (reduced) and ``2/lambda_max`` (full)."""
    rows = []
    for spec, lr in FIGURE1_SETTINGS:
        for a0, b0 in FIGURE1_STARTS:
            report = analyse_dynamics(DynamicsSettings(dist=spec, d=d, T=T, a0=a0, b0=b0, dps=dps))
            reduced = float(report.evaluator.max_stable_lr)
            full = report.full.max_stable_lr if report.full is not None else math.nan
            start = full_step_limit(law_of(spec, d), d, T, float(a0), float(b0))
            at_start = start.max_stable_lr
            rows.append(
                {
                    "dist": spec,
                    "a0": a0,
                    "b0": b0,
                    "lr": float(lr),
                    "max_stable_lr_reduced": reduced,
                    "max_stable_lr_full": full,
                    "lr_over_full_limit": float(lr) / full,
                    "max_stable_lr_full_at_start": at_start,
                    "lr_over_full_limit_at_start": float(lr) / at_start,
                    "limiting_blocks_at_start": sorted(k for k, v in start.top_blocks.items() if v > 1e-6),
                    "manifold_lr_at_start": start.manifold_lr,
                    "limiting_direction": None if report.full is None else report.full.limiting_direction,
                    "limiting_blocks": None
                    if report.full is None
                    else sorted(k for k, v in report.full.top_blocks.items() if v > 1e-6),
                }
            )
    return rows

"""The results of :func:`mesasym.compare.fixed_point.verify_fixed_point`: settings, rows, report.

A :class:`Check` row is one of three kinds (:data:`KINDS`); the constants below are the
engines' limits and the tolerances the verifier uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from mesasym import claims
from mesasym.laws import InitialTokenDistribution, Kappas, parse_process
from mesasym.errors import InvalidInputError, require
from mesasym.precise import (
    EXACT_T_MAX,
    ReducedTrajectory,
)
from mesasym.numeric.model import Parameters


ENGINES = ("population", "monte-carlo")
#: Worst first: a violated hypothesis outranks a failed check, which outranks a row that could not be
#: evaluated (``inconclusive``, e.g. a run that did not converge in ``--steps``).
VERDICTS = ("hypotheses-violated", "failed", "inconclusive", "verified")
#: Largest ``d`` for the population engine (its moment-count tensors grow like ``(2d)^6``).
POPULATION_MAX_D = 8
#: Largest ``T`` for the population engine (its phase-count tables cost ~T^2: 8 s at T = 400).
POPULATION_MAX_T = 1000

#: Relative tolerance of the population engine's limit ``ab`` (and of Corollary 1 with it).
#: The flow stops when ``||grad L|| / ||grad D|| <= 1e-13``, which on the manifold is
#: exactly ``|ab - c*| / c*``; 1e-10 leaves a factor 1000 for the ODE solver's error.
POPULATION_RTOL = 1e-10
#: Off-manifold mass allowed along the population flow, relative to ``||theta||``:
#: under Assumption 2 the off-manifold gradient is exactly zero, so only rounding
#: (~1e-16 per step) can move those entries.
OFF_MANIFOLD_RTOL = 1e-12
#: Monte Carlo: the estimate of ``ab`` comes from the sample and ``MC_REPLICATES``
#: independent replicates, its disjoint groups trained alone (:mod:`mesasym.compare.monte_carlo`:
#: 1/n bias model, a standard error of ``MC_REPLICATES - 1`` degrees of freedom that includes
#: the off-manifold entries fitted to noise); comparisons use the two-sided Student-t
#: quantile of ``MC_ALPHA`` (the false-alarm rate; ``--alpha``).
MC_REPLICATES = 10
MC_ALPHA = 0.01
#: Monte Carlo: converged when the last gradient step moved ``ab`` by at most this fraction of its
#: standard error (the remaining optimisation error is then negligible against the sampling error).
MC_CONVERGED_FRACTION = 0.01


#: The kinds of verdict rows: ``independent`` compares two sources of truth that share
#: no code path past the model definition and the law's moments; ``consistency`` checks
#: the derivation or a solver against itself; ``info`` is a reported figure, not a test.
KINDS = ("independent", "consistency", "info")
#: How a test row's value is compared with its tolerance: ``"<="`` (at most the tolerance), ``"abs<="``
#: (a signed value at most the tolerance in absolute value) or ``">"`` (must exceed it, e.g. a distance
#: from a forbidden set).
RELATIONS = ("<=", "abs<=", ">")
#: A row's outcome (:attr:`Check.outcome`), as the table prints it.
OUTCOMES = ("ok", "FAILED", "VIOLATED", "inconclusive", "info")


@dataclass(frozen=True)
class Check:
    """One verdict row: its value, tolerance, why that tolerance, and its kind (:data:`KINDS`).

    A test row (``independent``, ``consistency``) has ``passed`` a bool and a numeric
    ``tolerance``, compared with the value by ``relation`` (:data:`RELATIONS`); its result must
    follow from what it shows (:attr:`follows`). A test row that could not be evaluated (a run that
    did not converge, a comparison that does not apply) has ``passed = None`` and says why in
    ``inconclusive``. An ``info`` row has ``passed = None`` (it reports, it does not test).
    ``hypothesis`` marks a row about the theorem's hypotheses rather than its conclusion.
    """

    name: str
    passed: bool | None
    value: Any
    tolerance: Any
    reason: str
    kind: str
    hypothesis: bool = False
    relation: str = "<="
    inconclusive: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} must be one of {', '.join(KINDS)}")
        if self.relation not in RELATIONS:
            raise ValueError(f"relation={self.relation!r} must be one of {', '.join(RELATIONS)}")
        if self.kind == "info" or self.inconclusive is not None:
            if self.passed is not None:
                raise ValueError(f"{self.name}: an info or inconclusive row has passed=None")
        else:
            numeric = isinstance(self.tolerance, (int, float)) and not isinstance(self.tolerance, bool)
            if not isinstance(self.passed, (bool, np.bool_)) or not numeric:
                raise ValueError(f"{self.name}: a test row needs a bool passed and a numeric tolerance")

    @property
    def outcome(self) -> str:
        """``ok``, ``FAILED`` (``VIOLATED`` for a hypothesis), ``inconclusive`` or ``info`` (:data:`OUTCOMES`)."""
        if self.inconclusive is not None:
            return "inconclusive"
        if self.passed is None:
            return "info"
        return "ok" if self.passed else ("VIOLATED" if self.hypothesis else "FAILED")

    @property
    def follows(self) -> bool:
        """Whether ``passed`` is what the value, the relation and the tolerance shown say.

        True for rows without a verdict (info, inconclusive) and for a non-numeric value
        (e.g. a symbolic difference). A row whose result depends on another condition must
        show it (its own row) or be inconclusive.
        """
        if self.passed is None or isinstance(self.value, (bool, np.bool_)):
            return True
        try:
            value = float(self.value)
        except (TypeError, ValueError):
            return True
        if self.relation == "abs<=":
            value = abs(value)
        within = value > self.tolerance if self.relation == ">" else value <= self.tolerance
        return bool(within) == bool(self.passed)

    @property
    def is_test(self) -> bool:
        return self.kind != "info"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "passed": None if self.passed is None else bool(self.passed),
            "value": self.value,
            "tolerance": self.tolerance,
            "reason": self.reason,
            "hypothesis": self.hypothesis,
            "relation": self.relation,
            "outcome": self.outcome,
            "inconclusive": self.inconclusive,
        }


def exact_rational(value: Any, name: str) -> sp.Rational:
    """A finite real given as a number or string, read exactly (``"0.1" -> 1/10``)."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = sp.Rational(text)
    except (TypeError, ValueError, sp.SympifyError):
        raise InvalidInputError(f"{name}={value!r} must be a finite real number") from None
    require(number.is_finite, f"{name}={value!r} must be a finite real number")
    return number


@dataclass(frozen=True)
class FixedPointSettings:
    """What :func:`verify_fixed_point` checks and how (CLI defaults)."""

    T: int = 50
    d: int = 5
    dist: str = "gaussian:sigma=1"
    a0: Any = "0.1"
    b0: Any = "0.1"
    engine: str | None = None  # None: population when it can run, else monte-carlo
    samples: int = 20_000
    steps: int | None = None
    lr: float | None = None
    seed: int = 0
    dps: int = 50
    test_sequences: int = 200
    alpha: float = MC_ALPHA
    replicates: int = MC_REPLICATES
    #: The law of the eigenvalues of ``W`` (a spec or a :class:`~mesasym.laws.TransitionLaw`);
    #: the paper's uniform phases by default.
    process: Any = "uniform"

    def validated(self) -> FixedPointSettings:
        """Check every field; raise :class:`InvalidInputError` naming the first bad one."""
        for name, low in (("T", 3), ("d", 1), ("samples", 2), ("seed", 0), ("dps", 15), ("test_sequences", 1)):
            value = getattr(self, name)
            require(
                isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low,
                f"{name}={value!r} must be an integer >= {low}",
            )
        require(self.dps <= 1000, f"dps={self.dps!r} must be at most 1000")
        require(
            isinstance(self.alpha, (int, float)) and not isinstance(self.alpha, bool) and 0 < self.alpha <= 0.5,
            f"alpha={self.alpha!r} must be a false-alarm rate in (0, 0.5]",
        )
        require(
            isinstance(self.replicates, (int, np.integer)) and not isinstance(self.replicates, bool)
            and 2 <= self.replicates <= 100,
            f"replicates={self.replicates!r} must be an integer in 2..100",
        )
        require(self.T <= EXACT_T_MAX, f"T={self.T} must be at most {EXACT_T_MAX} (use `mesasym derive` beyond)")
        exact_rational(self.a0, "a0")
        exact_rational(self.b0, "b0")
        parse_process(self.process)
        require(
            self.engine is None or self.engine in ENGINES,
            f"engine={self.engine!r} must be one of {', '.join(ENGINES)}",
        )
        if self.engine == "population":
            require(
                self.d <= POPULATION_MAX_D,
                f"d={self.d} is too large for the population engine (d <= {POPULATION_MAX_D}; "
                "its memory grows like (2d)^6): use engine monte-carlo",
            )
            require(
                self.T <= POPULATION_MAX_T,
                f"T={self.T} is too large for the population engine (T <= {POPULATION_MAX_T}; "
                "its tables cost ~T^2): use engine monte-carlo",
            )
        if self.resolved_engine == "monte-carlo" and (self.lr is None or self.steps is None):
            require(
                self.d <= POPULATION_MAX_D and self.T <= POPULATION_MAX_T,
                f"d={self.d}, T={self.T}: the automatic Monte Carlo schedule needs the population Hessian "
                f"(d <= {POPULATION_MAX_D}, T <= {POPULATION_MAX_T}); give --lr and --steps",
            )
        if self.steps is not None:
            require(
                isinstance(self.steps, (int, np.integer)) and not isinstance(self.steps, bool) and self.steps >= 1,
                f"steps={self.steps!r} must be an integer >= 1",
            )
        if self.lr is not None:
            require(
                isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0,
                f"lr={self.lr!r} must be a positive finite number",
            )
        return self

    @property
    def resolved_engine(self) -> str:
        if self.engine is not None:
            return self.engine
        fits = self.d <= POPULATION_MAX_D and self.T <= POPULATION_MAX_T
        return "population" if fits else "monte-carlo"


@dataclass(frozen=True)
class NumericResult:
    """The full transformer trained numerically (every entry free)."""

    engine: str
    params: Parameters
    tau: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray
    off_manifold: np.ndarray
    converged: bool
    estimate: float | None = None  # the bias-corrected ab the verdict uses (Monte Carlo)
    detail: dict[str, Any] = field(default_factory=dict)
    #: Monte Carlo: ``ab`` after every step of each replicate training (for the trajectory row).
    replicate_ab_history: tuple[np.ndarray, ...] = ()

    @property
    def final_ab(self) -> float:
        """The trained model's ``ab`` at the end."""
        return float(self.ab[-1])

    @property
    def ab_estimate(self) -> float:
        """The estimate of the limit ``ab`` that the verdict uses (bias-corrected for Monte Carlo)."""
        return self.final_ab if self.estimate is None else float(self.estimate)


@dataclass(frozen=True)
class FixedPointReport:
    """Everything :func:`verify_fixed_point` computed, and the verdict."""

    settings: FixedPointSettings
    dist: InitialTokenDistribution
    kappas: Kappas | None
    c_star_exact: sp.Expr | None
    c_star_mp: mpmath.mpf | None
    a_tilde: mpmath.mpf | None
    b_tilde: mpmath.mpf | None
    reduced: ReducedTrajectory | None
    numeric: NumericResult
    checks: tuple[Check, ...]
    seconds: float
    #: Set for a law of ``W`` other than the paper's (:mod:`mesasym.compare.fixed_point_reduction`): the
    #: law, the reduction steps and the manifold's closed form; ``None`` for the paper's law.
    process_info: dict[str, Any] | None = None
    #: The derived closed form along the numeric run (:mod:`mesasym.compare.trajectory`): ``tau`` and
    #: ``ab`` (population: the flow's closed form at the solver's times, also ``a``, ``b``; Monte Carlo:
    #: the reduced GD map at every step); ``None`` without common kappas. Drawn by ``--plot``.
    closed_form: dict[str, Any] | None = None

    @property
    def hypotheses_hold(self) -> bool:
        return all(check.passed for check in self.checks if check.hypothesis)

    @property
    def verdict(self) -> str:
        """The worst outcome (:data:`VERDICTS`): a violated hypothesis, a failed check, an inconclusive row."""
        if not self.hypotheses_hold:
            return "hypotheses-violated"
        outcomes = {check.outcome for check in self.checks}
        if "FAILED" in outcomes:
            return "failed"
        return "inconclusive" if "inconclusive" in outcomes else "verified"

    @property
    def on_non_convergent_set(self) -> bool:
        """Whether the start lies on the derived non-convergent set (the initialization row fails)."""
        return any(check.name == "initialization" and check.passed is False for check in self.checks)

    @property
    def inconclusive_reasons(self) -> list[str]:
        """``"row: why"`` for every row that could not be evaluated."""
        return [f"{check.name}: {check.inconclusive}" for check in self.checks if check.inconclusive is not None]

    @property
    def theorem1_ab(self) -> float | None:
        """Theorem 1's ``a~b~`` (the paper's formula) for this law's kappas and ``T``; ``None`` without kappas.

        With ``--process`` it is shown beside the law's own fixed point, which is what is checked.
        """
        if self.kappas is None:
            return None
        return float(claims.theorem1_product(self.settings.T, self.kappas.kappa1, self.kappas.kappa2, self.kappas.kappa3))

    def summary(self) -> dict[str, dict[str, int]]:
        """Rows per kind (hypothesis rows apart): ``{kind: {"passed": n, "total": m, "inconclusive": k}}``."""
        out: dict[str, dict[str, int]] = {}
        for check in self.checks:
            key = "hypotheses" if check.hypothesis else check.kind
            entry = out.setdefault(key, {"passed": 0, "total": 0, "inconclusive": 0})
            entry["total"] += 1
            entry["passed"] += bool(check.passed)
            entry["inconclusive"] += check.inconclusive is not None
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``--json`` output of ``mesasym check-fixed-point``)."""
        s = self.settings
        dps = s.dps
        numeric = self.numeric
        out = {
            "verdict": self.verdict,
            "inconclusive": self.inconclusive_reasons,
            "fixed_point": {
                "ab": None if self.c_star_mp is None else float(self.c_star_mp),
                "ab_exact": None if self.c_star_exact is None else str(self.c_star_exact),
                "ab_digits": None if self.c_star_mp is None else digits(self.c_star_mp, dps),
                "theorem1_ab": self.theorem1_ab,  # the paper's formula; differs from ab with --process
                # no limits from a start on the non-convergent set (the initialization row fails)
                "a": None if self.on_non_convergent_set else finite_or_none(self.a_tilde),
                "b": None if self.on_non_convergent_set else finite_or_none(self.b_tilde),
            },
            "numeric": {
                "engine": numeric.engine,
                "ab": numeric.ab_estimate,
                "ab_trained": numeric.final_ab,
                "a": float(numeric.a[-1]),
                "b": float(numeric.b[-1]),
                "off_manifold": float(numeric.off_manifold[-1]),
                "converged": numeric.converged,
                "tau": float(numeric.tau[-1]),
                **numeric.detail,
            },
            "kappa": None
            if self.kappas is None
            else {
                "kappa1": str(self.kappas.kappa1),
                "kappa2": str(self.kappas.kappa2),
                "kappa3": str(self.kappas.kappa3),
            },
            "checks": [check.to_dict() for check in self.checks],
            "summary": self.summary(),
            "settings": {
                "T": s.T,
                "d": s.d,
                "dist": self.dist.spec(),
                "a0": float(exact_rational(s.a0, "a0")),
                "b0": float(exact_rational(s.b0, "b0")),
                "seed": s.seed,
                "engine": numeric.engine,
                "dps": dps,
                "samples": s.samples if numeric.engine == "monte-carlo" else None,
            },
            "seconds": round(self.seconds, 3),
        }
        if self.process_info is not None:
            out["process"] = self.process_info
        return out


def finite_or_none(value: Any) -> float | None:
    return None if value is None or not mpmath.isfinite(value) else float(value)


def digits(value: mpmath.mpf, dps: int) -> str:
    with mpmath.mp.workdps(dps):
        return mpmath.nstr(value, dps, strip_zeros=False)


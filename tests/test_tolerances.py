"""Every tolerance the comparators state catches a wrong result just past it, and stops catching it when
loosened tenfold.

The constants are found by introspection: every module-level numeric constant defined in a module of
:mod:`mesasym.compare` is either a tolerance in :data:`TOLERANCES` or a setting in :data:`SETTINGS` (with
the reason it decides no verdict), so a new constant cannot be missed.

For each tolerance the registry states the **requirement** -- the wrong result the check must catch, a
little past the stated tolerance -- and how the check is run on it. The tests assert

1. the case fails every row (or decision) the constant governs (so loosening the constant tenfold in the
   source makes this test fail: the requirement lies within a decade of the tolerance, see 2);
2. with the constant loosened tenfold (patched wherever it is bound) the same case passes: the rows do
   read the constant, and the requirement is within a factor 10 of it.

A change of a tolerance by a decade or more must therefore come with a new requirement here and a new
reason beside the constant.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

import mpmath
import numpy as np
import pytest

import mesasym.compare
from mesasym.compare import fixed_point_report as report
from mesasym.compare.capability import CapabilityReport, PositionCheck, PositionMetrics, z_scores
from mesasym.compare.capability_trained import is_recovered
from mesasym.compare import deep_fixed_point, deep_invariance
from mesasym.compare import monte_carlo as mc
from mesasym.compare import probe
from mesasym.compare.fixed_point import corollary_row, numeric_rows, reduced_checks
from mesasym.compare.fixed_point_numeric import floored_estimate
from mesasym.compare.fixed_point_reduction import invariance_row, loss_row
from mesasym.compare.trajectory import monte_carlo_trajectory, population_trajectory
from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.precise import ReducedTrajectory

D, T = 2, 5
C_STAR = 0.2
A_TILDE = B_TILDE = math.sqrt(C_STAR)


def _result(engine: str, a: float, b: float, ab: float, **fields) -> report.NumericResult:
    """A trained result whose limit is ``(a I, b I)`` with the reported ``ab``."""
    return report.NumericResult(
        engine=engine,
        params=Parameters.assumption1(D, a, b),
        tau=np.array([0.0, 1.0]),
        a=np.array([0.1, a]),
        b=np.array([0.1, b]),
        ab=np.array([0.01, ab]),
        off_manifold=np.zeros(2),
        converged=True,
        **fields,
    )


def _population(a: float, b: float, off: float = 0.0) -> report.NumericResult:
    """A population-engine result at ``(a I, b I)`` with off-manifold mass ``off`` along the flow."""
    return _result("population", a, b, a * b, detail={"max_relative_off_manifold": off})


def _monte_carlo(t: float, last_change: float = 0.0) -> report.NumericResult:
    """A Monte Carlo result whose estimate is ``t`` standard errors from ``C_STAR`` (at the current default
    false-alarm rate ``MC_ALPHA``, ``MC_REPLICATES`` groups)."""
    se = 0.01
    detail = {
        "standard_error": se,
        "alpha": report.MC_ALPHA,
        "replicates": report.MC_REPLICATES,
        "samples": 1000,
        "bias_estimate": 0.0,
        "detectable_relative_error": 0.1,
        "last_step_change": last_change * se,
    }
    return _result("monte-carlo", A_TILDE, B_TILDE, C_STAR + t * se, estimate=C_STAR + t * se, detail=detail)


def _rows(checks, *names: str) -> list[bool]:
    by_name = {check.name: check for check in checks}
    return [bool(by_name[name].passed) for name in names]


def _population_rtol() -> list[bool]:
    numeric = _population(A_TILDE * (1 + 1.5e-10), B_TILDE)
    settings = report.FixedPointSettings(T=T, d=D, test_sequences=20)
    corollary = corollary_row(parse_distribution("gaussian:sigma=1"), settings, numeric, C_STAR)
    return _rows(numeric_rows(numeric, C_STAR, A_TILDE, B_TILDE), "numeric-ab", "numeric-a-b") + [bool(corollary.passed)]


def _trajectory_floor() -> list[bool]:
    tau = np.array([0.0, 0.5, 1.0])
    exact = population_trajectory(tau, np.ones(3), np.ones(3), 1, "1/5", "1/10", "1/10", 0.0, 0.0)
    off = population_trajectory(tau, exact["closed_a"] * (1 + 1.5e-12), exact["closed_b"], 1, "1/5", "1/10", "1/10", 0.0, 0.0)
    return [bool(off["error"] <= off["tolerance"])]


def _probe_row(name: str, distance: float, parameters: int) -> probe.AlgorithmRow:
    return probe.AlgorithmRow(name, name.split(":")[0], None, {}, parameters, distance, 0.0, [distance], None, None, 0.0, [0.0])


def _probe_close(best: float, neighbour: float) -> list[bool]:
    """Whether the probe calls ``gd:k=1`` at ``best`` close, with ``ols`` at ``neighbour``."""
    return [probe.verdict([_probe_row("gd:k=1", best, 1), _probe_row("ols", neighbour, 0)])[1]]


def _se_floor() -> list[bool]:
    """Estimates that do not fluctuate (every replicate equal) off by 5e-12 relative: 5 standard errors at
    the floor, past the Student-t quantile 3.25 (9 degrees of freedom, alpha 0.01); loosened tenfold, 0.5."""
    quantile = mc.t_quantile(report.MC_ALPHA, report.MC_REPLICATES - 1)
    off = C_STAR * (1 + 5e-12)
    base = _monte_carlo(0.0)
    jack = floored_estimate(off, [off] * report.MC_REPLICATES, base.detail["samples"])
    numeric = replace(base, estimate=jack.estimate, detail={**base.detail, "standard_error": jack.standard_error})
    gd_map = monte_carlo_trajectory(np.zeros(2), np.zeros(2), 0.1, 1, "1/5", "1/10", "1/10")["map_ab"]
    moved = monte_carlo_trajectory(gd_map * (1 + np.array([0.0, 5e-12])), np.zeros(2), 0.1, 1, "1/5", "1/10", "1/10")
    return _rows(numeric_rows(numeric, C_STAR, A_TILDE, B_TILDE), "numeric-ab") + [moved["t_max"] <= quantile]


def _integration_digits() -> list[bool]:
    """A drift of a^2 - b^2 of 1.5 x 10^-(dps - 5) x scale at dps = 30 in the reduced ODE's integration
    (scale max(1, |a0^2 - b0^2|, a~^2 + b~^2) = 2 at a = b = a~ = b~ = 1)."""
    dps = 30
    one = mpmath.mpf(1)
    reduced = ReducedTrajectory(
        tau=(mpmath.mpf(0), one), a=(one, one), b=(one, one), c_star=one, distance=mpmath.mpf(0),
        conserved_drift=mpmath.mpf("3e-25"), converged=True, dps=dps,
    )
    return _rows(reduced_checks(reduced, one, one, dps), "conserved-quantity")


def _position_check(z: float) -> PositionCheck:
    one = np.array([1.0])
    metrics = PositionMetrics(t=np.array([2]), mse=one, mse_se=one, ratio=one, ratio_se=one, ratio_zero_truth=0, n=10)
    return PositionCheck(metrics, one, one, np.array([z]), np.array([0.0]), C_STAR, C_STAR, 0.0)


@dataclass(frozen=True)
class Tolerance:
    """What a tolerance must catch (``requirement``), the check run on that case (``verdict``: the passed
    flags of every row it governs) and the tolerance loosened tenfold."""

    requirement: str
    verdict: Callable[[], list[bool]]
    loosen: Callable[[float], float] = lambda value: 10 * value


TOLERANCES: dict[str, Tolerance] = {
    "fixed_point_report.POPULATION_RTOL": Tolerance(
        "a relative error of 1.5e-10 in the population limit a (so in ab and in the one-step-GD step): "
        "1500x the flow's stopping accuracy 1e-13",
        _population_rtol,
    ),
    "fixed_point_report.OFF_MANIFOLD_RTOL": Tolerance(
        "off-manifold mass 1.5e-12 of ||theta|| along the flow: 10^4 x the rounding of one step",
        lambda: _rows(numeric_rows(_population(A_TILDE, B_TILDE, off=1.5e-12), C_STAR, A_TILDE, B_TILDE), "off-manifold"),
    ),
    "fixed_point_report.MC_ALPHA": Tolerance(
        "a bias-corrected ab 3.5 standard errors from a~b~ (9 degrees of freedom: two-sided p = 0.007)",
        lambda: _rows(numeric_rows(_monte_carlo(3.5), C_STAR, A_TILDE, B_TILDE), "numeric-ab"),
        lambda value: value / 10,
    ),
    "fixed_point_report.MC_CONVERGED_FRACTION": Tolerance(
        "a last gradient step that moved ab by 1.5 % of its standard error",
        lambda: _rows(numeric_rows(_monte_carlo(0.0, last_change=0.015), C_STAR, A_TILDE, B_TILDE), "numeric-converged"),
    ),
    "fixed_point_reduction.INVARIANT_RTOL": Tolerance(
        "an off-manifold gradient of 1.5e-12 of the red one where the manifold is predicted invariant",
        lambda: [bool(invariance_row(1.5e-12, True).passed)],
    ),
    "fixed_point_reduction.NONZERO_RTOL": Tolerance(
        "an off-manifold gradient of only 7e-9 of the red one where it is predicted nonzero",
        lambda: [bool(invariance_row(7e-9, False).passed)],
        lambda value: value / 10,
    ),
    "fixed_point_reduction.LOSS_RTOL": Tolerance(
        "a full-model limit loss 1.5e-12 (relative) above the best loss on the manifold",
        lambda: [bool(loss_row(1.0 + 1.5e-12, 1.0, C_STAR).passed)],
    ),
    "capability_trained.RECOVERY_RTOL": Tolerance(
        "L(theta*)/L(0) = 1.5e-10 must not count as recovery",
        lambda: [is_recovered(1.5e-10)],
    ),
    "capability.Z_FAIL": Tolerance(
        "a per-position Monte Carlo disagreement of 5.5 standard errors",
        lambda: [CapabilityReport("uniform", positions=_position_check(5.5)).positions_agree],
    ),
    "capability.ROUNDING_FLOOR": Tolerance(
        "an exact quantity off by 7e-9 of its scale with no sampling error (z = 7 > Z_FAIL)",
        lambda: [bool(abs(z_scores(np.array([1 + 7e-9]), np.array([1.0]), np.array([0.0]), 1.0)[0]) <= mesasym.compare.capability.Z_FAIL)],
    ),
    "monte_carlo.SE_FLOOR_RTOL": Tolerance(
        "a Monte Carlo estimate (final and along the steps) that does not fluctuate, off by 5e-12 relative",
        _se_floor,
    ),
    "fixed_point.INTEGRATION_DIGITS_LOST": Tolerance(
        "a drift of a^2 - b^2 of 1.5 x its tolerance 2e-25 along a 30-digit integration of the reduced ODE",
        _integration_digits,
        lambda value: value + 1,  # one more digit lost: a tolerance ten times larger
    ),
    "deep_fixed_point.EXACT_RTOL": Tolerance(
        "the layers=1 cubature 1.5e-12 (relative) off the one-layer engine",
        lambda: [bool(deep_fixed_point.one_layer_row(1.5e-12).passed)],
    ),
    "deep_fixed_point.MC_SIGMAS": Tolerance(
        "a Monte Carlo mean 4.5 standard errors from the exact population loss",
        lambda: [bool(deep_fixed_point.monte_carlo_row(4.5, 1000).passed)],
    ),
    "deep_fixed_point.FLOW_RTOL": Tolerance(
        "a derived flow (residue, closure) 1.5e-10 (relative) off the engine's gradient",
        lambda: [bool(deep_fixed_point.flow_row(name, 1.5e-10, "case").passed)
                 for name in ("residue-vs-engine", "closure-invariant", "derived-flow-vs-engine")],
    ),
    "deep_fixed_point.STATIONARY_RTOL": Tolerance(
        "a derived limit where the engine's gradient is still 1.5e-8 of its start",
        lambda: [bool(deep_fixed_point.stationary_row(1.5e-8).passed)],
    ),
    "deep_invariance.ZERO": Tolerance(
        "an off-manifold gradient of 1.5e-10 of the largest entry counted as zero (invariant)",
        lambda: [deep_invariance.InvarianceRow("gaussian", 2, 2, 4, 1.5e-10, (), (), True, 0.0).invariant],
    ),
    "probe.TAU_MAX": Tolerance(
        "a relative squared distance of 1.5e-2 to the nearest algorithm (12 % RMS) called close",
        lambda: _probe_close(1.5e-2, 1.0),
    ),
    "probe.SEPARATION": Tolerance(
        "an algorithm at 1e-3 called close while its nearest neighbour is only 3.5 times farther",
        lambda: _probe_close(1e-3, 3.5e-3),
        lambda value: value / 10,
    ),
    "probe.EQUIVALENCE_FLOOR": Tolerance(
        "gd:k=2 at 1.5e-10 (no sampling error) counted as equivalent to an exact gd:k=3 match",
        lambda: [probe.verdict([_probe_row("gd:k=3", 0.0, 3), _probe_row("gd:k=2", 1.5e-10, 2)])[0] == "gd:k=2"],
    ),
    "trajectory.TRAJECTORY_FLOOR": Tolerance(
        "a population trajectory 1.5e-12 (relative) off the closed form with an exact solver (rtol = atol = 0)",
        _trajectory_floor,
    ),
}

SETTINGS: dict[str, str] = {
    "fixed_point_report.POPULATION_MAX_D": "engine limit: refuses work before it starts, decides no verdict",
    "fixed_point_report.POPULATION_MAX_T": "engine limit: refuses work before it starts",
    "fixed_point_report.MC_REPLICATES": "number of replicates: the degrees of freedom of the estimate, not a threshold",
    "fixed_point_reduction.PROCESS_MAX_T": "engine limit of the symbolic closed form for a law of W (cost)",
    "capability_trained.TRAINED_MAX_D": "engine limit of the trained capability verdict",
    "capability_trained.TRAINED_MAX_T": "engine limit of the trained capability verdict",
    "dynamics.FULL_MAX_D": "engine limit of the full model's Hessian",
    "dynamics.FULL_MAX_T": "engine limit of the full model's Hessian",
    "stability.STABILITY_MAX_D": "engine limit of the step-size hint",
    "stability.STABILITY_MAX_T": "engine limit of the step-size hint",
    "monte_carlo.DETECTION_POWER": "the probability of the reported power statement; decides no row",
    "fixed_point_numeric.POPULATION_FLOW_RTOL": "the population flow solver's local error: the trajectory row's "
    "tolerance is derived from it (steps x (rtol + atol / scale)); the cases of TRAJECTORY_FLOOR and POPULATION_RTOL "
    "test those rows",
    "fixed_point_numeric.SCHEDULE_RTOL": "when the automatic Monte Carlo schedule counts a flow as arrived: sets the "
    "step count; numeric-converged judges the run",
    "deep_fixed_point.MC_SCALE": "where the Monte Carlo row samples (the start plus noise of this scale); decides "
    "no verdict, MC_SIGMAS does",
    "probe.JACOBIAN_PROBLEMS": "how many held-out problems the sensitivity cosine is averaged over; decides no verdict",
    "trajectory._DPS": "working digits of the closed-form evaluation (far below float64 noise)",
}


def _stated_constants() -> dict[str, float]:
    """``module.NAME -> value`` for every numeric constant assigned at module level in mesasym.compare."""
    found = {}
    for info in pkgutil.iter_modules(mesasym.compare.__path__):
        module = importlib.import_module(f"mesasym.compare.{info.name}")
        source = inspect.getsource(module)
        for name, value in vars(module).items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            if numeric and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) and re.search(rf"^{name}\s*(:[^=]*)?=", source, re.M):
                found[f"{info.name}.{name}"] = value
    return found


def test_every_constant_of_the_comparators_is_classified() -> None:
    stated = set(_stated_constants())
    assert stated == set(TOLERANCES) | set(SETTINGS), {
        "unclassified (add a case to TOLERANCES or a reason to SETTINGS)": sorted(stated - set(TOLERANCES) - set(SETTINGS)),
        "gone": sorted((set(TOLERANCES) | set(SETTINGS)) - stated),
    }
    assert not set(TOLERANCES) & set(SETTINGS)


def _loosened(monkeypatch: pytest.MonkeyPatch, key: str, tolerance: Tolerance) -> None:
    """Patch the constant, loosened tenfold, in every mesasym module that binds it."""
    module_name, name = key.split(".")
    original = getattr(importlib.import_module(f"mesasym.compare.{module_name}"), name)
    patched = 0
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("mesasym.") and getattr(module, name, None) is original:
            monkeypatch.setattr(module, name, tolerance.loosen(original))
            patched += 1
    assert patched >= 1


@pytest.mark.parametrize("key", sorted(TOLERANCES))
def test_a_case_just_past_the_tolerance_fails(key: str) -> None:
    verdicts = TOLERANCES[key].verdict()
    assert verdicts and not any(verdicts), f"{key}: must catch {TOLERANCES[key].requirement}; passed {verdicts}"


@pytest.mark.parametrize("key", sorted(TOLERANCES))
def test_loosened_tenfold_the_same_case_passes(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _loosened(monkeypatch, key, TOLERANCES[key])
    verdicts = TOLERANCES[key].verdict()
    assert verdicts and all(verdicts), f"{key} loosened tenfold still fails the case ({TOLERANCES[key].requirement}): {verdicts}"


def test_the_settings_default_is_the_stated_false_alarm_rate() -> None:
    """MC_ALPHA is the default ``alpha`` of every run (the case above reads it from the constant)."""
    assert report.FixedPointSettings().alpha == report.MC_ALPHA

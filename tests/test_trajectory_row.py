"""check-fixed-point's trajectory row: the full model over time against the closed form (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point
from mesasym.compare.trajectory import monte_carlo_trajectory, population_trajectory
from mesasym.symbolic.dynamics import derive_dynamics
from mesasym.symbolic.reduced_flow import derive_reduced_flow


@pytest.fixture(scope="module")
def population_report():  # noqa: ANN201
    return verify_fixed_point(FixedPointSettings(T=10, d=2, a0="0.5", b0="1.5", dps=30))


def _row(report, name: str = "trajectory"):  # noqa: ANN001, ANN202
    return next(c for c in report.checks if c.name == name)


def test_fast_and_verified_derivations_agree() -> None:
    fast, verified = derive_dynamics(verify=False), derive_dynamics()
    for name in fast.__dataclass_fields__:
        if name not in ("flow", "logistic_ode", "logistic_dsolve"):
            assert getattr(fast, name) == getattr(verified, name), name
    assert fast.logistic_dsolve is None and verified.logistic_dsolve is not None


def test_population_row_passes_and_is_independent(population_report) -> None:  # noqa: ANN001
    row = _row(population_report)
    assert row.kind == "independent" and row.passed
    assert 0 < row.value <= row.tolerance <= 1e-8
    assert population_report.verdict == "verified"


def test_population_row_fails_just_past_its_tolerance(population_report) -> None:  # noqa: ANN001
    """The same trajectory with a and b scaled by (1 + 1.5 tol) (at every point) fails; (1 + 0.5 tol) less so."""
    numeric = population_report.numeric
    flow = derive_reduced_flow(10, 2, kappas=(3, 15, 3))
    a0, b0 = sp.Rational(1, 2), sp.Rational(3, 2)
    args = (flow.slope, flow.fixed_product, a0, b0, numeric.detail["rtol"], numeric.detail["atol"])
    base = population_trajectory(numeric.tau, numeric.a, numeric.b, *args)
    tol = base["tolerance"]
    bad = population_trajectory(numeric.tau, numeric.a * (1 + 1.5 * tol), numeric.b * (1 + 1.5 * tol), *args)
    assert bad["error"] > tol
    wrong = population_trajectory(numeric.tau, numeric.a, numeric.b, flow.slope * (1 + 1e-6), *args[1:])
    assert wrong["error"] > tol  # a closed form with a slightly wrong slope is caught


def test_monte_carlo_row_statistic() -> None:
    """A synthetic run equal to the map passes; shifting one step by 1.1 quantiles x SE fails."""
    flow = derive_reduced_flow(10, 2, kappas=(3, 15, 3))
    from mesasym.precise.dynamics import DynamicsEvaluator

    ev = DynamicsEvaluator(flow.slope, flow.fixed_product, sp.Rational(1, 10), sp.Rational(1, 10), dps=20)
    lr = 1e-3
    run = ev.gd(sp.Rational(repr(lr)), 30)
    exact = np.array([float(x * y) for x, y in zip(run.a, run.b)])
    rng = np.random.default_rng(0)
    replicates = [exact + 1e-3 * rng.standard_normal(exact.size) for _ in range(10)]
    for r in replicates:
        r[0] = exact[0]
    args = (lr, flow.slope, flow.fixed_product, sp.Rational(1, 10), sp.Rational(1, 10))
    se = np.std(np.array(replicates), axis=0, ddof=1) / np.sqrt(10)
    ok = monte_carlo_trajectory(exact, se, *args)
    assert ok is not None and ok["t_max"] == pytest.approx(0, abs=1e-6)
    shifted = exact.copy()
    shifted[17] += 1.1 * 6.6 * se[17]
    result = monte_carlo_trajectory(shifted, se, *args)
    assert result["at_step"] == 17 and result["t_max"] > 6.6
    assert monte_carlo_trajectory(exact, se[:-1], *args) is None


@pytest.mark.slow
def test_monte_carlo_row_in_check_fixed_point() -> None:
    report = verify_fixed_point(FixedPointSettings(T=6, d=2, engine="monte-carlo", samples=2000, seed=3))
    row = _row(report)
    assert row.kind == "independent" and row.passed, row
    assert 0 < row.value <= row.tolerance

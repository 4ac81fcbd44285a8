"""``verify_fixed_point``: every check passes on Theorem 1's setting and each can fail.

Each "can fail" test breaks exactly one source of truth (a wrong claim, a
perturbed reduced ODE, a perturbed population model, a shifted Monte Carlo
sample, a law outside the hypotheses) and asserts that the corresponding check,
and only checks downstream of it, fail.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import mesasym.numeric.population.objective as population
import mesasym.compare.fixed_point as verification
import mesasym.compare.fixed_point_numeric as fixed_point_numeric
from mesasym import claims
from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

SMALL = dict(T=12, d=3, dps=30, test_sequences=50)


def _by_name(report) -> dict:
    return {check.name: check for check in report.checks}


def checks_by_kind(report) -> dict:
    return {check.name: check.kind for check in report.checks}


def test_default_setting_is_verified_with_every_check() -> None:
    report = verify_fixed_point(FixedPointSettings())
    checks = _by_name(report)
    assert report.verdict == "verified"
    assert set(checks) == {
        "assumption-2",
        "reduction-moments",
        "initialization",
        "derived-equals-claim",
        "reduced-ode-reaches-fixed-point",
        "reduced-ode-a-b-limits",
        "conserved-quantity",
        "numeric-ab",
        "numeric-a-b",
        "off-manifold",
        "trajectory",
        "corollary-1",
    }
    assert all(check.reason for check in report.checks)
    assert float(report.c_star_mp) == pytest.approx(report.numeric.final_ab, rel=1e-10)


def test_check_rows_refuse_a_test_without_a_numeric_tolerance() -> None:
    from mesasym.compare.fixed_point import Check

    with pytest.raises(ValueError):
        Check("x", True, 1.0, "reported", "why", "independent")
    with pytest.raises(ValueError):
        Check("x", True, 1.0, None, "why", "info")  # an info row does not pass
    with pytest.raises(ValueError):
        Check("x", True, 1.0, 0.1, "why", "evidence")  # not a kind
    assert Check("x", None, 1.0, None, "why", "info").to_dict()["passed"] is None


@pytest.mark.parametrize("dist", ["uniform:w=2", "sparse:c=1", "rademacher:s=1", "laplace:scale=1"])
def test_other_assumption2_laws_are_verified(dist: str) -> None:
    assert verify_fixed_point(FixedPointSettings(dist=dist, **SMALL)).verdict == "verified"


def test_unequal_initialization_is_verified_and_conserves_a2_minus_b2() -> None:
    report = verify_fixed_point(FixedPointSettings(a0="0.5", b0="1.5", **SMALL))
    assert report.verdict == "verified"
    a, b = float(report.numeric.a[-1]), float(report.numeric.b[-1])
    assert a**2 - b**2 == pytest.approx(0.5**2 - 1.5**2, rel=1e-9)


def test_ones_violates_assumption2_and_the_numeric_limit_differs() -> None:
    report = verify_fixed_point(FixedPointSettings(dist="ones", **SMALL))
    checks = _by_name(report)
    assert report.verdict == "hypotheses-violated"
    assert not checks["assumption-2"].passed and "E[x_{1,1}] = 1" in checks["assumption-2"].reason
    assert not checks["numeric-ab"].passed and not checks["off-manifold"].passed


def test_degenerate_initialization_is_a_hypothesis_violation() -> None:
    report = verify_fixed_point(FixedPointSettings(a0="0.3", b0="-0.3", **SMALL))
    checks = _by_name(report)
    assert report.verdict == "hypotheses-violated"
    assert not checks["initialization"].passed
    assert not checks["reduced-ode-reaches-fixed-point"].passed  # the reduced flow goes to the saddle


def test_skewed_law_passes_assumption2_but_fails_the_reduction() -> None:
    """A mean-zero skewed law satisfies Assumption 2 as stated, yet E[x_j^3 x_k^3] != 0."""
    report = verify_fixed_point(FixedPointSettings(dist="discrete:values=-1,2;probs=2/3,1/3", **SMALL))
    checks = _by_name(report)
    assert checks["assumption-2"].passed
    assert not checks["reduction-moments"].passed and "E[x_{1,1}^3 x_{1,2}^3] = 4" in checks["reduction-moments"].reason
    assert not checks["off-manifold"].passed and not checks["numeric-ab"].passed
    assert report.verdict == "failed"


def test_a_wrong_claim_fails_derived_equals_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    original = claims.theorem1_product
    wrong = lambda T, k1, k2, k3: original(T, k1, k2, 2 * k3)  # noqa: E731
    monkeypatch.setattr(verification.claims, "theorem1_product", wrong)
    report = verify_fixed_point(FixedPointSettings(**SMALL))
    checks = _by_name(report)
    assert not checks["derived-equals-claim"].passed
    assert report.verdict == "failed"
    assert all(check.passed for name, check in checks.items() if name != "derived-equals-claim")


def _perturbed_flow(monkeypatch: pytest.MonkeyPatch, change) -> None:
    original = verification.derive_reduced_flow

    def derive(*args, **kwargs):
        flow = original(*args, **kwargs)
        return dataclasses.replace(flow, **change(flow))

    monkeypatch.setattr(verification, "derive_reduced_flow", derive)


def test_a_non_conservative_reduced_ode_fails_the_conservation_and_limit_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    # da/dtau scaled by 1.2: same fixed-point product, but a^2 - b^2 is no longer conserved
    _perturbed_flow(monkeypatch, lambda flow: {"rhs_a": 1.2 * flow.rhs_a})
    report = verify_fixed_point(FixedPointSettings(a0="0.5", b0="1.5", **SMALL))
    checks = _by_name(report)
    assert not checks["conserved-quantity"].passed
    assert not checks["reduced-ode-a-b-limits"].passed
    assert checks["numeric-ab"].passed  # the full model is untouched


def test_a_reduced_ode_with_another_root_does_not_reach_the_fixed_point(monkeypatch: pytest.MonkeyPatch) -> None:
    _perturbed_flow(monkeypatch, lambda flow: {"rhs_a": flow.rhs_a + S.b / 100, "rhs_b": flow.rhs_b + S.a / 100})
    report = verify_fixed_point(FixedPointSettings(**SMALL))
    assert not _by_name(report)["reduced-ode-reaches-fixed-point"].passed


def test_a_perturbed_population_model_fails_the_numeric_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    original_init = population.PopulationObjective.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.h = self.h * 1.001  # a 0.1 % error in the linear term of the population loss

    monkeypatch.setattr(population.PopulationObjective, "__init__", init)
    report = verify_fixed_point(FixedPointSettings(**SMALL))
    checks = _by_name(report)
    assert not checks["numeric-ab"].passed and not checks["numeric-a-b"].passed
    assert not checks["corollary-1"].passed
    assert checks["off-manifold"].passed  # a uniform scale keeps the symmetry


def test_an_off_manifold_coupling_fails_the_off_manifold_check(monkeypatch: pytest.MonkeyPatch) -> None:
    original_init = population.PopulationObjective.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        noise = np.random.default_rng(0).standard_normal(self.G.shape) * 1e-6 * np.abs(self.G).max()
        self.G = self.G + (noise + noise.T)  # still symmetric, but no longer invariant
        self._G_by_q = self.G.reshape(self._G_by_q.shape)

    monkeypatch.setattr(population.PopulationObjective, "__init__", init)
    report = verify_fixed_point(FixedPointSettings(**SMALL))
    assert not _by_name(report)["off-manifold"].passed


@pytest.mark.slow
def test_monte_carlo_engine_agrees_within_its_standard_error() -> None:
    report = verify_fixed_point(FixedPointSettings(engine="monte-carlo", samples=3000, T=20, d=3, dps=30))
    checks = _by_name(report)
    assert report.verdict == "verified", checks
    detail = report.numeric.detail
    assert detail["standard_error"] > 0 and len(detail["replicate_ab"]) == detail["replicates"] == 10
    # the verdict uses the replicate estimate: theta - (mean of the 10 groups trained alone - theta) / (10 - 1)
    corrected = detail["ab_trained"] - (sum(detail["replicate_ab"]) / 10 - detail["ab_trained"]) / 9
    assert report.numeric.ab_estimate == pytest.approx(corrected, rel=1e-12)
    assert detail["bias_estimate"] == pytest.approx(detail["ab_trained"] - corrected, abs=1e-12)
    spread = float(np.std(detail["replicate_ab"], ddof=1)) / math.sqrt(10)
    assert detail["standard_error"] == pytest.approx(spread, rel=1e-12)
    assert detail["interval"][0] < report.numeric.ab_estimate < detail["interval"][1]
    assert 0 < detail["detectable_relative_error"] < 1


@pytest.mark.slow
def test_monte_carlo_standard_error_includes_the_off_manifold_fit() -> None:
    """Rademacher, d = 2, T = 3: the manifold least-squares step is exact (its delta-method
    error is 0) but the full model's off-manifold entries fit noise and move ab; the
    replicate-based standard error covers it (a false alarm before)."""
    settings = FixedPointSettings(engine="monte-carlo", T=3, d=2, dist="rademacher", samples=2000, seed=0, dps=30)
    report = verify_fixed_point(settings)
    assert report.verdict == "verified", _by_name(report)
    assert report.numeric.final_ab != pytest.approx(0.5, abs=1e-3)  # the fit really moved ab
    assert len(report.numeric.detail["replicate_ab"]) == FixedPointSettings().replicates
    assert checks_by_kind(report)["off-manifold"] == "info" and _by_name(report)["off-manifold"].passed is None


@pytest.mark.slow
def test_monte_carlo_numeric_check_fails_on_a_mis_scaled_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    original = fixed_point_numeric.sample_sequences

    def scaled(dist, n, T, d, rng, *args, **kwargs):
        sample = original(dist, n, T, d, rng, *args, **kwargs)
        return dataclasses.replace(sample, X=1.5 * sample.X)  # the data no longer follow the law: ab -> ab / 2.25

    monkeypatch.setattr(fixed_point_numeric, "sample_sequences", scaled)
    # the default step size is tuned to the true law; 1.5^6 ~ 11 times the curvature needs a smaller one
    settings = FixedPointSettings(engine="monte-carlo", samples=3000, T=20, d=3, dps=30, lr=4e-4, steps=200, replicates=5)
    report = verify_fixed_point(settings)
    assert not _by_name(report)["numeric-ab"].passed


@pytest.mark.parametrize(
    "settings, message",
    [
        (FixedPointSettings(T=2), "T=2"),
        (FixedPointSettings(d=0), "d=0"),
        (FixedPointSettings(a0="abc"), "a0='abc'"),
        (FixedPointSettings(b0="inf"), "b0='inf'"),
        (FixedPointSettings(engine="euler"), "engine='euler'"),
        (FixedPointSettings(engine="population", d=9), "d=9 is too large"),
        (FixedPointSettings(engine="population", T=1001), "T=1001 is too large"),
        (FixedPointSettings(T=10**6), "T=1000000 must be at most"),
        (FixedPointSettings(T=2000), "T=2000: the automatic Monte Carlo schedule"),
        (FixedPointSettings(lr=float("inf")), "lr=inf"),
        (FixedPointSettings(steps=0), "steps=0"),
        (FixedPointSettings(alpha=0), "alpha=0"),
        (FixedPointSettings(alpha=0.7), "alpha=0.7"),
        (FixedPointSettings(replicates=1), "replicates=1"),
        (FixedPointSettings(dist="student-t:nu=4"), "nu=4"),
        (FixedPointSettings(dist="sparse", d=0), "d=0"),
    ],
)
def test_invalid_settings_raise_one_clear_error(settings: FixedPointSettings, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        verify_fixed_point(settings)

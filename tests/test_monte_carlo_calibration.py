"""A small calibration of check-fixed-point's Monte Carlo evidence over seeds (slow), and that it can fail.

The full calibration (40 seeds at the command's default Monte Carlo setting and at d = 2, T = 10)
is the study ``studies/mc-calibration.toml``, summarized by ``python
benchmarks/calibrate_monte_carlo.py docs/studies/mc-calibration`` (docs/check-fixed-point.md,
"Calibration"). This test runs 20 seeds of a cheap setting where the estimator's bias is
negligible (uniform x_1, d = 2, T = 8, 2000 sequences, R = 10, ~1-2 s a run) and checks the
three properties the study measures, each with a tolerance from the runs themselves:

* **no bias**: ``|mean t| <= 3.29 sd(t)/sqrt(N)`` for ``t = (ab - a~b~)/SE`` (two-sided 0.1 %
  z-test; power 0.9 against a bias of ``(3.29 + 1.28) sd(t)/sqrt(N)``, about 0.9 SE here);
* **interval not too narrow**: ``mean t^2`` at most the 0.99 quantile of the mean of ``N``
  squared Student-t variables with 9 d.o.f. (``E t^2 = 9/7``; the quantile, 2.89 for ``N = 20``,
  simulated from 200,000 draws); power 0.43 against an SE too small by a factor 1.5, 0.90 by a
  factor 2 (simulated);
* **false alarms**: at most 3 of 20 runs fail an independent row (``P(Bin(20, 2 alpha) >= 4)
  = 0.0006`` at ``alpha = 1 %``).

Each is then shown to fail on the same runs perturbed just past its tolerance: every estimate
moved by ``1.01`` times the bias tolerance (a deliberately biased estimator), every SE shrunk
until ``mean t^2`` is ``1.01`` times its bound (a too-narrow interval).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from mesasym.compare import monte_carlo as mc
from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

SEEDS = range(20)
ROWS = ("numeric-ab", "trajectory", "corollary-1")


def _mean_t2_bound(df: int, N: int, level: float = 0.99) -> float:
    """The ``level`` quantile of the mean of ``N`` squared Student-t variables (``df`` d.o.f.)."""
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((200_000, N)) ** 2 / (rng.chisquare(df, (200_000, N)) / df)
    return float(np.quantile(draws.mean(axis=1), level))


def _problems(runs: list[mc.CalibrationRun], alpha: float) -> list[str]:
    """What the runs show against the promise (empty: calibrated); the tolerances of the module docstring."""
    N = len(runs)
    t = np.array([r.t_value for r in runs])
    summary = mc.calibration(runs, alpha, ROWS)
    problems = []
    bias_tolerance = 3.29 * t.std(ddof=1) / math.sqrt(N)
    if abs(t.mean()) > bias_tolerance:
        problems.append(f"bias: mean t = {t.mean():+.3f} beyond {bias_tolerance:.3f}")
    scale_bound = _mean_t2_bound(runs[0].df, N)
    if summary["mean_t2"] > scale_bound:
        problems.append(f"too narrow: mean t^2 = {summary['mean_t2']:.3f} beyond {scale_bound:.3f}")
    if summary["false_alarm"].count > 3:
        problems.append(f"false alarms: {summary['false_alarm']}")
    return problems


@pytest.fixture(scope="module")
def runs() -> list[mc.CalibrationRun]:
    out = []
    for seed in SEEDS:
        settings = FixedPointSettings(
            T=8, d=2, dist="uniform:w=1", engine="monte-carlo", samples=2000, seed=seed, dps=20, test_sequences=20
        )
        report = verify_fixed_point(settings)
        numeric = report.to_dict()["numeric"]
        out.append(
            mc.CalibrationRun(
                estimate=numeric["ab"],
                standard_error=numeric["standard_error"],
                df=numeric["replicates"] - 1,
                reference=float(report.c_star_mp),
                detectable=numeric["detectable_relative_error"],
                failed=tuple(c.name for c in report.checks if c.kind == "independent" and c.passed is False),
            )
        )
    return out


@pytest.mark.slow
def test_monte_carlo_evidence_is_calibrated_at_a_small_setting(runs: list[mc.CalibrationRun]) -> None:
    assert _problems(runs, 0.01) == []
    assert mc.calibration(runs, 0.01)["power_up"].count >= 14  # stated 0.9: Bin(20, 0.9) >= 14 w.p. 0.998


@pytest.mark.slow
def test_the_calibration_catches_a_biased_estimator(runs: list[mc.CalibrationRun]) -> None:
    t = np.array([r.t_value for r in runs])
    tolerance = 3.29 * t.std(ddof=1) / math.sqrt(len(t))
    shift = math.copysign(1.01 * tolerance - abs(t.mean()), t.mean())  # |mean t| becomes 1.01 x tolerance
    biased = [dataclasses.replace(r, estimate=r.estimate + shift * r.standard_error) for r in runs]
    assert [p for p in _problems(biased, 0.01) if p.startswith("bias")]


@pytest.mark.slow
def test_the_calibration_catches_a_too_narrow_interval(runs: list[mc.CalibrationRun]) -> None:
    mean_t2 = float(np.mean([r.t_value**2 for r in runs]))
    factor = 1.01 * _mean_t2_bound(runs[0].df, len(runs)) / mean_t2  # shrinking SE by sqrt(f) multiplies t^2 by f
    assert factor > 1  # the real runs are within the bound
    narrow = [dataclasses.replace(r, standard_error=r.standard_error / math.sqrt(factor)) for r in runs]
    assert [p for p in _problems(narrow, 0.01) if p.startswith("too narrow")]

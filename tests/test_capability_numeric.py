"""Monte Carlo: the trained full model's per-position error and ratio against the symbolic values.

The model is the limit of the exact population gradient flow of the *full*
model (every entry free) from an Assumption-1 start, so it sits at the derived
``a~ b~`` of Theorem 1 (to the flow's stationarity tolerance 1e-13, far below
the Monte Carlo error). Fresh sequences are drawn with a fixed seed; every
comparison is a z-score with the standard error computed from the same
samples (over sequences). With ``T - 2`` positions and two metrics per law,
``|z| <= 4.5`` has a family-wise false-alarm rate below 1e-4 for normal errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mesasym.numeric.sequences import sample_sequences
from mesasym.precise import as_float
from mesasym.compare.capability import decide_recovery, evaluate_positions, theory_positions
from mesasym.symbolic.capability import manifold_sums, position_loss, product_at
from mesasym.laws import parse_distribution
from mesasym.errors import InvalidInputError
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.population.flow import population_flow
from mesasym.symbolic import symbols as S
from mesasym.numeric.model import predict

Z_MAX = 4.5


def _trained(spec: str, d: int, T: int):
    law = parse_distribution(spec)
    flow = population_flow(PopulationObjective(law, d, T), (0.4, 0.7))
    assert flow.converged
    k = law.kappas(d)
    c_star = as_float(product_at((k.kappa1, k.kappa2, k.kappa3), T))
    assert abs(flow.final.ab - c_star) <= 1e-10 * c_star
    return law, flow.final, c_star


@pytest.mark.parametrize("spec", ["gaussian:sigma=0.5", "rademacher", "uniform:w=2"])
def test_positions_match_the_derivation(spec: str) -> None:
    d, T, n = 3, 12, 20_000
    law, params, c_star = _trained(spec, d, T)
    X = sample_sequences(law, n, T, d, np.random.default_rng(7)).X
    metrics = evaluate_positions(lambda X: predict(params, X), X)
    mse, ratio = theory_positions(law, d, T, c_star)
    assert np.all(np.abs(metrics.mse - mse) <= Z_MAX * metrics.mse_se)
    assert np.all(np.abs(metrics.ratio - ratio) <= Z_MAX * metrics.ratio_se)
    assert metrics.ratio_zero_truth == 0
    # the finite-t excess d c^2 kappa3/(t-1) is visible: the t -> oo value is far off at t = 2
    limit = float(sp.limit(2 * position_loss(manifold_sums(law, d)), S.t, sp.oo).subs(S.c, c_star))
    assert abs(metrics.mse[0] - limit) > 10 * metrics.mse_se[0]


def test_gaussian_ratio_at_the_last_position_is_the_finite_T_value() -> None:
    """The authors' metric at t = T - 1 against the exact finite-T ratio a~b~ sigma^2 (not 1/5)."""
    d, T, n = 3, 12, 40_000
    law, params, _ = _trained("gaussian:sigma=2", d, T)
    verdict = decide_recovery(law, d, T)
    X = sample_sequences(law, n, T, d, np.random.default_rng(3)).X
    metrics = evaluate_positions(lambda X: predict(params, X), X)
    exact = as_float(verdict.ratio_T)
    assert abs(metrics.ratio[-1] - exact) <= Z_MAX * metrics.ratio_se[-1]
    assert abs(metrics.mse[-1] - as_float(verdict.mse_last_T)) <= Z_MAX * metrics.mse_se[-1]
    assert exact < 0.2 - 10 * metrics.ratio_se[-1]  # at T = 12 the ratio is clearly below the limit 1/5


def test_sparse_start_is_recovered_exactly_at_every_position() -> None:
    d, T, n = 4, 10, 2_000
    law, params, c_star = _trained("sparse:c=2", d, T)
    assert c_star == 0.25
    X = sample_sequences(law, n, T, d, np.random.default_rng(1)).X
    metrics = evaluate_positions(lambda X: predict(params, X), X)
    # exact up to rounding: |yhat - x|^2 ~ (1e-15 |x|)^2 with |x| = 2
    assert np.all(metrics.mse <= 1e-24)
    # zero-truth entries count 0 (authors' convention): the mean ratio is a~b~ E x^2 = 1/d
    assert metrics.ratio_zero_truth == n * (T - 2) * (d - 1)
    assert np.allclose(metrics.ratio, 1 / d, rtol=0, atol=1e-12)


def test_theory_positions_against_the_verdict() -> None:
    law = parse_distribution("gaussian")
    verdict = decide_recovery(law, 5, 100)
    mse, ratio = theory_positions(law, 5, 100, verdict.product_T)
    assert mse.shape == ratio.shape == (98,)
    assert abs(mse[-1] - as_float(verdict.mse_last_T)) <= 1e-12 * mse[-1]
    assert abs(0.5 * mse.sum() - as_float(verdict.test_loss_T)) <= 1e-12 * mse.sum()
    assert abs(ratio[0] - as_float(verdict.ratio_T)) <= 1e-15
    assert np.all(np.diff(mse) < 0)  # the 1/(t-1) excess decreases with t


def test_evaluate_positions_validation() -> None:
    X = np.zeros((1, 5, 2), complex)
    with pytest.raises(InvalidInputError):
        evaluate_positions(lambda X: X[:, 2:], X)  # one sequence: no standard error
    X = np.ones((3, 5, 2), complex)
    with pytest.raises(InvalidInputError):
        evaluate_positions(lambda X: X[:, 1:], X)  # wrong prediction shape


def test_check_positions_api_and_that_it_can_fail() -> None:
    from mesasym.compare.capability import z_scores, check_positions

    law = parse_distribution("laplace")
    check = check_positions(law, 3, 12, 20_000, np.random.default_rng(11))
    assert check.max_abs_z <= Z_MAX and check.off_manifold <= 1e-12
    data = check.as_dict()
    assert len(data["positions"]) == 10 and data["positions"][0]["t"] == 2
    # against a product 20% off, the same measurements fail clearly (the ratio resolves it best)
    _, wrong_ratio = theory_positions(law, 3, 12, 1.2 * check.product)
    z = z_scores(check.metrics.ratio, wrong_ratio, check.metrics.ratio_se, 1.0)
    assert np.max(np.abs(z)) > 10

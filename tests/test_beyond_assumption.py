"""Beyond Assumption 2: full population flow against the clip (projected) flow.

Tolerances. Both flows stop when the stationarity ratio ``||grad L|| / ||grad D||``
is ``<= 1e-10`` (relative accuracy of the limit, see
:func:`mesasym.numeric.population.flow.population_flow`), so limits are compared at
``1e-8`` relative. Entries that the dynamics keep exactly at zero (frozen or
symmetric) are compared at ``1e-12`` absolute (rounding in the solver's linear
algebra). Structure residuals of exchangeable laws: ``1e-12``.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.numeric.sequences import sample_sequences
from mesasym.compare.beyond_assumption import ClipObjective, block_structure, explore, gd_distance
from mesasym.laws import parse_distribution
from mesasym.errors import InvalidInputError
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.model import Parameters, one_step_gd_predict, predict

D, T = 3, 10


@pytest.fixture(scope="module")
def ones_report():
    return explore(parse_distribution("ones"), D, T, (0.1, 0.1))


def test_clip_objective_projects_exactly_the_red_off_diagonals() -> None:
    law = parse_distribution("ones")
    base, clip = PopulationObjective(law, D, T), ClipObjective(law, D, T)
    rng = np.random.default_rng(0)
    params = Parameters.random(D, rng, 0.3)
    value, gP, gQ = base.loss_and_gradient_blocks(params.P, params.Q)
    cvalue, cP, cQ = clip.loss_and_gradient_blocks(params.P, params.Q)
    assert value == cvalue
    off = ~np.eye(D, dtype=bool)
    assert np.all(cP[:, :D][off] == 0) and np.all(cQ[D:, :D][off] == 0)
    keep_P, keep_Q = ~clip.frozen_P, ~clip.frozen_Q
    assert np.array_equal(cP[keep_P], gP[keep_P]) and np.array_equal(cQ[keep_Q], gQ[keep_Q])
    assert np.any(gP[:, :D][off] != 0)  # the projection removes something for this law
    jac = clip.gradient_jacobian_blocks(params.P, params.Q)
    frozen = np.concatenate([clip.frozen_P.ravel(), clip.frozen_Q.ravel()])
    assert np.all(jac[np.concatenate([frozen, frozen])] == 0)
    full_jac = base.gradient_jacobian_blocks(params.P, params.Q)
    free = ~np.concatenate([frozen, frozen])
    assert np.array_equal(jac[free], full_jac[free])


def test_ones_full_flow_leaves_the_identity(ones_report) -> None:
    full, clip = ones_report.full, ones_report.clip
    assert full.converged and clip.converged
    # full model: non-identity red blocks of the form alpha I + beta (11^T - I), beta < 0
    assert full.kq32_structure.off_diagonal_mean < -1e-3 and full.pv12_structure.off_diagonal_mean < -1e-3
    assert full.kq32_structure.residual < 1e-12 and full.pv12_structure.residual < 1e-12
    assert full.off_manifold > 1e-2
    # the other blocks stay zero (their gradient vanishes by the phase average)
    for key in ("KQ22", "KQ23", "KQ33", "PV13"):
        assert full.block_norms[key] <= 1e-12
    # clip model: on the manifold, at the derived optimum of the manifold loss
    assert clip.off_manifold <= 1e-12
    assert abs(clip.ab - ones_report.manifold_product) <= 1e-8 * ones_report.manifold_product
    assert abs(clip.loss_final - ones_report.manifold_loss) <= 1e-8 * ones_report.manifold_loss
    # the full model is not a multiple of vanilla GD and reaches a lower loss
    assert full.gd.relative > 1e-2 and clip.gd.relative < 1e-10
    assert full.loss_final < clip.loss_final * (1 - 1e-3)


def test_assumption2_law_stays_on_the_manifold() -> None:
    report = explore(parse_distribution("gaussian"), D, T, (0.5, 1.5))
    assert report.assumption2
    for flow in (report.full, report.clip):
        assert flow.off_manifold <= 1e-12 and flow.gd.relative <= 1e-10
        assert abs(flow.ab - report.manifold_product) <= 1e-8 * report.manifold_product
    assert abs(report.full.loss_final - report.clip.loss_final) <= 1e-10 * report.full.loss_final


def test_shifted_gaussian_departs_from_vanilla_gd() -> None:
    report = explore(parse_distribution("shifted-gaussian:mu=1"), D, T)
    assert not report.assumption2
    assert report.full.gd.relative > 1e-3
    assert report.full.loss_final < report.clip.loss_final


def test_gd_distance_against_monte_carlo(ones_report) -> None:
    """The exact distance equals the Monte Carlo one of predict() against one_step_gd_predict().

    For the deterministic ones law the phases are the only randomness; 20,000 sequences
    give a relative error of about 1% on the squared norms, so 5% on the distance is a
    safe margin (the distance is about 0.14, far from 0)."""
    law = parse_distribution("ones")
    flow_final = _final_params(ones_report)
    X = sample_sequences(law, 20_000, T, D, np.random.default_rng(5)).X
    learned = predict(flow_final, X)
    exact = gd_distance(PopulationObjective(law, D, T), flow_final)
    vanilla = one_step_gd_predict(X, exact.eta)
    mc = np.sqrt(np.sum(np.abs(learned - vanilla) ** 2) / np.sum(np.abs(learned) ** 2))
    assert abs(mc - exact.relative) <= 0.05 * exact.relative
    # eta* is the minimiser: moving it increases the Monte Carlo distance
    for step in (0.98, 1.02):
        other = one_step_gd_predict(X, exact.eta * step)
        assert np.sum(np.abs(learned - other) ** 2) > np.sum(np.abs(learned - vanilla) ** 2)


def _final_params(report) -> Parameters:
    """Rebuild the full model's final parameters from the report's red blocks (other blocks are 0)."""
    params = Parameters.zeros(D)
    params.WKQ[2 * D :, D : 2 * D] = report.full.kq32
    params.WPV[:D, D : 2 * D] = report.full.pv12
    return params


def test_gd_distance_is_zero_on_the_manifold() -> None:
    objective = PopulationObjective(parse_distribution("ones"), D, T)
    dist = gd_distance(objective, Parameters.assumption1(D, 0.7, 1.3))
    assert dist.relative <= 1e-14 and abs(dist.eta - 0.91) <= 1e-12


def test_block_structure() -> None:
    block = 0.9 * np.eye(3) - 0.05 * (np.ones((3, 3)) - np.eye(3))
    s = block_structure(block)
    assert abs(s.diagonal_mean - 0.9) < 1e-15 and abs(s.off_diagonal_mean + 0.05) < 1e-15 and s.residual < 1e-15
    block[0, 1] += 0.1
    assert block_structure(block).residual > 0.05


@pytest.mark.parametrize("start", [(0.0, 0.0), (0.3, -0.3), (np.inf, 1.0)])
def test_invalid_starts(start) -> None:
    with pytest.raises(InvalidInputError):
        explore(parse_distribution("ones"), D, T, start)

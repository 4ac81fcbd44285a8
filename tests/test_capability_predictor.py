"""The capability metrics take any :class:`mesasym.tasks.Predictor` (issue 23, deliverable 5).

:func:`~mesasym.compare.capability.evaluate_positions` (per-position MSE and ratio, the ``capability``
command's Monte Carlo check and Figure 1's final check) and
:func:`~mesasym.compare.capability_trained.last_position_metrics` (``capability --process``) read
predictions through ``predictor.predict(batch)``. The one-layer NumPy model enters through
:class:`~mesasym.numeric.model.ParametersPredictor`, the JAX family directly.

Tolerance: the NumPy model sums the prefix Gram matrices ``S_t``, the JAX model the attention over the
tokens; both in float64/complex128, so the metrics agree to rounding of two orderings of the same sums:
``1e-10`` relative (observed ~1e-15). The can-fail case moves one weight by ``1e-7`` relative, which
moves the metrics by ~1e-8, a hundred times past that tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.compare.capability import PositionMetrics, evaluate_positions
from mesasym.compare.capability_trained import last_position_metrics
from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters, ParametersPredictor
from mesasym.numeric.population.flow import population_flow
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.sequences import sample_sequences
from mesasym.tasks import parse_task
from mesasym.tasks.ar import ar_batch

models = pytest.importorskip("mesasym.models")

RTOL = 1e-10  # two float64 orderings of the same sums (module docstring)
D, T, N = 3, 12, 400


def _close(ours: np.ndarray, theirs: np.ndarray) -> bool:
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    return bool(np.all(np.abs(ours - theirs) <= RTOL * np.abs(theirs)))


def _same_metrics(ours: PositionMetrics, theirs: PositionMetrics) -> bool:
    """Every metric within ``RTOL`` relative; positions, counts and sample size exactly."""
    return (
        np.array_equal(ours.t, theirs.t)
        and ours.n == theirs.n
        and ours.ratio_zero_truth == theirs.ratio_zero_truth
        and all(_close(getattr(ours, name), getattr(theirs, name)) for name in ("mse", "mse_se", "ratio", "ratio_se"))
    )


@pytest.fixture(scope="module")
def trained() -> Parameters:
    """The paper's trained model: the limit of the exact population flow (as ``capability`` trains it)."""
    law = parse_distribution("gaussian")
    flow = population_flow(PopulationObjective(law, D, T), (0.4, 0.7))
    assert flow.converged
    return flow.final


@pytest.fixture(scope="module")
def batch():
    law = parse_distribution("gaussian")
    return ar_batch(sample_sequences(law, N, T, D, np.random.default_rng(5)).X)


def test_trained_parameters_give_the_same_metrics_through_numpy_and_jax(trained: Parameters, batch) -> None:
    numpy_path = evaluate_positions(ParametersPredictor(trained), batch)
    jax_path = evaluate_positions(models.from_parameters(trained), batch)
    assert _same_metrics(jax_path, numpy_path)
    assert _close(last_position_metrics(models.from_parameters(trained), batch), last_position_metrics(ParametersPredictor(trained), batch))


def test_a_jax_model_gives_the_numbers_of_its_converted_parameters(batch) -> None:
    """A model of the family off the manifold (random init, every entry free) and its NumPy Parameters."""
    model = models.init_model("transformer:init=[random:scale=0.3]", "ar", D, seed=3)
    params = models.to_parameters(model)
    assert params.off_manifold_norm() > 0.1
    assert _same_metrics(evaluate_positions(model, batch), evaluate_positions(ParametersPredictor(params), batch))
    assert _close(last_position_metrics(model, batch), last_position_metrics(ParametersPredictor(params), batch))


def test_the_comparison_resolves_a_model_one_weight_apart(trained: Parameters, batch) -> None:
    """Can-fail side: one entry of W^PV moved by 1e-7 relative is told apart at RTOL."""
    PV = trained.WPV.copy()
    PV[0, D] *= 1 + 1e-7
    moved = Parameters(trained.WKQ, PV)
    assert not _same_metrics(evaluate_positions(models.from_parameters(moved), batch), evaluate_positions(ParametersPredictor(trained), batch))


def test_the_numpy_predictor_refuses_a_regression_batch() -> None:
    regression = parse_task("regression:linear").sample(np.random.default_rng(0), 4, d=2, length=5)
    with pytest.raises(InvalidInputError, match="AR batches"):
        ParametersPredictor(Parameters.assumption1(2, 0.1, 0.1)).predict(regression)

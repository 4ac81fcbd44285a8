"""The exact population engine of deep linear attention (mesasym.models.exact).

Tolerances and why:

* one layer against today's engine (``PopulationObjective``): 1e-12 relative; both are
  float64 sums of exact terms with rounding of a few hundred eps (measured 1.5e-15).
* raising the quadrature order: 1e-12 relative, the same rounding argument.
* central finite differences, step h = 1e-5: the loss is a polynomial, so the error is
  the truncation term h^2 f'''/6 (measured 9e-9 relative, scaling as h^2) plus rounding
  eps |L| / h (about 1e-11); 1e-7 leaves a factor 10 above the truncation.
* Monte Carlo: |mean - exact| <= 4 standard errors of the per-sequence losses
  (two-sided normal tail 6e-5; the seed is fixed, so the test is deterministic).

Each has a can-fail twin: a wrong gradient convention, an engine value 10 standard errors
off, and a one-layer rule used for two layers.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation, check_exact_model
from mesasym.models.exact_linear import DeepParameters, enable_x64, per_sequence_loss, predict
from mesasym.numeric.model import predict as numpy_predict
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.sequences import sample_sequences

TOL = 1e-12
FD_TOL = 1e-7
FD_STEP = 1e-5


def _relative(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def two_layers():
    return ExactPopulation(parse_distribution("uniform"), d=1, T=5, layers=2)


def test_one_layer_prediction_is_the_numpy_model():
    enable_x64()
    rng = np.random.default_rng(0)
    params = DeepParameters.random(1, 2, rng)
    X = sample_sequences(parse_distribution("gaussian"), 7, 6, 2, rng).X
    assert _relative(np.asarray(predict(params.WKQ, params.WPV, X)), numpy_predict(params.layer(0), X)) <= TOL


@pytest.mark.parametrize("spec", ["gaussian:sigma=0.7", "shifted-gaussian", "sparse:c=2"])
def test_one_layer_equals_population_engine(spec):
    dist = parse_distribution(spec)
    params = DeepParameters.random(1, 2, np.random.default_rng(1))
    value, grad = ExactPopulation(dist, 2, 4, 1).loss_and_gradient(params)
    value0, grad0 = PopulationObjective(dist, 2, 4).loss_and_gradient(params.layer(0))
    assert abs(value - value0) <= TOL * abs(value0)
    assert _relative(grad.WKQ[0], grad0.WKQ) <= TOL
    assert _relative(grad.WPV[0], grad0.WPV) <= TOL


def test_raising_the_order_changes_nothing(two_layers):
    params = DeepParameters.random(2, 1, np.random.default_rng(2), 0.5)
    higher = ExactPopulation(parse_distribution("uniform"), 1, 5, 2, extra=3)
    value, grad = two_layers.loss_and_gradient(params)
    value2, grad2 = higher.loss_and_gradient(params)
    assert abs(value2 - value) <= TOL * abs(value)
    assert _relative(grad2.flat(), grad.flat()) <= TOL


def _fd_errors(pop, params, grad, conjugate=False):
    errors = []
    for k in range(4):
        step = DeepParameters.random(pop.layers, pop.d, np.random.default_rng(10 + k))
        plus = DeepParameters(params.WKQ + FD_STEP * step.WKQ, params.WPV + FD_STEP * step.WPV)
        minus = DeepParameters(params.WKQ - FD_STEP * step.WKQ, params.WPV - FD_STEP * step.WPV)
        fd = (pop.loss(plus) - pop.loss(minus)) / (2 * FD_STEP)
        g = np.conj(grad.flat()) if conjugate else grad.flat()
        analytic = np.real(np.vdot(g, step.flat()))  # directional derivative Re <grad, step>
        errors.append(abs(fd - analytic) / abs(analytic))
    return max(errors)


def test_gradient_matches_central_differences(two_layers):
    params = DeepParameters.random(2, 1, np.random.default_rng(3), 0.5)
    _, grad = two_layers.loss_and_gradient(params)
    assert _fd_errors(two_layers, params, grad) <= FD_TOL


def test_wrong_gradient_convention_fails_central_differences(two_layers):
    """Can fail: jax.grad's raw output (the conjugate) is not THEORY §3's gradient."""
    params = DeepParameters.random(2, 1, np.random.default_rng(3), 0.5)
    _, grad = two_layers.loss_and_gradient(params)
    assert _fd_errors(two_layers, params, grad, conjugate=True) > 1e3 * FD_TOL


def _monte_carlo(params, n=20_000, seed=5):
    X = sample_sequences(parse_distribution("uniform"), n, 5, 1, np.random.default_rng(seed)).X
    values = np.asarray(per_sequence_loss(params.WKQ, params.WPV, X))
    return values.mean(), values.std(ddof=1) / np.sqrt(n)


def test_monte_carlo_agrees_within_four_standard_errors(two_layers):
    params = DeepParameters.random(2, 1, np.random.default_rng(4), 0.5)
    mean, se = _monte_carlo(params)
    assert abs(mean - two_layers.loss(params)) <= 4 * se


def test_monte_carlo_detects_a_value_ten_standard_errors_off(two_layers):
    params = DeepParameters.random(2, 1, np.random.default_rng(4), 0.5)
    mean, se = _monte_carlo(params)
    assert abs(mean - (two_layers.loss(params) + 10 * se)) > 4 * se


def test_a_one_layer_rule_is_not_exact_for_two_layers():
    """Can fail: the 3^L degree bound matters (a rule sized for L = 1 misses L = 2's terms)."""
    from mesasym.numeric.quadrature import sequence_rule

    dist = parse_distribution("shifted-gaussian")
    params = DeepParameters.random(2, 1, np.random.default_rng(6), 0.5)
    X, w = sequence_rule(dist, 1, 5, 1).all()
    short = float(np.sum(w * np.asarray(per_sequence_loss(params.WKQ, params.WPV, X))))
    exact = ExactPopulation(dist, 1, 5, 2).loss(params)
    assert abs(short - exact) > 1e3 * TOL * abs(exact)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"attention": "softmax"}, "attention=softmax has no exact population engine"),
        ({"mlp": "relu"}, "mlp=relu has no exact population engine"),
        ({"norm": "layer"}, "norm=layer has no exact population engine"),
        ({"layers": "4"}, "layers=4 is beyond the exact engine's limit"),
        ({"depth": "2"}, "key 'depth' is unknown"),
    ],
)
def test_models_without_an_exact_engine_are_refused(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        check_exact_model(spec)


def test_linear_models_are_accepted():
    assert check_exact_model({"layers": "2", "attention": "linear"}) == 2
    assert check_exact_model({}) == 1


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_reference_equals_the_deep_model_family(layers):
    """The engine's reference model is the family's ``layers=L`` linear model (issue 23), to rounding."""
    import jax.numpy as jnp

    from mesasym.models import parse_model, per_problem_loss
    from mesasym.models.layout import Layout
    from mesasym.models.transformer import Attention, Block, Model
    from mesasym.tasks.ar import ar_batch

    rng = np.random.default_rng(7)
    d = 2
    params = DeepParameters.random(layers, d, rng, 0.5)
    blocks = tuple(Block(Attention(jnp.asarray(params.WKQ[l])[None], jnp.asarray(params.WPV[l])[None])) for l in range(layers))
    model = Model(blocks, parse_model(f"layers={layers}"), Layout.of("ar", d, d))
    X = sample_sequences(parse_distribution("gaussian"), 6, 5, d, rng).X
    family = np.asarray(per_problem_loss(model, ar_batch(X)))
    assert _relative(family, np.asarray(per_sequence_loss(params.WKQ, params.WPV, X))) <= TOL

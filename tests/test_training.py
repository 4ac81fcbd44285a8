"""The numeric trainer: plain full-batch gradient descent with the stated records."""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.numeric.sequences import sample_phases, sequences_from
from mesasym.errors import DivergenceError, InvalidInputError
from mesasym.numeric.training import SampleObjective, train
from mesasym.numeric.model import Parameters, loss_and_gradient


def _objective(seed: int = 0, n: int = 64, T: int = 8, d: int = 2) -> SampleObjective:
    rng = np.random.default_rng(seed)
    return SampleObjective(sequences_from(rng.standard_normal((n, d)), sample_phases(rng, n, d), T))


def test_each_step_is_theta_minus_lr_times_gradient() -> None:
    objective = _objective()
    params0 = Parameters.random(2, np.random.default_rng(5), scale=0.1)
    lr = 1e-3
    result = train(objective, params0, lr, steps=2)
    expected = params0
    for _ in range(2):
        expected = expected.step(loss_and_gradient(expected, objective.X)[1], lr)
    assert np.allclose(result.params.WKQ, expected.WKQ, rtol=1e-14, atol=0)
    assert np.allclose(result.params.WPV, expected.WPV, rtol=1e-14, atol=0)
    assert list(result.history.step) == [0, 1, 2]
    assert np.allclose(result.history.tau, [0, lr, 2 * lr])


def test_history_records_manifold_coordinates_and_decreasing_loss() -> None:
    objective = _objective()
    result = train(objective, Parameters.assumption1(2, 0.1, 0.1), 2e-3, steps=50, record_every=10)
    history = result.history
    assert list(history.step) == [0, 10, 20, 30, 40, 50]
    assert history.a[0] == 0.1 and history.b[0] == 0.1 and history.ab[0] == pytest.approx(0.01)
    assert history.off_manifold[0] == 0.0 and history.off_manifold[-1] > 0  # finite sample leaves the manifold
    assert np.all(np.diff(history.loss) < 0)
    assert result.final_loss == history.loss[-1]


def test_clip_keeps_red_blocks_diagonal() -> None:
    result = train(_objective(), Parameters.assumption1(2, 0.1, 0.1), 2e-3, steps=20, clip=True)
    d = 2
    for block in (result.params.kq32, result.params.pv12):
        assert np.count_nonzero(block - np.diag(np.diagonal(block))) == 0
    unclipped = train(_objective(), Parameters.assumption1(2, 0.1, 0.1), 2e-3, steps=20)
    red = unclipped.params.kq32
    assert np.count_nonzero(red - np.diag(np.diagonal(red))) == d * d - d


def test_divergent_step_size_is_detected_with_advice() -> None:
    with pytest.raises(DivergenceError, match=r"smaller step size, e.g. lr=0.5"):
        train(_objective(), Parameters.assumption1(2, 1.0, 1.0), 5.0, steps=200)


@pytest.mark.parametrize("lr", [0.0, -1e-3, float("inf"), float("nan")])
def test_invalid_step_sizes_are_refused(lr: float) -> None:
    with pytest.raises(InvalidInputError, match="lr="):
        train(_objective(), Parameters.assumption1(2, 0.1, 0.1), lr, steps=1)


def test_fresh_sample_objective_draws_a_new_reproducible_sample_each_call() -> None:
    from mesasym.laws import parse_distribution
    from mesasym.numeric.training import FreshSampleObjective

    params = Parameters.assumption1(2, 0.3, 0.3)
    make = lambda: FreshSampleObjective(parse_distribution("gaussian"), d=2, T=6, n=50, rng=np.random.default_rng(7))  # noqa: E731
    first, again = make(), make()
    values = [first.loss_and_gradient(params)[0] for _ in range(2)]
    assert values[0] != values[1]  # a new sample at every call
    assert again.loss_and_gradient(params)[0] == values[0]  # the seed fixes the stream
    result = train(make(), Parameters.assumption1(2, 0.1, 0.1), 1e-3, steps=3)
    assert list(result.history.step) == [0, 1, 2, 3]


class _Quadratic:
    """L = 1/2 sum_i c_i |theta_i|^2 over the entries of both matrices: the real Hessian is diag(c) (each c twice)."""

    def __init__(self, d: int, rng: np.random.Generator) -> None:
        self.c = Parameters(rng.uniform(0.5, 5.0, (3 * d, 3 * d)) + 0j, rng.uniform(0.5, 5.0, (3 * d, 3 * d)) + 0j)
        self.c.WPV[0, 0] = 10.0  # the largest eigenvalue, well separated (power iteration converges as 0.5^k)

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        kq, pv = self.c.WKQ.real * params.WKQ, self.c.WPV.real * params.WPV
        value = 0.5 * float(np.vdot(params.WKQ, kq).real + np.vdot(params.WPV, pv).real)
        return value, Parameters(kq, pv)


def test_largest_stable_step_is_two_over_the_largest_hessian_eigenvalue() -> None:
    """Exact for a quadratic (central differences are exact; 30 power steps leave 0.5^60); GD converges
    just below the estimate and diverges just above it."""
    from mesasym.numeric.training import largest_stable_step

    objective = _Quadratic(2, np.random.default_rng(1))
    start = Parameters.random(2, np.random.default_rng(2))
    limit = largest_stable_step(objective, start, iterations=30)
    assert limit == pytest.approx(2 / 10.0, rel=1e-9)
    stable = train(objective, start, 0.98 * limit, steps=400)
    assert stable.final_loss < 1e-2 * stable.history.loss[0]
    with pytest.raises(DivergenceError, match=r"largest stable step size at step \d+ is about 0\.2 .*e\.g\. lr=0\.18$"):
        train(objective, start, 1.1 * limit, steps=400, estimate_stable_step=True)


def test_on_step_sees_every_step_with_the_parameters_before_the_update() -> None:
    objective = _objective()
    seen: list[tuple[int, float, float]] = []
    result = train(
        objective, Parameters.assumption1(2, 0.1, 0.1), 2e-3, steps=6, record_every=3,
        on_step=lambda k, params, value: seen.append((k, params.ab, value)),
    )
    assert [k for k, _, _ in seen] == list(range(7))
    recorded = {k: (ab, value) for k, ab, value in seen}
    for k, ab, value in zip(result.history.step, result.history.ab, result.history.loss):
        assert recorded[int(k)] == (ab, value)

"""The probe comparator (mesasym.compare.probe): ground truths, the verdict rule, the Jacobians."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from mesasym.algorithms import parse_algorithm
from mesasym.compare.probe import (
    EQUIVALENCE_FLOOR,
    TAU_MAX,
    AlgorithmRow,
    jacobians,
    probe,
    sensitivity_cosine,
    verdict,
)
from probe_support import ar_batch, regression_batch

ZOO = ["gd:k=1", "gd:k=2", "gd:k=3", "gd:k=4", "pgd:k=1,precond=diag", "ols", "ridge", "zero"]


def run(target_spec: str, probe_batch, held_out, zoo=ZOO, jacobian_problems: int = 2):
    target = parse_algorithm(target_spec)
    return probe(target_spec, target.predict_arrays, probe_batch, held_out, [parse_algorithm(s) for s in zoo], jacobian_problems=jacobian_problems)


def row(report, name: str) -> AlgorithmRow:
    return next(r for r in report.rows if r.name == name)


def test_gd3_is_recognised_as_three_steps_not_two_or_four() -> None:
    report = run("gd:k=3,steps=0.5,0.15,0.09", ar_batch(0, n=40), ar_batch(1, n=40), zoo=["gd:k=2", "gd:k=3", "gd:k=4", "ols"], jacobian_problems=1)
    assert report.verdict == "gd:k=3"
    assert row(report, "gd:k=3").distance <= 1e-10
    np.testing.assert_allclose(row(report, "gd:k=3").hyperparameters["steps"], [0.5, 0.15, 0.09], atol=1e-8)
    assert row(report, "gd:k=2").distance > report.threshold  # two steps are resolved as different
    assert row(report, "gd:k=3").cosine == pytest.approx(1.0, abs=1e-12)


def test_ols_is_recognised_as_ols() -> None:
    report = run("ols", regression_batch(2, n=40, P=10), regression_batch(3, n=40, P=10), zoo=["gd:k=1", "ols", "ridge"], jacobian_problems=0)
    assert report.verdict == "ols"
    assert row(report, "ols").distance <= 1e-20


def test_a_context_blind_nonlinear_predictor_is_none() -> None:
    rng = np.random.default_rng(4)
    M, N = jnp.asarray(rng.normal(size=(3, 3))), jnp.asarray(rng.normal(size=(3, 3)))

    def blind(inputs, outputs):
        return jnp.tanh(inputs[:, 1:].real @ N) @ M + 0j

    held_out = ar_batch(6, n=40)
    report = probe("blind", blind, ar_batch(5, n=40), held_out, [parse_algorithm(s) for s in ZOO], jacobian_problems=0)
    assert report.verdict == "none" and not report.close


def make_rows(distances: dict[str, float], se: float = 0.0, counts: dict[str, int] | None = None) -> list[AlgorithmRow]:
    counts = counts or {}
    return [AlgorithmRow(name, name, None, {}, counts.get(name, 0), d, se, [d], None, None, 0.0, [0.0]) for name, d in distances.items()]


def test_verdict_threshold_can_fail_just_past_it() -> None:
    """tau = min(TAU_MAX, next / 4): just below it is close, just above it is not."""
    far = {"zero": 1.0}
    assert verdict(make_rows({"a": 0.99 * TAU_MAX, **far}))[:2] == ("a", True)
    assert verdict(make_rows({"a": 1.01 * TAU_MAX, **far}))[:2] == ("a", False)
    # a near neighbour lowers the threshold to next / 4
    assert verdict(make_rows({"a": 0.99e-3, "b": 4e-3, **far}))[:2] == ("a", True)
    assert verdict(make_rows({"a": 1.01e-3, "b": 4e-3, **far}))[:2] == ("a", False)
    # two standard errors count against closeness
    assert verdict(make_rows({"a": 0.5 * TAU_MAX, **far}, se=0.26 * TAU_MAX))[1] is False


def test_verdict_prefers_the_simplest_of_equivalent_algorithms() -> None:
    rows = make_rows({"gd:k=4": 1e-31, "gd:k=3": 2e-30, "gd:k=2": 0.07}, counts={"gd:k=4": 4, "gd:k=3": 3, "gd:k=2": 2})
    assert verdict(rows)[0] == "gd:k=3"
    # but not past the equivalence floor
    rows = make_rows({"gd:k=4": 1e-31, "gd:k=3": 2 * EQUIVALENCE_FLOOR, "gd:k=2": 0.07}, counts={"gd:k=4": 4, "gd:k=3": 3, "gd:k=2": 2})
    assert verdict(rows)[0] == "gd:k=4"


def test_jacobians_match_central_differences_on_complex_sequences() -> None:
    batch = ar_batch(7, n=1, T=6, d=2)
    algorithm = parse_algorithm("ridge:lambda=0.3")
    jac = jacobians(algorithm.predict_arrays, batch, 1)[0]
    X = batch.sequences
    h = 1e-6
    for index in [(0, 1, 0), (0, 3, 1)]:
        for direction in (1.0, 1j):
            plus, minus = X.copy(), X.copy()
            plus[index] += h * direction
            minus[index] -= h * direction
            f = lambda Z: np.asarray(algorithm.predict_arrays(jnp.asarray(Z[:, :-1]), jnp.asarray(Z[:, 1:]))).ravel()
            column = (f(plus) - f(minus)) / (2 * h)
            real_column = np.concatenate([column.real, column.imag])
            flat = np.ravel_multi_index(index[1:], X.shape[1:]) + (X[0].size if direction == 1j else 0)
            np.testing.assert_allclose(jac[:, flat], real_column, rtol=1e-6, atol=1e-8)


def test_cosine_is_scale_invariant_and_detects_a_different_algorithm() -> None:
    batch = ar_batch(8, n=3)
    one = jacobians(parse_algorithm("gd:k=1,steps=0.3").predict_arrays, batch, 3)
    two = jacobians(parse_algorithm("gd:k=1,steps=0.9").predict_arrays, batch, 3)
    copy = jacobians(parse_algorithm("copy").predict_arrays, batch, 3)
    assert sensitivity_cosine(one, two)[0] == pytest.approx(1.0, abs=1e-12)
    assert sensitivity_cosine(one, copy)[0] < 0.9


@pytest.mark.slow
def test_the_papers_trained_model_is_one_gd_step_of_its_own_ab() -> None:
    """Trained on a Gaussian start (n = 10^4 sequences, T = 20, d = 2, 300 steps): gd:k=1, step = trained ab."""
    from mesasym.compare.probe import step_agreement, trained_ab
    from mesasym.laws import parse_distribution
    from mesasym.models import from_parameters, predict
    from mesasym.numeric.model import Parameters
    from mesasym.numeric.sequences import sample_sequences
    from mesasym.numeric.training import SampleObjective, train
    from mesasym.tasks import Batch, parse_task

    X = sample_sequences(parse_distribution("gaussian"), 10_000, 20, 2, np.random.default_rng(0)).X
    model = from_parameters(train(SampleObjective(X), Parameters.assumption1(2, 0.5, 1.5), 1e-3, 300).params)
    task = parse_task("ar")
    probe_batch, held_out = (task.sample(np.random.default_rng(s), 200, d=2, length=20) for s in (1, 2))
    fn = lambda u, v: predict(model, Batch(u, v, None))  # noqa: E731
    report = probe("trained", fn, probe_batch, held_out, [parse_algorithm(s) for s in ("gd:k=1", "gd:k=2", "ols", "zero")], jacobian_problems=0)
    assert report.verdict == "gd:k=1"
    ab = trained_ab(model)
    step = step_agreement(fn, probe_batch, ab, row(report, "gd:k=1").hyperparameters["steps"][0], report.threshold)
    assert step["within"] and step["relative_difference"] <= step["tolerance"]
    # a step 15 % off the trained one is outside the threshold's resolution (sqrt(0.01) = 10 %)
    assert not step_agreement(fn, probe_batch, 1.15 * ab, step["fitted_step"], report.threshold)["within"]


def test_a_larger_family_that_overfits_is_not_a_neighbour() -> None:
    """gd:k=2 contains gd:k=1: its worse held-out distance must not shrink gd:k=1's threshold; ols does."""
    counts = {"gd:k=1": 1, "gd:k=2": 2, "ols": 0}
    rows = make_rows({"gd:k=1": 0.0013, "gd:k=2": 0.0033, "ols": 0.47}, counts=counts)
    assert verdict(rows)[:2] == ("gd:k=1", True)
    rows = make_rows({"gd:k=1": 0.0013, "gd:k=2": 0.0033, "ols": 0.0045}, counts=counts)
    assert verdict(rows)[:2] == ("gd:k=1", False)  # 0.0013 > 0.0045 / 4


def test_nesting_of_the_zoo() -> None:
    gd2, gd3, pgd_diag, pgd_full = (parse_algorithm(s) for s in ("gd:k=2", "gd:k=3", "pgd:k=2,precond=diag", "pgd:k=2,precond=full"))
    assert gd3.contains(gd2) and not gd2.contains(gd3)
    assert pgd_diag.contains(gd2) and not pgd_diag.contains(gd3)
    assert pgd_full.contains(pgd_diag) and not pgd_diag.contains(pgd_full)
    assert parse_algorithm("ridge").contains(parse_algorithm("ols")) and gd2.contains(parse_algorithm("zero"))
    assert not parse_algorithm("ols").contains(gd2) and not gd2.contains(parse_algorithm("copy"))

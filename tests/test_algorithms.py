"""The algorithms against their definitions (mesasym.algorithms).

Each test compares an algorithm with an independent computation of what it is defined to be
(the paper's one-step GD in NumPy, NumPy's least squares, the normal equations of ridge) or
with a limit whose error bound is computed from the sample itself.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from mesasym.algorithms import fit_algorithm, parse_algorithm
from mesasym.algorithms import predictors
from mesasym.algorithms.spec import coefficients_to_steps, steps_to_coefficients
from mesasym.algorithms.statistics import context_of
from mesasym.errors import InvalidInputError
from mesasym.numeric.model import one_step_gd_predict
from probe_support import ar_batch, regression_batch


def test_gd_one_step_is_the_papers_trained_model() -> None:
    batch = ar_batch(0)
    eta = 0.37
    ours = parse_algorithm(f"gd:k=1,steps={eta}").predict(batch)
    np.testing.assert_allclose(ours, one_step_gd_predict(batch.sequences, eta), rtol=0, atol=1e-12)


def test_gd_closed_form_equals_the_iteration() -> None:
    batch = ar_batch(1)
    ctx = context_of(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs))
    steps = np.array([0.5, -0.2, 0.9, 0.1])
    iterated = predictors.gd_iterate(ctx, jnp.asarray(steps))
    closed = predictors.gd_polynomial(ctx, jnp.asarray(steps_to_coefficients(steps)))
    np.testing.assert_allclose(np.asarray(closed), np.asarray(iterated), rtol=0, atol=1e-12)
    # a perturbation of one step just past the tolerance is seen
    moved = predictors.gd_iterate(ctx, jnp.asarray(steps + np.array([0, 0, 1e-9, 0])))
    assert np.max(np.abs(np.asarray(moved) - np.asarray(iterated))) > 1e-12


def test_steps_round_trip_through_coefficients() -> None:
    steps = np.array([0.9, 0.5, -0.25])
    np.testing.assert_allclose(coefficients_to_steps(steps_to_coefficients(steps)), steps, atol=1e-13)
    # a dropped degree (last coefficient 0) is a zero step
    np.testing.assert_allclose(coefficients_to_steps(np.array([0.5, 0.0])), [0.5, 0.0], atol=1e-15)


def test_many_gd_steps_reach_ols_within_the_contraction_bound() -> None:
    """||(V_K - V*) u|| <= ||V*|| max|1 - eta lambda|^K ||u|| on well-posed positions (context >= 4 d)."""
    batch = regression_batch(2, n=10, P=14, d=2)
    ctx = context_of(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs))
    eigen = np.linalg.eigvalsh(np.asarray(ctx.A)[:, 8:])
    eta, K = 1.0 / eigen.max(), 60
    contraction = np.max(np.abs(1 - eta * eigen)) ** K
    gd = np.asarray(predictors.gd_iterate(ctx, jnp.full(K, eta)))[:, 8:]
    ols = parse_algorithm("ols").predict(batch)[:, 8:]
    V_star = np.linalg.norm(np.asarray(batch.outputs)[:, :, 0], axis=1).max() / np.sqrt(eigen.min())  # bounds ||V*||
    bound = V_star * contraction * np.linalg.norm(batch.inputs, axis=2).max()
    assert bound < 1e-3, "the bound must be tight enough to mean something"
    error = np.max(np.abs(gd - ols))
    assert error <= bound + 1e-12  # plus double rounding
    few = np.asarray(predictors.gd_iterate(ctx, jnp.full(3, eta)))[:, 8:]
    assert np.max(np.abs(few - ols)) > 1e3 * max(error, 1e-12)  # and fewer steps are visibly further


def test_ols_is_numpys_minimum_norm_least_squares() -> None:
    batch = regression_batch(3, n=4, P=6, d=4)  # positions 2..4 under-determined
    ours = parse_algorithm("ols").predict(batch)
    for i in range(batch.n):
        for q in range(1, batch.positions):
            solution, *_ = np.linalg.lstsq(batch.inputs[i, :q], batch.outputs[i, :q], rcond=None)
            np.testing.assert_allclose(ours[i, q - 1], batch.inputs[i, q] @ solution, atol=1e-12)


def test_ols_recovers_a_noiseless_linear_teacher_once_well_posed() -> None:
    batch = regression_batch(4, P=10, d=3)
    error = np.abs(parse_algorithm("ols").predict(batch) - batch.oracle)
    assert np.max(error[:, 3:]) < 1e-10  # >= 4 > d context points: exact
    assert np.max(error[:, :2]) > 1e-3  # fewer than d: the minimum-norm guess is not the teacher


def test_ridge_is_the_normal_equations_and_tends_to_ols() -> None:
    batch = ar_batch(5, T=12, d=2)
    lam = 0.3
    ours = parse_algorithm(f"ridge:lambda={lam}").predict(batch)
    U, Y = batch.inputs, batch.outputs
    for q in (1, 5, 10):
        for i in range(3):
            G = U[i, :q].T @ U[i, :q].conj() + q * lam * np.eye(2)
            V = (Y[i, :q].T @ U[i, :q].conj()) @ np.linalg.inv(G)
            np.testing.assert_allclose(ours[i, q - 1], V @ U[i, q], atol=1e-12)
    # lambda -> 0: |ridge - ols| = O(lambda ||B|| ||A^{-1}||^2 ||u||) on well-posed positions
    ctx = context_of(jnp.asarray(U), jnp.asarray(Y))
    tiny = 1e-9
    ridge = parse_algorithm(f"ridge:lambda={tiny}").predict(batch)[:, 6:]
    ols = parse_algorithm("ols").predict(batch)[:, 6:]
    A, B = np.asarray(ctx.A)[:, 6:], np.asarray(ctx.B)[:, 6:]
    bound = 2 * tiny * np.max(np.linalg.norm(B, 2, axis=(2, 3)) / np.linalg.eigvalsh(A)[..., 0] ** 2) * np.abs(U).max() * 2
    assert np.max(np.abs(ridge - ols)) <= bound


def test_baselines() -> None:
    batch = ar_batch(6)
    np.testing.assert_array_equal(parse_algorithm("copy").predict(batch), batch.sequences[:, 1:-1])
    np.testing.assert_array_equal(parse_algorithm("zero").predict(batch), 0)
    np.testing.assert_array_equal(parse_algorithm("oracle").predict(batch), batch.oracle)


def test_pgd_with_scalar_preconditioners_is_gd() -> None:
    batch = ar_batch(7)
    ctx = context_of(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs))
    steps = jnp.asarray([0.4, 0.3])
    gammas = jnp.stack([s * jnp.eye(3) for s in steps])
    np.testing.assert_allclose(np.asarray(predictors.pgd_iterate(ctx, gammas)), np.asarray(predictors.gd_iterate(ctx, steps)), atol=1e-13)


def test_fitting_recovers_the_steps_and_separates_k() -> None:
    batch = regression_batch(8, n=30)
    steps = [0.6, 0.3, 0.1]
    reference = parse_algorithm("gd:k=3,steps=" + ",".join(map(str, steps))).predict(batch)

    def distance(spec: str) -> float:
        fitted = fit_algorithm(parse_algorithm(spec), batch, reference)
        prediction = fitted.predict(batch)
        return float(np.sum((prediction - reference) ** 2) / np.sum(prediction**2))

    fitted = fit_algorithm(parse_algorithm("gd:k=3"), batch, reference)
    np.testing.assert_allclose(fitted.hyperparameters()["steps"], steps, atol=1e-8)
    assert distance("gd:k=3") < 1e-20
    assert distance("gd:k=2") > 1e-4
    assert distance("pgd:k=3,precond=diag") < 1e-20


def test_fitted_diagonal_preconditioner_is_recovered() -> None:
    batch = regression_batch(9, n=30)
    ctx = context_of(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs))
    gamma = jnp.diag(jnp.asarray([0.2, 0.5, 0.9]))[None]
    reference = np.asarray(predictors.pgd_iterate(ctx, gamma))
    fitted = fit_algorithm(parse_algorithm("pgd:k=1,precond=diag"), batch, reference)
    np.testing.assert_allclose(fitted.params["preconditioners"], np.asarray(gamma), atol=1e-10)


def test_fitted_ridge_recovers_lambda() -> None:
    batch = regression_batch(10, n=20)
    reference = parse_algorithm("ridge:lambda=0.25").predict(batch)
    fitted = fit_algorithm(parse_algorithm("ridge"), batch, reference)
    assert fitted.params["lambda"] == pytest.approx(0.25, rel=1e-6)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("gd:k=0", "k=0 must be an integer from 1"),
        ("gd:k=two", "k='two'"),
        ("ridge:lambda=-1", "lambda=-1 must be > 0"),
        ("ridge:lambda=nan", "finite"),
        ("pgd:precond=block", "precond='block'"),
        ("gd:k=2,steps=0.1", "1 steps given for k=2"),
        ("newton", "unknown algorithm name"),
    ],
)
def test_bad_specs_are_one_line_errors(spec: str, words: str) -> None:
    with pytest.raises(InvalidInputError, match=words) as error:
        parse_algorithm(spec)
    assert "\n" not in str(error.value)


def test_too_small_a_probe_sample_is_refused() -> None:
    batch = regression_batch(11, n=1, P=3, d=3)  # 2 scored outputs, 9 hyperparameters
    with pytest.raises(InvalidInputError, match="probe sample too small"):
        fit_algorithm(parse_algorithm("pgd:k=1,precond=full"), batch, np.zeros((1, 2, 1)))

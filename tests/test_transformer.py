"""The full transformer: forward pass, loss and gradient against independent references.

Tolerances. The prefix-sum forward pass and the per-``t`` reference are two
orderings of the same finite sums, so they agree to rounding: relative
``1e-12`` leaves four orders of magnitude over float64 rounding for these sizes.
The loss is a quadratic polynomial in any single real parameter (the output is
linear in each entry of ``P`` and of ``Q``), so a central difference is exact up
to rounding, ``~eps_mach * L / h``; with ``h = 1e-3`` the stated tolerance
``1e-8 * max(L, 1)`` is ~1000 times that.
"""

from __future__ import annotations

import numpy as np
import pytest

import mesasym.numeric.model as transformer
from mesasym.numeric.sequences import sample_phases, sequences_from
from mesasym.errors import InvalidInputError
from mesasym.numeric.model import (
    Parameters,
    loss,
    loss_and_gradient,
    loss_and_gradient_reference,
    one_step_gd_predict,
    predict,
    predict_reference,
)


def _sequences(rng: np.random.Generator, n: int, T: int, d: int, dtype=np.complex128) -> np.ndarray:
    x1 = rng.standard_normal((n, d))
    return sequences_from(x1, sample_phases(rng, n, d), T, dtype)


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("d,T", [(1, 3), (2, 7), (3, 12)])
def test_forward_matches_definition(d: int, T: int) -> None:
    rng = np.random.default_rng(11)
    X = _sequences(rng, 5, T, d)
    params = Parameters.random(d, rng)
    assert predict(params, X).shape == (5, T - 2, d)
    assert _relative_error(predict(params, X), predict_reference(params, X)) < 1e-12


def test_loss_is_half_squared_error_summed_over_t_and_averaged_over_sequences() -> None:
    rng = np.random.default_rng(12)
    X = _sequences(rng, 4, 6, 2)
    params = Parameters.random(2, rng)
    residual = predict_reference(params, X) - X[:, 2:]
    expected = np.mean([0.5 * np.sum(np.abs(r) ** 2) for r in residual])
    assert loss(params, X) == pytest.approx(expected, rel=1e-12)


def test_gradient_matches_central_differences_for_every_entry() -> None:
    rng = np.random.default_rng(13)
    d, T = 2, 6
    X = _sequences(rng, 3, T, d)
    params = Parameters.random(d, rng, scale=0.5)
    value, gradient = loss_and_gradient(params, X)
    h = 1e-3
    tolerance = 1e-8 * max(value, 1.0)
    vector = params.to_real_vector()
    analytic = gradient.to_real_vector()  # (dL/dRe, dL/dIm) = (Re grad, Im grad)
    for k in range(vector.size):
        up, down = vector.copy(), vector.copy()
        up[k] += h
        down[k] -= h
        numeric = (loss(Parameters.from_real_vector(up, d), X) - loss(Parameters.from_real_vector(down, d), X)) / (2 * h)
        assert abs(numeric - analytic[k]) < tolerance, (k, numeric, analytic[k])


def test_gradient_matches_per_t_reference_and_vanishes_outside_P_and_Q() -> None:
    rng = np.random.default_rng(14)
    d = 3
    X = _sequences(rng, 6, 9, d)
    params = Parameters.random(d, rng)
    value, gradient = loss_and_gradient(params, X)
    ref_value, ref_gradient = loss_and_gradient_reference(params, X)
    assert value == pytest.approx(ref_value, rel=1e-12)
    assert _relative_error(gradient.WKQ, ref_gradient.WKQ) < 1e-12
    assert _relative_error(gradient.WPV, ref_gradient.WPV) < 1e-12
    outside_kq = gradient.WKQ.copy()
    outside_kq[d:, d:] = 0
    outside_pv = gradient.WPV.copy()
    outside_pv[:d, d:] = 0
    assert not outside_kq.any() and not outside_pv.any()
    assert np.abs(ref_gradient.WKQ[:d]).max() == 0 and np.abs(ref_gradient.WPV[d:]).max() == 0


def test_chunked_evaluation_equals_single_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(15)
    X = _sequences(rng, 10, 8, 2)
    params = Parameters.random(2, rng)
    value, gradient = loss_and_gradient(params, X)
    monkeypatch.setattr(transformer, "_CHUNK_ENTRIES", 3 * 8 * 16)  # three sequences per chunk
    chunked_value, chunked_gradient = loss_and_gradient(params, X)
    assert chunked_value == pytest.approx(value, rel=1e-13)
    assert _relative_error(chunked_gradient.WKQ, gradient.WKQ) < 1e-13


@pytest.mark.parametrize("a0,b0", [(0.3, 0.7), (-1.2, 0.4), (2.0, 2.0)])
def test_assumption1_output_is_one_step_of_gradient_descent(a0: float, b0: float) -> None:
    rng = np.random.default_rng(16)
    X = _sequences(rng, 5, 10, 3)
    params = Parameters.assumption1(3, a0, b0)
    assert _relative_error(predict(params, X), one_step_gd_predict(X, a0 * b0)) < 1e-12


def test_one_step_gd_predictor_is_a_gradient_step_on_least_squares() -> None:
    """THEORY §6: W_hat_t = -eta/(t-1) * grad of 1/2 sum_i ||x_{i+1} - W x_i||^2 at W = 0."""
    rng = np.random.default_rng(17)
    X = _sequences(rng, 2, 6, 2)
    eta = 0.37
    out = one_step_gd_predict(X, eta)
    for t in range(2, 6):
        for n in range(2):
            # gradient of 1/2 sum ||x_{i+1} - W x_i||^2 at W = 0 is -sum x_{i+1} x_i^*
            grad_at_zero = -sum(np.outer(X[n, i], X[n, i - 1].conj()) for i in range(1, t))
            W_hat = -eta / (t - 1) * grad_at_zero
            assert np.allclose(out[n, t - 2], W_hat @ X[n, t - 1], rtol=1e-12, atol=0)


def test_complex64_is_supported_and_close_to_complex128() -> None:
    rng = np.random.default_rng(18)
    X = _sequences(rng, 50, 12, 2)
    params = Parameters.random(2, rng)
    low = Parameters(params.WKQ.astype(np.complex64), params.WPV.astype(np.complex64))
    value64, grad64 = loss_and_gradient(low, X.astype(np.complex64))
    value, gradient = loss_and_gradient(params, X)
    assert grad64.WKQ.dtype == np.complex64
    # single precision: ~1e-7 per operation, sums of a few hundred terms
    assert value64 == pytest.approx(value, rel=1e-4)
    assert _relative_error(grad64.WKQ, gradient.WKQ) < 1e-4


def test_parameter_summaries_and_manifold() -> None:
    params = Parameters.assumption1(4, 0.5, -1.5)
    assert (params.a, params.b, params.ab) == (0.5, -1.5, -0.75)
    assert params.off_manifold_norm() == 0.0
    assert params.WKQ.shape == (12, 12) and params.WKQ[8:, 4:8].trace() == 2.0
    perturbed = params.WKQ.copy()
    perturbed[0, 0] = 1e-3
    assert Parameters(perturbed, params.WPV).off_manifold_norm() == pytest.approx(1e-3)
    off_diagonal = params.WPV.copy()
    off_diagonal[0, 5] = 0.25  # inside the red block, off its diagonal
    moved = Parameters(params.WKQ, off_diagonal)
    assert moved.off_manifold_norm() == pytest.approx(0.25)
    assert moved.clip_red_off_diagonals().off_manifold_norm() == 0.0


def test_real_vector_round_trip() -> None:
    params = Parameters.random(2, np.random.default_rng(19))
    back = Parameters.from_real_vector(params.to_real_vector(), 2)
    assert np.array_equal(back.WKQ, params.WKQ) and np.array_equal(back.WPV, params.WPV)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Parameters(np.zeros((4, 4), complex), np.zeros((4, 4), complex)), "3d, 3d"),
        (lambda: Parameters(np.zeros((3, 3)), np.zeros((3, 3))), "complex"),
        (lambda: Parameters.assumption1(0, 1.0, 1.0), "d=0"),
        (lambda: Parameters.assumption1(2, float("nan"), 1.0), "a0=nan"),
        (lambda: loss(Parameters.zeros(2), np.zeros((3, 5, 3), complex)), "d=3"),
        (lambda: loss(Parameters.zeros(2), np.zeros((3, 2, 2), complex)), "T=2"),
    ],
)
def test_invalid_inputs_raise_clear_errors(make, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        make()

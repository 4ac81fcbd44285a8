"""The AR sampler: x_{t+1} = W x_t with W a random diagonal unitary matrix."""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.numeric.sequences import sample_phases, sequences_from
from mesasym.errors import InvalidInputError


def test_sequences_follow_the_recursion_and_stay_on_the_circle() -> None:
    rng = np.random.default_rng(1)
    x1 = rng.standard_normal((20, 3))
    theta = sample_phases(rng, 20, 3)
    X = sequences_from(x1, theta, 50)
    assert X.shape == (20, 50, 3) and X.dtype == np.complex128
    assert np.array_equal(X[:, 0], x1.astype(complex))
    lam = np.exp(1j * theta)
    # x_{t+1} = lambda x_t up to rounding of the angle products (|t theta| < 2pi*50)
    assert np.allclose(X[:, 1:], lam[:, None, :] * X[:, :-1], rtol=0, atol=1e-12 * np.abs(x1).max())
    assert np.allclose(np.abs(X), np.abs(x1)[:, None, :], rtol=1e-13)


def test_phases_are_uniform_on_the_circle() -> None:
    """E[lambda^m] = [m = 0]: the sample mean of lambda^m for m = 1..4 is within
    5 standard errors (SE = 1/sqrt(n) since |lambda^m| = 1) of zero."""
    n = 200_000
    theta = sample_phases(np.random.default_rng(2), n, 1)[:, 0]
    assert theta.min() >= 0 and theta.max() < 2 * np.pi
    for m in range(1, 5):
        assert abs(np.mean(np.exp(1j * m * theta))) < 5 / np.sqrt(n)


def test_complex64_on_request_and_seeded_reproducibility() -> None:
    draw = lambda seed: sequences_from(  # noqa: E731
        np.ones((2, 2)), sample_phases(np.random.default_rng(seed), 2, 2), 5, np.complex64
    )
    assert draw(3).dtype == np.complex64
    assert np.array_equal(draw(3), draw(3)) and not np.array_equal(draw(3), draw(4))


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInputError, match="dtype=float64"):
        sequences_from(np.ones((2, 2)), np.zeros((2, 2)), 5, np.float64)
    with pytest.raises(InvalidInputError, match="shape"):
        sequences_from(np.ones((2, 2)), np.zeros((2, 3)), 5)
    with pytest.raises(InvalidInputError, match="T=0"):
        sequences_from(np.ones((2, 2)), np.zeros((2, 2)), 0)

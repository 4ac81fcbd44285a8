"""Sequences of the AR process of THEORY §1: :math:`x_{t+1} = W x_t`.

:math:`W = \\operatorname{diag}(\\lambda_1,\\dots,\\lambda_d)`,
:math:`\\lambda_j = e^{i\\theta_j}` with :math:`\\theta_j` i.i.d. uniform on
:math:`[0, 2\\pi)` and independent of :math:`x_1`, so coordinate-wise
:math:`x_{t,j} = e^{i (t-1)\\theta_j} x_{1,j}`. The powers are computed from the
angles directly (not by repeated multiplication), vectorized over samples and
time.

Other transition laws (``process``, :mod:`mesasym.laws.processes`): the
eigenvalues :math:`\\lambda_j = r_j e^{i\\theta_j}` are drawn from the law instead
(``x_{t,j} = r_j^{t-1} e^{i(t-1)\\theta_j} x_{1,j}``); ``process=None`` and the
``uniform`` law use exactly the paper's draw, so a seed gives the same sample
bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mesasym.errors import require

if TYPE_CHECKING:
    from mesasym.laws import InitialTokenDistribution, TransitionLaw

__all__ = ["ARSample", "sample_phases", "sequences_from", "sample_sequences"]

_DTYPES = {np.dtype(np.complex128), np.dtype(np.complex64)}


@dataclass(frozen=True)
class ARSample:
    """A batch of sequences with the draws that produced them.

    ``X`` has shape ``(n, T, d)`` with ``X[:, t-1]`` = :math:`x_t`; ``x1`` is
    ``(n, d)`` real; ``theta`` is ``(n, d)`` with :math:`\\lambda_j = e^{i\\theta_j}`
    (times ``modulus`` when that is not ``None``: a damped process).
    """

    X: np.ndarray
    x1: np.ndarray
    theta: np.ndarray
    modulus: np.ndarray | None = None


def sample_phases(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Angles :math:`\\theta_{j}` i.i.d. uniform on :math:`[0, 2\\pi)`, shape ``(n, d)``."""
    return rng.uniform(0.0, 2.0 * np.pi, size=(n, d))


def sequences_from(
    x1: np.ndarray, theta: np.ndarray, T: int, dtype: type = np.complex128, modulus: np.ndarray | None = None
) -> np.ndarray:
    """:math:`x_{t,j} = e^{i (t-1)\\theta_j} x_{1,j}` for ``t = 1..T``: shape ``(n, T, d)``.

    With ``modulus`` (shape ``(n, d)``), :math:`x_{t,j} = r_j^{t-1} e^{i (t-1)\\theta_j} x_{1,j}`.
    """
    require(isinstance(T, (int, np.integer)) and T >= 1, f"T={T!r} must be an integer >= 1")
    require(np.dtype(dtype) in _DTYPES, f"dtype={np.dtype(dtype).name} must be complex128 or complex64")
    require(
        np.shape(x1) == np.shape(theta) and np.ndim(x1) == 2,
        f"x1 and theta must both have shape (n, d), got {np.shape(x1)} and {np.shape(theta)}",
    )
    steps = np.arange(T, dtype=np.float64)[None, :, None]
    X = x1[:, None, :] * np.exp(1j * steps * theta[:, None, :])
    if modulus is not None:
        require(np.shape(modulus) == np.shape(theta), f"modulus must have shape {np.shape(theta)}, got {np.shape(modulus)}")
        X = X * np.asarray(modulus, dtype=np.float64)[:, None, :] ** steps
    return X.astype(dtype, copy=False)


def sample_sequences(
    dist: InitialTokenDistribution,
    n: int,
    T: int,
    d: int,
    rng: np.random.Generator,
    dtype: type = np.complex128,
    process: TransitionLaw | None = None,
) -> ARSample:
    """Draw ``n`` sequences of length ``T``: ``x_1`` from ``dist``, then the phases.

    The generator is consumed in that order (first ``x_1``, then ``theta``), so
    a seed fixes the whole sample. ``process`` is the transition law of the
    eigenvalues of ``W`` (:mod:`mesasym.laws.processes`); ``None`` or ``uniform``
    is the paper's (same draws).
    """
    require(isinstance(n, (int, np.integer)) and n >= 1, f"n={n!r} must be an integer >= 1")
    require(isinstance(T, (int, np.integer)) and T >= 3, f"T={T!r} must be an integer >= 3")
    dist.validate_dimension(d)
    require(isinstance(rng, np.random.Generator), f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    x1 = dist.sample(rng, n, d)
    if process is None or process.name == "uniform":
        theta = sample_phases(rng, n, d)
        return ARSample(sequences_from(x1, theta, T, dtype), x1, theta)
    theta, modulus = process.sample(rng, n, d)
    return ARSample(sequences_from(x1, theta, T, dtype, modulus), x1, theta, modulus)

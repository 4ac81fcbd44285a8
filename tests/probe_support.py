"""Small batches for the algorithm and probe tests, built directly from their definitions."""

from __future__ import annotations

import numpy as np

from mesasym.laws.spec import parse_distribution
from mesasym.numeric.sequences import sample_sequences
from mesasym.tasks.batch import Batch


def ar_batch(seed: int, n: int = 20, T: int = 10, d: int = 3) -> Batch:
    """The paper's AR task: u_p = x_p, v_p = x_{p+1}, noiseless (oracle = targets)."""
    X = sample_sequences(parse_distribution("gaussian"), n, T, d, np.random.default_rng(seed)).X
    return Batch(X[:, :-1], X[:, 1:], X[:, 2:], X)


def regression_batch(seed: int, n: int = 20, P: int = 12, d: int = 3) -> Batch:
    """Noiseless linear regression y = w.x with w ~ N(0, I) per problem."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P, d))
    Y = X @ rng.normal(size=(n, d, 1))
    return Batch(X, Y, Y[:, 1:])

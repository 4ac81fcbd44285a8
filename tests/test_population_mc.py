"""The population engine against the Monte Carlo loss and gradient of the foundation.

For ``n`` independent sequences, the foundation's empirical loss and gradient
are means of i.i.d. per-sequence values; their expectations are exactly the
population values. Per-sequence values come from calling
:func:`mesasym.numeric.model.loss_and_gradient` on one sequence at a time; the
standard error of each real component is ``std(ddof=1) / sqrt(n)`` of that
actual sample.

Tolerance: every component's z-score must be below 5 in absolute value. Under
the null hypothesis (engine correct) each z is approximately standard normal
(n = 4000; every moment of these laws is finite), and with about 50-100 components per case the
chance that any |z| > 5 is below 1e-4 (Bonferroni, 100 * 5.7e-7) even
allowing for heavier-than-normal tails of a few percent error in the
estimated SE; the seeds are fixed, so the test is deterministic. Laws are chosen with light
tails: the variance of a per-sequence gradient involves moments of order 12,
and for e.g. the Laplace law the sample SE of 4000 draws is itself unreliable
(we saw mean z^2 ~ 4 for one seed); Laplace is covered exactly by the
Gauss-Laguerre cubature in ``test_population_exact.py`` instead. A wrong
engine is caught when the error is above ~5 SE (here ~1-3 % of a component);
exact agreement is the business of ``test_population_exact.py``. The mean of
the per-sequence values must also equal the batch call (1e-12 rel, same sums
in a different order).
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.numeric.sequences import sample_sequences
from mesasym.laws import DiscreteVectorLaw, Mixture, parse_distribution
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.model import Parameters, loss_and_gradient

Z_LIMIT = 5.0


def _components(value: float, grad: Parameters, d: int) -> np.ndarray:
    """Loss and the real and imaginary parts of the P and Q gradients, as one real vector."""
    blocks = np.concatenate([grad.P.ravel(), grad.Q.ravel()])
    return np.concatenate([[value], blocks.real, blocks.imag])


def _z_scores(dist, d: int, T: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = Parameters.random(d, rng, scale=0.5)
    X = sample_sequences(dist, n, T, d, rng).X
    per_sequence = np.array([_components(*loss_and_gradient(params, X[k : k + 1]), d) for k in range(n)])
    batch = _components(*loss_and_gradient(params, X), d)
    mean = per_sequence.mean(axis=0)
    assert np.max(np.abs(mean - batch)) <= 1e-12 * np.max(np.abs(batch))
    se = per_sequence.std(axis=0, ddof=1) / np.sqrt(n)
    exact = _components(*PopulationObjective(dist, d, T).loss_and_gradient(params), d)
    return (mean - exact) / se, mean, exact


CASES = [
    ("gaussian", parse_distribution("gaussian:sigma=0.8"), 2, 6),
    ("shifted-gaussian", parse_distribution("shifted-gaussian:mu=0.5,sigma=1"), 2, 5),
    ("uniform d=3", parse_distribution("uniform"), 3, 4),
    ("mixture", Mixture(components=(parse_distribution("gaussian:sigma=0.5"), parse_distribution("uniform:w=1.5")), weights=("1/2", "1/2")), 2, 5),
    ("correlated discrete vector", DiscreteVectorLaw(atoms=((1, 2), ("1/2", -1), (3, 0)), probs=("1/5", "3/10", "1/2")), 2, 5),
]


@pytest.mark.parametrize("name,dist,d,T", CASES, ids=[c[0] for c in CASES])
def test_engine_agrees_with_monte_carlo_within_five_standard_errors(name, dist, d, T) -> None:
    z, _, _ = _z_scores(dist, d, T, n=4000, seed=7 + 13 * d + T)
    assert np.all(np.isfinite(z))
    assert np.max(np.abs(z)) < Z_LIMIT, f"max |z| = {np.max(np.abs(z)):.2f}"

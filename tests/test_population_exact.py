"""The population engine against an exact brute-force cubature of the foundation's model.

Cubature. For fixed ``x_1`` every quantity averaged here (the loss of one
sequence and its gradient) is a trigonometric polynomial in each angle
``theta_j`` whose degree is below ``6 T``: it is a product of at most six
factors ``lambda_j^{+-(v - 1 - s)}`` with ``v <= T``. ``K`` equispaced angles
average such a polynomial exactly when ``K`` exceeds the degree, so the mean
of :func:`mesasym.numeric.model.loss_and_gradient` over the grid
``theta_j in 2 pi {0..K-1}/K`` (``K = 6T + 1``, product over coordinates) is
the exact phase average. ``x_1`` is then averaged exactly: discrete laws by
enumerating their atoms with their probabilities; Gaussian laws by a product
Gauss rule with 4 nodes per coordinate (Hermite for Gaussians, Legendre for
the uniform law, Laguerre on each half-line for Laplace), exact for
polynomials of degree <= 7 in each coordinate (we need <= 6).

Tolerance 1e-12 relative (on the loss and on the max-norm of each gradient
matrix): both sides are exact formulas evaluated in float64 with sums of
10^3 - 10^5 terms, so they agree to ~1e-14; 1e-12 leaves margin, and any
wrong moment or phase rule produces O(1e-3) or larger discrepancies.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mesasym.numeric.sequences import sequences_from
from mesasym.laws import Discrete, DiscreteVectorLaw, Mixture, parse_distribution
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.model import Parameters, loss_and_gradient


def _atoms(dist, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact quadrature ``(points (A, d), weights (A,))`` for ``x_1`` (polynomials of degree <= 7 per coordinate)."""
    if isinstance(dist, DiscreteVectorLaw):
        return np.array(dist.atoms, dtype=float), np.array(dist.probs, dtype=float)
    if isinstance(dist, Mixture):
        parts = [_atoms(component, d) for component in dist.components]
        points = np.vstack([p for p, _ in parts])
        weights = np.concatenate([float(w) * q for (_, q), w in zip(parts, dist.weights)])
        return points, weights
    if dist.name == "ones":
        return np.ones((1, d)), np.ones(1)
    if dist.name == "sparse":
        c = float(dist.c)
        points = np.vstack([s * c * np.eye(d) for s in (1.0, -1.0)])
        return points, np.full(2 * d, 1.0 / (2 * d))
    if isinstance(dist, Discrete):
        values, probs = [float(v) for v in dist.values], [float(p) for p in dist.probs]
    elif dist.name in ("gaussian", "shifted-gaussian"):
        nodes, weights = np.polynomial.hermite_e.hermegauss(4)  # weight exp(-x^2/2)
        mu = float(getattr(dist, "mu", 0))
        values = list(mu + float(dist.sigma) * nodes)
        probs = list(weights / np.sqrt(2 * np.pi))
    elif dist.name == "uniform":  # U(-w, w): Gauss-Legendre, exact for degree <= 7
        nodes, weights = np.polynomial.legendre.leggauss(4)
        values, probs = list(float(dist.w) * nodes), list(weights / 2)
    elif dist.name == "laplace":  # density e^{-|x|/s}/(2s): Gauss-Laguerre on each half-line
        nodes, weights = np.polynomial.laguerre.laggauss(4)
        s = float(dist.scale)
        values, probs = list(s * nodes) + list(-s * nodes), list(weights / 2) * 2
    else:
        raise NotImplementedError(dist)
    points = np.array(list(itertools.product(values, repeat=d)))
    weights = np.array([np.prod(w) for w in itertools.product(probs, repeat=d)])
    return points, weights


def cubature_loss_and_gradient(dist, params: Parameters, T: int) -> tuple[float, Parameters]:
    d = params.d
    K = 6 * T + 1
    angles = 2 * np.pi * np.arange(K) / K
    theta = np.array(list(itertools.product(angles, repeat=d)))
    points, weights = _atoms(dist, d)
    assert abs(weights.sum() - 1) < 1e-14
    total, gKQ, gPV = 0.0, 0.0, 0.0
    for x, w in zip(points, weights):
        X = sequences_from(np.repeat(x[None, :], len(theta), axis=0), theta, T)
        value, grad = loss_and_gradient(params, X)
        total += w * value
        gKQ = gKQ + w * grad.WKQ
        gPV = gPV + w * grad.WPV
    return total, Parameters(gKQ, gPV)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


CASES = [
    ("skewed discrete, i.i.d.", Discrete(values=(-2, 1), probs=("1/3", "2/3")), 2, 5),
    ("correlated discrete vector", DiscreteVectorLaw(atoms=((1, 2), ("1/2", -1), (3, 0)), probs=("1/5", "3/10", "1/2")), 2, 4),
    ("ones", parse_distribution("ones"), 2, 6),
    ("gaussian (Gauss-Hermite)", parse_distribution("gaussian:sigma=0.7"), 2, 5),
    ("shifted gaussian (Gauss-Hermite)", parse_distribution("shifted-gaussian:mu=0.5,sigma=1"), 2, 4),
    ("sparse", parse_distribution("sparse:c=1.5"), 3, 4),
    ("uniform (Gauss-Legendre)", parse_distribution("uniform:w=2"), 2, 4),
    ("laplace (Gauss-Laguerre)", parse_distribution("laplace:scale=0.5"), 2, 4),
    ("d = 1", Discrete(values=(-1, 0, 2), probs=("1/4", "1/4", "1/2")), 1, 7),
    (
        "mixture of ones and a discrete law",
        Mixture(components=(parse_distribution("ones"), Discrete(values=(-1, 3), probs=("3/4", "1/4"))), weights=("1/3", "2/3")),
        2,
        4,
    ),
]


@pytest.mark.parametrize("name,dist,d,T", CASES, ids=[c[0] for c in CASES])
def test_engine_equals_exact_cubature_at_random_full_parameters(name, dist, d, T) -> None:
    rng = np.random.default_rng(20240 + 10 * d + T)
    params = Parameters.random(d, rng, scale=0.6)
    exact_value, exact_grad = cubature_loss_and_gradient(dist, params, T)
    value, grad = PopulationObjective(dist, d, T).loss_and_gradient(params)
    assert value == pytest.approx(exact_value, rel=1e-12)
    assert _relative(grad.WKQ, exact_grad.WKQ) < 1e-12
    assert _relative(grad.WPV, exact_grad.WPV) < 1e-12


def test_cubature_grid_is_fine_enough_and_a_coarse_grid_is_not() -> None:
    """Guard on the cubature itself: with K = 6T + 1 the result does not change when K grows
    (1e-13 rel), while K = 3 (aliasing exponents +-3, ...) gives a visibly different value."""
    dist, d, T = Discrete(values=(-2, 1), probs=("1/3", "2/3")), 1, 5
    params = Parameters.random(d, np.random.default_rng(5), scale=0.6)

    def at(K: int) -> float:
        theta = (2 * np.pi * np.arange(K) / K)[:, None]
        points, weights = _atoms(dist, d)
        return sum(w * loss_and_gradient(params, sequences_from(np.repeat(x[None], K, 0), theta, T))[0] for x, w in zip(points, weights))

    assert at(6 * T + 1) == pytest.approx(at(12 * T + 5), rel=1e-13)
    assert abs(at(3) - at(6 * T + 1)) > 1e-6 * abs(at(6 * T + 1))

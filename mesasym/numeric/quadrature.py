r"""Exact cubature rules for the paper's data model: population expectations as finite sums.

The data (THEORY §1) are :math:`x_t = W^{t-1} x_1`, :math:`W = \operatorname{diag}(\lambda_j)`,
with :math:`x_1` drawn from a law of :mod:`mesasym.laws` and the :math:`\lambda_j` i.i.d.
from a transition law (uniform on the circle by default), independent of :math:`x_1`.
A *rule* is a finite set of sequences :math:`X^{(k)} = (x_1, \dots, x_T)` with real weights
:math:`w_k` such that

.. math::

    E\,[\,p(X)\,] = \sum_k w_k\, p(X^{(k)})

holds **exactly** (up to floating-point rounding of the nodes and weights) for every
function :math:`p` in a stated class. The class needed here is:

**Degree bound (proof).** Write a token entry :math:`x_{i,j} = \lambda_j^{\,i-1} x_{1j}`
(``i >= 1``) and its conjugate :math:`\lambda_j^{-(i-1)} x_{1j}` (:math:`|\lambda_j| = 1`,
:math:`x_1` real). One layer of linear attention maps tokens :math:`e_i` to
:math:`e_t + W^{PV} \sum_{i \le t} e_i\,(e_i^* W^{KQ} e_t)/\rho_t`: every output entry is a
sum of monomials with one or three token factors, exactly one of them conjugated when
three. By induction, after ``L`` layers every entry of the token at position ``t`` is a sum
of monomials in the entries of :math:`x_1, \dots, x_t` and their conjugates with
:math:`p` plain and :math:`q = p - 1` conjugated factors, :math:`p + q \le 3^L`. Hence, for
the prediction :math:`\hat y_t` (``t <= T-1``) and the residual against
:math:`x_{t+1}`, the loss :math:`\tfrac12\lVert \hat y_t - x_{t+1}\rVert^2` is

* a polynomial in :math:`x_1` of degree at most :math:`2 \cdot 3^L` in each coordinate
  (each factor carries one :math:`x_{1j}`);
* for fixed :math:`x_1`, a trigonometric polynomial in each phase :math:`\theta_j` of
  degree at most :math:`D = 3^L (T - 2)`: in :math:`\hat y_t \overline{\hat y_t}` the net
  exponent of :math:`\lambda_j` lies in :math:`[-(p+q)(t-1), (p+q)(t-1)]`; in the cross term
  :math:`\hat y_t\,\overline{x_{t+1}}` it lies in :math:`[-q(t-1) - t, p(t-1) - t]` and
  :math:`q(t-1) + t \le 3^L (t-1)` for :math:`t \ge 2`; and :math:`t \le T-1`.

The gradient of the loss with respect to the parameters is a sum of such monomials too
(differentiation lowers no phase degree above ``D``), so the same rules give the exact
population gradient.

**Phase rules.** Uniform phases: the ``N``-th roots of unity with equal weights integrate
:math:`\lambda^m` exactly (:math:`\frac1N\sum_k \omega^{km} = [N \mid m]`, which equals
:math:`E\lambda^m = [m = 0]` for :math:`|m| \le D < N`), so ``N = D + 1`` nodes per
coordinate suffice. ``roots:k``: the law itself has ``k`` atoms (enumeration). Any other
unit-modulus law with moments :math:`\mu_m = E\lambda^m`: the ``N = 2D + 1`` roots of unity
with weights :math:`w_k = \frac1N \sum_{|m| \le D} \mu_m \omega^{-km}` (real, possibly
negative) satisfy :math:`\sum_k w_k \omega^{km} = \sum_{m'} \mu_{m'} [N \mid m - m'] = \mu_m`
because :math:`|m - m'| \le 2D < N`. Laws with :math:`|\lambda| \ne 1` (``damped``) are refused.

**Rules for** :math:`x_1` (exact for every polynomial of degree :math:`\le 2n - 1` in each
coordinate, so ``n = 3^L + 1`` points suffice):

* laws with finite support (``discrete``, ``rademacher``, ``sparse``, ``ones``,
  ``discrete-vector``): enumeration of the atoms, exact for every function;
* Gaussian coordinates: Gauss–Hermite (``numpy.polynomial.hermite_e``) scaled by ``sigma``;
  uniform coordinates: Gauss–Legendre scaled by ``w``;
* any other law with i.i.d. coordinates: the ``n``-point Gauss rule of its exact moments
  :math:`E x^k`, ``k <= 2n`` (Golub–Welsch from the Cholesky factor of the Hankel matrix,
  in mpmath at 60 digits, then rounded to float64), refused when a needed moment is
  infinite (Student t with few degrees of freedom);
* mixtures: the union of the components' rules with weights multiplied by the mixture weights.

The product of the coordinate rules and the phase rules is exact because :math:`x_1` and the
phases are independent and the coordinates (phases, and the i.i.d. coordinates of
:math:`x_1`) are independent: a tensor product of rules exact in each variable is exact for
every polynomial whose degree in each variable is within bounds.

**Cost.** ``n_x^d * N^d`` sequences, ``n_x = 3^L + 1`` (or the support size) and
``N = 3^L (T - 2) + 1`` (uniform phases); :data:`MAX_NODES` bounds it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from mesasym.errors import InvalidInputError, require
from mesasym.laws import (
    Discrete,
    DiscreteVectorLaw,
    Gaussian,
    IIDCoordinateLaw,
    Mixture,
    Ones,
    Rademacher,
    Sparse,
    Uniform,
)
from mesasym.laws.processes import RootsOfUnity, TransitionLaw, is_uniform_process

__all__ = [
    "Rule",
    "SequenceRule",
    "MAX_NODES",
    "phase_degree",
    "token_degree",
    "coordinate_gauss_rule",
    "gauss_rule_from_moments",
    "initial_token_rule",
    "phase_rule",
    "sequence_rule",
]

#: Largest number of sequences a rule may have (about a minute of work on 2 cores for
#: the deep linear model, see docs/deep-theory.md); larger settings are refused up front.
MAX_NODES = 2_000_000

_DIGITS = 60


@dataclass(frozen=True)
class Rule:
    """Nodes (``(n, d)``) and real weights (``(n,)``) of a cubature rule."""

    nodes: np.ndarray
    weights: np.ndarray

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])


def token_degree(layers: int) -> int:
    """Degree ``3^L`` of the L-layer prediction in the tokens (module docstring)."""
    return 3 ** int(layers)


def phase_degree(layers: int, T: int) -> int:
    """Trigonometric degree ``D = 3^L (T - 2)`` of the loss in each phase."""
    return token_degree(layers) * (int(T) - 2)


# ---------------------------------------------------------------------------
# Rules for one coordinate of x_1
# ---------------------------------------------------------------------------


def gauss_rule_from_moments(moments: list[sympy.Expr], n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``n``-point Gauss rule of a measure with exact moments ``m_0..m_{2n}`` (Golub–Welsch)."""
    with mpmath.workdps(_DIGITS):
        mu = [mpmath.mpf(sympy.N(m, _DIGITS + 10)) for m in moments]
        H = mpmath.matrix(n + 1, n + 1)
        for i in range(n + 1):
            for j in range(n + 1):
                H[i, j] = mu[i + j]
        try:
            R = mpmath.cholesky(H).T  # upper triangular, H = R^T R
        except ZeroDivisionError as exc:  # pragma: no cover - guarded by the support check
            raise InvalidInputError(f"{what}: its moments define no {n}-point Gauss rule") from exc
        alpha = [R[k, k + 1] / R[k, k] - (R[k - 1, k] / R[k - 1, k - 1] if k else 0) for k in range(n)]
        beta = [R[k + 1, k + 1] / R[k, k] for k in range(n - 1)]
        J = mpmath.matrix(n, n)
        for k in range(n):
            J[k, k] = alpha[k]
            if k < n - 1:
                J[k, k + 1] = J[k + 1, k] = beta[k]
        values, vectors = mpmath.eigsy(J)
        nodes = np.array([float(values[k]) for k in range(n)])
        weights = np.array([float(mu[0] * vectors[0, k] ** 2) for k in range(n)])
    order = np.argsort(nodes)
    return nodes[order], weights[order]


@functools.lru_cache(maxsize=64)
def coordinate_gauss_rule(law: IIDCoordinateLaw, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A rule for one coordinate of ``law``, exact for polynomials of degree ``<= 2n - 1``.

    Finite support: the atoms (exact for every function). Gaussian: Gauss–Hermite;
    uniform: Gauss–Legendre; otherwise the Gauss rule of the exact moments.
    """
    if isinstance(law, Discrete):
        return np.array([float(v) for v in law.values]), np.array([float(p) for p in law.probs])
    if isinstance(law, Rademacher):
        s = float(law.s)
        return np.array([-s, s]), np.array([0.5, 0.5])
    if isinstance(law, Gaussian):
        nodes, weights = np.polynomial.hermite_e.hermegauss(n)
        return float(law.sigma) * nodes, weights / np.sqrt(2 * np.pi)
    if isinstance(law, Uniform):
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return float(law.w) * nodes, weights / 2
    try:
        moments = [law.coordinate_moment(k) for k in range(2 * n + 1)]
    except InvalidInputError as exc:
        raise InvalidInputError(f"{law.spec()} has no exact rule of {n} points (needs moments up to order {2 * n}): {exc}") from exc
    for k, m in enumerate(moments):
        if not m.is_finite:
            raise InvalidInputError(
                f"{law.spec()} has no exact rule of {n} points: its moment E x^{k} = {m} is not finite "
                f"(needs finite moments up to order {2 * n})"
            )
    return gauss_rule_from_moments(moments, n, law.spec())


def _tensor(nodes: np.ndarray, weights: np.ndarray, d: int) -> Rule:
    grids = np.meshgrid(*([nodes] * d), indexing="ij")
    wgrids = np.meshgrid(*([weights] * d), indexing="ij")
    points = np.stack([g.reshape(-1) for g in grids], axis=1)
    return Rule(points, np.prod(np.stack([w.reshape(-1) for w in wgrids], axis=1), axis=1))


def initial_token_rule(dist, d: int, n: int) -> Rule:
    """A rule for :math:`x_1 \\in R^d` exact for polynomials of degree ``<= 2n - 1`` per coordinate."""
    dist.validate_dimension(int(d))
    if isinstance(dist, IIDCoordinateLaw):
        nodes, weights = coordinate_gauss_rule(dist, int(n))
        return _tensor(nodes, weights, d)
    if isinstance(dist, Sparse):
        c = float(dist.c)
        eye = np.eye(d)
        return Rule(np.concatenate([c * eye, -c * eye]), np.full(2 * d, 0.5 / d))
    if isinstance(dist, Ones):
        return Rule(np.ones((1, d)), np.ones(1))
    if isinstance(dist, DiscreteVectorLaw):
        atoms = np.array([[float(v) for v in atom] for atom in dist.atoms])
        return Rule(atoms, np.array([float(p) for p in dist.probs]))
    if isinstance(dist, Mixture):
        parts = [initial_token_rule(c, d, n) for c in dist.components]
        return Rule(
            np.concatenate([p.nodes for p in parts]),
            np.concatenate([float(w) * p.weights for w, p in zip(dist.weights, parts)]),
        )
    raise InvalidInputError(f"--dist {dist.spec()} has no exact cubature rule (supported: i.i.d. coordinates, "
                            "sparse, ones, discrete-vector and mixtures of these)")


# ---------------------------------------------------------------------------
# Rules for the phases
# ---------------------------------------------------------------------------


def phase_rule(process: TransitionLaw | None, d: int, degree: int) -> Rule:
    """A rule for :math:`(\\lambda_1..\\lambda_d)` exact for trigonometric degree ``<= degree`` per phase."""
    degree = int(degree)
    if process is None or is_uniform_process(process):
        N = degree + 1
        roots = np.exp(2j * np.pi * np.arange(N) / N)
        return _tensor(roots, np.full(N, 1.0 / N), d)
    if isinstance(process, RootsOfUnity):
        k = process.k
        return _tensor(np.exp(2j * np.pi * np.arange(k) / k), np.full(k, 1.0 / k), d)
    if not process.unit_modulus:
        raise InvalidInputError(
            f"--process {process.spec()} has no exact cubature rule (|lambda| != 1); "
            "valid: unit-modulus laws (uniform, roots:k, von-mises, their mixtures)"
        )
    N = 2 * degree + 1
    with mpmath.workdps(30):
        mu = {m: process.moment_mpf(m, 0) if m >= 0 else process.moment_mpf(0, -m) for m in range(-degree, degree + 1)}
        weights = [
            float(sum(mu[m] * mpmath.expjpi(-2 * mpmath.mpf(k * m) / N) for m in mu).real / N) for k in range(N)
        ]
    return _tensor(np.exp(2j * np.pi * np.arange(N) / N), np.array(weights), d)


# ---------------------------------------------------------------------------
# Sequences
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceRule:
    """Product of an :math:`x_1` rule and a phase rule: sequences ``x_1..x_T`` with weights.

    Exact for the loss and gradient of linear attention with up to ``layers`` layers
    (module docstring). :meth:`chunks` yields ``(X, w)`` with ``X`` of shape ``(m, T, d)``.
    """

    tokens: Rule
    phases: Rule
    T: int
    layers: int

    @property
    def size(self) -> int:
        return self.tokens.size * self.phases.size

    def chunks(self, size: int = 65_536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        powers = np.arange(self.T)
        per = max(1, size // self.tokens.size)
        for start in range(0, self.phases.size, per):
            lam = self.phases.nodes[start : start + per]  # (p, d)
            wl = self.phases.weights[start : start + per]
            walk = lam[:, None, :] ** powers[None, :, None]  # (p, T, d)
            X = walk[:, None] * self.tokens.nodes[None, :, None, :]  # (p, n_x, T, d)
            w = wl[:, None] * self.tokens.weights[None, :]
            yield X.reshape(-1, self.T, X.shape[-1]), w.reshape(-1)

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every sequence and weight at once (small rules only)."""
        parts = list(self.chunks(self.size))
        return parts[0]


def sequence_rule(dist, d: int, T: int, layers: int, process=None, extra: int = 0) -> SequenceRule:
    """The exact rule for ``layers`` layers of linear attention at ``(d, T)``.

    ``extra`` raises both orders (``extra`` more points per coordinate and phase) beyond
    the minimum; the result must not change beyond rounding (tested).
    Settings above :data:`MAX_NODES` sequences are refused before any work.
    """
    for name, value, low in (("d", d, 1), ("T", T, 3), ("layers", layers, 1), ("extra", extra, 0)):
        require(
            isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low,
            f"{name}={value!r} must be an integer >= {low}",
        )
    n = token_degree(layers) + 1 + extra
    degree = phase_degree(layers, T) + extra
    n_x = _token_rule_size(dist, d, n)
    n_phase = _phase_rule_size(process, degree)
    total = n_x * n_phase**d
    if total > MAX_NODES:
        raise InvalidInputError(
            f"layers={layers}, d={d}, T={T} needs {total:,} quadrature sequences "
            f"(> {MAX_NODES:,}, the exact engine's limit); use smaller d, T or layers"
        )
    return SequenceRule(initial_token_rule(dist, d, n), phase_rule(process, d, degree), int(T), int(layers))


def _token_rule_size(dist, d: int, n: int) -> int:
    if isinstance(dist, (Discrete, Rademacher)):
        return (len(dist.values) if isinstance(dist, Discrete) else 2) ** d
    if isinstance(dist, IIDCoordinateLaw):
        return n**d
    return initial_token_rule(dist, d, n).size  # vector laws are small


def _phase_rule_size(process, degree: int) -> int:
    if process is None or is_uniform_process(process):
        return degree + 1
    if isinstance(process, RootsOfUnity):
        return process.k
    return 2 * degree + 1

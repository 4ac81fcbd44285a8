r"""AR tasks on the paper's embedding: :math:`x_{t+1} = W x_t` and its variants.

Every AR task draws ``x_1`` from ``dist`` (default ``gaussian:sigma=1``, real), then the
transition, then runs the recursion for ``T`` tokens. The problem is the pairs
:math:`(u_p, v_p) = (x_p, x_{p+1})`, ``p = 1..T-1``; the oracle is the noiseless conditional
mean of :math:`x_{p+1}` given :math:`x_p`.

* ``ar`` -- the paper's (THEORY §1): :math:`W = \operatorname{diag}(\lambda_j)`, eigenvalues
  from ``process`` (uniform phases by default); drawn by
  :func:`mesasym.tasks.sequences.sample_sequences`, the one sampler of the paper's data.
* ``unitary`` -- :math:`W` Haar-random on the unitary group ``U(d)`` (full, not diagonal).
* ``orthogonal`` -- :math:`W` Haar-random on ``O(d)``; real data.
* ``rotation`` -- real block-diagonal rotations (``d`` even): the coordinate pairs
  :math:`(x_{2k-1}, x_{2k})` turn by the angle of :math:`\lambda_k` from ``process`` (and
  shrink by its modulus), i.e. the realification of the complex ``ar`` task in ``d/2``
  dimensions; real data.
* ``noisy:sigma=S`` -- :math:`x_{t+1} = W x_t + S\,\varepsilon_t`, ``W`` as in ``ar``,
  :math:`\varepsilon_t` i.i.d. standard complex Gaussian (:math:`E|\varepsilon_{t,j}|^2 = 1`,
  real and imaginary parts :math:`N(0, 1/2)`); oracle :math:`W x_p`.
* ``nonlinear:beta=B`` -- :math:`x_{t+1} = W\,\sigma_\beta(x_t)`, ``W`` as in ``ar``, with
  :math:`\sigma_\beta(z) = \tanh(\beta|z|)\,z/(\beta|z|)` coordinate-wise (:math:`\sigma_\beta(0)=0`):
  ``tanh`` acts on the modulus and keeps the phase, which for real ``z`` is exactly
  :math:`\tanh(\beta z)/\beta` and avoids the poles of the complex ``tanh``;
  :math:`\beta = 0` is the identity (the ``ar`` task). Oracle :math:`W\sigma_\beta(x_p)`.

Draw order (a seed fixes everything): ``x_1``, then the transition, then the noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mesasym.errors import require
from mesasym.tasks.base import Task
from mesasym.tasks.batch import Batch
from mesasym.tasks.sequences import sample_sequences, sequences_from

if TYPE_CHECKING:
    from mesasym.laws import InitialTokenDistribution, TransitionLaw

__all__ = ["AR", "Unitary", "Orthogonal", "Rotation", "DiagonalRecursion", "Noisy", "Nonlinear", "ar_batch", "squash", "haar_unitary"]


def ar_batch(X: np.ndarray, oracle: np.ndarray | None = None) -> Batch:
    """The :class:`~mesasym.tasks.batch.Batch` of sequences ``X`` (``(n, T, d)``): ``u_p = x_p``, ``v_p = x_{p+1}``.

    ``oracle`` (``(n, T-2, d)``, the conditional means of ``x_3..x_T``) defaults to the
    targets themselves (a noiseless recursion).
    """
    return Batch(
        inputs=X[:, :-1], outputs=X[:, 1:], oracle=X[:, 2:] if oracle is None else oracle, sequences=X
    )


def _law(dist: InitialTokenDistribution | None, d: int) -> InitialTokenDistribution:
    from mesasym.laws import parse_distribution

    law = parse_distribution("gaussian:sigma=1") if dist is None else dist
    law.validate_dimension(d)
    return law


def _process(process: TransitionLaw | None) -> TransitionLaw | None:
    from mesasym.laws import is_uniform_process

    return None if process is None or is_uniform_process(process) else process


def _no_process(task: Task, process: TransitionLaw | None) -> None:
    require(
        _process(process) is None,
        f"task {task.spec()!r} draws its own W; --process applies to ar, noisy, nonlinear and rotation only",
    )


def _eigenvalues(rng: np.random.Generator, n: int, d: int, process: TransitionLaw | None) -> np.ndarray:
    """``(n, d)`` eigenvalues of ``W``: uniform phases (the paper's draw) or from ``process``."""
    from mesasym.laws import UniformPhases

    theta, modulus = (UniformPhases() if process is None else process).sample(rng, n, d)
    return np.exp(1j * theta) * (1.0 if modulus is None else modulus)


def haar_unitary(rng: np.random.Generator, n: int, d: int, real: bool = False) -> np.ndarray:
    """``n`` Haar-random ``d x d`` unitary (or, ``real``, orthogonal) matrices, shape ``(n, d, d)``.

    QR of a Gaussian matrix with the phases of ``R``'s diagonal moved into ``Q`` (Mezzadri 2007).
    """
    if real:
        Z = rng.standard_normal((n, d, d))
    else:
        Z = (rng.standard_normal((n, d, d)) + 1j * rng.standard_normal((n, d, d))) / np.sqrt(2)
    Q, R = np.linalg.qr(Z)
    diagonal = np.diagonal(R, axis1=1, axis2=2)
    return Q * (diagonal / np.abs(diagonal))[:, None, :]


def squash(z: np.ndarray, beta: float) -> np.ndarray:
    r""":math:`\sigma_\beta(z) = \tanh(\beta|z|)\,z/(\beta|z|)` coordinate-wise (identity at ``beta = 0``)."""
    if beta == 0:
        return z
    r = np.abs(z)
    safe = np.where(r > 0, r, 1.0)
    return np.where(r > 0, np.tanh(beta * safe) / (beta * safe), 1.0) * z


def _recursion(x1: np.ndarray, T: int, step, noise: np.ndarray | None, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``x_{t+1} = step(x_t) (+ noise_t)``; returns the sequences and the noiseless means of ``x_3..x_T``."""
    n, d = x1.shape
    X = np.empty((n, T, d), dtype=np.complex128 if dtype.kind == "c" else np.float64)
    X[:, 0] = x1
    means = np.empty_like(X[:, 1:])
    for t in range(T - 1):
        means[:, t] = step(X[:, t])
        X[:, t + 1] = means[:, t] + (0 if noise is None else noise[:, t])
    return X.astype(dtype, copy=False), means[:, 1:].astype(dtype, copy=False)


@dataclass(frozen=True)
class AR(Task):
    """The paper's task (module docstring)."""

    name: ClassVar[str] = "ar"
    layout: ClassVar[str] = "ar"
    is_complex: ClassVar[bool] = True

    def sample(self, rng, n, *, d, length, dist=None, process=None, dtype=None) -> Batch:
        self.check(rng, n, d, length)
        sample = sample_sequences(_law(dist, d), n, length, d, rng, self.data_dtype(dtype).type, process=_process(process))
        return ar_batch(sample.X)


@dataclass(frozen=True)
class Unitary(Task):
    """Haar-random unitary ``W`` (module docstring)."""

    name: ClassVar[str] = "unitary"
    layout: ClassVar[str] = "ar"
    is_complex: ClassVar[bool] = True

    def sample(self, rng, n, *, d, length, dist=None, process=None, dtype=None) -> Batch:
        self.check(rng, n, d, length)
        _no_process(self, process)
        x1 = _law(dist, d).sample(rng, n, d)
        W = haar_unitary(rng, n, d, real=not self.is_complex)
        X, _ = _recursion(x1, length, lambda x: np.einsum("nab,nb->na", W, x), None, self.data_dtype(dtype))
        return ar_batch(X)


@dataclass(frozen=True)
class Orthogonal(Unitary):
    """Haar-random orthogonal ``W``; real data (module docstring)."""

    name: ClassVar[str] = "orthogonal"
    is_complex: ClassVar[bool] = False


@dataclass(frozen=True)
class Rotation(Task):
    """Real block-diagonal 2x2 rotations, the realified ``ar`` task (module docstring)."""

    name: ClassVar[str] = "rotation"
    layout: ClassVar[str] = "ar"
    is_complex: ClassVar[bool] = False

    def sample(self, rng, n, *, d, length, dist=None, process=None, dtype=None) -> Batch:
        self.check(rng, n, d, length)
        require(d % 2 == 0, f"d={d} must be even for task 'rotation' (2x2 rotation blocks)")
        x1 = _law(dist, d).sample(rng, n, d)
        process = _process(process)
        if process is None:
            from mesasym.laws import UniformPhases

            process = UniformPhases()
        theta, modulus = process.sample(rng, n, d // 2)
        Z = sequences_from(x1[:, 0::2] + 1j * x1[:, 1::2], theta, length, np.complex128, modulus)
        X = np.empty((n, length, d), dtype=self.data_dtype(dtype))
        X[:, :, 0::2], X[:, :, 1::2] = Z.real, Z.imag
        return ar_batch(X)


@dataclass(frozen=True)
class DiagonalRecursion(Task):
    """``x_{t+1} = W m(x_t) + noise_t`` with ``W`` as in ``ar``: the shared sampler of ``noisy`` and ``nonlinear``."""

    layout: ClassVar[str] = "ar"
    is_complex: ClassVar[bool] = True

    def _map(self, x: np.ndarray) -> np.ndarray:
        return x

    def _noise(self, rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray | None:
        return None

    def sample(self, rng, n, *, d, length, dist=None, process=None, dtype=None) -> Batch:
        self.check(rng, n, d, length)
        x1 = _law(dist, d).sample(rng, n, d)
        lam = _eigenvalues(rng, n, d, _process(process))
        noise = self._noise(rng, (n, length - 1, d))
        X, means = _recursion(x1, length, lambda x: lam * self._map(x), noise, self.data_dtype(dtype))
        return ar_batch(X, means)


@dataclass(frozen=True)
class Noisy(DiagonalRecursion):
    """``x_{t+1} = W x_t + sigma eps_t`` (module docstring)."""

    sigma: float = 0.1
    name: ClassVar[str] = "noisy"

    def _noise(self, rng, shape):
        return self.sigma * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


@dataclass(frozen=True)
class Nonlinear(DiagonalRecursion):
    """``x_{t+1} = W sigma_beta(x_t)`` (module docstring)."""

    beta: float = 1.0
    name: ClassVar[str] = "nonlinear"

    def _map(self, x):
        return squash(x, self.beta)

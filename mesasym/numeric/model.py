"""The full one-layer linear causal self-attention model of THEORY §2-3, in NumPy.

Model. With the embedding :math:`e_t = (0_d; x_t; x_{t-1}) \\in \\mathbb{C}^{3d}`
(:math:`x_0 = 0`) and :math:`E_t = [e_1, \\dots, e_t]`,

.. math::

    f_t(E_t;\\theta) = e_t + W^{PV} E_t \\frac{E_t^* W^{KQ} e_t}{t-1},
    \\qquad \\hat y_t = [f_t]_{1:d}.

Because block 1 of every :math:`e_i` is zero, only
:math:`P = W^{PV}_{1,(2,3)}` (``d x 2d``) and :math:`Q = W^{KQ}_{(2,3),(2,3)}`
(``2d x 2d``) reach the output:

.. math::

    \\hat y_t = \\frac{P S_t Q z_t}{t-1},\\qquad z_t = (x_t; x_{t-1}),\\qquad
    S_t = \\sum_{i \\le t} z_i z_i^*,

and :math:`S_t` is a prefix sum, so all predictions of a sequence cost
:math:`O(T d^2)`.

Loss (empirical, over ``n`` sequences) and gradient. With
:math:`r_t = \\hat y_t - x_{t+1}`,

.. math::

    L = \\frac1n \\sum_{\\text{seq}} \\sum_{t=2}^{T-1} \\tfrac12 \\lVert r_t\\rVert^2,\\qquad
    \\nabla_P L = \\frac1n \\sum \\sum_t \\frac{r_t (S_t Q z_t)^*}{t-1},\\qquad
    \\nabla_Q L = \\frac1n \\sum \\sum_t \\frac{S_t P^* r_t\\, z_t^*}{t-1}.

Gradient convention (THEORY §3): for a complex entry :math:`z`,
:math:`\\nabla = \\partial L/\\partial \\operatorname{Re} z + i\\,\\partial L/\\partial
\\operatorname{Im} z = 2\\,\\partial L/\\partial \\bar z`. PyTorch's ``.grad`` of a real
loss is the same quantity (``|z|^2 -> 2z``), so the authors' learning rates carry
over unchanged. All other entries of the two ``3d x 3d`` matrices have zero
gradient for every input; the gradient returned is nevertheless the full
``3d x 3d`` pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesasym.errors import require
from mesasym.tasks.batch import Batch

__all__ = [
    "Parameters",
    "PrefixGram",
    "prefix_grams",
    "predict",
    "ParametersPredictor",
    "predict_reference",
    "loss",
    "loss_and_gradient",
    "loss_and_gradient_reference",
    "one_step_gd_predict",
]

_THREADPOOLS = None


def single_threaded_blas():
    """Context manager limiting BLAS to one thread.

    The products here are skinny (``(n T) x 2d`` by ``2d x 2d``) or batched
    ``2d x 2d`` matrix-vector products; BLAS threads only add synchronisation,
    which on a busy 2-core machine made an evaluation 3-10 times slower
    (measured in ``benchmarks/bench_foundation.py``).
    """
    global _THREADPOOLS
    if _THREADPOOLS is None:
        from threadpoolctl import ThreadpoolController

        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1, user_api="blas")


# Upper bound on the number of complex entries of the prefix sums S_t held at
# once; the sample axis is processed in chunks below it (about 64 MiB).
_CHUNK_ENTRIES = 1 << 22


@dataclass(frozen=True, eq=False)
class Parameters:
    """The two ``3d x 3d`` complex matrices :math:`\\theta = (W^{KQ}, W^{PV})`.

    Blocks are ``d x d``; block 0 is the output slot, block 1 holds ``x_t`` and
    block 2 holds ``x_{t-1}``. The paper's red blocks are
    :math:`W^{KQ}_{32}` = ``WKQ[2d:3d, d:2d]`` and :math:`W^{PV}_{12}` =
    ``WPV[0:d, d:2d]``.
    """

    WKQ: np.ndarray
    WPV: np.ndarray

    def __post_init__(self) -> None:
        for name in ("WKQ", "WPV"):
            value = getattr(self, name)
            require(
                isinstance(value, np.ndarray)
                and value.ndim == 2
                and value.shape[0] == value.shape[1]
                and value.shape[0] % 3 == 0
                and value.shape[0] > 0,
                f"{name} must be a square (3d, 3d) array, got shape {np.shape(value)}",
            )
            require(np.iscomplexobj(value), f"{name} must be complex, got dtype {value.dtype}")
        require(
            self.WKQ.shape == self.WPV.shape,
            f"WKQ and WPV must have the same shape, got {self.WKQ.shape} and {self.WPV.shape}",
        )

    # --- construction -------------------------------------------------
    @classmethod
    def zeros(cls, d: int, dtype: type = np.complex128) -> Parameters:
        """All-zero parameters for dimension ``d``."""
        require(isinstance(d, (int, np.integer)) and d >= 1, f"d={d!r} must be an integer >= 1")
        return cls(np.zeros((3 * d, 3 * d), dtype), np.zeros((3 * d, 3 * d), dtype))

    @classmethod
    def assumption1(cls, d: int, a0: float, b0: float, dtype: type = np.complex128) -> Parameters:
        """Assumption 1: :math:`W^{KQ}_{32} = a_0 I`, :math:`W^{PV}_{12} = b_0 I`, all else 0."""
        for name, value in (("a0", a0), ("b0", b0)):
            require(np.isfinite(value), f"{name}={value!r} must be a finite number")
        params = cls.zeros(d, dtype)
        eye = np.eye(d)
        params.WKQ[2 * d :, d : 2 * d] = a0 * eye
        params.WPV[:d, d : 2 * d] = b0 * eye
        return params

    @classmethod
    def from_blocks(cls, P: np.ndarray, Q: np.ndarray) -> Parameters:
        """Parameters whose only nonzero entries are ``P`` and ``Q`` (see module doc)."""
        d = P.shape[0]
        require(P.shape == (d, 2 * d), f"P must have shape (d, 2d), got {P.shape}")
        require(Q.shape == (2 * d, 2 * d), f"Q must have shape (2d, 2d) = {(2 * d, 2 * d)}, got {Q.shape}")
        dtype = np.result_type(P, Q, np.complex64)
        params = cls.zeros(d, dtype)
        params.WPV[:d, d:] = P
        params.WKQ[d:, d:] = Q
        return params

    @classmethod
    def random(cls, d: int, rng: np.random.Generator, scale: float = 1.0) -> Parameters:
        """Every entry i.i.d. complex Gaussian with ``E|w|^2 = scale^2``."""
        shape = (2, 3 * d, 3 * d)
        draw = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * (scale / np.sqrt(2))
        return cls(draw[0], draw[1])

    # --- views and summaries -----------------------------------------
    @property
    def d(self) -> int:
        """Token dimension ``d``."""
        return self.WKQ.shape[0] // 3

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(self.WKQ, self.WPV)

    @property
    def P(self) -> np.ndarray:
        """:math:`W^{PV}_{1,(2,3)}`, the ``d x 2d`` block that reaches the output."""
        return self.WPV[: self.d, self.d :]

    @property
    def Q(self) -> np.ndarray:
        """:math:`W^{KQ}_{(2,3),(2,3)}`, the ``2d x 2d`` block that reaches the output."""
        return self.WKQ[self.d :, self.d :]

    @property
    def kq32(self) -> np.ndarray:
        """The red block :math:`W^{KQ}_{32}`."""
        d = self.d
        return self.WKQ[2 * d :, d : 2 * d]

    @property
    def pv12(self) -> np.ndarray:
        """The red block :math:`W^{PV}_{12}`."""
        d = self.d
        return self.WPV[:d, d : 2 * d]

    @property
    def a(self) -> float:
        """Mean of the real parts of the diagonal of :math:`W^{KQ}_{32}`."""
        return float(np.mean(np.diagonal(self.kq32).real))

    @property
    def b(self) -> float:
        """Mean of the real parts of the diagonal of :math:`W^{PV}_{12}`."""
        return float(np.mean(np.diagonal(self.pv12).real))

    @property
    def ab(self) -> float:
        """Mean over ``j`` of ``Re(a_j) Re(b_j)`` on the red diagonals (the authors' metric)."""
        return float(np.mean(np.diagonal(self.kq32).real * np.diagonal(self.pv12).real))

    def off_manifold_norm(self) -> float:
        """Frobenius norm of everything that is not ``a I`` in block 32 or ``b I`` in block 12.

        ``a`` and ``b`` are the (complex) means of the two red diagonals, so the
        result is zero exactly on the Assumption-1 manifold.
        """
        d = self.d
        kq, pv = self.WKQ.copy(), self.WPV.copy()
        eye = np.eye(d)
        kq[2 * d :, d : 2 * d] -= np.mean(np.diagonal(self.kq32)) * eye
        pv[:d, d : 2 * d] -= np.mean(np.diagonal(self.pv12)) * eye
        return float(np.sqrt(np.linalg.norm(kq) ** 2 + np.linalg.norm(pv) ** 2))

    def norm(self) -> float:
        """Frobenius norm of the pair."""
        return float(np.sqrt(np.linalg.norm(self.WKQ) ** 2 + np.linalg.norm(self.WPV) ** 2))

    # --- arithmetic used by the trainers -------------------------------
    def step(self, direction: Parameters, lr: float) -> Parameters:
        """``self - lr * direction`` (one gradient-descent step)."""
        return Parameters(self.WKQ - lr * direction.WKQ, self.WPV - lr * direction.WPV)

    def clip_red_off_diagonals(self) -> Parameters:
        """Zero the off-diagonal entries of the two red blocks (the authors' ``--clip``).

        Every other block is left as it is, as in the authors' script.
        """
        d = self.d
        kq, pv = self.WKQ.copy(), self.WPV.copy()
        off = ~np.eye(d, dtype=bool)
        kq[2 * d :, d : 2 * d][off] = 0
        pv[:d, d : 2 * d][off] = 0
        return Parameters(kq, pv)

    def to_real_vector(self) -> np.ndarray:
        """Real and imaginary parts of both matrices as one float vector (for ODE solvers)."""
        stacked = np.stack([self.WKQ, self.WPV])
        return np.concatenate([stacked.real.ravel(), stacked.imag.ravel()]).astype(np.float64)

    @classmethod
    def from_real_vector(cls, vector: np.ndarray, d: int) -> Parameters:
        """Inverse of :meth:`to_real_vector`."""
        half = 2 * (3 * d) ** 2
        require(vector.shape == (2 * half,), f"vector must have length {2 * half} for d={d}, got {vector.shape}")
        stacked = (vector[:half] + 1j * vector[half:]).reshape(2, 3 * d, 3 * d)
        return cls(stacked[0], stacked[1])


def _check_sequences(params: Parameters, X: np.ndarray) -> None:
    require(
        isinstance(X, np.ndarray) and X.ndim == 3,
        f"sequences must be an array of shape (n, T, d), got shape {np.shape(X)}",
    )
    n, T, d = X.shape
    require(d == params.d, f"sequences have d={d} but the parameters have d={params.d}")
    require(T >= 3, f"T={T} must be >= 3 (the loss has targets x_3, ..., x_T)")
    require(n >= 1, "need at least one sequence (n >= 1)")


def _context(X: np.ndarray) -> np.ndarray:
    """``z_t = (x_t; x_{t-1})`` for ``t = 1..T`` with ``x_0 = 0``: shape ``(n, T, 2d)``."""
    shifted = np.zeros_like(X)
    shifted[:, 1:] = X[:, :-1]
    return np.concatenate([X, shifted], axis=2)


def _chunks(n: int, T: int, d: int):
    size = max(1, _CHUNK_ENTRIES // (T * 4 * d * d))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


@dataclass(frozen=True)
class PrefixGram:
    """Data-only quantities for ``t = 2..T-1``, flattened over (sequence, t).

    ``Z[k] = z_t``, ``S[k] = S_t = sum_{i<=t} z_i z_i^*``, ``Y[k] = x_{t+1}``
    and ``rho[k] = t - 1`` at the flat index ``k = (sequence, t)``. They do not
    depend on the parameters, so a fixed training sample computes them once.
    """

    Z: np.ndarray  # (m, 2d)
    S: np.ndarray  # (m, 2d, 2d)
    Y: np.ndarray  # (m, d)
    rho: np.ndarray  # (m, 1)

    @classmethod
    def of(cls, X: np.ndarray, dtype: np.dtype | type | None = None) -> PrefixGram:
        """The prefix sums of a batch ``X`` of shape ``(n, T, d)``."""
        n, T, d = X.shape
        dtype = np.dtype(dtype or X.dtype)
        Z = _context(X.astype(dtype, copy=False))[:, : T - 1]
        S = np.cumsum(Z[:, :, :, None] * Z[:, :, None, :].conj(), axis=1)[:, 1:]
        rho = np.broadcast_to(np.arange(1, T - 1, dtype=np.finfo(dtype).dtype)[None, :], (n, T - 2))
        return cls(
            Z=np.ascontiguousarray(Z[:, 1:]).reshape(-1, 2 * d),
            S=S.reshape(-1, 2 * d, 2 * d),
            Y=X[:, 2:].astype(dtype, copy=False).reshape(-1, d),
            rho=rho.reshape(-1, 1),
        )

    def predict(self, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
        """``(v, yhat)`` with ``v = S_t Q z_t`` and ``yhat = P v / (t-1)``."""
        dtype = self.S.dtype
        v = np.matmul(self.S, (self.Z @ params.Q.T.astype(dtype, copy=False))[:, :, None])[:, :, 0]
        return v, (v @ params.P.T.astype(dtype, copy=False)) / self.rho

    def loss_and_gradient_sums(self, params: Parameters) -> tuple[float, np.ndarray, np.ndarray]:
        """Sums over (sequence, t) of the loss terms and of the gradients w.r.t. ``P`` and ``Q``."""
        v, yhat = self.predict(params)
        residual = yhat - self.Y
        total = 0.5 * float(np.sum(residual.real**2 + residual.imag**2))
        scaled = residual / self.rho
        grad_P = scaled.T @ v.conj()
        w = np.matmul(self.S, (scaled @ params.P.conj().astype(self.S.dtype, copy=False))[:, :, None])[:, :, 0]
        grad_Q = w.T @ self.Z.conj()
        return total, grad_P, grad_Q


def prefix_grams(X: np.ndarray, dtype: np.dtype | type | None = None) -> list[PrefixGram]:
    """The :class:`PrefixGram` chunks of ``X`` (memory about ``16 n T (2d)^2`` bytes at complex128)."""
    n, T, d = X.shape
    return [PrefixGram.of(X[chunk], dtype) for chunk in _chunks(n, T, d)]


def predict(params: Parameters, X: np.ndarray) -> np.ndarray:
    """Predictions :math:`\\hat y_t` for ``t = 2..T-1``, shape ``(n, T-2, d)``.

    Entry ``[:, k]`` predicts :math:`x_{k+3}` = ``X[:, k+2]``, so the targets are
    ``X[:, 2:]``.
    """
    _check_sequences(params, X)
    n, T, d = X.shape
    dtype = np.result_type(params.dtype, X.dtype)
    out = np.empty((n, T - 2, d), dtype)
    with single_threaded_blas():
        for chunk in _chunks(n, T, d):
            out[chunk] = PrefixGram.of(X[chunk], dtype).predict(params)[1].reshape(-1, T - 2, d)
    return out


@dataclass(frozen=True)
class ParametersPredictor:
    """The model ``params`` as a :class:`~mesasym.tasks.batch.Predictor` of AR batches: :func:`predict` on
    the batch's sequences (its ``(n, T-2, d)`` predictions are the batch's ``(n, P-1, d_out)``, ``P = T-1``)."""

    params: Parameters

    def predict(self, batch: Batch) -> np.ndarray:
        """Predictions of :attr:`Batch.targets` (``x_3..x_T``)."""
        require(batch.sequences is not None, "the one-layer NumPy model predicts AR batches (with sequences), not regression")
        return predict(self.params, batch.sequences)


def loss(params: Parameters, X: np.ndarray) -> float:
    """Empirical loss :math:`\\frac1n\\sum\\sum_{t=2}^{T-1} \\tfrac12\\lVert\\hat y_t - x_{t+1}\\rVert^2`."""
    residual = predict(params, X) - X[:, 2:]
    return 0.5 * float(np.sum(residual.real**2 + residual.imag**2)) / X.shape[0]


def loss_and_gradient(
    params: Parameters, X: np.ndarray, grams: Sequence[PrefixGram] | None = None
) -> tuple[float, Parameters]:
    """Empirical loss and its gradient w.r.t. every entry of both matrices.

    See the module docstring for the formulas and the gradient convention.
    ``grams`` may hold the precomputed :func:`prefix_grams` of ``X``;
    otherwise they are computed chunk by chunk.
    """
    _check_sequences(params, X)
    n, T, d = X.shape
    dtype = np.result_type(params.dtype, X.dtype)
    if grams is None:
        grams = (PrefixGram.of(X[chunk], dtype) for chunk in _chunks(n, T, d))
    total = 0.0
    grad_P = np.zeros((d, 2 * d), dtype)
    grad_Q = np.zeros((2 * d, 2 * d), dtype)
    with single_threaded_blas():
        for gram in grams:
            part, part_P, part_Q = gram.loss_and_gradient_sums(params)
            total += part
            grad_P += part_P
            grad_Q += part_Q
    gradient = Parameters.zeros(d, dtype)
    gradient.WPV[:d, d:] = grad_P / n
    gradient.WKQ[d:, d:] = grad_Q / n
    return total / n, gradient


# --- references: the definition taken literally, one t at a time -----------


def _embedding(X: np.ndarray) -> np.ndarray:
    """:math:`e_t = (0; x_t; x_{t-1})` for all ``t``: shape ``(n, T, 3d)``."""
    return np.concatenate([np.zeros_like(X), _context(X)], axis=2)


def predict_reference(params: Parameters, X: np.ndarray) -> np.ndarray:
    """:math:`\\hat y_t` straight from the definition, one ``t`` at a time (``O(T^2 d)``).

    Uses the full ``3d x 3d`` matrices and the full ``f_t`` including the
    residual ``e_t``; for tests and as the benchmark baseline.
    """
    _check_sequences(params, X)
    n, T, d = X.shape
    E = _embedding(X)
    out = []
    for t in range(2, T):  # paper time t; E_t = columns 1..t
        E_t = E[:, :t]  # (n, t, 3d)
        e_t = E[:, t - 1]  # (n, 3d)
        attention = np.einsum("nia,na->ni", E_t.conj(), e_t @ params.WKQ.T)  # E_t^* W^KQ e_t
        f_t = e_t + np.einsum("ni,nia->na", attention, E_t) @ params.WPV.T / (t - 1)
        out.append(f_t[:, :d])
    return np.stack(out, axis=1)


def loss_and_gradient_reference(params: Parameters, X: np.ndarray) -> tuple[float, Parameters]:
    """Loss and gradient from the definition, one ``t`` at a time, full matrices.

    For each ``t``, with :math:`A_t = E_t E_t^*` (built directly, not as a prefix
    sum), :math:`\\hat y_t = [W^{PV} A_t W^{KQ} e_t]_{1:d}/(t-1)`, and with
    :math:`R_t = (r_t; 0; 0)`,
    :math:`\\nabla_{W^{PV}} = \\sum R_t (A_t W^{KQ} e_t)^*/(t-1)`,
    :math:`\\nabla_{W^{KQ}} = \\sum A_t W^{PV*} R_t e_t^*/(t-1)` (averaged over
    sequences). This is the baseline of the benchmark and an independent check
    of :func:`loss_and_gradient`.
    """
    _check_sequences(params, X)
    n, T, d = X.shape
    E = _embedding(X)
    grad_KQ = np.zeros_like(params.WKQ, dtype=np.result_type(params.dtype, X.dtype))
    grad_PV = np.zeros_like(grad_KQ)
    total = 0.0
    for t in range(2, T):
        E_t = E[:, :t]
        e_t = E[:, t - 1]
        A = np.einsum("nia,nib->nab", E_t, E_t.conj())
        h = np.einsum("nab,nb->na", A, e_t @ params.WKQ.T)  # A_t W^KQ e_t
        out = h @ params.WPV.T / (t - 1)
        R = np.zeros_like(out)
        R[:, :d] = out[:, :d] - X[:, t]
        total += 0.5 * float(np.sum(np.abs(R) ** 2))
        grad_PV += np.einsum("na,nb->ab", R, h.conj()) / (t - 1)
        g = np.einsum("nab,nb->na", A, R @ params.WPV.conj())  # A_t W^PV* R_t
        grad_KQ += np.einsum("na,nb->ab", g, e_t.conj()) / (t - 1)
    return total / n, Parameters(grad_KQ / n, grad_PV / n)


def one_step_gd_predict(X: np.ndarray, step_numerator: float) -> np.ndarray:
    """THEORY §6: :math:`\\hat W_t x_t` with :math:`\\hat W_t = \\frac{\\eta}{t-1}\\sum_{i<t} x_{i+1} x_i^*`.

    This is one gradient-descent step from ``W = 0`` on
    :math:`\\tfrac12\\sum_{i=1}^{t-1}\\lVert x_{i+1} - W x_i\\rVert^2` with step size
    :math:`\\eta/(t-1)` (here ``eta = step_numerator``). Returns the predictions
    for ``t = 2..T-1`` aligned like :func:`predict`; computed with a prefix sum
    independently of the transformer code.
    """
    require(isinstance(X, np.ndarray) and X.ndim == 3, f"sequences must have shape (n, T, d), got {np.shape(X)}")
    n, T, d = X.shape
    require(T >= 3, f"T={T} must be >= 3")
    outer = X[:, 1:, :, None] * X[:, :-1, None, :].conj()  # x_{i+1} x_i^*, i = 1..T-1
    W_hat = np.cumsum(outer, axis=1)[:, : T - 2]  # sum_{i<=t-1}, t = 2..T-1
    rho = np.arange(1, T - 1)[None, :, None, None]
    return step_numerator * np.einsum("ntab,ntb->nta", W_hat / rho, X[:, 1 : T - 1])

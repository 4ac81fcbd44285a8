"""The full model's loss and gradient on AR sequences, through ``d x d`` prefix sums.

For sequences of the AR process, :math:`x_t = \\Lambda x_{t-1}` with
:math:`\\Lambda = \\operatorname{diag}(\\lambda)` (THEORY §1), the context
:math:`z_t = (x_t; x_{t-1})` of :mod:`mesasym.numeric.model` is
:math:`z_t = J u_t` with :math:`J = (\\Lambda; I)` and :math:`u_t = x_{t-1}`
for every ``t >= 2``, while :math:`z_1 = c = (x_1; 0)`. Hence the ``2d x 2d``
prefix Gram matrix is determined by one ``d x d`` prefix sum:

.. math::

    S_t = c c^* + J G_t J^*,\\qquad G_t = \\sum_{i=1}^{t-1} x_i x_i^*,
    \\qquad J G_t J^* = \\begin{pmatrix} \\Lambda G_t \\Lambda^* & \\Lambda G_t \\\\
    G_t \\Lambda^* & G_t \\end{pmatrix},

and the prediction :math:`\\hat y_t = P S_t Q z_t/(t-1)` becomes, per sequence,

.. math::

    (t-1)\\,\\hat y_t = A G_t B u_t + p\\,(q^* u_t),\\qquad
    A = P J = P_1\\Lambda + P_2,\\quad
    B = J^* Q J = \\Lambda^* Q_{11}\\Lambda + \\Lambda^* Q_{12} + Q_{21}\\Lambda + Q_{22},

    p = P c = P_1 x_1,\\qquad q^* = c^* Q J = x_1^* C,\\quad C = Q_{11}\\Lambda + Q_{12},

with ``P = (P_1 P_2)`` and ``Q = ((Q_11 Q_12); (Q_21 Q_22))`` in ``d x d`` blocks.
With :math:`r_t = \\hat y_t - x_{t+1}`, :math:`s_t = r_t/(t-1)`,
:math:`v_t = G_t B u_t`, :math:`g_t = G_t A^* s_t`, :math:`\\alpha_t = q^* u_t`
and :math:`\\beta_t = p^* s_t`, the gradient (convention of
:mod:`mesasym.numeric.model`, :math:`\\nabla = 2\\,\\partial/\\partial\\bar z`) of
:math:`\\tfrac12\\sum_t\\lVert r_t\\rVert^2` with respect to the per-sequence
objects is

.. math::

    \\nabla_A = \\sum_t s_t v_t^*,\\quad \\nabla_B = \\sum_t g_t u_t^*,\\quad
    \\nabla_p = \\sum_t \\bar\\alpha_t s_t,\\quad \\nabla_C = x_1 \\Big(\\sum_t \\bar\\beta_t u_t\\Big)^*,

and by the chain rule through the linear maps above

.. math::

    \\nabla_{P_1} = \\nabla_A\\Lambda^* + \\nabla_p x_1^*,\\quad \\nabla_{P_2} = \\nabla_A,\\quad
    \\nabla_{Q_{11}} = \\Lambda\\nabla_B\\Lambda^* + \\nabla_C\\Lambda^*,\\quad
    \\nabla_{Q_{12}} = \\Lambda\\nabla_B + \\nabla_C,\\quad
    \\nabla_{Q_{21}} = \\nabla_B\\Lambda^*,\\quad \\nabla_{Q_{22}} = \\nabla_B,

summed over sequences and divided by ``n``. Per position this touches
``d x d`` objects only (against ``2d x 2d`` for the generic prefix-sum path):
a quarter of the memory traffic and of the arithmetic. The formulas do not
need :math:`|\\lambda_j| = 1`, only :math:`x_t = \\Lambda x_{t-1}`, which
:func:`ar_phases` checks to rounding.

Two implementations: :func:`loss_and_gradient_numpy` (plain NumPy, chunked over
sequences; the reference the compiled kernel is tested against) and the
compiled kernel of ``mesasym.numeric._ar_kernel`` (numba), which fuses the
forward and backward passes per sequence and adds per-block partial sums in a
fixed order, so its result does not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from mesasym.errors import require
from mesasym.numeric.model import Parameters

__all__ = ["ar_phases", "loss_and_gradient_numpy", "loss_and_gradient_ar", "combine", "PackedSample", "set_kernel_threads"]

# Sequences per chunk of the NumPy path: chunk * T * d * d complex entries of G_t.
_CHUNK_ENTRIES = 1 << 21


def set_kernel_threads(threads: int | None) -> None:
    """Threads of the compiled kernel (``None``: all cores); its results do not depend on it."""
    from mesasym.numeric import _ar_kernel

    _ar_kernel.set_threads(threads)


def ar_phases(X: np.ndarray) -> np.ndarray | None:
    """The diagonal :math:`\\lambda` with ``X[:, t] = lambda * X[:, t-1]`` for every ``t``, or ``None``.

    ``lambda_j = x_{2,j} / x_{1,j}``; a coordinate with ``x_{1,j} = 0`` must be zero
    along the whole sequence and gets ``lambda_j = 1`` (any value gives the same
    :math:`S_t`). The check, for every entry at (0-based) time index ``t``:

    .. math::

        |x_t - \\lambda x_{t-1}| \\le (16\\,\\epsilon + 8\\,(t+1)\\,\\epsilon_{64})\\,(|x_t| + |x_{t-1}|),

    with :math:`\\epsilon` the machine epsilon of ``X``'s dtype. Why: the sampler
    computes :math:`x_t = x_1 e^{i t\\theta}` (:mod:`mesasym.numeric.sequences`) in double
    precision, so the phase :math:`t\\theta` (``|theta| < 2 pi``) carries an error up to
    :math:`\\pi t\\,\\epsilon_{64}`, and the result is rounded once to ``X``'s dtype; the
    ratio to :math:`(t+1)\\epsilon_{64}(|x_t| + |x_{t-1}|)` measured on 2 million complex128
    entries is at most 2.9. Data that is not an AR sample fails by many orders of magnitude.
    """
    if not (isinstance(X, np.ndarray) and X.ndim == 3 and X.shape[1] >= 2 and np.iscomplexobj(X)):
        return None
    eps = np.finfo(X.dtype).eps
    first, second = X[:, 0], X[:, 1]
    zero = first == 0
    lam = np.where(zero, 1, second / np.where(zero, 1, first)).astype(X.dtype)
    if np.any(zero & (np.abs(X).max(axis=1) > 0)):
        return None
    eps64 = np.finfo(np.float64).eps
    for t in range(1, X.shape[1]):  # one time slice at a time: no (n, T, d) temporaries
        prev, cur = X[:, t - 1], X[:, t]
        if np.any(np.abs(cur - lam * prev) > (16 * eps + 8 * (t + 1) * eps64) * (np.abs(cur) + np.abs(prev))):
            return None
    return lam


def _blocks(params: Parameters, dtype: np.dtype) -> tuple[np.ndarray, ...]:
    d = params.d
    P, Q = params.P.astype(dtype), params.Q.astype(dtype)
    return P[:, :d], P[:, d:], Q[:d, :d], Q[:d, d:], Q[d:, :d], Q[d:, d:]


def _per_sequence(params: Parameters, X: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, ...]:
    """``A, B, C, p, q`` of the module docstring, one per sequence."""
    P1, P2, Q11, Q12, Q21, Q22 = _blocks(params, X.dtype)
    lc = lam.conj()
    A = P1[None] * lam[:, None, :] + P2[None]
    C = Q11[None] * lam[:, None, :] + Q12[None]
    B = lc[:, :, None] * C + Q21[None] * lam[:, None, :] + Q22[None]
    x1 = X[:, 0]
    p = x1 @ P1.T
    q = np.einsum("nj,njk->nk", x1.conj(), C)  # the row q^* = x1^* C
    return A, B, C, p, q


def combine(
    lam: np.ndarray, x1: np.ndarray, grad_A: np.ndarray, grad_B: np.ndarray, grad_p: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sums over sequences of the chain rule of the module docstring: ``(grad_P, grad_Q)``.

    Inputs are per sequence: ``grad_A``, ``grad_B`` ``(n, d, d)``, ``grad_p`` and
    ``h = sum_t conj(beta_t) u_t`` ``(n, d)`` (so :math:`\\nabla_C = x_1 h^*`).
    """
    n, d = lam.shape
    lc = lam.conj()
    grad_C = x1[:, :, None] * h.conj()[:, None, :]
    grad_P = np.empty((d, 2 * d), grad_A.dtype)
    grad_P[:, :d] = np.einsum("njk,nk->jk", grad_A, lc) + np.einsum("nj,nk->jk", grad_p, x1.conj())
    grad_P[:, d:] = grad_A.sum(axis=0)
    grad_Q = np.empty((2 * d, 2 * d), grad_A.dtype)
    grad_Q[:d, :d] = np.einsum("nj,njk,nk->jk", lam, grad_B, lc) + np.einsum("njk,nk->jk", grad_C, lc)
    grad_Q[:d, d:] = np.einsum("nj,njk->jk", lam, grad_B) + grad_C.sum(axis=0)
    grad_Q[d:, :d] = np.einsum("njk,nk->jk", grad_B, lc)
    grad_Q[d:, d:] = grad_B.sum(axis=0)
    return grad_P, grad_Q


def _chunk_sums(params: Parameters, X: np.ndarray, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss sum and gradient sums (w.r.t. ``P``, ``Q``) of one chunk of sequences, in NumPy."""
    n, T, d = X.shape
    A, B, C, p, q = _per_sequence(params, X, lam)
    U = X[:, : T - 2]  # u_t = x_{t-1}, t = 2..T-1
    Y = X[:, 2:]  # targets x_{t+1}
    rho = np.arange(1, T - 1, dtype=np.finfo(X.dtype).dtype)[None, :, None]
    G = np.cumsum(U[:, :, :, None] * U[:, :, None, :].conj(), axis=1)  # G_t, (n, T-2, d, d)
    v = np.matmul(G, np.matmul(U, B.transpose(0, 2, 1))[..., None])[..., 0]  # G_t B u_t
    alpha = np.einsum("ntk,nk->nt", U, q)
    r = (np.matmul(v, A.transpose(0, 2, 1)) + alpha[:, :, None] * p[:, None, :]) / rho - Y
    total = 0.5 * float(np.sum(r.real**2 + r.imag**2))
    s = r / rho
    g = np.matmul(G, np.matmul(s, A.conj())[..., None])[..., 0]  # G_t A^* s_t
    grad_A = np.matmul(s.transpose(0, 2, 1), v.conj())
    grad_B = np.matmul(g.transpose(0, 2, 1), U.conj())
    grad_p = np.einsum("nt,ntj->nj", alpha.conj(), s)
    beta = np.einsum("nj,ntj->nt", p.conj(), s)
    h = np.einsum("nt,ntk->nk", beta.conj(), U)
    grad_P, grad_Q = combine(lam, X[:, 0], grad_A, grad_B, grad_p, h)
    return total, grad_P, grad_Q


def _gradient_parameters(d: int, dtype: np.dtype, grad_P: np.ndarray, grad_Q: np.ndarray, n: int) -> Parameters:
    gradient = Parameters.zeros(d, dtype)
    gradient.WPV[:d, d:] = grad_P / n
    gradient.WKQ[d:, d:] = grad_Q / n
    return gradient


def _check(params: Parameters, X: np.ndarray, lam: np.ndarray) -> None:
    require(isinstance(X, np.ndarray) and X.ndim == 3, f"sequences must have shape (n, T, d), got {np.shape(X)}")
    n, T, d = X.shape
    require(d == params.d, f"sequences have d={d} but the parameters have d={params.d}")
    require(T >= 3 and n >= 1, f"need n >= 1 sequences of length T >= 3, got shape {X.shape}")
    require(np.shape(lam) == (n, d), f"phases must have shape (n, d) = {(n, d)}, got {np.shape(lam)}")


def loss_and_gradient_numpy(params: Parameters, X: np.ndarray, lam: np.ndarray) -> tuple[float, Parameters]:
    """Loss and gradient (as :func:`mesasym.numeric.model.loss_and_gradient`) via the ``d x d`` sums, in NumPy.

    ``X`` must satisfy ``X[:, t] = lam * X[:, t-1]`` (see :func:`ar_phases`); the
    arithmetic is done in the common dtype of ``params`` and ``X``.
    """
    from mesasym.numeric.model import single_threaded_blas

    _check(params, X, lam)
    n, T, d = X.shape
    dtype = np.result_type(params.dtype, X.dtype)
    X, lam = X.astype(dtype, copy=False), lam.astype(dtype, copy=False)
    size = max(1, _CHUNK_ENTRIES // (T * d * d))
    total = 0.0
    grad_P = np.zeros((d, 2 * d), dtype)
    grad_Q = np.zeros((2 * d, 2 * d), dtype)
    with single_threaded_blas():
        for start in range(0, n, size):
            part, part_P, part_Q = _chunk_sums(params, X[start : start + size], lam[start : start + size])
            total += part
            grad_P += part_P
            grad_Q += part_Q
    return total / n, _gradient_parameters(d, dtype, grad_P, grad_Q, n)


class PackedSample:
    """An AR sample laid out for the compiled kernel (``mesasym.numeric._ar_kernel.pack``), packed once.

    ``loss_and_gradient(params)`` equals :func:`loss_and_gradient_numpy` of the
    same sample to rounding; arithmetic is in the sample's precision.
    """

    def __init__(self, X: np.ndarray, lam: np.ndarray) -> None:
        from mesasym.numeric import _ar_kernel

        require(_ar_kernel.available(), "the compiled kernel needs numba (pip install numba)")
        require(isinstance(X, np.ndarray) and X.ndim == 3 and np.iscomplexobj(X), f"X must be complex (n, T, d), got {np.shape(X)}")
        n, T, d = X.shape
        require(T >= 3 and n >= 1, f"need n >= 1 sequences of length T >= 3, got shape {X.shape}")
        require(np.shape(lam) == (n, d), f"phases must have shape (n, d) = {(n, d)}, got {np.shape(lam)}")
        self.shape = X.shape
        self.dtype = np.dtype(X.dtype)
        real = np.finfo(self.dtype).dtype.type
        self._X = _ar_kernel.pack(X, real)
        self._lam = _ar_kernel.pack(lam.astype(self.dtype, copy=False), real)

    def loss_and_gradient(self, params: Parameters) -> tuple[float, Parameters]:
        from mesasym.numeric import _ar_kernel

        n, T, d = self.shape
        require(d == params.d, f"sequences have d={d} but the parameters have d={params.d}")
        losses, gP, gQ = _ar_kernel.block_sums(self._X, self._lam, params.P, params.Q)
        dtype = np.result_type(params.dtype, self.dtype)
        return float(np.sum(losses)) / n, _gradient_parameters(d, dtype, gP.sum(axis=0), gQ.sum(axis=0), n)


def loss_and_gradient_ar(
    params: Parameters, X: np.ndarray, lam: np.ndarray, backend: str = "auto"
) -> tuple[float, Parameters]:
    """Loss and gradient via the ``d x d`` sums: the compiled kernel (``"numba"``), NumPy (``"numpy"``),
    or the kernel when numba is importable (``"auto"``). For repeated calls on one sample use
    :class:`PackedSample` (packs once)."""
    require(backend in ("auto", "numba", "numpy"), f"backend={backend!r} must be auto, numba or numpy")
    from mesasym.numeric import _ar_kernel

    if backend == "numpy" or (backend == "auto" and not _ar_kernel.available()):
        return loss_and_gradient_numpy(params, X, lam)
    _check(params, X, lam)
    dtype = np.result_type(params.dtype, X.dtype)
    return PackedSample(X.astype(dtype, copy=False), lam).loss_and_gradient(params)

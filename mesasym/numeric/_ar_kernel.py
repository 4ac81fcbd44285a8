"""Compiled (numba) kernel of :mod:`mesasym.numeric.ar_objective`: forward and backward fused.

Layout. Sequences are processed in blocks of ``LANES`` side by side: every
complex quantity of the per-sequence algebra of that module is stored as an
array ``(..., 2, LANES)`` (real part, imaginary part; one lane per sequence), so
each arithmetic statement is a loop over the lanes that the compiler turns into
SIMD instructions. For one block the kernel walks ``t = 2..T-1`` once, keeping
the ``d x d`` prefix sums :math:`G_t` of the block (a few KiB, in L1 cache),
computes :math:`r_t`, :math:`v_t`, :math:`g_t` and accumulates
:math:`\\nabla_A, \\nabla_B, \\nabla_p, h`; at the end it applies the chain rule
to :math:`\\nabla_P, \\nabla_Q` and writes the block's sums (in double precision)
to its own row of the outputs. Blocks are independent, so the result does not
depend on the number of threads; the rows are added afterwards in NumPy in a
fixed order.

Arithmetic is in the precision of the sample (float32 for complex64 data, as the
NumPy paths), with fused multiply-adds allowed (``fastmath={"contract"}``), which
changes only the rounding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LANES", "available", "set_threads", "get_threads", "pack", "block_sums"]

try:  # numba is a declared dependency; the NumPy path stays usable without it
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

#: Sequences per block (one AVX-512 register of float32 per real quantity).
LANES = 16


def available() -> bool:
    """Whether the compiled kernel can be used (numba importable)."""
    return numba is not None


def get_threads() -> int:
    """Threads the kernel currently uses (1 without numba)."""
    return 1 if numba is None else int(numba.get_num_threads())


def set_threads(threads: int | None) -> None:
    """Use ``threads`` threads in the kernel (``None``: numba's default, all cores)."""
    if numba is not None:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS if threads is None else int(threads))


def pack(values: np.ndarray, real: type) -> np.ndarray:
    """``(n, *shape)`` complex -> ``(blocks, *shape, 2, LANES)`` real, zero-padded to whole blocks."""
    n = values.shape[0]
    blocks = -(-n // LANES)
    padded = np.zeros((blocks * LANES, *values.shape[1:]), values.dtype)
    padded[:n] = values
    grouped = padded.reshape(blocks, LANES, *values.shape[1:])
    moved = np.moveaxis(grouped, 1, -1)  # (blocks, *shape, LANES)
    out = np.empty((*moved.shape[:-1], 2, LANES), real)
    out[..., 0, :] = moved.real
    out[..., 1, :] = moved.imag
    return out


def _kernel(X, lam, P, Q, losses, gP, gQ):  # pragma: no cover - compiled by numba
    blocks, T, d = X.shape[0], X.shape[1], X.shape[2]
    L = LANES
    ft = X.dtype.type
    for b in numba.prange(blocks):
        lb = lam[b]
        x1 = X[b, 0]
        A = np.zeros((d, d, 2, L), ft)
        B = np.zeros((d, d, 2, L), ft)
        C = np.zeros((d, d, 2, L), ft)
        p = np.zeros((d, 2, L), ft)
        q = np.zeros((d, 2, L), ft)
        # per-sequence A = P1 Lam + P2, C = Q11 Lam + Q12, B = Lam^* C + Q21 Lam + Q22, p = P1 x1, q = C^T conj(x1)
        for j in range(d):
            for m in range(d):
                p1r, p1i = ft(P[j, m].real), ft(P[j, m].imag)
                p2r, p2i = ft(P[j, d + m].real), ft(P[j, d + m].imag)
                q11r, q11i = ft(Q[j, m].real), ft(Q[j, m].imag)
                q12r, q12i = ft(Q[j, d + m].real), ft(Q[j, d + m].imag)
                q21r, q21i = ft(Q[d + j, m].real), ft(Q[d + j, m].imag)
                q22r, q22i = ft(Q[d + j, d + m].real), ft(Q[d + j, d + m].imag)
                for l in range(L):
                    lmr, lmi = lb[m, 0, l], lb[m, 1, l]
                    ljr, lji = lb[j, 0, l], lb[j, 1, l]
                    A[j, m, 0, l] = p1r * lmr - p1i * lmi + p2r
                    A[j, m, 1, l] = p1r * lmi + p1i * lmr + p2i
                    cr = q11r * lmr - q11i * lmi + q12r
                    ci = q11r * lmi + q11i * lmr + q12i
                    C[j, m, 0, l] = cr
                    C[j, m, 1, l] = ci
                    B[j, m, 0, l] = ljr * cr + lji * ci + q21r * lmr - q21i * lmi + q22r
                    B[j, m, 1, l] = ljr * ci - lji * cr + q21r * lmi + q21i * lmr + q22i
                    xr, xi = x1[m, 0, l], x1[m, 1, l]
                    p[j, 0, l] += p1r * xr - p1i * xi
                    p[j, 1, l] += p1r * xi + p1i * xr
        for m in range(d):
            for j in range(d):
                for l in range(L):
                    xr, xi = x1[j, 0, l], x1[j, 1, l]
                    q[m, 0, l] += xr * C[j, m, 0, l] + xi * C[j, m, 1, l]
                    q[m, 1, l] += xr * C[j, m, 1, l] - xi * C[j, m, 0, l]
        G = np.zeros((d, d, 2, L), ft)
        gA = np.zeros((d, d, 2, L), ft)
        gB = np.zeros((d, d, 2, L), ft)
        gp = np.zeros((d, 2, L), ft)
        h = np.zeros((d, 2, L), ft)
        w = np.empty((d, 2, L), ft)
        v = np.empty((d, 2, L), ft)
        s = np.empty((d, 2, L), ft)
        a_s = np.empty((d, 2, L), ft)
        g = np.empty((d, 2, L), ft)
        alpha = np.empty((2, L), ft)
        beta = np.empty((2, L), ft)
        total = np.zeros(L, ft)
        for k in range(T - 2):  # paper time t = k + 2: u_t = x_{t-1} = X[k], target x_{t+1} = X[k + 2]
            u = X[b, k]
            y = X[b, k + 2]
            inv = ft(1.0 / (k + 1.0))
            for j in range(d):  # G_t = G_{t-1} + u u^*
                for m in range(d):
                    for l in range(L):
                        ujr, uji, umr, umi = u[j, 0, l], u[j, 1, l], u[m, 0, l], u[m, 1, l]
                        G[j, m, 0, l] += ujr * umr + uji * umi
                        G[j, m, 1, l] += uji * umr - ujr * umi
            alpha[:] = 0
            for j in range(d):  # w = B u, alpha = q . u
                w[j] = 0
                for m in range(d):
                    for l in range(L):
                        br, bi, umr, umi = B[j, m, 0, l], B[j, m, 1, l], u[m, 0, l], u[m, 1, l]
                        w[j, 0, l] += br * umr - bi * umi
                        w[j, 1, l] += br * umi + bi * umr
                for l in range(L):
                    qr, qi, ujr, uji = q[j, 0, l], q[j, 1, l], u[j, 0, l], u[j, 1, l]
                    alpha[0, l] += qr * ujr - qi * uji
                    alpha[1, l] += qr * uji + qi * ujr
            for j in range(d):  # v = G w
                v[j] = 0
                for m in range(d):
                    for l in range(L):
                        gr, gi, wr, wi = G[j, m, 0, l], G[j, m, 1, l], w[m, 0, l], w[m, 1, l]
                        v[j, 0, l] += gr * wr - gi * wi
                        v[j, 1, l] += gr * wi + gi * wr
            beta[:] = 0
            for j in range(d):  # r = (A v + p alpha)/rho - y, s = r/rho, beta = p^* s
                for l in range(L):
                    pr, pi = p[j, 0, l], p[j, 1, l]
                    accr = pr * alpha[0, l] - pi * alpha[1, l]
                    acci = pr * alpha[1, l] + pi * alpha[0, l]
                    for m in range(d):
                        ar, ai, vr, vi = A[j, m, 0, l], A[j, m, 1, l], v[m, 0, l], v[m, 1, l]
                        accr += ar * vr - ai * vi
                        acci += ar * vi + ai * vr
                    rr = accr * inv - y[j, 0, l]
                    ri = acci * inv - y[j, 1, l]
                    total[l] += ft(0.5) * (rr * rr + ri * ri)
                    sr, si = rr * inv, ri * inv
                    s[j, 0, l] = sr
                    s[j, 1, l] = si
                    beta[0, l] += pr * sr + pi * si
                    beta[1, l] += pr * si - pi * sr
            for m in range(d):  # a_s = A^* s
                a_s[m] = 0
                for j in range(d):
                    for l in range(L):
                        ar, ai, sr, si = A[j, m, 0, l], A[j, m, 1, l], s[j, 0, l], s[j, 1, l]
                        a_s[m, 0, l] += ar * sr + ai * si
                        a_s[m, 1, l] += ar * si - ai * sr
            for j in range(d):  # g = G a_s
                g[j] = 0
                for m in range(d):
                    for l in range(L):
                        gr, gi, xr, xi = G[j, m, 0, l], G[j, m, 1, l], a_s[m, 0, l], a_s[m, 1, l]
                        g[j, 0, l] += gr * xr - gi * xi
                        g[j, 1, l] += gr * xi + gi * xr
            for j in range(d):  # gA += s v^*, gB += g u^*, gp += conj(alpha) s, h += conj(beta) u
                for m in range(d):
                    for l in range(L):
                        sr, si, vr, vi = s[j, 0, l], s[j, 1, l], v[m, 0, l], v[m, 1, l]
                        gA[j, m, 0, l] += sr * vr + si * vi
                        gA[j, m, 1, l] += si * vr - sr * vi
                        xr, xi, umr, umi = g[j, 0, l], g[j, 1, l], u[m, 0, l], u[m, 1, l]
                        gB[j, m, 0, l] += xr * umr + xi * umi
                        gB[j, m, 1, l] += xi * umr - xr * umi
                for l in range(L):
                    sr, si, ar, ai = s[j, 0, l], s[j, 1, l], alpha[0, l], alpha[1, l]
                    gp[j, 0, l] += ar * sr + ai * si
                    gp[j, 1, l] += ar * si - ai * sr
                    ujr, uji, br, bi = u[j, 0, l], u[j, 1, l], beta[0, l], beta[1, l]
                    h[j, 0, l] += br * ujr + bi * uji
                    h[j, 1, l] += br * uji - bi * ujr
        # chain rule (module docstring of ar_objective), summed over the lanes in double precision
        loss = 0.0
        for l in range(L):
            loss += total[l]
        losses[b] = loss
        for j in range(d):
            for m in range(d):
                p1 = 0j
                p2 = 0j
                q11 = 0j
                q12 = 0j
                q21 = 0j
                q22 = 0j
                for l in range(L):
                    lj = complex(lb[j, 0, l], lb[j, 1, l])
                    lmc = complex(lb[m, 0, l], -lb[m, 1, l])
                    a_ = complex(gA[j, m, 0, l], gA[j, m, 1, l])
                    b_ = complex(gB[j, m, 0, l], gB[j, m, 1, l])
                    c_ = complex(x1[j, 0, l], x1[j, 1, l]) * complex(h[m, 0, l], -h[m, 1, l])
                    p1 += a_ * lmc + complex(gp[j, 0, l], gp[j, 1, l]) * complex(x1[m, 0, l], -x1[m, 1, l])
                    p2 += a_
                    q11 += (lj * b_ + c_) * lmc
                    q12 += lj * b_ + c_
                    q21 += b_ * lmc
                    q22 += b_
                gP[b, j, m] = p1
                gP[b, j, d + m] = p2
                gQ[b, j, m] = q11
                gQ[b, j, d + m] = q12
                gQ[b, d + j, m] = q21
                gQ[b, d + j, d + m] = q22


_compiled = None


def block_sums(X: np.ndarray, lam: np.ndarray, P: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-block ``(loss sums, grad_P sums, grad_Q sums)`` for packed ``X`` and ``lam`` (see :func:`pack`).

    ``X``: ``(blocks, T, d, 2, LANES)``, ``lam``: ``(blocks, d, 2, LANES)``, both float32 or both
    float64; ``P`` ``(d, 2d)`` and ``Q`` ``(2d, 2d)`` complex.
    """
    global _compiled
    if _compiled is None:
        try:  # compiled once, then loaded from numba's on-disk cache (~10 s saved per dtype)
            _compiled = numba.njit(parallel=True, cache=True, fastmath={"contract"})(_kernel)
        except RuntimeError:  # no writable cache location: compile in memory
            _compiled = numba.njit(parallel=True, fastmath={"contract"})(_kernel)
    blocks, d = X.shape[0], X.shape[2]
    losses = np.zeros(blocks)
    gP = np.zeros((blocks, d, 2 * d), np.complex128)
    gQ = np.zeros((blocks, 2 * d, 2 * d), np.complex128)
    _compiled(X, lam, P.astype(np.complex128), Q.astype(np.complex128), losses, gP, gQ)
    return losses, gP, gQ

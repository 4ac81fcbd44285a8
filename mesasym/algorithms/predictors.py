"""Each algorithm's prediction as a pure JAX function of the context (so autodiff gives its Jacobian).

Notation of :mod:`mesasym.algorithms.statistics`: at scored position ``p`` (``ρ = p - 1``),
:math:`A = \\frac1\\rho\\sum_{j<p} u_j u_j^*`, :math:`B = \\frac1\\rho\\sum_{j<p} v_j u_j^*`,
query :math:`u_p`; every prediction is :math:`\\hat v_p = V u_p` for the algorithm's ``V``.
Arrays are ``(n, P, d)`` inputs/outputs; predictions ``(n, P-1, d_out)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from mesasym.algorithms.statistics import Context

__all__ = ["gd_iterate", "gd_polynomial", "krylov_features", "ols", "pgd_iterate", "ridge"]


def gd_iterate(ctx: Context, steps: jnp.ndarray) -> jnp.ndarray:
    """``K`` GD steps from :math:`V_0 = 0`: :math:`V_k = V_{k-1} - \\eta_k\\nabla L_p(V_{k-1}) = V_{k-1} + \\eta_k(B - V_{k-1}A)`.

    The definition; one step is THEORY §6 with :math:`\\eta = \\tilde a\\tilde b`.
    """
    V = jnp.zeros_like(ctx.B)
    for k in range(steps.shape[0]):
        V = V + steps[k] * (ctx.B - V @ ctx.A)
    return jnp.einsum("nqoi,nqi->nqo", V, ctx.queries)


def krylov_features(ctx: Context, K: int) -> jnp.ndarray:
    """:math:`f_m = B A^m u_p`, ``m = 0..K-1``, shape ``(K, n, P-1, d_out)``."""
    features, w = [], ctx.queries
    for _ in range(K):
        features.append(jnp.einsum("nqoi,nqi->nqo", ctx.B, w))
        w = jnp.einsum("nqij,nqj->nqi", ctx.A, w)
    return jnp.stack(features)


def gd_polynomial(ctx: Context, coefficients: jnp.ndarray) -> jnp.ndarray:
    """GD-``K`` in closed form: :math:`V_K = B\\,r(A)`, :math:`\\hat v_p = \\sum_m c_m B A^m u_p`.

    Unrolling :math:`V_k = V_{k-1}(I - \\eta_k A) + \\eta_k B` gives
    :math:`x\\,r(x) = 1 - \\prod_k (1 - \\eta_k x)`, a polynomial of degree ``K-1`` with
    coefficients :math:`c_m`: the prediction is linear in them (how ``gd`` is fitted).
    """
    return jnp.tensordot(coefficients, krylov_features(ctx, coefficients.shape[0]), axes=1)


def pgd_iterate(ctx: Context, preconditioners: jnp.ndarray) -> jnp.ndarray:
    """Preconditioned GD: :math:`V_k = V_{k-1} + (B - V_{k-1}A)\\,\\Gamma_k`, ``preconditioners`` ``(K, d_in, d_in)``.

    :math:`\\Gamma_k = \\eta_k I` is ``gd``; a diagonal or full :math:`\\Gamma_k` is Ahn et al.'s
    preconditioned step (the step size is absorbed in :math:`\\Gamma_k`).
    """
    V = jnp.zeros_like(ctx.B)
    for k in range(preconditioners.shape[0]):
        V = V + (ctx.B - V @ ctx.A) @ preconditioners[k]
    return jnp.einsum("nqoi,nqi->nqo", V, ctx.queries)


def ridge(ctx: Context, lam: jnp.ndarray) -> jnp.ndarray:
    """:math:`\\arg\\min_V L_p(V) + \\frac\\lambda2\\lVert V\\rVert_F^2 = B(A + \\lambda I)^{-1}`; :math:`\\hat v_p = B (A+\\lambda I)^{-1} u_p`."""
    eye = jnp.eye(ctx.A.shape[-1], dtype=ctx.A.dtype)
    solved = jnp.linalg.solve(ctx.A + lam * eye, ctx.queries[..., None])[..., 0]
    return jnp.einsum("nqoi,nqi->nqo", ctx.B, solved)


def ols(inputs: jnp.ndarray, outputs: jnp.ndarray) -> jnp.ndarray:
    """Least squares on the context, minimum-norm when under-determined: :math:`V^\\top = U_{<p}^+ Y_{<p}`.

    :math:`U_{<p}` is the ``P x d_in`` matrix of the inputs with rows ``j >= p`` zeroed (zero rows
    change neither the residual nor the minimum-norm solution); the pseudo-inverse is the SVD's
    (no normal equations, whose condition number is squared).
    """
    P = inputs.shape[1]

    def at(q: jnp.ndarray) -> jnp.ndarray:
        mask = (jnp.arange(P) < q)[None, :, None]
        pinv = jnp.linalg.pinv(inputs * mask)  # (n, d_in, P)
        return jnp.einsum("ni,nip,npo->no", inputs[:, q], pinv, outputs * mask)

    return jnp.moveaxis(jax.vmap(at)(jnp.arange(1, P)), 0, 1)

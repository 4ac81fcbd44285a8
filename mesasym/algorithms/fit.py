"""Fitting an algorithm's free hyperparameters to a reference predictor (the probe's target).

Every fit minimises the squared prediction distance on the probe batch,
:math:`\\sum_{i,p}\\lVert \\hat v^{alg}_{i,p}(\\theta) - \\hat v^{ref}_{i,p}\\rVert^2`, over the real
hyperparameters :math:`\\theta`:

* ``gd:k=K`` — the prediction is linear in the coefficients :math:`c_m` of
  :math:`x r(x) = 1 - \\prod_k(1-\\eta_k x)` (:func:`~mesasym.algorithms.predictors.gd_polynomial`),
  so the fit is one linear least-squares solve (global optimum); the steps are the inverse
  roots (:func:`~mesasym.algorithms.spec.coefficients_to_steps`).
* ``pgd:k=K`` — Levenberg–Marquardt (SciPy) on the preconditioners with the Jacobian by JAX,
  started from the fitted ``gd:k=K`` steps (``Γ_k = η_k I``), so it is never worse than ``gd``
  when those steps are real.
* ``ridge`` — a bounded scalar search over :math:`\\log_{10}\\lambda` in ``[-10, 3]`` plus
  :math:`\\log_{10}` of the mean eigenvalue of ``A`` (the penalty's natural scale).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import least_squares, minimize_scalar

from mesasym.algorithms import predictors
from mesasym.algorithms.spec import Algorithm, coefficients_to_steps
from mesasym.algorithms.statistics import Context, context_of
from mesasym.errors import require
from mesasym.tasks.batch import Batch

__all__ = ["fit_algorithm", "real_view"]


def real_view(values: jnp.ndarray) -> jnp.ndarray:
    """Flatten to a real vector (real and imaginary parts stacked for complex values)."""
    flat = jnp.ravel(values)
    return jnp.concatenate([flat.real, flat.imag]) if jnp.iscomplexobj(flat) else flat


def fit_algorithm(algorithm: Algorithm, batch: Batch, reference: np.ndarray) -> Algorithm:
    """``algorithm`` with its free hyperparameters fitted so that it predicts ``reference`` on ``batch``.

    An algorithm without free hyperparameters is returned unchanged. Raises
    :class:`~mesasym.errors.InvalidInputError` when the batch has fewer scored real outputs
    than hyperparameters to fit (the fit would be under-determined).
    """
    if not algorithm.needs_fit:
        return algorithm
    reference = np.asarray(reference)
    require(reference.shape == batch.targets.shape, f"reference predictions have shape {reference.shape}, expected {batch.targets.shape}")
    residuals = reference.size * (2 if np.iscomplexobj(batch.outputs) else 1)
    count = algorithm.parameter_count(batch.inputs.shape[2])
    require(
        residuals >= count,
        f"probe sample too small to fit {algorithm.name}: {residuals} scored real outputs for {count} hyperparameters; "
        "use more probe problems or longer sequences",
    )
    ctx = context_of(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs))
    target = real_view(jnp.asarray(reference))
    if algorithm.family == "gd":
        return algorithm.with_params(coefficients=_fit_gd(ctx, target, algorithm.k))
    if algorithm.family == "pgd":
        return algorithm.with_params(preconditioners=_fit_pgd(ctx, target, algorithm, batch.inputs.shape[2]))
    return algorithm.with_params(**{"lambda": _fit_ridge(ctx, target)})


def _fit_gd(ctx: Context, target: jnp.ndarray, K: int) -> np.ndarray:
    features = predictors.krylov_features(ctx, K)
    M = np.stack([np.asarray(real_view(f)) for f in features], axis=1)
    scale = np.linalg.norm(M, axis=0)
    scale[scale == 0] = 1.0
    solution, *_ = np.linalg.lstsq(M / scale, np.asarray(target), rcond=None)
    return solution / scale


def _fit_pgd(ctx: Context, target: jnp.ndarray, algorithm: Algorithm, d_in: int) -> np.ndarray:
    K, full = algorithm.k, algorithm.precond == "full"
    steps = np.real(coefficients_to_steps(_fit_gd(ctx, target, K)))

    def unpack(theta: jnp.ndarray) -> jnp.ndarray:
        return theta.reshape(K, d_in, d_in) if full else jax.vmap(jnp.diag)(theta.reshape(K, d_in))

    @jax.jit
    def residual(theta: jnp.ndarray) -> jnp.ndarray:
        return real_view(predictors.pgd_iterate(ctx, unpack(theta))) - target

    jacobian = jax.jit(jax.jacfwd(residual))
    start = np.stack([s * (np.eye(d_in) if full else np.ones(d_in)) for s in steps]).ravel()
    method = "lm" if target.size >= start.size else "trf"
    result = least_squares(
        lambda t: np.asarray(residual(jnp.asarray(t))),
        start,
        jac=lambda t: np.asarray(jacobian(jnp.asarray(t))),
        method=method,
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=200,
    )
    return np.asarray(unpack(jnp.asarray(result.x)))


def _fit_ridge(ctx: Context, target: jnp.ndarray) -> float:
    scale = float(jnp.mean(jnp.real(jnp.trace(ctx.A, axis1=-2, axis2=-1))) / ctx.A.shape[-1]) or 1.0

    @jax.jit
    def loss(log_lambda: jnp.ndarray) -> jnp.ndarray:
        return jnp.sum((real_view(predictors.ridge(ctx, scale * 10.0**log_lambda)) - target) ** 2)

    grid = np.linspace(-10.0, 3.0, 27)
    values = [float(loss(jnp.asarray(g))) for g in grid]
    best = int(np.nanargmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    result = minimize_scalar(lambda g: float(loss(jnp.asarray(g))), bounds=(low, high), method="bounded", options={"xatol": 1e-10})
    return float(scale * 10.0 ** (result.x if result.fun <= values[best] else grid[best]))

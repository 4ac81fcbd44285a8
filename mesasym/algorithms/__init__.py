"""In-context learning algorithms as predictors (a source of truth beside the models).

GD-k, preconditioned GD, least squares, ridge, the oracle and baselines, on the
:class:`mesasym.tasks.batch.Batch` shape. Never imports the models, the derivation or the claims.

Every algorithm solves, at each scored position ``p`` of a problem, the in-context
least-squares problem :math:`L_p(V) = \\frac{1}{2\\rho_p}\\sum_{j<p}\\lVert v_j - V u_j\\rVert^2`
(:math:`\\rho_p = p - 1`, :math:`V_0 = 0`) in its own way and predicts :math:`\\hat v_p = V u_p`.
Each is a spec (``gd:k=3``, ``pgd:k=2,precond=full``, ``ols``, ``ridge:lambda=0.1``,
``oracle``, ``zero``, ``copy``) parsed by :func:`~mesasym.algorithms.spec.parse_algorithm`; free hyperparameters
(step sizes, preconditioners, ``λ``) are fitted by :func:`~mesasym.algorithms.fit.fit_algorithm`.

The predictions are JAX functions of the context (:mod:`mesasym.algorithms.predictors`) so
that their Jacobians with respect to the context come by autodiff; float64 is enabled on
import (the probe's ground truths are at 1e-10).
"""

import jax

jax.config.update("jax_enable_x64", True)

from mesasym.algorithms.fit import fit_algorithm  # noqa: E402
from mesasym.algorithms.spec import ALGORITHM_FAMILIES, Algorithm, parse_algorithm  # noqa: E402

__all__ = ["ALGORITHM_FAMILIES", "Algorithm", "fit_algorithm", "parse_algorithm"]

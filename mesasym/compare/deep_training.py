r"""Population training of deep linear attention: the exact engine's gradient flow, every entry free.

:math:`\dot\theta = -\nabla L(\theta)` (THEORY §3 convention: each complex entry moves by
:math:`-(\partial_{\mathrm{Re}} + i\,\partial_{\mathrm{Im}})L`), integrated by SciPy's LSODA on the
real and imaginary parts of all :math:`2 \cdot L \cdot 9 d^2` entries with ``rtol = 1e-12``,
``atol = 1e-14``; the gradient is :class:`mesasym.models.exact.ExactPopulation`'s (exact up to
rounding). Used for the flow comparison with the derived reduced flow (same time ``tau``) and
for the limits from random starts (docs/deep-theory.md, ``python benchmarks/deep_training.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesasym.models.exact import ExactPopulation
from mesasym.models.exact_linear import DeepParameters

__all__ = ["FlowResult", "population_flow", "population_minimize"]


@dataclass(frozen=True)
class FlowResult:
    params: DeepParameters
    tau: float
    loss: float
    gradient_max: float  # largest |entry| of the gradient at the end
    evaluations: int


def _pack(p: DeepParameters) -> np.ndarray:
    flat = p.flat()
    return np.concatenate([flat.real, flat.imag])


def _unpack(y: np.ndarray, layers: int, d: int) -> DeepParameters:
    half = len(y) // 2
    flat = y[:half] + 1j * y[half:]
    size = layers * 9 * d * d
    shape = (layers, 3 * d, 3 * d)
    return DeepParameters(flat[:size].reshape(shape), flat[size:].reshape(shape))


def population_flow(pop: ExactPopulation, start: DeepParameters, tau: float, rtol: float = 1e-12) -> FlowResult:
    """The full model's population gradient flow from ``start`` up to time ``tau``."""
    from scipy.integrate import solve_ivp

    count = [0]

    def rhs(_t, y):
        count[0] += 1
        return -_pack(pop.gradient(_unpack(y, pop.layers, pop.d)))

    sol = solve_ivp(rhs, (0.0, float(tau)), _pack(start), method="LSODA", rtol=rtol, atol=1e-14)
    end = _unpack(sol.y[:, -1], pop.layers, pop.d)
    loss, grad = pop.loss_and_gradient(end)
    return FlowResult(end, float(sol.t[-1]), loss, float(np.max(np.abs(grad.flat()))), count[0])


def population_minimize(pop: ExactPopulation, start: DeepParameters, gtol: float = 1e-9, maxiter: int = 20_000) -> FlowResult:
    """A local minimiser reached from ``start`` by L-BFGS on the exact loss (every entry free).

    Not the gradient flow's limit in general (a different path can reach a different minimiser):
    used for random starts, where integrating the flow is too stiff to be practical (the loss has
    curvature ~1e16 along some directions at Gaussian data: LSODA needs ~7e4 gradients for tau = 10 at
    d = 1). ``tau`` of the result is the number of iterations.
    """
    from scipy.optimize import minimize

    count = [0]

    def fun(y):
        count[0] += 1
        value, grad = pop.loss_and_gradient(_unpack(y, pop.layers, pop.d))
        return value, _pack(grad)  # real gradient of the real and imaginary parts = THEORY's convention, split

    res = minimize(fun, _pack(start), jac=True, method="L-BFGS-B", options={"gtol": gtol, "ftol": 1e-16, "maxiter": maxiter, "maxfun": 2 * maxiter})
    end = _unpack(res.x, pop.layers, pop.d)
    loss, grad = pop.loss_and_gradient(end)
    return FlowResult(end, float(res.nit), loss, float(np.max(np.abs(grad.flat()))), count[0])

"""Population gradient flow of the full model, :math:`d\\theta/d\\tau = -\\nabla L(\\theta)`.

Every entry of ``W^{KQ}`` and ``W^{PV}`` is free. Only ``P`` and ``Q`` (see
:mod:`mesasym.numeric.population.objective`) have a nonzero gradient, so the state integrated is
the real vector of ``(Re P, Re Q, Im P, Im Q)`` (``12 d^2`` numbers) and every
other entry keeps its initial value. The gradient is the exact population
gradient in the convention of THEORY §3
(:math:`\\nabla = \\partial/\\partial\\operatorname{Re} + i\\,\\partial/\\partial\\operatorname{Im}`),
so ``tau`` is the time of the flow of the *real* parameters.

Integration uses SciPy's adaptive ODE solvers (:class:`scipy.integrate.LSODA`
by default), advanced one accepted step at a time; every step is recorded.
LSODA switches between Adams (non-stiff) and BDF (stiff) on its own and gets
the analytic Jacobian (the Hessian of ``L``,
:meth:`PopulationObjective.gradient_jacobian_blocks`). The flow is not stiff
while it moves but becomes stiff near the limit: the explicit DOP853 then sits
at its stability boundary and cannot push the stationarity ratio below
~5e-11 (measured at ``d = 5, T = 100``, start ``(2, 2)``), while Radau/BDF
alone need 600-1300 steps at ``rtol = 1e-12``; LSODA converges in 200-350
steps (about 1 s at ``d = 5, T = 100``).

Convergence criterion: the flow stops at the first step where the
stationarity ratio :math:`\\lVert\\nabla L\\rVert / \\lVert\\nabla D\\rVert` of
:meth:`PopulationObjective.stationarity` is ``<= gtol`` (default ``1e-13``);
on the Assumption-1 manifold of an Assumption-2 law this ratio equals
``|ab - c*| / c*``. Otherwise it stops at ``tau_max`` or after ``max_steps``
steps with ``converged = False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import BDF, DOP853, LSODA, RK45, Radau

from mesasym.errors import require
from mesasym.numeric.history import ManifoldTrace, Recorder
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.model import Parameters, single_threaded_blas

__all__ = [
    "FlowResult",
    "population_flow",
    "OffManifoldReport",
    "off_manifold_report",
    "block_norms",
]

_SOLVERS = {"DOP853": DOP853, "RK45": RK45, "Radau": Radau, "BDF": BDF, "LSODA": LSODA}
_METHODS = tuple(_SOLVERS)


@dataclass(frozen=True)
class FlowResult(ManifoldTrace):
    """Trajectory of the population gradient flow (arrays indexed by recorded time): the
    :class:`~mesasym.numeric.history.ManifoldTrace` fields (:attr:`Parameters.a`, ``.b``, ``.ab``,
    :meth:`Parameters.off_manifold_norm`, the loss), ``grad_norm`` the Frobenius norm of the full
    gradient, and the solver's record."""

    grad_norm: np.ndarray
    initial: Parameters
    final: Parameters
    converged: bool
    criterion: str
    method: str
    n_rhs: int
    n_jac: int
    message: str
    states: np.ndarray = field(repr=False)  # (n_times, 12 d^2) real state vectors

    def parameters_at(self, index: int) -> Parameters:
        """The full parameters at recorded time ``tau[index]``."""
        return _unpack(self.states[index], self.initial)


def _integrate(solver, stationary, max_steps: int):
    """Advance ``solver`` one accepted step at a time until ``stationary(y)`` or a stop condition."""
    taus, states = [solver.t], [solver.y.copy()]
    converged, message = stationary(solver.y), "converged at the start"
    while not converged:
        if solver.status != "running":
            message = "reached tau_max before converging" if solver.status == "finished" else "solver failed"
            break
        if len(taus) > max_steps:
            message = f"stopped after max_steps={max_steps} steps before converging"
            break
        step_message = solver.step()
        if solver.status == "failed":
            message = f"solver failed: {step_message}"
            break
        taus.append(solver.t)
        states.append(solver.y.copy())
        converged = stationary(solver.y)
        message = "converged" if converged else message
    return taus, states, converged, message


def _pack(params: Parameters) -> np.ndarray:
    v = np.concatenate([params.P.ravel(), params.Q.ravel()]).astype(np.complex128)
    return np.concatenate([v.real, v.imag])


def _split(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    n = x.size // 2
    v = x[:n] + 1j * x[n:]
    return v[: 2 * d * d].reshape(d, 2 * d), v[2 * d * d :].reshape(2 * d, 2 * d)


def _unpack(x: np.ndarray, template: Parameters) -> Parameters:
    d = template.d
    P, Q = _split(x, d)
    WKQ = template.WKQ.astype(np.complex128)
    WPV = template.WPV.astype(np.complex128)
    WPV[:d, d:] = P
    WKQ[d:, d:] = Q
    return Parameters(WKQ, WPV)


def population_flow(
    objective: PopulationObjective,
    start: Parameters | tuple[float, float],
    *,
    method: str = "LSODA",
    rtol: float = 1e-12,
    atol: float | None = None,
    gtol: float = 1e-13,
    tau_max: float = 1e6,
    max_steps: int = 20_000,
) -> FlowResult:
    """Integrate :math:`\\dot\\theta = -\\nabla L(\\theta)` from ``start`` until converged.

    ``start`` is a :class:`Parameters` or ``(a0, b0)`` for the Assumption-1
    start. The solver (a :class:`scipy.integrate.OdeSolver` of the given
    ``method``, adaptive step) is advanced one accepted step at a time and every
    step is recorded. ``atol`` defaults to ``rtol`` times the largest entry of
    the start (at least ``rtol``).

    Stops, with ``converged=True``, at the first step where the stationarity
    ratio of :meth:`PopulationObjective.stationarity` is ``<= gtol``; on the
    Assumption-1 manifold this ratio is exactly ``|c - c*| / c*`` for
    ``c = ab`` (see that method), so ``gtol`` is the relative accuracy of the
    limit. Stops with ``converged=False`` at ``tau_max`` or after ``max_steps``
    steps (e.g. a flow heading to the saddle at the origin).
    """
    require(isinstance(objective, PopulationObjective), f"objective must be a PopulationObjective, got {type(objective).__name__}")
    d = objective.d
    if isinstance(start, Parameters):
        require(start.d == d, f"start has d={start.d} but the objective has d={d}")
        initial = Parameters(start.WKQ.astype(np.complex128), start.WPV.astype(np.complex128))
    else:
        require(
            isinstance(start, tuple) and len(start) == 2,
            f"start={start!r} must be Parameters or a pair (a0, b0)",
        )
        initial = Parameters.assumption1(d, float(start[0]), float(start[1]))
    require(method in _METHODS, f"method={method!r} must be one of {', '.join(_METHODS)}")
    for name, value in (("rtol", rtol), ("gtol", gtol), ("tau_max", tau_max)):
        require(np.isfinite(value) and value > 0, f"{name}={value!r} must be a positive finite number")
    require(
        isinstance(max_steps, (int, np.integer)) and max_steps >= 1,
        f"max_steps={max_steps!r} must be an integer >= 1",
    )
    x0 = _pack(initial)
    if atol is None:
        atol = rtol * max(1.0, float(np.max(np.abs(x0))))

    counter = {"rhs": 0, "jac": 0}

    def rhs(_tau: float, x: np.ndarray) -> np.ndarray:
        counter["rhs"] += 1
        P, Q = _split(x, d)
        _, gP, gQ = objective.loss_and_gradient_blocks(P, Q)
        g = np.concatenate([gP.ravel(), gQ.ravel()])
        return -np.concatenate([g.real, g.imag])

    def jac(_tau: float, x: np.ndarray) -> np.ndarray:
        counter["jac"] += 1
        P, Q = _split(x, d)
        return -objective.gradient_jacobian_blocks(P, Q)

    def stationary(x: np.ndarray) -> bool:
        P, Q = _split(x, d)
        return objective.stationarity_blocks(P, Q) <= gtol

    criterion = f"stationarity ratio ||grad L|| / ||grad of the data term|| <= {gtol:g}"
    kwargs = {"jac": jac} if method in ("Radau", "BDF", "LSODA") else {}
    with single_threaded_blas():  # many small products: BLAS threads only add waiting
        taus, states, converged, message = _integrate(
            _SOLVERS[method](rhs, 0.0, x0, float(tau_max), rtol=rtol, atol=atol, **kwargs), stationary, max_steps
        )
        history = Recorder()
        for k, x in enumerate(states):
            params = _unpack(x, initial)
            value, gradient = objective.loss_and_gradient(params)
            history.record(
                k, a=params.a, b=params.b, ab=params.ab, off_manifold=params.off_manifold_norm(), loss=value,
                grad_norm=gradient.norm(),
            )
    return FlowResult(
        tau=np.asarray(taus, dtype=np.float64),
        **history.values(),  # a, b, ab, off_manifold, loss, grad_norm
        initial=initial,
        final=_unpack(states[-1], initial),
        converged=bool(converged),
        criterion=criterion,
        method=method,
        n_rhs=counter["rhs"],
        n_jac=counter["jac"],
        message=message,
        states=np.asarray(states),
    )


# ---------------------------------------------------------------------------
# Beyond Assumption 2: how the flow leaves the manifold
# ---------------------------------------------------------------------------


def block_norms(params: Parameters) -> dict[str, float]:
    """Frobenius norms of the nine ``d x d`` blocks of both matrices that reach the output.

    Keys like ``"KQ22"``, ``"KQ32"``, ``"PV12"`` (1-based block labels as in the
    paper). For ``KQ32`` and ``PV12`` the scalar part (mean diagonal times ``I``)
    is removed first, so every value is zero on the Assumption-1 manifold.
    """
    d = params.d
    out: dict[str, float] = {}
    for r in (2, 3):
        for s in (2, 3):
            block = params.WKQ[(r - 1) * d : r * d, (s - 1) * d : s * d].copy()
            if (r, s) == (3, 2):
                block -= np.mean(np.diagonal(block)) * np.eye(d)
            out[f"KQ{r}{s}"] = float(np.linalg.norm(block))
    for s in (2, 3):
        block = params.WPV[:d, (s - 1) * d : s * d].copy()
        if s == 2:
            block -= np.mean(np.diagonal(block)) * np.eye(d)
        out[f"PV1{s}"] = float(np.linalg.norm(block))
    return out


@dataclass(frozen=True)
class OffManifoldReport:
    """How the full-model flow leaves the Assumption-1 manifold, and where it ends.

    ``initial_off_gradient`` is the norm of the off-manifold part of
    :math:`\\nabla L(\\theta_0)`, so ``off_manifold(tau) ~ tau * initial_off_gradient``
    for small ``tau``. ``kq32``/``pv12`` are the converged red blocks;
    ``*_diag_mean``/``*_offdiag_mean`` the means of their diagonal and
    off-diagonal entries; ``final_block_norms`` the off-manifold block norms.
    """

    tau: np.ndarray
    off_manifold: np.ndarray
    initial_off_gradient: float
    final_block_norms: dict[str, float]
    kq32: np.ndarray
    pv12: np.ndarray
    kq32_diag_mean: complex
    kq32_offdiag_mean: complex
    pv12_diag_mean: complex
    pv12_offdiag_mean: complex
    product_diag_mean: complex
    ab: float
    converged: bool

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [
            f"initial off-manifold gradient norm {self.initial_off_gradient:.6g}",
            f"off-manifold norm: final {self.off_manifold[-1]:.6g} at tau={self.tau[-1]:.6g} "
            f"(converged={self.converged})",
            "final off-manifold block norms: "
            + ", ".join(f"{k}={v:.3g}" for k, v in self.final_block_norms.items()),
            f"W^KQ_32: diagonal mean {self.kq32_diag_mean.real:.6g}, off-diagonal mean {self.kq32_offdiag_mean.real:.6g}",
            f"W^PV_12: diagonal mean {self.pv12_diag_mean.real:.6g}, off-diagonal mean {self.pv12_offdiag_mean.real:.6g}",
            f"diag mean of W^PV_12 W^KQ_32: {self.product_diag_mean.real:.6g}; ab metric {self.ab:.6g}",
        ]
        return "\n".join(lines)


def _off_diagonal_mean(block: np.ndarray) -> complex:
    d = block.shape[0]
    if d == 1:
        return 0j
    return complex(block[~np.eye(d, dtype=bool)].mean())


def off_manifold_report(objective: PopulationObjective, flow: FlowResult) -> OffManifoldReport:
    """Summarize how ``flow`` left the manifold and the converged red blocks."""
    gradient = objective.gradient(flow.initial)
    final = flow.final
    kq32, pv12 = final.kq32.copy(), final.pv12.copy()
    return OffManifoldReport(
        tau=flow.tau,
        off_manifold=flow.off_manifold,
        initial_off_gradient=gradient.off_manifold_norm(),
        final_block_norms=block_norms(final),
        kq32=kq32,
        pv12=pv12,
        kq32_diag_mean=complex(np.mean(np.diagonal(kq32))),
        kq32_offdiag_mean=_off_diagonal_mean(kq32),
        pv12_diag_mean=complex(np.mean(np.diagonal(pv12))),
        pv12_offdiag_mean=_off_diagonal_mean(pv12),
        product_diag_mean=complex(np.mean(np.diagonal(pv12 @ kq32))),
        ab=final.ab,
        converged=flow.converged,
    )

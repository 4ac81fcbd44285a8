r"""Training beyond Assumption 2 (THEORY §8): the full flow against the clip (projected) flow.

For a law of ``x_1`` that violates Assumption 2 (e.g. ``ones``: ``x_1 = 1_d``, or
``shifted-gaussian``), the exact population gradient flow of the *full* model
(every entry of both ``3d x 3d`` matrices free, :func:`mesasym.numeric.population.flow.population_flow`)
is run from the Assumption-1 start, side by side with the *clip* flow, the
continuous-time version of the authors' ``--clip``: the off-diagonal entries of the
two red blocks :math:`W^{KQ}_{32}`, :math:`W^{PV}_{12}` are held at zero (their
gradient is projected out), every other entry stays free.

For each flow the report gives the converged red blocks and their structure
(for an exchangeable law the flow keeps them of the form
:math:`\alpha I + \beta (\mathbf 1\mathbf 1^{\mathsf T} - I)`), the off-manifold
mass, the loss reached, and how far the learned update is from the best scalar
multiple of vanilla one-step GD.

Distance from vanilla GD (exact, population). The prediction is linear in
:math:`\Theta_m = P_m \otimes \operatorname{vec} Q` (see :mod:`mesasym.numeric.population.objective`):
:math:`\hat y_{t,m} = \Theta_m^{\mathsf T} F_t`, and vanilla one-step GD with step
:math:`\eta/(t-1)` is :math:`\eta\,\Theta^{\rm GD}` with the manifold point
``a = b = 1``. With the population Gram matrix ``G`` of the features,
:math:`\langle \Theta, \Theta' \rangle = \sum_m \Theta_m^* G \Theta'_m
= \sum_t E[\hat y_t^* \hat y'_t]`, the best step is
:math:`\eta^* = \operatorname{Re}\langle\Theta^{\rm GD},\Theta\rangle / \langle\Theta^{\rm GD},\Theta^{\rm GD}\rangle`
and the relative distance
:math:`\lVert \Theta - \eta^*\Theta^{\rm GD}\rVert_G / \lVert\Theta\rVert_G`
is the root of the fraction of :math:`\sum_t E\lVert\hat y_t\rVert^2` that no
multiple of vanilla GD reproduces (0 on the Assumption-1 manifold). When only the red
blocks are nonzero the learned update is the preconditioned
:math:`\hat y_t = W^{PV}_{12} \big(\tfrac{1}{t-1}\sum_{i=2}^{t} x_i x_{i-1}^*\big) W^{KQ}_{32}\, x_t`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mesasym.errors import require
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.numeric.population.flow import FlowResult, block_norms, population_flow
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.clip import ClipObjective

__all__ = [
    "ClipObjective",
    "BlockStructure",
    "GDDistance",
    "FlowSummary",
    "BeyondAssumptionReport",
    "block_structure",
    "gd_distance",
    "clip_flow",
    "summarize_flow",
    "explore",
]


@dataclass(frozen=True)
class BlockStructure:
    """A ``d x d`` block against the form ``alpha I + beta (11^T - I)`` (real parts).

    ``residual`` is the Frobenius norm of what that form leaves (0 for an
    exchangeable law); ``imag`` the largest imaginary part.
    """

    diagonal_mean: float
    off_diagonal_mean: float
    diagonal_spread: float  # max - min over the diagonal
    off_diagonal_spread: float
    residual: float
    imag: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def block_structure(block: np.ndarray) -> BlockStructure:
    """Fit ``alpha I + beta (11^T - I)`` to ``block`` (means of the diagonal and off-diagonal)."""
    block = np.asarray(block)
    d = block.shape[0]
    real = block.real
    diag = np.diagonal(real)
    off_mask = ~np.eye(d, dtype=bool)
    off = real[off_mask] if d > 1 else np.zeros(1)
    alpha, beta = float(diag.mean()), float(off.mean())
    fitted = beta * np.ones((d, d)) + (alpha - beta) * np.eye(d)
    return BlockStructure(
        diagonal_mean=alpha,
        off_diagonal_mean=beta,
        diagonal_spread=float(diag.max() - diag.min()),
        off_diagonal_spread=float(off.max() - off.min()),
        residual=float(np.linalg.norm(real - fitted)),
        imag=float(np.max(np.abs(block.imag))),
    )


@dataclass(frozen=True)
class GDDistance:
    """Distance of the learned update from the best scalar multiple of vanilla one-step GD.

    ``eta`` is the best step numerator (the GD step is ``eta/(t-1)``), ``relative``
    the relative population distance of the predictions (see the module docstring),
    ``learned_norm`` the population norm :math:`(\\sum_t E\\lVert\\hat y_t\\rVert^2)^{1/2}`.
    """

    eta: float
    relative: float
    learned_norm: float


def _theta(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``Theta[m] = P[m] (x) vec(Q)``, shape ``(d, (2d)^3)``."""
    d = P.shape[0]
    return (np.asarray(P, complex)[:, :, None] * np.asarray(Q, complex).reshape(-1)[None, None, :]).reshape(d, -1)


def _gram(objective: PopulationObjective, A: np.ndarray, B: np.ndarray) -> complex:
    """``sum_m A_m^* G B_m`` (population inner product of two linear predictors)."""
    GB = objective.G @ B.T  # (D^3, d)
    return complex(np.sum(A.conj().T * GB))


def gd_distance(objective: PopulationObjective, params: Parameters) -> GDDistance:
    """Best scalar multiple of vanilla one-step GD and the relative distance from it (exact)."""
    require(params.d == objective.d, f"params have d={params.d} but the objective has d={objective.d}")
    d = params.d
    learned = _theta(params.P, params.Q)
    vanilla = _theta(*_vanilla_blocks(d))
    vv = _gram(objective, vanilla, vanilla).real
    lv = _gram(objective, vanilla, learned).real
    ll = _gram(objective, learned, learned).real
    eta = lv / vv
    difference = learned - eta * vanilla  # formed first: no cancellation in the norm
    residual = max(_gram(objective, difference, difference).real, 0.0)
    relative = float(np.sqrt(residual / ll)) if ll > 0 else 0.0
    return GDDistance(eta=float(eta), relative=relative, learned_norm=float(np.sqrt(ll)))


def _vanilla_blocks(d: int) -> tuple[np.ndarray, np.ndarray]:
    params = Parameters.assumption1(d, 1.0, 1.0)
    return params.P, params.Q


@dataclass(frozen=True)
class FlowSummary:
    """One converged flow (full or clip) and what it learned."""

    name: str
    converged: bool
    message: str
    tau_final: float
    n_steps: int
    loss_initial: float
    loss_final: float
    ab: float  # the authors' metric, mean of a_j b_j on the red diagonals
    product_diag_mean: float  # mean diagonal of W^PV_12 W^KQ_32
    kq32: np.ndarray
    pv12: np.ndarray
    kq32_structure: BlockStructure
    pv12_structure: BlockStructure
    off_manifold: float
    block_norms: dict[str, float]
    gd: GDDistance
    tau: np.ndarray
    ab_history: np.ndarray
    off_manifold_history: np.ndarray
    loss_history: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {
            "converged": self.converged,
            "message": self.message,
            "tau_final": self.tau_final,
            "steps": self.n_steps,
            "loss_initial": self.loss_initial,
            "loss_final": self.loss_final,
            "ab": self.ab,
            "product_diag_mean": self.product_diag_mean,
            "kq32": self.kq32.real.tolist(),
            "pv12": self.pv12.real.tolist(),
            "kq32_structure": self.kq32_structure.as_dict(),
            "pv12_structure": self.pv12_structure.as_dict(),
            "off_manifold": self.off_manifold,
            "block_norms": self.block_norms,
            "gd_distance": {"eta": self.gd.eta, "relative": self.gd.relative, "learned_norm": self.gd.learned_norm},
        }


def summarize_flow(name: str, objective: PopulationObjective, flow: FlowResult) -> FlowSummary:
    """Collect the converged blocks, their structure, the loss and the distance from vanilla GD."""
    final = flow.final
    kq32, pv12 = final.kq32.copy(), final.pv12.copy()
    return FlowSummary(
        name=name,
        converged=flow.converged,
        message=flow.message,
        tau_final=float(flow.tau[-1]),
        n_steps=int(flow.tau.size - 1),
        loss_initial=float(flow.loss[0]),
        loss_final=float(flow.loss[-1]),
        ab=float(final.ab),
        product_diag_mean=float(np.mean(np.diagonal(pv12 @ kq32)).real),
        kq32=kq32,
        pv12=pv12,
        kq32_structure=block_structure(kq32),
        pv12_structure=block_structure(pv12),
        off_manifold=float(final.off_manifold_norm()),
        block_norms=block_norms(final),
        gd=gd_distance(objective, final),
        tau=flow.tau,
        ab_history=flow.ab,
        off_manifold_history=flow.off_manifold,
        loss_history=flow.loss,
    )


def clip_flow(objective: ClipObjective, start: tuple[float, float], **kwargs: Any) -> FlowResult:
    """The clip (projected) population flow from the Assumption-1 start ``(a0, b0)``."""
    require(isinstance(objective, ClipObjective), f"objective must be a ClipObjective, got {type(objective).__name__}")
    return population_flow(objective, start, **kwargs)


@dataclass(frozen=True)
class BeyondAssumptionReport:
    """The full flow and the clip flow from the same start, for one law."""

    spec: str
    d: int
    T: int
    start: tuple[float, float]
    assumption2: bool
    reasons: tuple[str, ...]
    full: FlowSummary
    clip: FlowSummary
    manifold_product: float | None  # argmin of the manifold loss (derived; the clip limit when it stays there)
    manifold_loss: float  # the population loss at that point
    process: str | None = None  # the law of W when it is not the paper's uniform phases

    def as_dict(self) -> dict[str, Any]:
        out = {
            "dist": self.spec,
            "d": self.d,
            "T": self.T,
            "start": {"a0": self.start[0], "b0": self.start[1]},
            "assumption2": {"satisfied": self.assumption2, "reasons": list(self.reasons)},
            "full": self.full.as_dict(),
            "clip": self.clip.as_dict(),
            "manifold_optimum": {"ab": self.manifold_product, "loss": self.manifold_loss},
            "loss_gap_clip_minus_full": self.clip.loss_final - self.full.loss_final,
        }
        if self.process is not None:
            out["process"] = self.process
        return out


def explore(
    law: Any,
    d: int,
    T: int,
    start: tuple[float, float] = (0.1, 0.1),
    *,
    gtol: float = 1e-10,
    rtol: float = 1e-10,
    tau_max: float = 1e6,
    process: Any = None,
) -> BeyondAssumptionReport:
    """Run the full and the clip population flows from ``start`` and summarize both.

    ``process``: the law of the eigenvalues of ``W`` (:mod:`mesasym.laws.processes`); ``None`` or
    ``uniform`` is the paper's. For another law the manifold optimum is
    :func:`mesasym.symbolic.phase_laws.manifold_fixed_point`.
    """
    from mesasym.precise import as_float
    from mesasym.symbolic.capability import manifold_minimiser, manifold_sums

    require(
        isinstance(start, tuple) and len(start) == 2 and all(np.isfinite(v) for v in start),
        f"start={start!r} must be a pair of finite numbers (a0, b0)",
    )
    require(start[0] != -start[1] or start[0] == 0, f"start={start!r} lies on a0 = -b0, where the flow goes to the saddle at 0")
    require(not (start[0] == 0 and start[1] == 0), "start=(0, 0) is a stationary point (the saddle at the origin)")
    law.validate_dimension(d)
    from mesasym.laws import is_uniform_process, parse_process

    law_w = None if is_uniform_process(parse_process(process)) else parse_process(process)
    full_objective = PopulationObjective(law, d, T, process=law_w)
    clip_objective = ClipObjective(law, d, T, process=law_w)
    options = {"gtol": gtol, "rtol": rtol, "tau_max": tau_max}
    full = summarize_flow("full", full_objective, population_flow(full_objective, start, **options))
    clip = summarize_flow("clip", full_objective, clip_flow(clip_objective, start, **options))
    if law_w is None:
        c_manifold = manifold_minimiser(manifold_sums(law, d), T)
        c_value = None if c_manifold is None else as_float(c_manifold)
    else:
        from mesasym.symbolic.phase_laws import manifold_fixed_point

        c_value = float(manifold_fixed_point(law_w, law, d, T))
    manifold_loss = float("nan") if c_value is None else full_objective.loss(Parameters.assumption1(d, c_value, 1.0))
    report = law.check_assumption2(d)
    return BeyondAssumptionReport(
        spec=law.spec(),
        d=d,
        T=T,
        start=(float(start[0]), float(start[1])),
        assumption2=bool(report),
        reasons=tuple(report.reasons),
        full=full,
        clip=clip,
        manifold_product=c_value,
        manifold_loss=manifold_loss,
        process=None if law_w is None else law_w.spec(),
    )

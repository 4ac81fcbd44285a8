"""Shared pieces of the properties: the failure type, tolerances and numeric helpers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from mesasym.numeric.model import Parameters
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.testing.subject import Subject

#: Digits for the high-precision reduced-flow integrations inside properties.
DPS = 20
#: Number of standard errors allowed in Monte Carlo comparisons (``|z| > 5``: probability 6e-7).
MC_Z = 5.0
#: Unit roundoff of float64.
U_BLOCK = np.finfo(np.float64).eps / 2


class PropertyFailure(AssertionError):
    """A property does not hold for an example; the message states the numbers and the tolerance."""


def fail_property(message: str) -> None:
    raise PropertyFailure(message)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def derived_fixed_point(subject: Subject, T: int, kappas: tuple[sp.Expr, ...]) -> sp.Expr:
    return subject.fixed_point(T, *kappas, sp.harmonic(T - 2))


def gradient_rounding_bound(objective: PopulationObjective, P: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Entrywise forward-error bounds for the float64 population gradient at ``(P, Q)``.

    The gradient is :math:`\nabla_P = (G\Theta - h)\bar q`, :math:`\nabla_Q = (G\Theta - h)\bar P`
    with :math:`\Theta = P \otimes q` (see :mod:`mesasym.numeric.population.objective`). Each entry is a
    sum of at most :math:`n = D^3 + D^2 + T + 8` rounded products (``D = 2d``; the
    ``T`` covers the float sums in the count tables, the 8 the rounded moments and
    products), so its rounding error is at most :math:`2 n u` times the same sum
    taken over absolute values (the usual :math:`\gamma_n` bound with a factor 2
    to spare). Returns ``(bound_P, bound_Q)`` with the shapes of ``P`` and ``Q``.
    """
    D, d, T = objective.D, objective.d, objective.T
    q = np.abs(np.asarray(Q)).reshape(-1)
    P_abs = np.abs(np.asarray(P))
    theta = (P_abs[:, :, None] * q[None, None, :]).reshape(d, D**3)
    term = (np.abs(objective.G) @ theta.T + np.abs(objective.h).T).reshape(D, D * D, d)
    bound_P = np.einsum("akm,k->ma", term, q)
    bound_Q = np.einsum("akm,ma->k", term, P_abs).reshape(D, D)
    gamma = 2 * (D**3 + D**2 + T + 8) * U_BLOCK
    return gamma * bound_P, gamma * bound_Q


def _red_diagonal_masks(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the red diagonals inside ``P`` (``d x 2d``) and ``Q`` (``2d x 2d``)."""
    mask_P = np.zeros((d, 2 * d), dtype=bool)
    mask_Q = np.zeros((2 * d, 2 * d), dtype=bool)
    for j in range(d):
        mask_P[j, j] = True  # W^PV_12 = WPV[0:d, d:2d] -> P[:, 0:d]
        mask_Q[d + j, j] = True  # W^KQ_32 = WKQ[2d:3d, d:2d] -> Q[d:2d, 0:d]
    return mask_P, mask_Q


def off_manifold_violations(
    grad_P: np.ndarray, grad_Q: np.ndarray, bound_P: np.ndarray, bound_Q: np.ndarray
) -> list[str]:
    """Where a gradient at an Assumption-1 point leaves the manifold beyond its rounding bound.

    Off the manifold: every entry of ``P`` and ``Q`` outside the two red
    diagonals; unequal entries along a red diagonal; an imaginary part on a red
    diagonal (the real manifold of the reduced flow). Returns one line per kind
    of violation (empty if none).
    """
    d = grad_P.shape[0]
    mask_P, mask_Q = _red_diagonal_masks(d)
    problems = []
    # P = WPV[0:d, d:3d] and Q = WKQ[d:3d, d:3d]: row/column offsets into the full matrices
    for label, grad, bound, mask, offset in (
        ("PV", grad_P, bound_P, mask_P, (0, d)),
        ("KQ", grad_Q, bound_Q, mask_Q, (d, d)),
    ):
        excess = np.where(~mask, np.abs(grad) - bound, -np.inf)
        if np.max(excess) > 0:
            i, j = np.unravel_index(int(np.argmax(excess)), grad.shape)
            where = entry_name(label, i + offset[0], j + offset[1], d)
            problems.append(
                f"gradient {grad[i, j].real:.3e}{grad[i, j].imag:+.1e}i at {where} (off the manifold) "
                f"exceeds its rounding bound {bound[i, j]:.2e}"
            )
        diagonal, diagonal_bound = grad[mask], bound[mask]
        spread = np.abs(diagonal - diagonal[0]) - (diagonal_bound + diagonal_bound[0])
        if np.max(spread) > 0:
            block = "W^PV_12" if label == "PV" else "W^KQ_32"
            problems.append(
                f"{block}: diagonal entries differ ({diagonal[0]:.6e} vs {diagonal[int(np.argmax(spread))]:.6e}) "
                "beyond their rounding bounds"
            )
        if np.max(np.abs(diagonal.imag) - diagonal_bound) > 0:
            block = "W^PV_12" if label == "PV" else "W^KQ_32"
            problems.append(f"{block}: diagonal has an imaginary part {np.max(np.abs(diagonal.imag)):.3e}")
    return problems


def manifold_gradient(
    subject: Subject, dist: Any, d: int, T: int, a: sp.Rational, b: sp.Rational
) -> tuple[PopulationObjective, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    objective = subject.population_objective(dist, d, T)
    point = Parameters.assumption1(d, float(a), float(b))
    _, grad_P, grad_Q = objective.loss_and_gradient_blocks(point.P, point.Q)
    bound_P, bound_Q = gradient_rounding_bound(objective, point.P, point.Q)
    return objective, grad_P, grad_Q, bound_P, bound_Q


def ratio_estimate(subject: Subject, X: np.ndarray) -> tuple[float, float]:
    r"""The Monte Carlo estimate of ``a~b~`` from sequences ``X`` and its standard error.

    On the manifold the per-sequence loss is :math:`\tfrac12\sum_t\lVert c\,v_t - x_{t+1}\rVert^2`
    with :math:`v_t` one GD step of unit size (THEORY §6), minimised by
    :math:`\hat c = \sum B / \sum A`, :math:`A = \sum_t\lVert v_t\rVert^2`,
    :math:`B = \sum_t \operatorname{Re}\langle v_t, x_{t+1}\rangle`: the limit of
    gradient descent on the sample restricted to the manifold. Standard error by
    the delta method: :math:`\operatorname{sd}(B - \hat c A) / (\sqrt n\,\bar A)`.
    """
    v = subject.one_step_gd(X, 1.0)
    y = X[:, 2:]
    A = np.sum(np.abs(v) ** 2, axis=(1, 2))
    B = np.sum((v.conj() * y).real, axis=(1, 2))
    estimate = float(B.mean() / A.mean())
    n = len(A)
    se = float(np.std(B - estimate * A, ddof=1) / (math.sqrt(n) * A.mean()))
    return estimate, se


def entry_name(matrix: str, row: int, col: int, d: int) -> str:
    """``("PV", 0, 3, 2)`` -> ``W^PV_12 entry (1, 2)``: paper block and 1-based position inside it."""
    return f"W^{matrix}_{row // d + 1}{col // d + 1} entry ({row % d + 1}, {col % d + 1})"

"""Symbolic derivation (SymPy) of the reduced flow, its fixed point, Theorem 1's invariance and Corollary 1.

This package is one of mesasym's independent sources of truth. It is built
only from the model definition (THEORY §2), the data model (§1) and the
expectation rules; it never imports the numeric model or the paper's claims.

Public operations
-----------------

Expectation rules (:mod:`~mesasym.symbolic.expectation`)
    :func:`phase_moment`, :func:`phase_expectation` (``E[lambda^m] = [m = 0]``,
    concrete or symbolic ``m``, independent phases, ``conj(lambda) = 1/lambda``);
    :class:`Moment` (generic ``E prod x_{1,j}^{p_j}``), :func:`coordinate_expectation`,
    :func:`assumption2_reduce` (to ``kappa_1, kappa_2, kappa_3, m_2``),
    :func:`vanishes_under_assumption2`.

Sums (:mod:`~mesasym.symbolic.sums`)
    :func:`delta_sum` (the Kronecker-delta rule over integer ranges), :func:`sum_over`.

The loss on the Assumption-1 manifold (:mod:`~mesasym.symbolic.manifold_loss`)
    :func:`general_manifold_loss` -- route (i), symbolic ``d`` and ``t``, every step kept;
    :func:`brute_force_manifold_loss` -- route (ii), literal model, concrete ``d, t``;
    :func:`instantiate_general_loss` -- route (i) at concrete ``d, t`` with generic moments.

Reduced flow (:mod:`~mesasym.symbolic.reduced_flow`)
    :func:`derive_reduced_flow` -> :class:`ReducedFlow` (sum over ``t``, per-entry
    gradient, ODE, ``g``, conserved quantity, ``c* = a~ b~``, ``a~^2``, linear rate,
    non-convergent set); :func:`fixed_point_product`; :func:`manifold_loss_t`,
    :func:`manifold_loss_total` (Wirtinger symbols).

Closed-form dynamics (:mod:`~mesasym.symbolic.dynamics`)
    :func:`~mesasym.symbolic.dynamics.derive_dynamics` -> ``ClosedFormDynamics``: ``c(tau)``
    via ``w = (a + b)^2`` (a Riccati equation, explicit inversion), the rate, ``tau_eps``, the
    reduced GD map and its stability threshold ``2/r`` (imported from the module, not here,
    because the derivation takes a few seconds).

Invariance (:mod:`~mesasym.symbolic.invariance`)
    :func:`invariance_table` -> :class:`InvarianceTable` of :class:`EntryGradient`
    (full-model gradient at manifold points, every entry, generic moments);
    :func:`reduction_violations` (conditions beyond Assumption 2 that the reduction to
    one ``(a, b)`` needs: ``E x_j^3 x_k^3 = 0`` and equal column sums), :func:`strengthen`.

Other transition laws of ``W`` (:mod:`~mesasym.symbolic.phase_laws`)
    :func:`~mesasym.symbolic.expectation.phase_expectation_law` (any ``E[lambda^p conj(lambda)^q]``),
    ``invariance_table(d, T, phases="unit"|"damped")``, :func:`invariance_condition`,
    :func:`manifold_fixed_point` (the closed form where the manifold stays invariant),
    :func:`reduction_steps` (which step of Theorem 1's reduction holds).
Corollary 1 (:mod:`~mesasym.symbolic.corollary`)
    :func:`corollary1_identity` -> :class:`CorollaryIdentity` (derived step size).

Symbols (:mod:`~mesasym.symbolic.symbols`)
    ``T, d, t, KAPPA1, KAPPA2, KAPPA3, M2, a, b, a0, b0, c, DELTA`` and the Wirtinger
    symbols ``A, ABAR, B, BBAR``.

Gradient convention everywhere: ``grad = dL/dRe + i dL/dIm = 2 dL/d conj(z)``
(THEORY §3).
"""

from __future__ import annotations

from mesasym.symbolic import symbols
from mesasym.symbolic.corollary import CorollaryIdentity, corollary1_identity
from mesasym.symbolic.expectation import (
    Moment,
    assumption2_reduce,
    coordinate_expectation,
    phase_expectation,
    phase_moment,
    vanishes_under_assumption2,
)
from mesasym.symbolic.invariance import (
    EntryGradient,
    InvarianceTable,
    invariance_table,
    reduction_violations,
    strengthen,
)
from mesasym.symbolic.manifold_loss import (
    GeneralManifoldLoss,
    brute_force_manifold_loss,
    general_manifold_loss,
    instantiate_general_loss,
)
from mesasym.symbolic.phase_laws import (
    invariance_condition,
    manifold_fixed_point,
    reduction_steps,
)
from mesasym.symbolic.reduced_flow import (
    ReducedFlow,
    derive_reduced_flow,
    fixed_point_limits,
    fixed_point_product,
    manifold_loss_t,
    manifold_loss_total,
)
from mesasym.symbolic.sums import delta_sum, sum_over

__all__ = [
    "symbols",
    "invariance_condition",
    "manifold_fixed_point",
    "reduction_steps",
    "Moment",
    "phase_moment",
    "phase_expectation",
    "coordinate_expectation",
    "assumption2_reduce",
    "vanishes_under_assumption2",
    "delta_sum",
    "sum_over",
    "GeneralManifoldLoss",
    "general_manifold_loss",
    "brute_force_manifold_loss",
    "instantiate_general_loss",
    "ReducedFlow",
    "derive_reduced_flow",
    "fixed_point_limits",
    "fixed_point_product",
    "EntryGradient",
    "InvarianceTable",
    "invariance_table",
    "reduction_violations",
    "strengthen",
    "manifold_loss_t",
    "manifold_loss_total",
    "CorollaryIdentity",
    "corollary1_identity",
]

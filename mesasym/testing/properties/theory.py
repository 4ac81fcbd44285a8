"""Properties of the derivation itself: claim, reduced flow, saddle, scaling, long context."""

from __future__ import annotations

import math

import mpmath
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.laws import Sparse
from mesasym.precise import PolynomialTaylorSolver, integrate_reduced_flow
from mesasym.symbolic import symbols as S
from mesasym.testing import strategies as ms
from mesasym.testing.properties.common import DPS, fail_property, derived_fixed_point
from mesasym.testing.subject import DEFAULT_SUBJECT, Subject

# --------------------------------------------------------------------------
# The properties
# --------------------------------------------------------------------------


def check_derived_equals_claim(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    """The derived ``a~b~`` equals Theorem 1's formula exactly (SymPy difference simplifies to 0)."""
    kappas = subject.kappas(case.dist, case.d)
    derived = derived_fixed_point(subject, case.T, kappas)
    claimed = subject.claim(case.T, *kappas)
    difference = sp.simplify(sp.sympify(derived) - claimed)
    if difference != 0:
        fail_property(
            f"derived a~b~ = {derived} but Theorem 1 gives {claimed} "
            f"(difference {difference}; tolerance 0, exact rationals)"
        )


def check_reduced_flow_converges(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""``a^2 - b^2`` is conserved and ``(a, b) -> (a~, b~)`` along the derived reduced flow.

    Integrated at :data:`DPS` digits (Taylor series) until ``|ab - c*| / c* <= 10^-(DPS/2)``.
    Tolerances: the drift of ``a^2 - b^2`` at most ``10^-(DPS-5)`` times the scale
    ``max(1, |a0^2 - b0^2|, a~^2 + b~^2)``; with ``a^2 - b^2`` conserved,
    ``|a - a~| <= |ab - c*| / (|a| + |a~|)``, so ``a, b`` must lie within
    ``2 eps max(|b~/a~|, |a~/b~|) + 10^-(DPS-5)`` (relative) of the closed forms.
    """
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    a0, b0 = case.a0, case.b0
    delta = a0**2 - b0**2
    rate = ode.rate.subs(S.DELTA, delta)
    trajectory = integrate_reduced_flow(ode.rhs_a, ode.rhs_b, a0, b0, ode.c_star, rate, dps=DPS)
    a_tilde, b_tilde = ode.limits(a0, b0, DPS)
    with mpmath.mp.workdps(DPS + 10):
        floor = mpmath.mpf(10) ** (-(DPS - 5))
        scale = max(mpmath.mpf(1), abs(mpmath.mpf(sp.N(delta, DPS + 10))), a_tilde**2 + b_tilde**2)
        if trajectory.conserved_drift > floor * scale:
            fail_property(
                f"a^2 - b^2 drifts by {mpmath.nstr(trajectory.conserved_drift, 3)} along the reduced flow "
                f"(tolerance {mpmath.nstr(floor * scale, 3)} at {DPS} digits)"
            )
        if not trajectory.converged:
            fail_property(
                f"the reduced flow from (a0, b0) = ({a0}, {b0}) did not reach a~b~ = {ode.c_star}: "
                f"|ab - c*|/c* = {mpmath.nstr(trajectory.distance, 3)} at tau = {mpmath.nstr(trajectory.tau[-1], 4)}"
            )
        error, tolerance = trajectory.limit_error(a_tilde, b_tilde)
        if error > tolerance:
            fail_property(
                f"the reduced flow ends at (a, b) = ({mpmath.nstr(trajectory.a[-1], 12)}, {mpmath.nstr(trajectory.b[-1], 12)}) "
                f"but the closed form is ({mpmath.nstr(a_tilde, 12)}, {mpmath.nstr(b_tilde, 12)}): relative error "
                f"{mpmath.nstr(error, 3)} > {mpmath.nstr(tolerance, 3)}"
            )


#: Decay horizon for degenerate starts, in units of 1/(g' c*): ``|a| <= |a0| e^{-horizon}``.
SADDLE_HORIZON = 20


def check_degenerate_start_saddle(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""From ``a0 = -b0`` the flow stays on ``a = -b`` and decays to the origin.

    On ``a = -b``, :math:`\dot a = -b\,g(ab) = a\,g(-a^2) = -g'\,a\,(a^2 + c^*)`, so
    :math:`|a(\tau)| \le |a_0| e^{-g' c^* \tau}`. Checked along the derived reduced
    flow at :data:`DPS` digits at ``tau_k = k / (g' c*)``, ``k = 1..20``: ``a + b = 0`` and
    the bound, up to ``10^-(DPS-5)``. For ``d <= 2`` also the full model's
    population flow to ``tau_20``: its norm ``sqrt(2d) |a|`` must be below
    ``sqrt(2d) |a0| e^{-20}`` plus ``1e-8`` (LSODA's error control at ``rtol = 1e-12``
    over a few hundred steps, with a wide margin).
    """
    if case.a0 != -case.b0:
        raise InvalidInputError(f"degenerate-start-saddle needs a0 = -b0, got ({case.a0}, {case.b0})")
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    rate = ode.slope * ode.c_star
    a0 = case.a0
    solver = PolynomialTaylorSolver((ode.rhs_a, ode.rhs_b), (S.a, S.b), (a0, case.b0), DPS)
    with mpmath.mp.workdps(DPS + 10):
        floor = mpmath.mpf(10) ** (-(DPS - 5)) * max(1, abs(mpmath.mpf(sp.N(a0, DPS + 10))))
        unit = 1 / mpmath.mpf(sp.N(rate, DPS + 10))
        for k in range(1, SADDLE_HORIZON + 1):
            a, b = solver.at(k * unit)
            if abs(a + b) > floor:
                fail_property(f"the reduced flow leaves the line a = -b: a + b = {mpmath.nstr(a + b, 3)} at tau = {k}/(g' c*)")
            bound = abs(mpmath.mpf(sp.N(a0, DPS + 10))) * mpmath.exp(-k) + floor
            if abs(a) > bound:
                fail_property(
                    f"from the degenerate start ({a0}, {case.b0}) the reduced flow has |a| = {mpmath.nstr(abs(a), 5)} "
                    f"at tau = {k}/(g' c*), above the decay bound |a0| e^-{k} = {mpmath.nstr(bound, 5)}"
                )
    if case.d <= 2:
        from mesasym.numeric.population.flow import population_flow

        objective = subject.population_objective(case.dist, case.d, case.T)
        tau_end = SADDLE_HORIZON * float(unit)
        flow = population_flow(objective, (float(a0), float(case.b0)), tau_max=tau_end)
        final = flow.final
        norm = final.norm()
        limit = math.sqrt(2 * case.d) * abs(float(a0)) * math.exp(-SADDLE_HORIZON) + 1e-8
        if norm > limit:
            fail_property(
                f"the full model's population flow from ({a0}, {case.b0}) has norm {norm:.3e} at tau = {tau_end:.4g}, "
                f"above the saddle bound {limit:.3e}"
            )




def check_scaling_law(example_: tuple[ms.Case, sp.Rational], subject: Subject = DEFAULT_SUBJECT) -> None:
    """``x_1 -> s x_1`` maps the derived ``a~b~`` to ``a~b~ / s^2``, exactly."""
    case, s = example_
    scaled = ms.scale_law(case.dist, s)
    c = derived_fixed_point(subject, case.T, subject.kappas(case.dist, case.d))
    c_scaled = derived_fixed_point(subject, case.T, subject.kappas(scaled, case.d))
    if sp.simplify(c_scaled - c / s**2) != 0:
        fail_property(
            f"a~b~ = {c} for {case.dist.spec()} but {c_scaled} for {scaled.spec()} (s = {s}); "
            f"expected a~b~/s^2 = {c / s**2} exactly"
        )


#: Digits for the long-context comparisons.
LONG_DPS = 40


def check_long_context_limit(example_: tuple[ms.Case, int], subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""``a~b~(T) -> kappa1/kappa2`` as ``T -> oo``: monotone, with an explicit bound.

    With ``h = H_{T-2}/(T-2)``: :math:`\kappa_1/\kappa_2 - \tilde a\tilde b = \kappa_1\kappa_3 h /
    (\kappa_2(\kappa_2 + \kappa_3 h)) \le \kappa_1\kappa_3 h/\kappa_2^2`, and ``h <= (1 + ln(T-2))/(T-2) -> 0``.
    Checked at ``T`` and ``T' = T * factor`` (``T`` up to ``10^12``) in mpmath at
    :data:`LONG_DPS` digits: ``a~b~(T) <= a~b~(T') <= kappa1/kappa2`` and the bound,
    each up to ``10^-(LONG_DPS-5)`` relative.
    """
    case, factor = example_
    k1, k2, k3 = subject.kappas(case.dist, case.d)
    T1, T2 = case.T, case.T * factor
    with mpmath.mp.workdps(LONG_DPS):
        mk1, mk2, mk3 = (mpmath.mpf(sp.N(k, LONG_DPS + 5)) for k in (k1, k2, k3))
        limit = mk1 / mk2
        slack = limit * mpmath.mpf(10) ** (-(LONG_DPS - 5))
        values = []
        for T in (T1, T2):
            h = mpmath.harmonic(T - 2) / (T - 2)
            value = subject.fixed_point(T, k1, k2, k3, mpmath.harmonic(T - 2))
            bound = mk1 * mk3 * h / mk2**2
            gap = limit - value
            if gap < -slack or gap > bound + slack:
                fail_property(
                    f"a~b~(T={T}) = {mpmath.nstr(value, 15)} is {mpmath.nstr(gap, 5)} below kappa1/kappa2 = "
                    f"{mpmath.nstr(limit, 15)}; the derived gap must lie in [0, kappa1 kappa3 h / kappa2^2 = "
                    f"{mpmath.nstr(bound, 5)}] with h = H_(T-2)/(T-2)"
                )
            values.append(value)
        if values[0] > values[1] + slack:
            fail_property(f"a~b~ decreases from T={T1} ({mpmath.nstr(values[0], 15)}) to T={T2} ({mpmath.nstr(values[1], 15)})")


def check_kappa3_zero_T_independent(example_: tuple[ms.Case, int], subject: Subject = DEFAULT_SUBJECT) -> None:
    """``kappa3 = 0`` makes ``a~b~ = kappa1/kappa2`` for every ``T`` (sparse: ``1/c^2``), exactly."""
    case, T2 = example_
    k1, k2, k3 = subject.kappas(case.dist, case.d)
    if k3 != 0:
        fail_property(f"{case.dist.spec()} in d={case.d} should have kappa3 = 0, got {k3}")
    for T in (case.T, T2):
        value = derived_fixed_point(subject, T, (k1, k2, k3))
        if sp.simplify(value - k1 / k2) != 0:
            fail_property(f"a~b~(T={T}) = {value} but kappa3 = 0 should give kappa1/kappa2 = {k1 / k2} for every T")
    if isinstance(case.dist, Sparse):
        expected = 1 / case.dist.c**2
        if sp.simplify(k1 / k2 - expected) != 0:
            fail_property(f"sparse c={case.dist.c}: kappa1/kappa2 = {k1 / k2} but the authors' theory line is 1/c^2 = {expected}")


#: Sample sizes and replicates of ``monte-carlo-rate``.

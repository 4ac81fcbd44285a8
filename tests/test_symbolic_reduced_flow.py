"""The reduced (a, b) flow: ODE, conserved quantity, fixed point, rate, non-convergent set."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.invariance import invariance_table
from mesasym.symbolic.reduced_flow import derive_reduced_flow, fixed_point_limits, fixed_point_product

a, b, c = S.a, S.b, S.c


@pytest.fixture(scope="module")
def flow():  # noqa: ANN201
    return derive_reduced_flow()


def test_ode_factorises_through_g(flow) -> None:  # noqa: ANN001
    assert sp.expand(flow.rhs_a + b * flow.g.subs(c, a * b)) == 0
    assert sp.expand(flow.rhs_b + a * flow.g.subs(c, a * b)) == 0
    assert flow.grad_a_imaginary == 0
    # g is affine with slope (T-2) kappa2 + kappa3 H_{T-2} and g(0) = -(T-2) kappa1
    assert sp.simplify(flow.slope - ((S.T - 2) * S.KAPPA2 + S.KAPPA3 * sp.harmonic(S.T - 2))) == 0
    assert sp.simplify(flow.g.subs(c, 0) + (S.T - 2) * S.KAPPA1) == 0


def test_conserved_quantity(flow) -> None:  # noqa: ANN001
    assert sp.expand(flow.conserved - (a**2 - b**2)) == 0
    assert flow.conserved_rate == 0
    assert sp.simplify(flow.c_rate + (a**2 + b**2) * flow.g.subs(c, a * b)) == 0


def test_fixed_point_and_individual_limits(flow) -> None:  # noqa: ANN001
    cstar = flow.fixed_product
    assert sp.simplify(flow.g.subs(c, cstar)) == 0
    u = flow.a_tilde_squared
    assert sp.simplify(u**2 - S.DELTA * u - cstar**2) == 0
    # numerically positive at sample values
    sample = {S.T: 7, S.KAPPA1: 3, S.KAPPA2: 15, S.KAPPA3: 6, S.DELTA: -0.7}
    assert float(u.subs(sample)) > 0


def test_linearisation(flow) -> None:  # noqa: ANN001
    eigs = flow.jacobian_eigenvalues_kc
    assert 0 in eigs
    nonzero = [e for e in eigs if e != 0][0]
    # -lambda = K (a~^2 + C^2/a~^2) = K (a~^2 + b~^2)
    assert sp.simplify(nonzero + S.K * (S.ATILDE**2 + S.CSTAR**2 / S.ATILDE**2)) == 0
    assert sp.simplify(flow.rate_kc - S.K * sp.sqrt(S.DELTA**2 + 4 * S.CSTAR**2)) == 0


def test_non_convergent_set(flow) -> None:  # noqa: ANN001
    assert flow.non_convergent == sp.Eq(S.b0, -S.a0)


def test_concrete_T_matches_symbolic_substitution() -> None:
    concrete = fixed_point_product(7, 3, (3, 15, 6))
    general = fixed_point_product().subs({S.T: 7, S.KAPPA1: 3, S.KAPPA2: 15, S.KAPPA3: 6}).doit()
    assert concrete == sp.nsimplify(general)
    assert concrete == sp.Rational(3 * 5, 15 * 5 + 6 * sp.Rational(137, 60))


def test_per_entry_gradient_matches_full_model_diagonal() -> None:
    """Independent check of the gradient constant: the full model's own gradient (invariance
    table, d = 2, T = 5) on the red diagonals equals the reduced flow's per-entry gradient."""
    T, d = 5, 2
    flow = derive_reduced_flow(T, d)
    table = invariance_table(d, T)
    for j in range(d):
        kq = table.entry("KQ", 2 * d + j, d + j).assumption2
        pv = table.entry("PV", j, d + j).assumption2
        assert sp.expand(kq - flow.grad_a) == 0
        assert sp.expand(pv - flow.grad_b) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numerical_integration_agrees(seed: int) -> None:
    """Integrate the derived ODE at seeded random (T, kappas, a0, b0): conserved a^2 - b^2 (rtol
    1e-8 of the integrator) and convergence to the derived limits unless a0 = -b0."""
    rng = np.random.default_rng(seed)
    T = int(rng.integers(3, 40))
    kappas = tuple(sp.Rational(int(rng.integers(1, 20)), int(rng.integers(1, 5))) for _ in range(3))
    flow = derive_reduced_flow(T, 3, kappas)
    rhs = sp.lambdify((a, b), [flow.rhs_a, flow.rhs_b])
    a0, b0 = rng.uniform(0.2, 1.5, size=2) * rng.choice([-1, 1], size=2)
    if abs(abs(a0) - abs(b0)) < 0.2:  # keep away from the a = -b line (mixed signs stay: the sign rule)
        a0 = np.sign(a0) * (abs(b0) + 0.3)
    scale = float(flow.slope) * (a0**2 + b0**2)
    sol = solve_ivp(lambda _t, y: rhs(*y), (0, 60 / scale), [a0, b0], rtol=1e-10, atol=1e-12)
    a_end, b_end = sol.y[:, -1]
    assert abs((a_end**2 - b_end**2) - (a0**2 - b0**2)) < 1e-8 * max(1, a0**2 + b0**2)
    delta = a0**2 - b0**2
    cstar = float(flow.fixed_product)
    assert abs(a_end * b_end - cstar) < 1e-6 * cstar
    a_sq = float(flow.a_tilde_squared.subs(S.DELTA, delta))
    assert abs(a_end**2 - a_sq) < 1e-6 * max(1, a_sq)
    # the derived signed limits (sign rule included) against the integrated end point
    a_tilde, b_tilde = (float(v) for v in fixed_point_limits(flow, sp.Rational(a0), sp.Rational(b0)))
    assert abs(a_end - a_tilde) < 1e-6 * max(1, abs(a_tilde)) and abs(b_end - b_tilde) < 1e-6 * max(1, abs(b_tilde))
    # On the line a = -b the flow goes to the origin instead (near 0: a' = g(0) a with g(0) < 0).
    # The origin is a saddle (the a = b direction grows at the same rate), so integrate only until
    # exp(-15) ~ 3e-7: round-off (1e-16) cannot grow past ~1e-9 in that time.
    decay = -float(flow.g.subs(c, 0))
    sol = solve_ivp(lambda _t, y: rhs(*y), (0, 15 / decay), [a0, -a0], rtol=1e-10, atol=1e-14)
    assert np.hypot(*sol.y[:, -1]) < 1e-5 * abs(a0)


def test_limits_sign_rule_at_mixed_signs() -> None:
    """Starts with a0 b0 < 0: the coordinate of larger modulus keeps its sign, the other crosses 0."""
    flow = derive_reduced_flow(6, 2, (3, 15, 3))
    half, tenth = sp.Rational(1, 2), sp.Rational(1, 10)
    for a0, b0, sign in ((half, -tenth, 1), (-half, tenth, -1), (tenth, -half, -1), (-tenth, half, 1)):
        a_tilde, b_tilde = fixed_point_limits(flow, a0, b0)
        assert sp.sign(sp.N(a_tilde)) == sign and sp.sign(sp.N(b_tilde)) == sign
        assert sp.simplify(a_tilde * b_tilde - flow.fixed_product) == 0
        assert sp.simplify(a_tilde**2 - b_tilde**2 - (a0**2 - b0**2)) == 0
    with pytest.raises(InvalidInputError):
        fixed_point_limits(flow, 0, 0)


def test_invalid_T_and_d() -> None:
    with pytest.raises(InvalidInputError, match="T=2"):
        derive_reduced_flow(2)
    with pytest.raises(InvalidInputError, match="d=0"):
        derive_reduced_flow(5, 0)

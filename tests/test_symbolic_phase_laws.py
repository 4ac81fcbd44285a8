"""Theorem 1's reduction with other transition laws (mesasym.symbolic.phase_laws) against the engine."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from mesasym.laws import parse_distribution, parse_process
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.flow import population_flow
from mesasym.numeric.population.objective import PopulationObjective, manifold_gradient_split
from mesasym.symbolic import fixed_point_product
from mesasym.symbolic.expectation import phase_expectation, phase_expectation_law
from mesasym.symbolic.invariance import invariance_table
from mesasym.symbolic.phase_laws import (
    invariance_condition,
    manifold_coefficients,
    manifold_fixed_point,
    manifold_loss_value,
    reduction_steps,
)

GAUSSIAN = parse_distribution("gaussian:sigma=0.9")


def test_law_phase_expectation_reduces_to_the_papers_rule_and_keeps_conjugates_apart() -> None:
    l1, l2 = sp.symbols("l1 l2")
    expr = (l1**2 * sp.conjugate(l1) ** 2 + 3 * l1 * sp.conjugate(l2) + l2**3) * (1 + sp.conjugate(l1))
    uniform = phase_expectation_law(expr, [l1, l2], lambda p, q: sp.Integer(int(p == q)))
    assert sp.expand(uniform - phase_expectation(expr, [l1, l2])) == 0
    R = sp.Symbol("R", positive=True)
    damped = phase_expectation_law(expr, [l1, l2], lambda p, q: R ** (p + q) if p == q else 0)
    assert sp.expand(damped - R**4) == 0  # only l1^2 conj(l1)^2 survives, with weight R^4


def test_unit_table_at_zero_phase_moments_is_the_papers_table() -> None:
    uniform, unit = invariance_table(2, 4), invariance_table(2, 4, "unit")
    zero = {sp.Symbol(f"phi_{m}"): 0 for m in range(1, 25)}
    for a, b in zip(uniform.entries, unit.entries):
        assert sp.expand(b.generic.xreplace(zero) - a.generic) == 0


@pytest.mark.parametrize(
    "spec,invariant",
    [
        ("uniform", True),
        ("damped:r=0.8", True),
        ("roots:k=3", True),
        ("roots:k=4", True),
        ("roots:k=2", False),
        ("roots:k=1", False),
        ("von-mises:kappa=2", False),
        ("von-mises:kappa=1/10", False),
    ],
)
def test_invariance_condition_agrees_with_the_engine(spec: str, invariant: bool) -> None:
    """Symbolic (d = 2, T = 6) versus the engine's off-manifold gradient at an Assumption-1 point at
    d = 3, T = 7: exactly zero up to rounding (1e-12 relative to the red gradient) iff invariant."""
    condition = invariance_condition(spec)
    assert condition.holds is invariant
    objective = PopulationObjective(GAUSSIAN, 3, 7, process=parse_process(spec))
    g_a, _, off = manifold_gradient_split(objective.gradient(Parameters.assumption1(3, 0.3, 0.4)))
    if invariant:
        assert off <= 1e-12 * abs(g_a)
    else:
        assert off > 1e-4 * abs(g_a)


def test_mixture_with_damped_and_unit_components_is_left_to_the_engine() -> None:
    spec = "mixture:components=[roots:k=4],[damped:r=1/2];weights=1/2,1/2"
    assert invariance_condition(spec).holds is None


@pytest.mark.parametrize("spec", ["uniform", "damped:r=0.8", "roots:k=4", "roots:k=2", "von-mises:kappa=2"])
def test_symbolic_manifold_loss_equals_the_engine(spec: str) -> None:
    """The loss on the manifold from the block algebra and the law's moments versus the population
    engine at the same point (independent routes; 1e-12 relative, float64 rounding of the engine)."""
    d, T = 3, 7
    engine = PopulationObjective(GAUSSIAN, d, T, process=parse_process(spec))
    exact = manifold_coefficients(parse_process(spec), GAUSSIAN, d, T).exact
    for a, b in ((0.5, 0.7), (-0.2, 1.3)):
        c = Fraction(a).limit_denominator(100) * Fraction(b).limit_denominator(100) if exact else a * b
        value = float(manifold_loss_value(spec, GAUSSIAN, d, T, c))
        assert value == pytest.approx(engine.manifold_loss(a, b), rel=1e-12)


def test_uniform_fixed_point_is_theorem_1s() -> None:
    d, T = 3, 9
    k = GAUSSIAN.kappas(d)
    derived = fixed_point_product(T, d, (k.kappa1, k.kappa2, k.kappa3))
    value = manifold_fixed_point("uniform", GAUSSIAN, d, T)
    assert isinstance(value, Fraction)
    assert sp.Rational(value.numerator, value.denominator) == derived


def test_damped_fixed_point_matches_the_geometric_sums() -> None:
    """Independent hand reduction (phase selection a = b leaves geometric sums in u = R^2):
    B_t = kappa_1 u^t S_t/(t-1), A_t = u^t (kappa_2 S_t^2 + kappa_3 Q_t)/(t-1)^2 per coordinate,
    S_t = sum_{m<t-1} u^m, Q_t = sum_{m<t-1} u^{2m}. Exact equality."""
    d, T, R = 3, 8, Fraction(4, 5)
    k = GAUSSIAN.kappas(d)
    k1, k2, k3 = (Fraction(int(x.p), int(x.q)) for x in (k.kappa1, k.kappa2, k.kappa3))
    u = R * R
    num = den = Fraction(0)
    for t in range(2, T):
        S = sum(u**m for m in range(t - 1))
        Q = sum(u ** (2 * m) for m in range(t - 1))
        num += k1 * u**t * S / (t - 1)
        den += u**t * (k2 * S * S + k3 * Q) / (t - 1) ** 2
    assert manifold_fixed_point("damped:r=0.8", GAUSSIAN, d, T) == num / den


@pytest.mark.parametrize("spec", ["damped:r=0.8", "roots:k=4"])
def test_full_model_limit_follows_the_closed_form_where_the_manifold_is_invariant(spec: str) -> None:
    """Population flow of the full model (every entry free) from (0.1, 0.1): its limit ab equals
    sum_t B_t / sum_t A_t to 1e-10 (the flow stops at stationarity 1e-13; see check-fixed-point)."""
    d, T = 2, 6
    c_star = float(manifold_fixed_point(spec, GAUSSIAN, d, T))
    flow = population_flow(PopulationObjective(GAUSSIAN, d, T, process=parse_process(spec)), (0.1, 0.1))
    assert flow.converged
    assert abs(flow.final.ab - c_star) <= 1e-10 * c_star
    assert flow.final.off_manifold_norm() <= 1e-12


def test_reduction_steps() -> None:
    steps = {s.name: s.holds for s in reduction_steps("roots:k=4", GAUSSIAN, 3, 6)}
    assert steps == {"phase-rule": False, "invariance": True, "kappa-only": False, "closed-form": True}
    steps = {s.name: s.holds for s in reduction_steps("damped:r=0.5", GAUSSIAN, 3, 6)}
    assert steps == {"phase-rule": False, "invariance": True, "kappa-only": True, "closed-form": True}
    steps = {s.name: s.holds for s in reduction_steps("von-mises:kappa=2", GAUSSIAN, 3, 6)}
    assert steps == {"phase-rule": False, "invariance": False, "kappa-only": False, "closed-form": False}
    steps = {s.name: s.holds for s in reduction_steps("uniform", GAUSSIAN, 3, 6)}
    assert all(steps.values())


def test_invariance_step_fails_when_the_law_of_x1_breaks_it() -> None:
    """The phase condition holds for roots:k=4, but x_1 = 1_d violates Assumption 2 and a skewed law has
    E x_j^3 x_k^3 != 0: the step must fail (the engine's off-manifold gradient is nonzero for both)."""
    for spec in ("ones", "discrete:values=-1,2;probs=2/3,1/3"):
        steps = {s.name: s for s in reduction_steps("roots:k=4", parse_distribution(spec), 2, 6)}
        assert steps["invariance"].holds is False and "x_1" in steps["invariance"].detail
        assert steps["closed-form"].holds is False
        objective = PopulationObjective(parse_distribution(spec), 2, 6, process=parse_process("roots:k=4"))
        g_a, _, off = manifold_gradient_split(objective.gradient(Parameters.assumption1(2, 0.3, 0.4)))
        assert off > 1e-4 * abs(g_a)


def test_monomials_are_listed_in_one_order_whatever_the_hash_seed() -> None:
    """The condition's monomials come from a set of strings; their order must not depend on hashing."""
    import os
    import subprocess
    import sys

    code = "from mesasym.symbolic.phase_laws import invariance_condition as c; print(c('roots:k=4', 2, 5).monomials)"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1, outputs

"""Derived reduced loss and flow of two-layer linear attention (mesasym.symbolic.deep_flow).

Tolerances: the symbolic side is exact (rationals); the engine is exact up to float64
rounding (about 1e-15 relative, tests/test_models_exact.py). The derived flow must match the
engine's gradient to 1e-10 relative (the issue's bound; measured 1.4e-15) and the loss to
1e-12. Identities between two symbolic results are compared exactly (``== 0``).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution
from mesasym.models.exact import ExactPopulation
from mesasym.models.manifold import block_scalar_point, manifold_split
from mesasym.symbolic.deep_flow import (
    depends_only_on_product_sum,
    paper_manifold,
    reduced_flow,
    reduced_loss,
    residue,
)
from mesasym.symbolic.phase_laws import manifold_loss_value

CLOSURE = paper_manifold(2) + ((0, "PV", 1, 2), (1, "KQ", 1, 0))
FLOW_TOL = 1e-10


@pytest.mark.parametrize(("spec", "d", "T"), [("gaussian", 1, 5), ("sparse:c=2", 2, 4), ("laplace", 2, 4)])
def test_paper_manifold_loss_is_one_layer_at_sum_of_products(spec, d, T):
    """Derived: on the per-layer diagonal manifold, L depends on a, b only through c = sum a_l b_l,
    and equals the one-layer manifold loss at ab = c (derived independently in symbolic.phase_laws)."""
    dist = parse_distribution(spec)
    as_c = depends_only_on_product_sum(reduced_loss(paper_manifold(2), d, T, 2, dist))
    assert as_c is not None
    c = sp.Symbol("c", real=True)
    assert sp.expand(as_c - sp.nsimplify(manifold_loss_value(None, dist, d, T, c))) == 0


@pytest.mark.parametrize(("spec", "d", "T"), [("gaussian", 1, 5), ("uniform", 2, 4), ("sparse", 2, 4)])
def test_derived_flow_equals_exact_engine_on_the_closure(spec, d, T):
    dist = parse_distribution(spec)
    reduced = reduced_loss(CLOSURE, d, T, 2, dist)
    flow = reduced_flow(reduced)
    pop = ExactPopulation(dist, d, T, 2)
    rng = np.random.default_rng(1)
    for _ in range(2):
        values = rng.uniform(-1, 1, len(CLOSURE))
        at = dict(zip(reduced.symbols, (sp.Rational(v) for v in values)))
        loss, grad = pop.loss_and_gradient(block_scalar_point(d, 2, dict(zip(CLOSURE, values))))
        split = manifold_split(grad, CLOSURE)
        derived = np.array([float(-f.subs(at)) for f in flow])
        engine = np.array([split.on[c] for c in CLOSURE])
        assert abs(float(reduced.loss.subs(at)) - loss) <= 1e-12 * abs(loss)
        assert np.max(np.abs(derived - engine)) <= FLOW_TOL * np.max(np.abs(engine))
        assert split.off_max <= FLOW_TOL * split.scale  # the closure is invariant


def test_derived_flow_detects_a_perturbed_law():
    """Can fail: the flow derived for sigma = 1.01 misses the engine's sigma = 1 gradient by >> 1e-10."""
    reduced = reduced_loss(CLOSURE, 1, 5, 2, parse_distribution("gaussian:sigma=1.01"))
    flow = reduced_flow(reduced)
    values = np.random.default_rng(2).uniform(-1, 1, len(CLOSURE))
    at = dict(zip(reduced.symbols, (sp.Rational(v) for v in values)))
    grad = ExactPopulation(parse_distribution("gaussian"), 1, 5, 2).gradient(block_scalar_point(1, 2, dict(zip(CLOSURE, values))))
    engine = np.array([manifold_split(grad, CLOSURE).on[c] for c in CLOSURE])
    derived = np.array([float(-f.subs(at)) for f in flow])
    assert np.max(np.abs(derived - engine)) > 1e3 * FLOW_TOL * np.max(np.abs(engine))


def test_residue_is_the_engines_off_manifold_gradient():
    """The symbolic residue on the paper's manifold equals the engine's gradient in the breaking blocks."""
    dist, d, T = parse_distribution("uniform"), 2, 4
    reduced = reduced_loss(CLOSURE, d, T, 2, dist)
    broken = residue(reduced, paper_manifold(2))
    a = (0.3, -0.7)
    b = (0.9, 0.4)
    at = {sp.Symbol("a_1", real=True): a[0], sp.Symbol("a_2", real=True): a[1],
          sp.Symbol("b_1", real=True): b[0], sp.Symbol("b_2", real=True): b[1]}
    grad = ExactPopulation(dist, d, T, 2).gradient(block_scalar_point(d, 2, dict(zip(paper_manifold(2), (a[0], b[0], a[1], b[1])))))
    split = manifold_split(grad, CLOSURE)
    for c, expr in broken.items():
        value = float(expr.subs(at))
        assert value != 0.0
        assert abs(split.on[c] - value) <= FLOW_TOL * split.scale


def test_generic_moments_are_kept_without_a_law():
    reduced = reduced_loss(paper_manifold(2), 1, 4, 2)
    assert "E[" in sp.sstr(reduced.loss)


def test_sizes_beyond_the_limit_are_refused():
    with pytest.raises(InvalidInputError, match="beyond the symbolic derivation's limit"):
        reduced_loss(CLOSURE, 2, 11, 2)


def test_full_population_flow_equals_derived_flow():
    """The engine's flow with every entry free, from the paper's start, against the derived 6-parameter
    flow at the same time tau = 3: both integrated by LSODA at rtol 1e-12 (measured 7e-13 apart);
    1e-10 is the issue's bound. The off-closure entries stay at rounding level (measured 7e-17)."""
    from scipy.integrate import solve_ivp

    from mesasym.compare.deep_training import population_flow

    dist, d, T = parse_distribution("gaussian"), 1, 4
    reduced = reduced_loss(CLOSURE, d, T, 2, dist)
    rhs = sp.lambdify(reduced.symbols, reduced_flow(reduced), "numpy")
    s0 = np.array([0.1, 0.1, 0.1, 0.1, 0.0, 0.0])
    full = population_flow(ExactPopulation(dist, d, T, 2), block_scalar_point(d, 2, dict(zip(CLOSURE, s0))), 3.0)
    derived = solve_ivp(lambda _t, y: np.array(rhs(*y), float), (0, 3.0), s0, method="LSODA", rtol=1e-12, atol=1e-14)
    split = manifold_split(full.params, CLOSURE)
    engine = np.array([split.on[c] for c in CLOSURE])
    assert np.max(np.abs(engine - derived.y[:, -1])) <= FLOW_TOL * np.max(np.abs(engine))
    assert split.off_max <= 1e-12
    assert abs(engine[4]) > 0.1  # the flow left the paper's manifold (l1 PV23 grew from 0)

"""The reduced flow of a law of ``W`` (mesasym.compare.fixed_point_reduction) against Theorem 1's derivation."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from mesasym.compare.fixed_point_reduction import reduce_law
from mesasym.laws import parse_distribution, parse_process
from mesasym.symbolic import derive_reduced_flow


@pytest.mark.parametrize("dist,d,T", [("gaussian:sigma=1", 2, 6), ("uniform:w=1", 3, 7), ("sparse:c=2", 3, 5)])
def test_uniform_phases_give_theorem_1s_slope_and_fixed_point_exactly(dist: str, d: int, T: int) -> None:
    """K = sum_t A_t / d and c* = sum_t B_t / sum_t A_t from the manifold loss with the paper's phase moments
    equal the slope and the root of the derived g(c) = (T-2)(kappa2 c - kappa1) + kappa3 H_{T-2} c (exact)."""
    law = parse_distribution(dist)
    k = law.kappas(d)
    flow = derive_reduced_flow(T, d, kappas=(k.kappa1, k.kappa2, k.kappa3))
    reduction = reduce_law(parse_process("uniform"), law, d, T)
    assert isinstance(reduction.slope, Fraction) and reduction.invariant is True
    assert sp.Rational(reduction.slope.numerator, reduction.slope.denominator) == sp.nsimplify(flow.slope)
    assert sp.Rational(reduction.c_star.numerator, reduction.c_star.denominator) == sp.nsimplify(flow.fixed_product)


def test_another_law_moves_the_slope_and_the_fixed_point() -> None:
    """The comparison above can fail: damped phases (|lambda| = 0.8) change both constants."""
    law = parse_distribution("gaussian:sigma=1")
    uniform, damped = (reduce_law(parse_process(spec), law, 2, 6) for spec in ("uniform", "damped:r=0.8"))
    assert damped.slope < uniform.slope and damped.c_star != uniform.c_star


def test_the_symbolic_closed_form_is_refused_beyond_its_cost_limit() -> None:
    from mesasym.compare.fixed_point_reduction import PROCESS_MAX_T
    from mesasym.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=f"T <= {PROCESS_MAX_T}"):
        reduce_law(parse_process("damped:r=0.8"), parse_distribution("gaussian"), 2, PROCESS_MAX_T + 1)

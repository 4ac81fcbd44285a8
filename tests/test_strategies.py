"""The public strategies of ``mesasym.testing`` draw what they promise, and the profiles load.

Each "satisfying" law must pass Assumption 2 *and* the reduction conditions
(``mesasym.symbolic.reduction_violations``); each "violating" law must fail one
of them; initializations, cases and scaling behave as documented. All checks
are exact (SymPy moments), so no tolerances are involved.
"""

from __future__ import annotations

import argparse
import shlex

import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mesasym.cli import build_parser
from mesasym.testing.strategies.satisfying import _cyclic_sign_orbit
from mesasym.laws import DiscreteVectorLaw, Gaussian, Ones, Rademacher, Sparse, StudentT, parse_distribution
from mesasym.errors import InvalidInputError
from mesasym.symbolic import reduction_violations
from mesasym.testing import profiles
from mesasym.testing import strategies as ms


def _reduction(law, d: int) -> list[str]:
    return reduction_violations(lambda indices: law.moment(indices, d), d, exchangeable=law.exchangeable)


@st.composite
def _dimension_and_law(draw, laws, min_d: int = 1, max_d: int = 4):
    d = draw(ms.dimensions(min_d, max_d))
    law = draw(laws(d))
    return (law.fixed_dimension or d), law


# --- satisfying laws ----------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_dimension_and_law(ms.satisfying_laws))
def test_satisfying_laws_meet_assumption2_and_the_reduction_conditions(pair) -> None:
    d, law = pair
    report = law.check_assumption2(d)
    assert report, report.reasons
    assert _reduction(law, d) == []
    k = law.kappas(d)
    assert k.kappa1 > 0 and k.kappa2 > 0 and k.kappa3 >= 0


@pytest.mark.parametrize("family", ms.SATISFYING_FAMILIES)
def test_every_family_can_be_drawn(family: str) -> None:
    """Excluding all other families leaves a strategy that draws this one (d = 3 for the cyclic laws)."""
    expected = {"cyclic": "discrete-vector"}.get(family, family)

    @settings(max_examples=5, phases=[Phase.generate], database=None)
    @given(ms.satisfying_laws(3, exclude=set(ms.SATISFYING_FAMILIES) - {family}))
    def draws(law) -> None:
        assert law.name == expected

    draws()


def test_exclude_rejects_unknown_or_every_family() -> None:
    with pytest.raises(InvalidInputError, match="unknown families"):
        ms.satisfying_laws(2, exclude={"cauchy"})
    with pytest.raises(InvalidInputError, match="no family"):
        ms.satisfying_laws(2, exclude=set(ms.SATISFYING_FAMILIES))


def test_cyclic_laws_are_not_exchangeable_for_d3() -> None:
    """The orbit of (1, 2, 0): E x1^2 x2^4 = 16/3 but E x1^4 x2^2 = 4/3 (exact), yet the reduction holds."""
    orbit = _cyclic_sign_orbit((sp.Integer(1), sp.Integer(2), sp.Integer(0)))
    assert len(orbit) == 12  # 3 rotations x 4 sign patterns of the two nonzero entries
    law = DiscreteVectorLaw(orbit, [sp.Rational(1, 12)] * 12)
    assert law.moment((0, 0, 1, 1, 1, 1), 3) == sp.Rational(16, 3)
    assert law.moment((0, 0, 0, 0, 1, 1), 3) == sp.Rational(4, 3)
    assert law.check_assumption2(3)
    assert _reduction(law, 3) == []


@given(ms.cyclic_symmetric_laws(3))
def test_cyclic_laws_have_sign_and_shift_symmetry(law) -> None:
    atoms = set(law.atoms)
    for atom in atoms:
        assert tuple(-v for v in atom) in atoms
        assert atom[1:] + atom[:1] in atoms


@given(_dimension_and_law(ms.kappa3_zero_laws))
def test_kappa3_zero_laws_have_kappa3_zero(pair) -> None:
    d, law = pair
    assert law.kappas(d).kappa3 == 0


# --- violating laws -------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_dimension_and_law(ms.violating_laws, max_d=3))
def test_violating_laws_violate_assumption2_or_the_reduction(pair) -> None:
    d, law = pair
    report = law.check_assumption2(d)
    assert (not report) or _reduction(law, d)


@given(ms.skewed_mean_zero_laws(), ms.dimensions(2, 4))
def test_skewed_laws_satisfy_assumption2_as_stated_but_not_the_reduction(law, d: int) -> None:
    """Finding 1: mean zero and i.i.d., so Assumption 2 holds; E x_j^3 x_k^3 = (E x^3)^2 != 0 breaks the reduction."""
    assert law.coordinate_moment(1) == 0
    assert law.coordinate_moment(3) != 0
    assert law.check_assumption2(d)
    violations = _reduction(law, d)
    assert len(violations) == 1 and "x_{1,2}^3" in violations[0]
    assert law.moment((0, 0, 0, 1, 1, 1), d) == law.coordinate_moment(3) ** 2


def test_mean_zero_laws_include_symmetric_and_skewed_and_symmetric_only_on_request() -> None:
    @settings(max_examples=60, database=None, derandomize=True)
    @given(ms.mean_zero_discrete_laws())
    def collect(law) -> None:
        assert law.coordinate_moment(1) == 0
        seen.add(law.coordinate_moment(3) == 0)

    seen: set[bool] = set()
    collect()
    assert seen == {True, False}

    @given(ms.mean_zero_discrete_laws(symmetric=True))
    def symmetric(law) -> None:
        assert law.coordinate_moment(3) == 0

    symmetric()


def test_column_sum_law_is_finding_2() -> None:
    """d = 3: Assumption 2 holds (equal kappas and row sums), only the column sums differ."""
    law = ms.column_sum_law()
    assert law.fixed_dimension == 3
    assert law.check_assumption2(3)
    violations = _reduction(law, 3)
    assert len(violations) == 1 and "column sums" in violations[0]
    columns = [sum(law.moment((r, r, j, j, j, j), 3) for r in range(3) if r != j) for j in range(3)]
    rows = [sum(law.moment((j, j, r, r, r, r), 3) for r in range(3) if r != j) for j in range(3)]
    assert len(set(rows)) == 1 and len(set(columns)) > 1


@given(ms.column_sum_laws())
def test_column_sum_mixtures_keep_finding_2(law) -> None:
    assert law.check_assumption2(3)
    assert any("column sums" in reason for reason in _reduction(law, 3))


@given(ms.correlated_laws(3))
def test_correlated_laws_have_correlated_coordinates(law) -> None:
    assert any(law.moment((i, j), 3) != 0 for i in range(3) for j in range(i + 1, 3))


@given(ms.unequal_coordinate_laws(2))
def test_unequal_coordinate_laws_have_unequal_kappa1(law) -> None:
    assert law.moment((0, 0, 0, 0), 2) != law.moment((1, 1, 1, 1), 2)
    with pytest.raises(InvalidInputError, match="not the same for every coordinate"):
        law.kappas(2)


def test_dimension_guards() -> None:
    for factory in (ms.correlated_laws, ms.unequal_coordinate_laws, ms.cyclic_symmetric_laws):
        with pytest.raises(InvalidInputError, match=">= 2"):
            factory(1)


# --- numbers, initializations, cases ----------------------------------------------------------


@given(ms.ordinary_initializations())
def test_ordinary_starts_avoid_the_degenerate_line(start) -> None:
    a0, b0 = start
    assert isinstance(a0, sp.Rational) and a0 + b0 != 0


@given(ms.degenerate_initializations())
def test_degenerate_starts_lie_on_the_degenerate_line(start) -> None:
    a0, b0 = start
    assert a0 == -b0


@given(ms.rationals("-1/2", "3/4", max_denominator=5))
def test_rationals_are_exact_and_in_range(x) -> None:
    assert isinstance(x, sp.Rational) and sp.Rational(-1, 2) <= x <= sp.Rational(3, 4) and x.q <= 5


def test_argument_errors() -> None:
    with pytest.raises(InvalidInputError, match="must not exceed"):
        ms.rationals(2, 1)
    with pytest.raises(InvalidInputError, match="1 <= min_d"):
        ms.dimensions(0, 3)
    with pytest.raises(InvalidInputError, match="3 <= min_T"):
        ms.horizons(2, 5)
    with pytest.raises(InvalidInputError, match="> 6"):
        ms.student_t_laws(min_nu=6)
    with pytest.raises(InvalidInputError, match="T=2 must be an integer >= 3"):
        ms.Case(Gaussian(1), d=1, T=2)


def _parse_command(command: str) -> argparse.Namespace:
    words = shlex.split(command)
    assert words[:2] == ["mesasym", "check-fixed-point"]
    return build_parser().parse_args(words[1:])


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(ms.cases(laws=lambda d: st.one_of(ms.satisfying_laws(d), ms.violating_laws(d)), max_d=3), ms.seeds())
def test_case_commands_parse_and_round_trip(case: ms.Case, seed: int) -> None:
    args = _parse_command(case.command(engine="monte-carlo", samples=500))
    assert args.T == case.T and args.d == case.d
    assert parse_distribution(args.dist) == case.dist
    assert sp.Rational(args.a0) == case.a0 and sp.Rational(args.b0) == case.b0
    assert args.engine == "monte-carlo" and args.samples == 500 and args.seed == case.seed


def test_case_command_for_negative_starts_is_unambiguous() -> None:
    command = ms.Case(Gaussian(1), d=2, T=4, a0=sp.Rational(-1, 5), b0=-2).command()
    assert "--a0=-1/5" in command and "--b0=-2" in command
    args = _parse_command(command)
    assert (args.a0, args.b0) == (sp.Rational(-1, 5), -2)


@settings(max_examples=5, phases=[Phase.generate], database=None)
@given(ms.cases(laws=lambda d: ms.column_sum_laws(), max_d=1))
def test_cases_use_a_laws_fixed_dimension(case: ms.Case) -> None:
    assert case.d == 3


# --- scaling ---------------------------------------------------------------------------------


@given(
    _dimension_and_law(lambda d: st.one_of(ms.satisfying_laws(d, exclude={"student-t"}), ms.violating_laws(d)), max_d=3),
    ms.rationals("1/4", 4, max_denominator=6).filter(lambda s: s > 0),
    st.lists(st.integers(0, 2), min_size=1, max_size=6),
)
def test_scale_law_scales_every_moment_by_s_to_the_degree(pair, s, indices) -> None:
    d, law = pair
    if isinstance(law, Ones):
        with pytest.raises(InvalidInputError, match="no scale parameter"):
            ms.scale_law(law, s)
        return
    indices = [min(i, d - 1) for i in indices]
    scaled = ms.scale_law(law, s)
    assert type(scaled) is type(law)
    assert sp.simplify(scaled.moment(indices, d) - s ** len(indices) * law.moment(indices, d)) == 0


def test_scale_law_refuses_student_t_and_nonpositive_factors() -> None:
    with pytest.raises(InvalidInputError, match="no scale parameter"):
        ms.scale_law(StudentT(9), 2)
    with pytest.raises(InvalidInputError, match="positive"):
        ms.scale_law(Rademacher(1), 0)
    assert ms.scale_law(Sparse(1), sp.Rational(1, 2)) == Sparse(sp.Rational(1, 2))


# --- profiles ----------------------------------------------------------------------------------


def test_profiles_have_the_documented_settings() -> None:
    dev, ci, thorough = (profiles.profile_settings(name) for name in profiles.PROFILES)
    assert (dev.max_examples, ci.max_examples, thorough.max_examples) == (25, 40, 500)
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert HealthCheck.too_slow in ci.suppress_health_check


def test_profile_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(profiles.PROFILE_ENV_VAR, "thorough")
    assert profiles.profile_settings().max_examples == 500
    monkeypatch.setenv(profiles.PROFILE_ENV_VAR, "nightly")
    with pytest.raises(InvalidInputError, match="MESASYM_HYPOTHESIS_PROFILE='nightly'"):
        profiles.profile_settings()
    with pytest.raises(InvalidInputError, match="profile='fast'"):
        profiles.load_profile("fast")

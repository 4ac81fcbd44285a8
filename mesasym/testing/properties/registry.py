"""The registry of properties: each with its strategy, check, pinned examples and cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from mesasym.errors import InvalidInputError
from mesasym.laws import Gaussian, Ones, Rademacher, ShiftedGaussian, Sparse
from mesasym.testing import strategies as ms
from mesasym.testing.properties.dynamics import (
    check_closed_form_trajectory,
    check_gd_map_matches_full_model,
    check_gd_threshold,
)
from mesasym.testing.properties.gradient import (
    check_assumption2_as_stated_suffices,
    check_d1_any_law,
    check_gradient_invariance_satisfying,
    check_gradient_violations_where_predicted,
)
from mesasym.testing.properties.theory import (
    check_degenerate_start_saddle,
    check_derived_equals_claim,
    check_kappa3_zero_T_independent,
    check_long_context_limit,
    check_reduced_flow_converges,
    check_scaling_law,
)
from mesasym.testing.properties.training import (
    MC_RATE_SIZES,
    MC_TRAINING_SAMPLES,
    check_corollary1_fresh_sequences,
    check_full_model_monte_carlo_training,
    check_full_model_population_training,
    check_monte_carlo_rate,
)
from mesasym.testing.subject import Subject

# --------------------------------------------------------------------------
# Strategies and pinned examples per property
# --------------------------------------------------------------------------

_HALF = sp.Rational(1, 2)
_TENTH = sp.Rational(1, 10)

#: Edge cases every case-based property runs first: T = 3, d = 1, a sparse start, Rademacher.
PINNED_CASES: tuple[ms.Case, ...] = (
    ms.Case(Gaussian(1), d=1, T=3, a0=_TENTH, b0=_TENTH),
    ms.Case(Sparse(1), d=3, T=5, a0=_HALF, b0=sp.Rational(3, 2)),
    ms.Case(Rademacher(1), d=2, T=3, a0=2, b0=2),
    ms.Case(Rademacher(_HALF), d=1, T=4, a0=-1, b0=_TENTH),
)

#: A case where nothing degenerates: ``kappa3 != 0``, ``T - 2 > 1`` and the estimate depends on the phases
#: (unlike every edge case above). Pinned where a bug shows only there, so that the shipped broken
#: variants are caught on every Hypothesis seed (tests/test_properties_broken.py asserts that a pinned
#: example catches each): the fixed point's ``1/(T-2)`` and Monte Carlo phases on half the circle.
GENERIC_CASE = ms.Case(Gaussian(1), d=3, T=6, a0=_TENTH, b0=_TENTH)


def _case_strategy(max_d: int, max_T: int, laws: Callable[[int], Any] = ms.satisfying_laws, **kw: Any):
    return ms.cases(laws=laws, max_d=max_d, max_T=max_T, **kw)


def _with_point(cases_: Any) -> Any:
    return st.tuples(cases_, ms.manifold_points())


def _degenerate(case: ms.Case) -> ms.Case:
    return ms.Case(case.dist, case.d, case.T, case.a0, -case.a0, case.seed)


def _no_heavy_tails(d: int) -> Any:
    return ms.satisfying_laws(d, exclude={"student-t"})


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """One property: strategy, check, pinned examples, cost and expectation.

    ``weight`` scales the profile's ``max_examples`` (see :func:`budget`);
    ``expect`` is ``"holds"`` or ``"falsified"`` (a documented finding).
    ``case_of(example)`` extracts the :class:`~mesasym.testing.strategies.Case` for the
    counterexample command; ``command_options`` are passed to :meth:`Case.command`.
    ``slow`` marks properties that run population flows or Monte Carlo training;
    ``shrink=False`` skips Hypothesis' shrinking (for properties whose every call
    costs seconds: the counterexample is then the first one found, not a minimal one).
    """

    name: str
    summary: str
    strategy: Any
    check: Callable[[Any, Subject], None]
    pinned: tuple[Any, ...] = ()
    weight: float = 1.0
    min_examples: int = 2
    expect: str = "holds"
    case_of: Callable[[Any], ms.Case] = lambda example_: example_
    describe: Callable[[Any], str] | None = None
    command_options: dict[str, Any] = field(default_factory=dict)
    slow: bool = False
    shrink: bool = True

    def command(self, example_: Any) -> str:
        """The ``mesasym check-fixed-point`` command reproducing ``example_``'s setting."""
        return self.case_of(example_).command(**self.command_options)

    def explain(self, example_: Any) -> str:
        """One line naming the example."""
        if self.describe is not None:
            return self.describe(example_)
        return self.case_of(example_).describe()


def _first(example_: Any) -> ms.Case:
    return example_[0]


def _case_and_point(example_: Any) -> str:
    case, (a, b) = example_
    return f"{case.describe()}; manifold point (a, b) = ({a}, {b})"


def _case_and(label: str) -> Callable[[Any], str]:
    def describe(example_: Any) -> str:
        case, extra = example_
        return f"{case.describe()}; {label} = {extra}"

    return describe


_POINT = (sp.Rational(7, 10), sp.Rational(-3, 10))

#: Every property of the shipped suite, in the order ``mesasym property-test`` runs them.
PROPERTIES: tuple[Property, ...] = (
    Property(
        "derived-equals-claim",
        "derived a~b~ equals Theorem 1's formula exactly",
        _case_strategy(4, 60),
        check_derived_equals_claim,
        pinned=PINNED_CASES + (GENERIC_CASE,),
        weight=1.0,
    ),
    Property(
        "reduced-flow-converges",
        "a^2 - b^2 conserved along the derived reduced flow; (a, b) -> closed-form (a~, b~) from ordinary starts",
        _case_strategy(4, 30),
        check_reduced_flow_converges,
        pinned=PINNED_CASES,
        weight=0.5,
    ),
    Property(
        "degenerate-start-saddle",
        "from a0 = -b0 the reduced flow (and the full model, d <= 2) decays to the saddle at the origin",
        _case_strategy(3, 10, inits=ms.degenerate_initializations()),
        check_degenerate_start_saddle,
        pinned=tuple(_degenerate(c) for c in PINNED_CASES),
        weight=0.25,
    ),
    Property(
        "gradient-invariance-satisfying",
        "exact population gradient of the full model has no off-manifold part at (aI, bI) for satisfying laws",
        _with_point(_case_strategy(4, 10)),
        check_gradient_invariance_satisfying,
        pinned=tuple((c, _POINT) for c in PINNED_CASES),
        weight=0.5,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "gradient-violations-where-predicted",
        "for violating laws the exact gradient equals the symbolic invariance table and leaves the manifold",
        _with_point(
            st.one_of(
                _case_strategy(2, 5, laws=ms.violating_laws, min_d=2),
                ms.cases(laws=lambda d: ms.violating_laws(3), min_d=3, max_d=3, max_T=3),
            )
        ),
        check_gradient_violations_where_predicted,
        pinned=(
            (ms.Case(Ones(), d=2, T=4), _POINT),
            (ms.Case(ms.column_sum_law(), d=3, T=3), _POINT),
        ),
        weight=0.25,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "assumption2-as-stated-suffices",
        "FINDING 1: mean-zero i.i.d. laws satisfy Assumption 2 as stated, but skewed ones break the invariance",
        ms.cases(laws=lambda d: ms.mean_zero_discrete_laws(), max_d=3, max_T=6),
        check_assumption2_as_stated_suffices,
        weight=0.25,
        expect="falsified",
        command_options={"engine": "population"},
    ),
    Property(
        "d1-any-law",
        "FINDING 3: for d = 1 the gradient stays on the manifold for every law, even one violating Assumption 2",
        _with_point(ms.cases(laws=ms.violating_laws, max_d=1, max_T=10)),
        check_d1_any_law,
        pinned=((ms.Case(Ones(), d=1, T=3), _POINT), (ms.Case(ShiftedGaussian(1, 1), d=1, T=5), _POINT)),
        weight=0.5,
        case_of=_first,
        describe=_case_and_point,
    ),
    Property(
        "full-model-population-training",
        "full model trained by the exact population gradient flow reaches a~b~, a~, b~ and stays on the manifold",
        _case_strategy(3, 8),
        check_full_model_population_training,
        pinned=PINNED_CASES[:3],
        weight=0.1,
        min_examples=3,
        command_options={"engine": "population"},
        slow=True,
    ),
    Property(
        "full-model-monte-carlo-training",
        "gradient descent on Monte Carlo samples (10 replicates) lands on a~b~ within the replicates' sampling error",
        _case_strategy(2, 6, laws=_no_heavy_tails, inits=ms.ordinary_initializations(max_abs=1)),
        check_full_model_monte_carlo_training,
        pinned=(PINNED_CASES[2],),
        weight=0.1,
        min_examples=2,
        command_options={"engine": "monte-carlo", "samples": MC_TRAINING_SAMPLES},
        slow=True,
        shrink=False,
    ),
    Property(
        "corollary-1-fresh-sequences",
        "the trained model predicts one GD step of size a~b~/(t-1) on fresh sequences",
        _case_strategy(3, 8),
        check_corollary1_fresh_sequences,
        pinned=PINNED_CASES[:3],
        weight=0.1,
        min_examples=3,
        command_options={"engine": "population"},
        slow=True,
    ),
    Property(
        "scaling-law",
        "x_1 -> s x_1 maps a~b~ -> a~b~/s^2 exactly",
        st.tuples(
            _case_strategy(4, 60, laws=lambda d: ms.satisfying_laws(d, exclude={"student-t"})),
            ms.rationals("1/4", 4, max_denominator=6).filter(lambda s: s > 0),
        ),
        check_scaling_law,
        pinned=tuple((c, sp.Integer(2)) for c in PINNED_CASES),
        case_of=_first,
        describe=_case_and("s"),
    ),
    Property(
        "long-context-limit",
        "a~b~ -> kappa1/kappa2 as T -> oo, monotonically, within kappa1 kappa3 H_(T-2) / ((T-2) kappa2^2)",
        st.tuples(ms.cases(max_d=4, max_T=10**12), st.integers(2, 10**6)),
        check_long_context_limit,
        pinned=tuple((c, 10**9) for c in PINNED_CASES),
        case_of=_first,
        describe=_case_and("T'/T"),
    ),
    Property(
        "kappa3-zero-T-independent",
        "kappa3 = 0 makes a~b~ = kappa1/kappa2 for every T (sparse: 1/c^2)",
        st.tuples(ms.cases(laws=ms.kappa3_zero_laws, max_d=4, max_T=200), ms.horizons(3, 10**4)),
        check_kappa3_zero_T_independent,
        pinned=((PINNED_CASES[0], 10**4), (PINNED_CASES[1], 3), (PINNED_CASES[3], 57)),
        case_of=_first,
        describe=_case_and("T'"),
    ),
    Property(
        "closed-form-trajectory",
        "the closed-form (a, b)(tau) equals the integrated derived ODE; c(tau_eps) is eps from a~b~",
        _case_strategy(4, 30),
        check_closed_form_trajectory,
        pinned=PINNED_CASES,
        weight=0.25,
    ),
    Property(
        "gd-threshold",
        "reduced GD threshold 2/r = 2 / (full Hessian along (aI, bI) at the limit) >= the full model's 2/lambda_max",
        _case_strategy(3, 12, laws=_no_heavy_tails),
        check_gd_threshold,
        pinned=PINNED_CASES,
        weight=0.25,
    ),
    Property(
        "gd-map-matches-full-model",
        "20 steps of the reduced GD map equal 20 steps of the full model's population GD",
        _case_strategy(3, 12, laws=_no_heavy_tails),
        check_gd_map_matches_full_model,
        pinned=PINNED_CASES,
        weight=0.25,
    ),
    Property(
        "monte-carlo-rate",
        "the Monte Carlo estimate's RMS error shrinks like 1/sqrt(N)",
        _case_strategy(2, 6, laws=_no_heavy_tails),
        check_monte_carlo_rate,
        pinned=(PINNED_CASES[1], PINNED_CASES[3], GENERIC_CASE),
        weight=0.05,
        min_examples=2,
        command_options={"engine": "monte-carlo", "samples": MC_RATE_SIZES[-1]},
        slow=True,
        shrink=False,
    ),
)

#: Names of the shipped properties, in run order.
PROPERTY_NAMES: tuple[str, ...] = tuple(p.name for p in PROPERTIES)


def get_property(name: str) -> Property:
    """The property called ``name`` (see :data:`PROPERTY_NAMES`)."""
    for prop in PROPERTIES:
        if prop.name == name:
            return prop
    raise InvalidInputError(f"property {name!r} is unknown; valid names are: {', '.join(PROPERTY_NAMES)}")


def budget(prop: Property, max_examples: int) -> int:
    """Examples for ``prop`` when a profile (or ``--examples``) asks for ``max_examples``.

    ``max(prop.min_examples, round(prop.weight * max_examples))``: cheap properties
    (weight 1) get the full number, population flows and Monte Carlo a tenth or
    a twentieth, never fewer than ``min_examples``.
    """
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidInputError(f"max_examples={max_examples!r} must be an integer >= 1")
    return max(prop.min_examples, round(prop.weight * max_examples))



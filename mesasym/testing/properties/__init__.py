r"""The shipped property suite: Theorem 1 checked over generated laws, sizes and starts.

Each :class:`Property` pairs a Hypothesis strategy with a check function
``check(example, subject)`` that raises :class:`PropertyFailure` (an
``AssertionError``) with the numbers, the tolerance and why. The checks reach
mesasym only through a :class:`~mesasym.testing.subject.Subject`, so the same
property can be run against a deliberately broken variant
(:data:`~mesasym.testing.subject.BROKEN_VARIANTS`) to show that it can fail.
:func:`run_property` runs one property under a settings profile and returns a
:class:`PropertyResult` (examples tried, verdict, minimal counterexample as a
``mesasym check-fixed-point`` command). ``tests/test_properties*.py`` and
``mesasym property-test`` both use it.

The properties (see :data:`PROPERTIES`):

* ``derived-equals-claim`` -- the derived ``a~b~`` equals Theorem 1's formula, exactly;
* ``reduced-flow-converges`` -- along the derived reduced flow ``a^2 - b^2`` is
  conserved and ``(a, b)`` reaches the closed-form ``(a~, b~)`` from ordinary starts;
* ``degenerate-start-saddle`` -- from ``a0 = -b0`` the reduced flow (and, for
  ``d <= 2``, the full model's population flow) decays to the saddle at the origin;
* ``gradient-invariance-satisfying`` -- the exact population gradient of the full
  model at Assumption-1 points has no off-manifold component, and its diagonal
  equals the derived reduced flow, for satisfying laws;
* ``gradient-violations-where-predicted`` -- for violating laws the exact gradient
  equals, entry by entry, the symbolic invariance table with the law's moments,
  and the off-manifold part predicted nonzero is nonzero;
* ``assumption2-as-stated-suffices`` -- *expected to be falsified* (finding 1):
  Hypothesis searches mean-zero i.i.d. laws (all satisfy Assumption 2 as
  stated) and finds a skewed one whose gradient leaves the manifold;
* ``d1-any-law`` -- finding 3: for ``d = 1`` the invariance holds for every law, even
  one violating Assumption 2 (only ``E x^4`` and ``E x^6`` enter);
* ``full-model-population-training`` -- the full model trained by the exact
  population gradient flow converges to the closed form;
* ``full-model-monte-carlo-training`` -- gradient descent on Monte Carlo samples
  lands on ``a~b~`` within the sampling error of 10 independent replicates;
* ``corollary-1-fresh-sequences`` -- the trained model predicts one GD step of size
  ``a~b~/(t-1)`` on fresh sequences;
* ``scaling-law`` -- ``x_1 -> s x_1`` maps ``a~b~ -> a~b~/s^2`` (exactly);
* ``long-context-limit`` -- ``a~b~ -> kappa1/kappa2`` as ``T -> oo``, monotonically,
  with an explicit bound;
* ``kappa3-zero-T-independent`` -- ``kappa3 = 0`` makes ``a~b~ = kappa1/kappa2`` for every ``T``;
* ``closed-form-trajectory`` -- the closed-form ``(a, b)(tau)`` equals the integrated derived
  ODE, and ``c(tau_eps)`` is ``eps`` from ``a~b~``;
* ``gd-threshold`` -- the reduced GD threshold ``2/r`` equals 2 over the full model's
  Hessian along the manifold at the limit, and the full ``2/lambda_max`` is not above it;
* ``gd-map-matches-full-model`` -- steps of the reduced GD map equal steps of the full
  model's population gradient descent;
* ``monte-carlo-rate`` -- the Monte Carlo estimate's root-mean-square error shrinks like ``1/sqrt(N)``.
"""

from __future__ import annotations

from mesasym.testing.properties.common import (
    PropertyFailure,
    gradient_rounding_bound,
    off_manifold_violations,
    ratio_estimate,
)
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
from mesasym.testing.properties.registry import (
    PINNED_CASES,
    PROPERTIES,
    PROPERTY_NAMES,
    Property,
    budget,
    get_property,
)
from mesasym.testing.properties.runner import PropertyResult, run_property, run_suite
from mesasym.testing.properties.theory import (
    check_degenerate_start_saddle,
    check_derived_equals_claim,
    check_kappa3_zero_T_independent,
    check_long_context_limit,
    check_reduced_flow_converges,
    check_scaling_law,
)
from mesasym.testing.properties.training import (
    check_corollary1_fresh_sequences,
    check_full_model_monte_carlo_training,
    check_full_model_population_training,
    check_monte_carlo_rate,
)
from mesasym.testing.subject import BROKEN_VARIANTS, broken_subject

__all__ = [
    "PropertyFailure",
    "Property",
    "PropertyResult",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "get_property",
    "budget",
    "run_property",
    "run_suite",
    "gradient_rounding_bound",
    "off_manifold_violations",
    "ratio_estimate",
    "PINNED_CASES",
    "BROKEN_VARIANTS",
    "broken_subject",
    "check_derived_equals_claim",
    "check_reduced_flow_converges",
    "check_degenerate_start_saddle",
    "check_scaling_law",
    "check_long_context_limit",
    "check_kappa3_zero_T_independent",
    "check_gradient_invariance_satisfying",
    "check_gradient_violations_where_predicted",
    "check_assumption2_as_stated_suffices",
    "check_d1_any_law",
    "check_full_model_population_training",
    "check_full_model_monte_carlo_training",
    "check_corollary1_fresh_sequences",
    "check_monte_carlo_rate",
    "check_closed_form_trajectory",
    "check_gd_threshold",
    "check_gd_map_matches_full_model",
]

r"""The implementation a property checks (:class:`Subject`) and its deliberately broken variants.

Every property in :mod:`mesasym.testing.properties` reaches mesasym only
through a :class:`Subject`: a bundle of the functions it exercises (exact
kappas, the derived fixed point and reduced flow, the exact population
objective, the sequence sampler, the model's prediction and one GD step).
:data:`DEFAULT_SUBJECT` is mesasym itself. Each entry of
:data:`BROKEN_VARIANTS` replaces exactly one of those functions by a plausible
bug, to show that the properties it targets can fail (``mesasym property-test
--broken NAME``, ``tests/test_properties_broken.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from mesasym import claims
from mesasym.numeric.sequences import sample_phases, sample_sequences, sequences_from
from mesasym.laws import InitialTokenDistribution
from mesasym.errors import InvalidInputError
from mesasym.precise import to_mpf
from mesasym.precise.dynamics import DynamicsEvaluator
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.symbolic import derive_reduced_flow, fixed_point_product
from mesasym.symbolic import symbols as S
from mesasym.numeric.model import one_step_gd_predict, predict

__all__ = [
    "ReducedODE",
    "Subject",
    "BrokenVariant",
    "DEFAULT_SUBJECT",
    "BROKEN_VARIANTS",
    "exact_kappas",
    "derived_fixed_point",
    "derived_reduced_ode",
    "broken_subject",
]

Kappa3 = tuple[sp.Expr, sp.Expr, sp.Expr]


# --------------------------------------------------------------------------
# The correct pieces
# --------------------------------------------------------------------------


def exact_kappas(dist: InitialTokenDistribution, d: int) -> Kappa3:
    r"""``(kappa_1, kappa_2, kappa_3)`` of ``dist`` in dimension ``d``, exact (THEORY §4)."""
    k = dist.kappas(d)
    return (k.kappa1, k.kappa2, k.kappa3)


@lru_cache(maxsize=1)
def _fixed_point_template() -> tuple[sp.Expr, sp.Symbol, Callable[..., Any]]:
    """The derived ``c*`` (symbolic ``T``, ``d`` and kappas) with ``H_{T-2}`` as a symbol ``H``."""
    H = sp.Symbol("H", positive=True)
    expr = fixed_point_product().replace(lambda e: isinstance(e, sp.harmonic), lambda e: H)
    if expr.free_symbols - {S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3, H}:
        raise AssertionError(f"unexpected symbols in the derived fixed point: {expr.free_symbols}")
    mp_function = sp.lambdify((S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3, H), expr, modules="mpmath")
    return expr, H, mp_function


def derived_fixed_point(T: Any, kappa1: Any, kappa2: Any, kappa3: Any, H: Any) -> Any:
    r"""The derived ``a~ b~`` at ``T`` with ``H = H_{T-2}`` supplied.

    The expression is the root of the derived ``g`` (:func:`mesasym.symbolic.fixed_point_product`,
    derived once with symbolic ``T``, ``d`` and kappas). Exact SymPy inputs give an exact
    result; an :class:`mpmath.mpf` ``H`` evaluates it in mpmath at the current precision.
    """
    expr, H_symbol, mp_function = _fixed_point_template()
    if isinstance(H, mpmath.mpf):
        work = mpmath.mp.dps + 10
        kappas = (to_mpf(k, work) for k in (kappa1, kappa2, kappa3))
        return mp_function(mpmath.mpf(T), *kappas, H)
    values = {S.T: sp.Integer(T), S.KAPPA1: kappa1, S.KAPPA2: kappa2, S.KAPPA3: kappa3, H_symbol: H}
    return sp.cancel(expr.xreplace(values))


@dataclass(frozen=True)
class ReducedODE:
    r"""The derived reduced flow at concrete ``T``, ``d`` and kappas (THEORY §5).

    ``rhs_a``, ``rhs_b`` are :math:`da/d\tau`, :math:`db/d\tau` as polynomials in the
    real symbols :data:`mesasym.symbolic.symbols.a`, ``b``; ``c_star`` the root of
    ``g``; ``slope`` :math:`g'`; ``rate`` (in ``delta = a0^2 - b0^2``) the linear
    rate at the fixed point and ``a_tilde_squared`` (in ``delta``) the closed form
    of :math:`\tilde a^2`.
    """

    rhs_a: sp.Expr
    rhs_b: sp.Expr
    c_star: sp.Expr
    slope: sp.Expr
    rate: sp.Expr
    a_tilde_squared: sp.Expr
    a_tilde: sp.Expr
    b_tilde: sp.Expr

    def limits(self, a0: sp.Rational, b0: sp.Rational, dps: int) -> tuple[mpmath.mpf, mpmath.mpf]:
        r"""The closed-form limits :math:`(\tilde a, \tilde b)` from ``(a0, b0)`` (ordinary starts).

        ``a_tilde``, ``b_tilde`` are the derived closed forms in ``a_0, b_0`` with the derived
        sign rule (:attr:`mesasym.symbolic.ReducedFlow.a_tilde`), evaluated at ``dps`` digits.
        """
        values = {S.a0: sp.sympify(a0), S.b0: sp.sympify(b0)}
        with mpmath.mp.workdps(dps + 10):
            a_tilde = mpmath.mpf(sp.N(self.a_tilde.subs(values), dps + 15))
            b_tilde = mpmath.mpf(sp.N(self.b_tilde.subs(values), dps + 15))
        return a_tilde, b_tilde


@lru_cache(maxsize=64)
def derived_reduced_ode(T: int, d: int, kappas: Kappa3) -> ReducedODE:
    """:class:`ReducedODE` from :func:`mesasym.symbolic.derive_reduced_flow` (symbolic kappas, then substituted)."""
    flow = derive_reduced_flow(T, d)
    values = {S.KAPPA1: kappas[0], S.KAPPA2: kappas[1], S.KAPPA3: kappas[2]}

    def at(expr: sp.Expr) -> sp.Expr:
        return sp.expand(sp.sympify(expr).xreplace(values))

    return ReducedODE(
        rhs_a=at(flow.rhs_a),
        rhs_b=at(flow.rhs_b),
        c_star=sp.cancel(at(flow.fixed_product)),
        slope=sp.cancel(at(flow.slope)),
        rate=sp.sympify(flow.rate).xreplace(values),
        a_tilde_squared=sp.sympify(flow.a_tilde_squared).xreplace(values),
        a_tilde=sp.sympify(flow.a_tilde).xreplace(values),
        b_tilde=sp.sympify(flow.b_tilde).xreplace(values),
    )


def _population_objective(dist: Any, d: int, T: int) -> PopulationObjective:
    return _cached_objective(dist, d, T)


@lru_cache(maxsize=16)
def _cached_objective(dist: Any, d: int, T: int) -> PopulationObjective:
    return PopulationObjective(dist, d, T)


def _sample(dist: InitialTokenDistribution, n: int, T: int, d: int, rng: np.random.Generator) -> np.ndarray:
    return sample_sequences(dist, n, T, d, rng).X


@dataclass(frozen=True)
class Subject:
    """The functions the properties exercise; :data:`DEFAULT_SUBJECT` is mesasym itself.

    * ``kappas(dist, d) -> (kappa1, kappa2, kappa3)`` exact;
    * ``fixed_point(T, kappa1, kappa2, kappa3, H)`` -- derived ``a~b~`` given ``H = H_{T-2}``
      (exact, or mpmath when ``H`` is an ``mpf``);
    * ``claim(T, kappa1, kappa2, kappa3)`` -- Theorem 1 as printed (:mod:`mesasym.claims`);
    * ``reduced_ode(T, d, kappas) ->`` :class:`ReducedODE`;
    * ``population_objective(dist, d, T) ->`` :class:`~mesasym.numeric.population.objective.PopulationObjective`;
    * ``sample_sequences(dist, n, T, d, rng) -> X`` of shape ``(n, T, d)``;
    * ``predict(params, X)`` and ``one_step_gd(X, eta)`` (THEORY §6);
    * ``dynamics(slope, c_star, a0, b0, dps) ->``
      :class:`~mesasym.precise.dynamics.DynamicsEvaluator` (the closed-form dynamics).
    """

    name: str = "mesasym"
    kappas: Callable[[InitialTokenDistribution, int], Kappa3] = exact_kappas
    fixed_point: Callable[..., Any] = derived_fixed_point
    claim: Callable[..., sp.Expr] = claims.theorem1_product
    reduced_ode: Callable[[int, int, Kappa3], ReducedODE] = derived_reduced_ode
    population_objective: Callable[[Any, int, int], PopulationObjective] = _population_objective
    sample_sequences: Callable[..., np.ndarray] = _sample
    predict: Callable[..., np.ndarray] = predict
    one_step_gd: Callable[[np.ndarray, float], np.ndarray] = one_step_gd_predict
    dynamics: Callable[..., Any] = DynamicsEvaluator


#: The implementation under test: mesasym itself, with no deliberate defect.
DEFAULT_SUBJECT = Subject()


# --------------------------------------------------------------------------
# Broken variants
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenVariant:
    """A deliberately broken :class:`Subject` and the properties expected to catch it."""

    name: str
    description: str
    subject: Subject
    targets: tuple[str, ...]


def _fixed_point_harmonic_shift(T: Any, k1: Any, k2: Any, k3: Any, H: Any) -> Any:
    # H_{T-1} = H_{T-2} + 1/(T-1) in place of H_{T-2}: the sum over t taken one term too far.
    shift = mpmath.mpf(1) / (T - 1) if isinstance(H, mpmath.mpf) else sp.Rational(1, T - 1)
    return derived_fixed_point(T, k1, k2, k3, H + shift)


def _fixed_point_unnormalised(T: Any, k1: Any, k2: Any, k3: Any, H: Any) -> Any:
    # kappa1 / (kappa2 + kappa3 H_{T-2}): the 1/(T-2) of the averaged sum forgotten.
    return derived_fixed_point(T, k1, k2, k3 * (T - 2), H)


def _ode_swapped_factor(T: int, d: int, kappas: Kappa3) -> ReducedODE:
    # db/dtau = -b g(ab) instead of -a g(ab): the chain rule applied to the wrong factor.
    ode = derived_reduced_ode(T, d, kappas)
    return dataclasses.replace(ode, rhs_b=ode.rhs_a)


def _kappas_fourth_power_typo(dist: InitialTokenDistribution, d: int) -> Kappa3:
    # kappa3 = sum_{r != j} E[x_j^4 x_r^4] (a 4 typed for the 2).
    k1, k2, _ = exact_kappas(dist, d)
    k3 = sp.Add(*(dist.moment((0,) * 4 + (r,) * 4, d) for r in range(1, d)))
    return (k1, k2, k3)


def _kappas_diagonal_included(dist: InitialTokenDistribution, d: int) -> Kappa3:
    # kappa3 = sum_r E[x_j^2 x_r^4] over *all* r, including r = j (adds kappa2).
    k1, k2, k3 = exact_kappas(dist, d)
    return (k1, k2, k3 + k2)


class _SampledMomentLaw:
    """A law whose ``moment_tensor`` is estimated from a fixed sample (the broken population engine)."""

    def __init__(self, dist: InitialTokenDistribution, n: int = 20_000, seed: int = 12345) -> None:
        self.dist = dist
        self.n = n
        self.seed = seed

    def validate_dimension(self, d: int) -> None:
        self.dist.validate_dimension(d)

    def moment_tensor(self, order: int, d: int) -> np.ndarray:
        x = self.dist.sample(np.random.default_rng(self.seed), self.n, d)
        half = order // 2
        power = np.ones((self.n, 1))
        for _ in range(half):
            power = (power[:, :, None] * x[:, None, :]).reshape(self.n, -1)
        return (power.T @ power / self.n).reshape((d,) * order)


def _objective_sampled_moments(dist: Any, d: int, T: int) -> PopulationObjective:
    return PopulationObjective(_SampledMomentLaw(dist), d, T)


def _objective_horizon_off_by_one(dist: Any, d: int, T: int) -> PopulationObjective:
    # The loss summed over t = 2..T instead of t = 2..T-1.
    return _cached_objective(dist, d, T + 1)


def _one_step_gd_wrong_step(X: np.ndarray, eta: float) -> np.ndarray:
    # Step size eta/t instead of eta/(t-1).
    T = X.shape[1]
    t = np.arange(2, T)[None, :, None]
    return one_step_gd_predict(X, eta) * (t - 1) / t


def _sample_half_circle(dist: InitialTokenDistribution, n: int, T: int, d: int, rng: np.random.Generator) -> np.ndarray:
    # Phases uniform on [0, pi) instead of [0, 2 pi).
    x1 = dist.sample(rng, n, d)
    theta = sample_phases(rng, n, d) / 2
    return sequences_from(x1, theta, T)


def _dynamics_half_slope(slope: Any, c_star: Any, a0: Any, b0: Any, dps: int) -> DynamicsEvaluator:
    # The closed forms with K/2: the gradient taken as dL/d conj(z) instead of 2 dL/d conj(z).
    return DynamicsEvaluator(sp.sympify(slope) / 2, c_star, a0, b0, dps)


def _variant(name: str, description: str, targets: tuple[str, ...], **changes: Any) -> BrokenVariant:
    return BrokenVariant(name, description, dataclasses.replace(DEFAULT_SUBJECT, name=name, **changes), targets)


#: The deliberately broken variants, by name.
BROKEN_VARIANTS: dict[str, BrokenVariant] = {
    v.name: v
    for v in (
        _variant(
            "fixed-point-harmonic-shift",
            "the derived fixed point evaluated with H_{T-1} instead of H_{T-2}",
            ("derived-equals-claim",),
            fixed_point=_fixed_point_harmonic_shift,
        ),
        _variant(
            "fixed-point-unnormalised",
            "the fixed point kappa1/(kappa2 + kappa3 H_{T-2}): the 1/(T-2) of the averaged sum forgotten",
            ("long-context-limit", "derived-equals-claim"),
            fixed_point=_fixed_point_unnormalised,
        ),
        _variant(
            "flow-swapped-factor",
            "reduced flow with db/dtau = -b g(ab) instead of -a g(ab)",
            ("reduced-flow-converges", "degenerate-start-saddle"),
            reduced_ode=_ode_swapped_factor,
        ),
        _variant(
            "kappa3-fourth-power-typo",
            "kappa3 computed as sum_{r != j} E[x_j^4 x_r^4] (a 4 typed for the 2)",
            ("scaling-law",),
            kappas=_kappas_fourth_power_typo,
        ),
        _variant(
            "kappa3-includes-diagonal",
            "kappa3 summed over all r including r = j (adds kappa2)",
            ("kappa3-zero-T-independent",),
            kappas=_kappas_diagonal_included,
        ),
        _variant(
            "population-sampled-moments",
            "the population engine fed with moments estimated from 20000 samples instead of exact ones",
            ("gradient-invariance-satisfying", "gradient-violations-where-predicted", "d1-any-law"),
            population_objective=_objective_sampled_moments,
        ),
        _variant(
            "population-horizon-off-by-one",
            "the population loss summed over t = 2..T instead of t = 2..T-1",
            ("full-model-population-training", "corollary-1-fresh-sequences"),
            population_objective=_objective_horizon_off_by_one,
        ),
        _variant(
            "one-step-gd-wrong-step",
            "one GD step of size a~b~/t instead of a~b~/(t-1)",
            ("corollary-1-fresh-sequences",),
            one_step_gd=_one_step_gd_wrong_step,
        ),
        _variant(
            "dynamics-half-slope",
            "closed-form dynamics with g' halved (gradient dL/d conj(z) instead of 2 dL/d conj(z))",
            ("closed-form-trajectory", "gd-threshold", "gd-map-matches-full-model"),
            dynamics=_dynamics_half_slope,
        ),
        _variant(
            "phases-half-circle",
            "Monte Carlo phases drawn uniformly on [0, pi) instead of [0, 2 pi)",
            ("monte-carlo-rate", "full-model-monte-carlo-training"),
            sample_sequences=_sample_half_circle,
        ),
    )
}


def broken_subject(name: str) -> Subject:
    """The :class:`Subject` of broken variant ``name`` (see :data:`BROKEN_VARIANTS`)."""
    if name not in BROKEN_VARIANTS:
        raise InvalidInputError(
            f"broken variant {name!r} is unknown; valid names are: {', '.join(BROKEN_VARIANTS)}"
        )
    return BROKEN_VARIANTS[name].subject


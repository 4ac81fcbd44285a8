r"""Theorem 1's reduction for other transition laws of ``W`` (the phase rule generalized).

The paper's proof uses one property of the eigenvalues of ``W``: :math:`E\lambda^m = [m = 0]`.
For an i.i.d. law with moments :math:`\mu(a, b) = E[\lambda^a \bar\lambda^b]`
(:mod:`mesasym.laws.processes`) this module re-derives the reduction step by step.

**Invariance** of the Assumption-1 manifold: :mod:`mesasym.symbolic.phase_invariance`
(:func:`invariance_condition`, re-exported here).

**The loss on the manifold** (:func:`manifold_phase_terms`, :func:`manifold_coefficients`). From the
block algebra of :mod:`mesasym.symbolic.manifold_loss` (``[W^{PV} e_i e_i^* W^{KQ} e_t]_1 = ab\,
x_i x_{i-1}^* x_t``, ``i >= 2``), with real ``c = ab``,

.. math::

    \sum_j E|r_{t,j}|^2 = c^2 A_t - 2 c B_t + C_t,\qquad
    A_t = \frac{1}{(t-1)^2}\sum_{i,i'=2}^{t}\sum_{\pi} S(p_\pi)\prod_{\beta\in\pi}\mu(a_\beta, b_\beta),

where :math:`\pi` runs over the coincidence patterns of the coordinate labels ``j, k, k'`` (the
output coordinate and the two summed ones), :math:`S(p)` is the sum over distinct coordinates of
the mixed moment of ``x_1`` with the block powers ``p`` and :math:`a_\beta, b_\beta` are the
summed exponents of the unconjugated and conjugated factors of the block; ``B_t`` (labels
``j, k``, weight ``1/(t-1)``) and ``C_t = S(2)\,\mu(t, t)`` likewise. For the uniform law this
is Theorem 1's loss; in general patterns such as :math:`S(2,2) = \sum_{j\ne k} E x_j^2 x_k^2`
survive, which Assumption 2 does not fix.

**Fixed point.** Where the manifold is invariant, the flow stays on it and
:math:`L(c) = \tfrac12\sum_t (c^2 A_t - 2cB_t + C_t)` gives the limit in closed form,

.. math::  c^* = \frac{\sum_{t=2}^{T-1} B_t}{\sum_{t=2}^{T-1} A_t}

(:func:`manifold_fixed_point`; a finite sum of the law's moments, exact for rational moments).
Elsewhere the same number is only the best point *on* the manifold.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.laws import InitialTokenDistribution, TransitionLaw, parse_process
from mesasym.laws.coincidences import set_partitions
from mesasym.symbolic import symbols as S
from mesasym.symbolic.phase_invariance import (
    TABLE_MAX_T,
    InvarianceCondition,
    invariance_condition,
    phase_rule_of,
    unit_monomial_family,
)
from mesasym.symbolic.manifold_loss import (
    I_IDX,
    IP_IDX,
    block_algebra,
    scalar_and_factors,
    time_index,
)

__all__ = [
    "PhaseFactor",
    "PhaseTerm",
    "manifold_phase_terms",
    "term_patterns",
    "phase_rule_of",
    "InvarianceCondition",
    "invariance_condition",
    "ManifoldCoefficients",
    "manifold_coefficients",
    "manifold_fixed_point",
    "manifold_loss_value",
    "ReductionStep",
    "reduction_steps",
    "max_phase_exponent",
    "unit_monomial_family",
    "TABLE_MAX_T",
    "KAPPA_PATTERNS",
]

#: The moment patterns Theorem 1's loss depends on: ``S(2) = d m_2``, ``S(4) = d kappa_1``,
#: ``S(6) = d kappa_2``, ``S(2, 4) = d kappa_3``.
KAPPA_PATTERNS = ((2,), (4,), (6,), (2, 4))


@dataclass(frozen=True)
class PhaseFactor:
    """One factor ``lambda_label^exponent`` (or its conjugate) times ``x_{1,label}``."""

    label: str
    exponent: sp.Expr  # affine in t, i, i'
    conjugated: bool


@dataclass(frozen=True)
class PhaseTerm:
    """One part of ``sum_j E|r_{t,j}|^2``: ``weight * sum_{indices} E[prod factors]`` (labels other
    than ``j`` summed over all coordinates)."""

    name: str  # "quadratic" (c^2 A_t), "cross" (-2 c B_t), "constant" (C_t)
    factors: tuple[PhaseFactor, ...]
    labels: tuple[str, ...]  # j first
    indices: tuple[sp.Symbol, ...]  # summed from `lower` to t
    lower: int
    weight_power: int  # 1/(t-1)^p


@functools.lru_cache(maxsize=1)
def manifold_phase_terms() -> tuple[PhaseTerm, PhaseTerm, PhaseTerm]:
    """``(quadratic, cross, constant)`` from the block algebra of the model (symbolic ``d``)."""
    top, residual_top = block_algebra()
    if not residual_top.is_ZeroMatrix:
        raise AssertionError("the output slot of e_t is not zero")
    scalar, factors = scalar_and_factors(top)
    if len(factors) != 3 or not isinstance(factors[1], sp.Adjoint) or sp.expand(scalar - S.A * S.B) != 0:
        raise AssertionError(f"unexpected block form {top}")
    times = [time_index(factors[0].name), time_index(factors[1].arg.name), time_index(factors[2].name)]
    lower = 1
    while any(sp.sympify(tm).subs(I_IDX, lower) == 0 for tm in times):  # x_0 = 0
        lower += 1
    # yhat_{t,j} = c/(t-1) sum_i sum_k (x_p)_j conj(x_q)_k (x_r)_k with (x_v)_l = lambda_l^{v-1} x_l.
    F = (
        PhaseFactor("j", times[0] - 1, False),
        PhaseFactor("k", times[1] - 1, True),
        PhaseFactor("k", times[2] - 1, False),
    )
    Fbar = tuple(
        PhaseFactor("k'" if f.label == "k" else f.label, f.exponent.xreplace({I_IDX: IP_IDX}), not f.conjugated)
        for f in F
    )
    target = PhaseFactor("j", S.t, False)  # x_{t+1}
    quadratic = PhaseTerm("quadratic", F + Fbar, ("j", "k", "k'"), (I_IDX, IP_IDX), lower, 2)
    cross = PhaseTerm("cross", (PhaseFactor("j", S.t, True),) + F, ("j", "k"), (I_IDX,), lower, 1)
    constant = PhaseTerm("constant", (target, PhaseFactor("j", S.t, True)), ("j",), (), lower, 0)
    return quadratic, cross, constant


@functools.lru_cache(maxsize=8)
def _term_structure(term: PhaseTerm):
    """Per coincidence pattern: the block powers of ``x_1`` and the affine exponents ``(a, b)`` per block
    as coefficient tuples over ``(1, t, i, i')``."""
    variables = (S.t, I_IDX, IP_IDX)
    out = []
    for partition in set_partitions(len(term.labels)):
        block_of = dict(zip(term.labels, partition))
        n_blocks = max(partition) + 1
        powers = [0] * n_blocks
        exps = [[sp.Integer(0), sp.Integer(0)] for _ in range(n_blocks)]
        for f in term.factors:
            blk = block_of[f.label]
            powers[blk] += 1
            exps[blk][1 if f.conjugated else 0] += f.exponent
        coefficient_rows = []
        for a, b in exps:
            row = []
            for e in (sp.expand(a), sp.expand(b)):
                constant = int(e.xreplace({v: 0 for v in variables}))
                row.append((constant,) + tuple(int(e.coeff(v)) for v in variables))
            coefficient_rows.append(tuple(row))
        out.append((tuple(powers), tuple(coefficient_rows)))
    return tuple(out)


def term_patterns(term: PhaseTerm):
    """The coincidence patterns of one :class:`PhaseTerm`: ``((x powers per block), ((a row, b row) per block))``,
    each row the coefficients of ``(1, t, i, i')`` in the block's exponent of ``lambda`` (``a``) and of
    ``conj(lambda)`` (``b``)."""
    return _term_structure(term)


def _number(value: sp.Expr, exact: bool):
    value = sp.nsimplify(value) if isinstance(value, sp.Float) else value
    if exact:
        if not isinstance(value, sp.Rational):
            raise InvalidInputError(f"value {value} is not rational")
        return Fraction(int(value.p), int(value.q))
    return mpmath.mpf(sp.N(value, mpmath.mp.dps + 10))


def _is_rational_law(law: TransitionLaw) -> bool:
    return all(isinstance(law.moment(a, b), sp.Rational) for a in range(4) for b in range(4))


@dataclass(frozen=True)
class ManifoldCoefficients:
    """``sum_j E|r_{t,j}|^2 = c^2 A[t] - 2 c B[t] + C[t]`` for ``t = 2..T-1`` (``Fraction`` or ``mpf``),
    and the moment patterns that entered with a nonzero phase sum."""

    T: int
    A: dict
    B: dict
    C: dict
    patterns: tuple[tuple[int, ...], ...]
    exact: bool


def _pattern_sum(dist: InitialTokenDistribution, pattern: tuple[int, ...], d: int, exact: bool):
    """``S(pattern)``: sum over distinct coordinates (the first block is ``j``) of the mixed moment."""
    total = sp.Integer(0)
    for coords in itertools.permutations(range(d), len(pattern)):
        indices = [c for c, p in zip(coords, pattern) for _ in range(p)]
        total += dist.moment(tuple(indices), d)
    return _number(sp.nsimplify(total) if exact else total, exact)


@functools.lru_cache(maxsize=32)
def manifold_coefficients(process, dist: InitialTokenDistribution, d: int, T: int) -> ManifoldCoefficients:
    """Evaluate :func:`manifold_phase_terms` for a law of ``W`` and a law of ``x_1`` at concrete ``d, T``.

    Exact (``Fraction``) when every moment involved is rational, else mpmath at the current precision.
    """
    law = parse_process(process)
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    if isinstance(T, bool) or not isinstance(T, int) or T < 3:
        raise InvalidInputError(f"T={T!r} must be an integer >= 3")
    dist.validate_dimension(d)
    exact = _is_rational_law(law)
    size = 3 * T + 2
    if exact:
        mu = [[_number(law.moment(a, b), True) for b in range(size)] for a in range(size)]
    else:
        mu = [[law.moment_mpf(a, b) for b in range(size)] for a in range(size)]
    zero = Fraction(0) if exact else mpmath.mpf(0)
    pattern_cache: dict = {}
    used: set = set()
    parts = {}
    for term in manifold_phase_terms():
        values = {}
        structure = _term_structure(term)
        for t in range(2, T):
            total = zero
            ranges = [range(term.lower, t + 1)] * len(term.indices)
            for powers, rows in structure:
                phase = zero
                for idx in itertools.product(*ranges):
                    point = (1, t) + tuple(idx) + (0,) * (2 - len(idx))
                    product = 1
                    for row_a, row_b in rows:
                        a = sum(c * v for c, v in zip(row_a, point))
                        b = sum(c * v for c, v in zip(row_b, point))
                        product = product * mu[a][b]
                        if not product:
                            break
                    phase += product
                if phase:
                    key = powers
                    if key not in pattern_cache:
                        pattern_cache[key] = _pattern_sum(dist, key, d, exact) if len(key) <= d else zero
                    if pattern_cache[key]:
                        used.add(key)
                    total += pattern_cache[key] * phase
            values[t] = total / (t - 1) ** term.weight_power
        parts[term.name] = values
    return ManifoldCoefficients(T, parts["quadratic"], parts["cross"], parts["constant"], tuple(sorted(used)), exact)


def manifold_fixed_point(process, dist: InitialTokenDistribution, d: int, T: int):
    """:math:`c^* = \\sum_t B_t / \\sum_t A_t`, the minimiser of the loss on the manifold (``Fraction`` or ``mpf``)."""
    coefficients = manifold_coefficients(parse_process(process), dist, d, T)
    return sum(coefficients.B.values()) / sum(coefficients.A.values())


def manifold_loss_value(process, dist: InitialTokenDistribution, d: int, T: int, c) -> object:
    """:math:`L(c) = \\tfrac12 \\sum_t (c^2 A_t - 2 c B_t + C_t)` on the manifold (real ``c = ab``)."""
    k = manifold_coefficients(parse_process(process), dist, d, T)
    return sum(c * c * k.A[t] - 2 * c * k.B[t] + k.C[t] for t in k.A) / 2


# ---------------------------------------------------------------------------
# Which step of the reduction holds
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReductionStep:
    """One step of Theorem 1's reduction for a given law: ``holds`` is True, False or None (not decided)."""

    name: str
    holds: bool | None
    detail: str


def _x_law_problems(dist: InitialTokenDistribution, d: int) -> str:
    """Why the law of ``x_1`` alone breaks the invariance (Assumption 2 and the moments the table needs), or ``""``."""
    from mesasym.symbolic.invariance import reduction_violations

    report = dist.check_assumption2(d)
    if not report:
        return "Assumption 2 fails (" + report.reasons[0] + ")"
    extra = reduction_violations(lambda indices: dist.moment(indices, d), d, exchangeable=dist.exchangeable)
    return extra[0] if extra else ""


def max_phase_exponent(T: int) -> int:
    """``3(T-2)``: the largest power of ``lambda_j`` (or of its conjugate) in the full model's loss at ``T``
    (see :func:`reduction_steps`)."""
    return 3 * (T - 2)


def reduction_steps(process, dist: InitialTokenDistribution, d: int, T: int) -> tuple[ReductionStep, ...]:
    """The steps of Theorem 1's proof that use the phases, each decided for ``process``:

    1. ``phase-rule`` -- :math:`E[\\lambda^a\\bar\\lambda^b] = [a = b]` for every exponent the loss uses:
       ``yhat_t`` has degree ``<= 2(T-2)`` in each ``lambda_j`` and ``<= T-2`` in its conjugate (``x_t``,
       ``t <= T-1``; the first block of ``W^{PV} e_i e_i^* W^{KQ} e_t``), so the loss has ``a, b <= 3(T-2)``;
    2. ``invariance`` -- the gradients outside the red blocks vanish on the manifold
       (:func:`invariance_condition` at ``d = 2`` and this ``T`` with the law's phase rule, under
       Assumption 2 plus ``E x_j^3 x_k^3 = 0`` and equal column sums; fails outright when the law of
       ``x_1`` violates those);
    3. ``kappa-only`` -- the loss on the manifold depends on ``x_1`` only through
       ``m_2, kappa_1, kappa_2, kappa_3`` (no other moment pattern has a nonzero phase sum);
    4. ``closed-form`` -- the limit is the minimiser on the manifold, :func:`manifold_fixed_point`
       (holds when the manifold is invariant).
    """
    law = parse_process(process)
    n = max_phase_exponent(T)

    def differs(a: int, b: int) -> bool:
        difference = sp.sympify(law.moment(a, b) - int(a == b))
        return difference != 0 if difference.is_Rational else sp.simplify(difference) != 0

    bad = next(((a, b) for a in range(n + 1) for b in range(n + 1) if differs(a, b)), None)
    steps = [
        ReductionStep(
            "phase-rule",
            bad is None,
            f"E[lambda^a conj(lambda)^b] = [a = b] for all a, b <= 3(T-2) = {n}"
            if bad is None
            else f"E[lambda^{bad[0]} conj(lambda)^{bad[1]}] = {sp.sstr(law.moment(*bad))}, not {int(bad[0] == bad[1])}",
        )
    ]
    condition = invariance_condition(law, 2, T)
    x_law = _x_law_problems(dist, d)
    if x_law:
        steps.append(
            ReductionStep(
                "invariance",
                False,
                "the law of x_1 already breaks it (as for uniform phases): " + x_law
                + "; the phase condition alone: " + ("holds" if condition.holds else "fails" if condition.holds is False else "undecided"),
            )
        )
        condition = InvarianceCondition(condition.rule, condition.d, condition.T, condition.monomials, False, condition.nonzero, ("x_1",))
    elif condition.holds is None:
        steps.append(ReductionStep("invariance", None, "no symbolic phase rule for this law (decided numerically only)"))
    elif condition.rule == "unit":
        steps.append(
            ReductionStep(
                "invariance",
                condition.holds,
                "off-manifold gradients are combinations of "
                + ", ".join(condition.monomials)
                + (
                    "; all vanish for this law"
                    if condition.holds
                    else "; nonzero here: " + ", ".join(condition.nonzero)
                ),
            )
        )
    else:
        steps.append(
            ReductionStep(
                "invariance",
                condition.holds,
                ("off-manifold gradients vanish (the paper's phase rule)" if condition.rule == "uniform" else
                 "off-manifold gradients vanish (same phase selection [a = b] as the paper, weights R^(a+b))")
                if condition.holds
                else "nonzero off-manifold gradients: " + ", ".join(condition.offending_entries[:4]),
            )
        )
    coefficients = manifold_coefficients(law, dist, d, T)
    extra = [p for p in coefficients.patterns if p not in KAPPA_PATTERNS]
    steps.append(
        ReductionStep(
            "kappa-only",
            not extra,
            "the manifold loss uses S(2), S(4), S(6), S(2,4) only"
            if not extra
            else "moment patterns beyond kappa_1..3 enter: " + ", ".join(f"S{p}" for p in extra),
        )
    )
    steps.append(
        ReductionStep(
            "closed-form",
            condition.holds,
            "the flow stays on the manifold, so its limit is c* = sum_t B_t / sum_t A_t"
            if condition.holds
            else "the flow leaves the manifold; sum_t B_t / sum_t A_t is only the best point on it"
            if condition.holds is False
            else "undecided symbolically",
        )
    )
    return tuple(steps)

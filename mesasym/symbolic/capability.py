r"""Capability limitation of the trained transformer (Theorem 2, THEORY §7), derived symbolically.

Everything below is computed from the model definition (the block algebra of
:mod:`mesasym.symbolic.manifold_loss`), the phase rules of
:mod:`mesasym.symbolic.expectation` and the derived fixed point of
:mod:`mesasym.symbolic.reduced_flow`; nothing is typed in and the paper's claims
(:mod:`mesasym.claims`) are never imported here.

1. **Learned operator** (:func:`derive_operator_limit`). On the manifold
   ``W^{KQ}_{32} = aI``, ``W^{PV}_{12} = bI`` the block algebra gives
   :math:`\hat y_t = \hat W_t x_t` with
   :math:`\hat W_t = \frac{ab}{t-1}\sum_{i=2}^{t} x_i x_{i-1}^*`. With
   :math:`x_{i,j} = e^{i\theta_j (i-1)} x_{1,j}` the diagonal entries are exactly
   :math:`ab\,\lambda_j x_{1,j}^2` for every ``t``; an off-diagonal entry is a
   geometric sum of the ratio :math:`e^{i(\theta_j - \theta_k)}`, bounded when the
   phases are distinct (probability one), so divided by ``t - 1`` it tends to 0:

   .. math:: \hat W_t \to ab\,\operatorname{diag}(x_{1,1}^2, \dots, x_{1,d}^2)\, W,
      \qquad \hat y_{t,j} - x_{t+1,j} \to (ab\,x_{1,j}^2 - 1)\, x_{t+1,j}.

2. **Recovery condition** (:func:`derive_recovery_condition`). The limit residual
   vanishes iff :math:`x_{1,j} \in \{0, \pm 1/\sqrt{ab}\}`, i.e.
   :math:`x_{1,j}^2 \in \{0, 1/(ab)\}`. Almost surely iff
   :math:`E[p(x_{1,j})] = 0` for the non-negative polynomial
   :math:`p(x) = x^2 (x^2 - 1/(ab))^2` that vanishes exactly there (and
   :math:`(ab)^2 p(x)` *is* the squared limit residual). As
   :math:`T \to \infty`, :math:`\tilde a\tilde b \to \kappa_1/\kappa_2` and
   :math:`E\,p = \kappa_2 (m_2\kappa_2 - \kappa_1^2)/\kappa_1^2`: recovery in the
   long-context limit iff :math:`m_2 \kappa_2 = \kappa_1^2` (equality in
   Cauchy-Schwarz, :math:`(E x^4)^2 \le E x^2\, E x^6`). At finite ``T`` the excess
   of :math:`E\,p` over its limit is a polynomial in
   :math:`u = \kappa_3 H_{T-2}/(\kappa_1 (T-2))` with non-negative coefficients,
   zero iff :math:`\kappa_3 = 0`. At finite ``t`` the population error exceeds its
   ``t -> oo`` value by :math:`d (ab)^2 \kappa_3 / (t-1)` (from the derived
   ``L_t``): exact prediction at every position needs :math:`\kappa_3 = 0` too.

3. **The authors' ratio** (:func:`derive_ratio`): the mean over sequences and
   coordinates of :math:`\operatorname{Re}(\hat y_{t,j}/x_{t+1,j})`. Phase
   averaging term by term gives :math:`E[\hat y_{t,j}/x_{t+1,j}] = ab\,E x_{1,j}^2`
   for **every** :math:`t \ge 2` (the cross terms carry
   :math:`\lambda_k^{t+1-i}` with :math:`i \le t`), so at the trained point the
   ratio is :math:`\tilde a\tilde b\, m_2` exactly, at finite ``T``.

4. **Per-position error** (:func:`position_mse`): the manifold loss of
   :func:`~mesasym.symbolic.manifold_loss.general_manifold_loss` holds for every law
   through four sums of moments, so
   :math:`E\lVert\hat y_t - x_{t+1}\rVert^2 = 2 L_t` is known at every ``t``.

:func:`decide_recovery` applies all this to a law of ``x_1`` and returns a
:class:`RecoveryVerdict` with the reasons. The Monte Carlo side
(:func:`mesasym.compare.capability.evaluate_positions`) measures the same per-position
quantities for any predictor on fresh sequences, with standard errors.

Length: about 510 lines, over the ~500 guideline, because each of the three derivations
above carries its derivation in its docstring; splitting them would scatter one argument
(operator limit -> recovery condition -> per-position loss) over several modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from mesasym.errors import InvalidInputError, require
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import instantiate_pattern, phase_expectation
from mesasym.symbolic.manifold_loss import general_manifold_loss
from mesasym.symbolic.reduced_flow import derive_reduced_flow, fixed_point_product
from mesasym.symbolic.sums import EXACT_HARMONIC_MAX, delta_sum, harmonic_number, sum_over

#: The authors' sequence length and dimension (THEORY §9), the defaults of the commands.
DEFAULT_T = 100
DEFAULT_D = 5

# Symbols of this module (real): phases, coordinates, the product c = ab, moments.
THETA_J = sp.Symbol("theta_j", real=True)
THETA_K = sp.Symbol("theta_k", real=True)
X_J = sp.Symbol("x_j", real=True)
X_K = sp.Symbol("x_k", real=True)
X = sp.Symbol("x", real=True)
U = sp.Symbol("u")  # stands for e^{i phi t}, |u| = 1
I_IDX = sp.Symbol("i", integer=True)
#: ``u = kappa_3 H_{T-2} / (kappa_1 (T-2))`` in the finite-T excess (non-negative).
U_T = sp.Symbol("u_T", nonnegative=True)
#: Cauchy-Schwarz gap ``m_2 kappa_2 - kappa_1^2`` (non-negative).
GAP = sp.Symbol("Delta", nonnegative=True)


# ---------------------------------------------------------------------------
# 1. The learned operator and its t -> oo limit
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorLimit:
    r"""The learned :math:`\hat W_t` on the manifold and its limit for distinct phases.

    Entries use ``c = ab`` (:data:`mesasym.symbolic.symbols.c`), real phases
    ``theta_j, theta_k`` (:math:`\lambda = e^{i\theta}`) and real ``x_j, x_k``.
    """

    block_summand: sp.Expr  # [W^PV e_i e_i^* W^KQ e_t]_1 from the block algebra
    lower_index: int  # first i that contributes (x_0 = 0)
    scalar: sp.Expr  # ab
    diagonal_summand: sp.Expr
    diagonal_entry: sp.Expr  # (W_t)_{jj}, every t >= 2
    off_diagonal_summand: sp.Expr
    off_diagonal_sum: sp.Expr  # closed form for exp(i(theta_j - theta_k)) != 1
    distinct_condition: sp.Expr  # the condition of the Piecewise branch that was dropped
    off_diagonal_affine: tuple[sp.Expr, sp.Expr]  # (A, B): (t-1) (W_t)_{jk} / c = A + B u, |u| = 1
    off_diagonal_bound: sp.Expr  # |c| (|A| + |B|) / (t - 1) >= |(W_t)_{jk}|
    off_diagonal_limit: sp.Expr  # 0
    diagonal_limit: sp.Expr  # c lambda_j x_j^2
    residual_limit: sp.Expr  # lim (yhat_{t,j} - x_{t+1,j})
    residual_factor: sp.Expr  # residual_limit / lambda_j^t


def _matrix_factors(expr: sp.Expr) -> tuple[sp.Expr, list[sp.Expr]]:
    scalar = sp.Integer(1)
    factors = []
    for arg in expr.args if isinstance(expr, sp.MatMul) else (expr,):
        if getattr(arg, "is_Matrix", False):
            factors.append(arg)
        else:
            scalar *= arg
    return scalar, factors


_TIMES = {"x_i": I_IDX, "x_{i-1}": I_IDX - 1, "x_t": S.t, "x_{t-1}": S.t - 1}


def _token(time: sp.Expr, theta: sp.Symbol, x: sp.Symbol, conjugate: bool = False) -> sp.Expr:
    """Coordinate of ``x_time``: ``e^{i theta (time - 1)} x`` (or its conjugate; ``x`` real)."""
    phase = sp.exp((-1 if conjugate else 1) * sp.I * theta * (time - 1))
    return phase * x


def _bound_affine_in_unimodular(expr: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """Write ``expr`` as ``A + B u`` with ``u = e^{k var}``, ``Re k = 0`` and ``A, B`` free of ``var``."""
    numerator, denominator = sp.fraction(sp.together(expr))
    if denominator.has(var):
        raise AssertionError(f"the denominator {denominator} depends on {var}")
    found: list[sp.Expr] = []

    def replace(e: sp.Expr) -> sp.Expr:
        arg = sp.expand(e.args[0])
        k = arg.coeff(var)
        rest = sp.expand(arg - k * var)
        if sp.simplify(sp.re(k)) != 0 or rest.has(var):
            raise AssertionError(f"exponent {arg} is not i * real * {var} + const")
        found.append(k)
        return U * sp.exp(rest)

    terms = (sp.powsimp(term, combine="exp") for term in sp.Add.make_args(sp.expand(numerator)))
    replaced = sp.Add(*terms).replace(lambda e: isinstance(e, sp.exp) and e.has(var), replace)
    if len({sp.simplify(k) for k in found}) > 1:
        raise AssertionError("more than one frequency in the geometric sum")
    poly = sp.Poly(replaced, U)
    if poly.degree() > 1 or any(coef.has(var) for coef in poly.all_coeffs()):
        raise AssertionError(f"{replaced} is not affine in u with {var}-free coefficients")
    coeffs = dict(zip((m[0] for m in poly.monoms()), poly.coeffs()))
    A = sp.simplify(coeffs.get(0, sp.Integer(0)) / denominator)
    B = sp.simplify(coeffs.get(1, sp.Integer(0)) / denominator)
    return A, B


@lru_cache(maxsize=1)
def derive_operator_limit() -> OperatorLimit:
    """Derive :math:`\\hat W_t` entrywise and its ``t -> oo`` limit (see the module docstring)."""
    general = general_manifold_loss()
    scalar, factors = _matrix_factors(general.block_summand)
    if len(factors) != 3 or not isinstance(factors[1], sp.Adjoint):
        raise AssertionError(f"unexpected block form {general.block_summand}")
    left, right, query = factors[0].name, factors[1].arg.name, factors[2].name
    if query != "x_t":
        raise AssertionError(f"the query factor is {query}, expected x_t (yhat_t = W_t x_t)")
    c_sub = {S.A: S.c, S.B: 1}  # only the product ab enters: scalar = A B
    c_scalar = sp.sympify(scalar).subs(c_sub)
    if sp.simplify(c_scalar - S.c) != 0:
        raise AssertionError(f"the block scalar {scalar} is not ab")
    lower, upper = general.lower_index, S.t

    def entry_summand(theta_k: sp.Symbol, x_k: sp.Symbol) -> sp.Expr:
        return _token(_TIMES[left], THETA_J, X_J) * _token(_TIMES[right], theta_k, x_k, conjugate=True)

    diag_summand = sp.powsimp(sp.expand(entry_summand(THETA_J, X_J)), combine="exp")
    diag_sum = sp.simplify(sp.summation(diag_summand, (I_IDX, lower, upper)))
    diag_entry = sp.simplify(S.c * diag_sum / (S.t - 1))
    if diag_entry.has(S.t):
        raise AssertionError(f"the diagonal entry depends on t: {diag_entry}")

    off_summand = sp.expand(entry_summand(THETA_K, X_K))
    off_total = sp.summation(off_summand, (I_IDX, lower, upper))
    pieces = list(off_total.atoms(sp.Piecewise))
    if len(pieces) != 1 or len(pieces[0].args) != 2:
        raise AssertionError(f"expected one two-branch geometric sum, got {off_total}")
    (equal_expr, equal_cond), (distinct_expr, _) = pieces[0].args
    off_sum = sp.simplify(off_total.xreplace({pieces[0]: distinct_expr}))
    A, B = _bound_affine_in_unimodular(off_sum, S.t)
    bound = sp.Abs(S.c) * (sp.Abs(A) + sp.Abs(B)) / (S.t - 1)
    limit_bound = sp.limit(bound, S.t, sp.oo)
    if limit_bound != 0:
        raise AssertionError(f"the bound on the off-diagonal entry does not vanish: {limit_bound}")
    # Residual: yhat_{t,j} = sum_k (W_t)_{jk} x_{t,k}; the off-diagonal part vanishes
    # (|x_{t,k}| = |x_k| is bounded), the diagonal one is exact.
    lam_j_t = sp.exp(sp.I * THETA_J * S.t)
    residual = sp.expand(diag_entry * _token(S.t, THETA_J, X_J) - _token(S.t + 1, THETA_J, X_J))
    factor = sp.factor(sp.simplify(residual / lam_j_t))
    if factor.has(THETA_J) or factor.has(S.t):
        raise AssertionError(f"the limit residual is not (phase) x (function of x_j): {factor}")
    return OperatorLimit(
        block_summand=general.block_summand,
        lower_index=lower,
        scalar=scalar,
        diagonal_summand=diag_summand,
        diagonal_entry=diag_entry,
        off_diagonal_summand=off_summand,
        off_diagonal_sum=off_sum,
        distinct_condition=sp.Not(equal_cond),
        off_diagonal_affine=(A, B),
        off_diagonal_bound=bound,
        off_diagonal_limit=limit_bound,
        diagonal_limit=diag_entry,
        residual_limit=sp.simplify(residual),
        residual_factor=factor,
    )


# ---------------------------------------------------------------------------
# 2. The recovery condition
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryCondition:
    r"""Recovery in terms of the law of one coordinate ``x = x_{1,j}``.

    Moments of that coordinate: :data:`~mesasym.symbolic.symbols.M2` ``= E x^2``,
    ``KAPPA1 = E x^4``, ``KAPPA2 = E x^6``.
    """

    residual_factor: sp.Expr  # x (c x^2 - 1)
    roots: tuple[sp.Expr, ...]  # values of x with zero limit residual
    allowed_squares: tuple[sp.Expr, ...]  # (0, 1/c)
    indicator: sp.Expr  # p(x) = prod (x - root)^2, >= 0, zero exactly on the roots
    squared_residual_identity: sp.Expr  # residual^2 - c^2 p(x) (= 0)
    expected_indicator: sp.Expr  # E p in moments, any c
    long_context_product: sp.Expr  # lim_{T -> oo} a~ b~
    long_context_indicator: sp.Expr  # E p at the limit product, factored
    cauchy_schwarz_gap: sp.Expr  # m2 kappa2 - kappa1^2
    size_biased_variance: sp.Expr  # Var of x^2 under the x^2-weighted law
    finite_T_product: sp.Expr  # a~ b~ at symbolic T
    finite_T_excess: sp.Expr  # E p(a~b~(T)) - E p(limit) as a polynomial in U_T and GAP
    position_loss: sp.Expr  # L_t(c) under Assumption 2 (derived), c = ab
    position_excess: sp.Expr  # L_t(c) - lim_{t -> oo} L_t(c)


@lru_cache(maxsize=1)
def _generic_long_context_product() -> sp.Expr:
    n = sp.Symbol("n", integer=True, positive=True)
    return sp.simplify(sp.limit(fixed_point_product().subs(S.T, n + 2), n, sp.oo))


def _kappa_values(kappas: Sequence[Any]) -> dict[sp.Symbol, sp.Expr]:
    return dict(zip((S.KAPPA1, S.KAPPA2, S.KAPPA3), (sp.sympify(k) for k in kappas)))


def long_context_product(kappas: Sequence[Any] | None = None) -> sp.Expr:
    """``lim_{T -> oo}`` of the derived fixed point (SymPy ``limit`` of :func:`fixed_point_product`,
    symbolic kappas; the values are substituted afterwards)."""
    generic = _generic_long_context_product()
    return generic if kappas is None else sp.simplify(generic.xreplace(_kappa_values(kappas)))


def product_at(kappas: Sequence[Any], T: int | sp.Symbol = S.T) -> sp.Expr:
    """The derived fixed point ``a~ b~`` (symbolic kappas, cached) at given kappas and ``T``."""
    generic = sp.simplify(fixed_point_product().xreplace(_kappa_values(kappas)))
    return generic if isinstance(T, sp.Symbol) else _at_T(generic, T)


def _moment_of_power(k: int) -> sp.Expr:
    table = {0: sp.Integer(1), 2: S.M2, 4: S.KAPPA1, 6: S.KAPPA2}
    if k not in table:
        raise AssertionError(f"unexpected power x^{k} in the indicator polynomial")
    return table[k]


def _expect_polynomial(poly_expr: sp.Expr) -> sp.Expr:
    poly = sp.Poly(sp.expand(poly_expr), X)
    return sp.expand(sum(coef * _moment_of_power(m[0]) for m, coef in zip(poly.monoms(), poly.coeffs())))


@lru_cache(maxsize=1)
def derive_recovery_condition() -> RecoveryCondition:
    """Derive the recovery condition from the limit residual (see the module docstring)."""
    limit = derive_operator_limit()
    factor = limit.residual_factor.subs(X_J, X)
    c_pos = sp.Symbol("c", positive=True)  # the trained product is positive (Theorem 1)
    roots = tuple(sorted(sp.solve(factor.subs(S.c, c_pos), X), key=sp.default_sort_key))
    squares = tuple(sorted({sp.simplify(r**2) for r in roots}, key=sp.default_sort_key))
    indicator = sp.expand(sp.Mul(*((X - r) ** 2 for r in roots)))
    identity = sp.simplify(sp.expand(factor.subs(S.c, c_pos) ** 2 - c_pos**2 * indicator))
    expected = _expect_polynomial(indicator)
    c_inf = long_context_product()
    at_inf = sp.factor(sp.simplify(expected.subs(c_pos, c_inf)))
    gap = S.M2 * S.KAPPA2 - S.KAPPA1**2
    size_biased = sp.simplify(S.KAPPA2 / S.M2 - (S.KAPPA1 / S.M2) ** 2)
    c_T = fixed_point_product()
    H = sp.Dummy("H", positive=True)
    c_T_H = c_T.replace(lambda e: isinstance(e, sp.harmonic), lambda e: H)
    excess = sp.simplify(expected.subs(c_pos, c_T_H) - expected.subs(c_pos, c_inf))
    # Express the excess through u = kappa3 H / (kappa1 (T - 2)) and the gap.
    excess_u = sp.expand(
        sp.simplify(
            excess.subs(S.KAPPA3, U_T * S.KAPPA1 * (S.T - 2) / H).subs(S.M2, (GAP + S.KAPPA1**2) / S.KAPPA2)
        )
    )
    if excess_u.free_symbols - {U_T, GAP, S.KAPPA1, S.KAPPA2}:
        raise AssertionError(f"the finite-T excess does not reduce to (u, gap): {excess_u}")
    flow = derive_reduced_flow()
    loss_c = sp.expand(flow.loss_t.subs({S.a: S.c, S.b: 1}))
    loss_inf = sp.limit(loss_c, S.t, sp.oo)
    return RecoveryCondition(
        residual_factor=factor,
        roots=roots,
        allowed_squares=squares,
        indicator=indicator,
        squared_residual_identity=identity,
        expected_indicator=expected,
        long_context_product=c_inf,
        long_context_indicator=at_inf,
        cauchy_schwarz_gap=gap,
        size_biased_variance=size_biased,
        finite_T_product=c_T,
        finite_T_excess=sp.factor(excess_u),
        position_loss=loss_c,
        position_excess=sp.factor(sp.simplify(loss_c - loss_inf)),
    )


# ---------------------------------------------------------------------------
# 3. The authors' ratio prediction / truth
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioDerivation:
    """``E[yhat_{t,j} / x_{t+1,j}]`` on the manifold, term by term (symbolic ``t``, ``d``)."""

    terms: tuple[tuple[str, sp.Expr, sp.Expr, sp.Expr], ...]  # (name, ratio summand, phase average, summed)
    coordinate_ratio: sp.Expr  # in x_j (moments not yet taken), c = ab
    expected_ratio: sp.Expr  # c * M2 (M2 = E x_{1,j}^2)


@lru_cache(maxsize=1)
def derive_ratio() -> RatioDerivation:
    """Average the ratio over the phases (symbolic exponents) and sum over ``i`` for every ``t >= 2``."""
    general = general_manifold_loss()
    terms = {term.name: term for term in general.terms}
    target = -terms["target"].summand  # x_{t+1,j}
    phases = sorted({s for term in general.terms for s in term.summand.free_symbols if s.name.startswith(r"\lambda")},
                    key=lambda s: s.name)
    rows = []
    total = sp.Integer(0)
    for name, term in terms.items():
        if name == "target":
            continue
        ratio = sp.expand(sp.powsimp(term.summand / target))
        averaged = phase_expectation(ratio, phases)
        summed = delta_sum(averaged, term.indices, {S.t: 2}) if term.indices else averaged
        if term.labels:  # one copy per label k != j: d - 1 of them, identical in law only
            summed = (S.d - 1) * summed
        rows.append((name, ratio, averaged, sp.simplify(summed)))
        total += summed
    coordinate = sp.simplify(total.subs({S.A: S.c, S.B: 1}))
    xs = [s for s in coordinate.free_symbols if s.name.startswith("x_")]
    poly = sp.Poly(sp.expand(coordinate), *xs)
    expected = sp.Integer(0)
    for monom, coef in zip(poly.monoms(), poly.coeffs()):
        powers = [p for p in monom if p]
        if powers not in ([], [2]):
            raise AssertionError(f"unexpected monomial in the averaged ratio: {monom}")
        expected += coef * (S.M2 if powers == [2] else 1)
    return RatioDerivation(terms=tuple(rows), coordinate_ratio=coordinate, expected_ratio=sp.simplify(expected))


# ---------------------------------------------------------------------------
# 4. Per-position population error on the manifold, for any law
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifoldSums:
    r"""The four sums of moments that the manifold loss depends on (every law).

    ``S2 = sum_j E x_j^2``, ``S4 = sum_j E x_j^4``, ``S6 = sum_j E x_j^6``,
    ``S24 = sum_j sum_{k != j} E x_j^2 x_k^4``; under Assumption 2 they are
    ``d m_2, d kappa_1, d kappa_2, d kappa_3``.
    """

    S2: sp.Expr
    S4: sp.Expr
    S6: sp.Expr
    S24: sp.Expr

    def by_pattern(self) -> dict[tuple[int, ...], sp.Expr]:
        return {(2,): self.S2, (4,): self.S4, (6,): self.S6, (2, 4): self.S24}


def manifold_sums(law: Any, d: int) -> ManifoldSums:
    """Exact :class:`ManifoldSums` of a law (any law with finite sixth moments)."""
    values = {}
    for pattern in ((2,), (4,), (6,), (2, 4)):
        total = sp.Integer(0)
        for moment in sp.Add.make_args(instantiate_pattern(pattern, d)):
            if moment == 0:
                continue
            indices = tuple(j for j, p in enumerate(moment.exponents) for _ in range(p))
            total += law.moment(indices, d)
        values[pattern] = sp.nsimplify(total) if total.is_Float else total
    return ManifoldSums(values[(2,)], values[(4,)], values[(6,)], values[(2, 4)])


def position_loss(sums: ManifoldSums | None = None) -> sp.Expr:
    """``L_t(c)`` on the manifold (``c = ab`` real) from the law-independent pattern expansion.

    With ``sums=None`` the pattern sums stay symbols ``S_2, S_4, S_6, S_24``.
    """
    general = general_manifold_loss()
    symbols = {(2,): sp.Symbol("S_2"), (4,): sp.Symbol("S_4"), (6,): sp.Symbol("S_6"), (2, 4): sp.Symbol("S_24")}
    values = symbols if sums is None else sums.by_pattern()
    if set(general.patterns) - set(values):
        raise AssertionError(f"the manifold loss has patterns {sorted(general.patterns)} beyond the four sums")
    total = sum(coef * values[p] for p, coef in general.patterns.items())
    real_point = {S.A: S.c, S.ABAR: S.c, S.B: 1, S.BBAR: 1}
    return sp.expand(sp.Rational(1, 2) * sp.sympify(total).subs(real_point))


def position_mse(sums: ManifoldSums, t: object, c: object) -> sp.Expr:
    """``E||yhat_t - x_{t+1}||^2 = 2 L_t(c)`` (summed over coordinates) at position ``t >= 2``."""
    return sp.simplify(2 * position_loss(sums).subs({S.t: t, S.c: c}))


# ---------------------------------------------------------------------------
# 5. The decision
# ---------------------------------------------------------------------------


def _at_T(expr: sp.Expr, T: int) -> sp.Expr:
    """Substitute a concrete ``T``; ``H_{T-2}`` exactly up to :data:`EXACT_HARMONIC_MAX`, else a positive symbol."""
    n = T - 2
    H = harmonic_number(n) if n <= EXACT_HARMONIC_MAX else sp.Symbol(f"H_{{{n}}}", positive=True)
    replaced = sp.sympify(expr).replace(lambda e: isinstance(e, sp.harmonic) and e.args[0] == S.T - 2, lambda e: H)
    if any(isinstance(e, sp.harmonic) for e in sp.preorder_traversal(replaced)):
        raise AssertionError(f"unexpected harmonic number in {expr}")
    return sp.simplify(replaced.subs(S.T, T))


def sum_positions(expr: sp.Expr, T: int) -> sp.Expr:
    """``sum_{t=2}^{T-1} expr`` in closed form (symbolic ``T``, then substituted)."""
    return _at_T(sum_over(expr, S.t, 2, S.T - 1), T)


def is_zero(expr: sp.Expr) -> bool:
    value = sp.simplify(expr)
    if value.is_zero is not None:
        return bool(value.is_zero)
    return bool(value.equals(0))



def coordinate_moments(law: Any, d: int) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    coordinates = [0] if getattr(law, "exchangeable", False) else list(range(d))
    return [tuple(law.moment((j,) * k, d) for k in (2, 4, 6)) for j in coordinates]


def indicator_value(m: tuple[sp.Expr, sp.Expr, sp.Expr], c: sp.Expr) -> sp.Expr:
    expected = derive_recovery_condition().expected_indicator
    c_pos = [s for s in expected.free_symbols if s.name == "c"][0]
    return sp.simplify(expected.subs({S.M2: m[0], S.KAPPA1: m[1], S.KAPPA2: m[2], c_pos: c}))


def vanishes(expr: sp.Expr) -> bool:
    """Exactly decide ``expr == 0`` even when a large-``T`` harmonic number stays a positive symbol."""
    value = sp.simplify(expr)
    if not value.free_symbols:
        return is_zero(value)
    positive = value.xreplace({s: sp.Dummy(s.name, positive=True) for s in value.free_symbols})
    if positive.is_positive or positive.is_negative:
        return False
    if positive.is_zero:
        return True
    raise InvalidInputError(f"cannot decide whether {value} vanishes; use a smaller --T")


def checked_T_d(T: Any, d: Any) -> tuple[int, int]:
    for name, value, low in (("T", T, 3), ("d", d, 1)):
        require(
            isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low,
            f"{name}={value!r} must be an integer >= {low}",
        )
    return int(T), int(d)


def manifold_minimiser(sums: ManifoldSums, T: int) -> sp.Expr | None:
    """``argmin_c sum_{t=2}^{T-1} L_t(c)`` (the clip flow's limit), derived from the generic loss."""
    loss = sum_positions(position_loss(sums), T)
    roots = sp.solve(sp.diff(loss, S.c), S.c)
    return sp.simplify(roots[0]) if len(roots) == 1 else None


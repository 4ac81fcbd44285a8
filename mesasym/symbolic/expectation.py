"""Expectation rules over the phases of ``W`` and over the first token ``x_1``.

Phases (THEORY §1). ``W = diag(lambda_1, ..., lambda_d)`` with ``lambda_j = e^{i theta_j}``,
``theta_j`` i.i.d. uniform on ``[0, 2 pi)``; so ``conj(lambda_j) = 1/lambda_j`` and

.. math::

    \\mathbb E\\Big[\\prod_j \\lambda_j^{m_j}\\Big] = \\prod_j [m_j = 0]
    \\qquad (m_j \\in \\mathbb Z, \\text{ concrete or symbolic}),

a symbolic exponent giving a :class:`~sympy.KroneckerDelta`.

First token. A monomial :math:`\\prod_j x_{1,j}^{p_j}` has the generic mean
:class:`Moment` ``(p_1, ..., p_d)``. Under Assumption 2 a moment in which some
coordinate appears to the first power (at most four distinct coordinates) is
zero, ``E x_j^4 = kappa_1`` and ``E x_j^6 = kappa_2`` for every ``j``, and only
the row sums ``sum_{r != j} E x_j^2 x_r^4 = kappa_3`` are fixed (see
:func:`assumption2_reduce`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import product as _cartesian
from typing import Any

import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic.symbols import KAPPA1, KAPPA2, KAPPA3, M2

__all__ = [
    "Moment",
    "phase_moment",
    "split_phases",
    "phase_expectation",
    "coordinate_expectation",
    "vanishes_under_assumption2",
    "assumption2_reduce",
    "moments_in",
    "instantiate_pattern",
    "substitute_moments",
    "phase_expectation_poly",
    "coordinate_expectation_poly",
    "PHASE_RULES",
    "phase_expectation_law",
    "phase_expectation_poly_law",
]


class Moment(sp.Function):
    """Generic mixed moment ``E[prod_j x_{1,j}^{p_j}]`` of the first token.

    ``Moment(p_1, ..., p_d)`` with non-negative integer exponents (one per
    coordinate, coordinates numbered from 1 in printed form). ``Moment()`` of
    all-zero exponents is 1.
    """

    is_real = True

    @classmethod
    def eval(cls, *exponents: sp.Expr) -> sp.Expr | None:
        for p in exponents:
            if not (p.is_Integer and p >= 0):
                raise InvalidInputError(
                    f"moment exponent {p!r} must be a non-negative integer"
                )
        if all(p == 0 for p in exponents):
            return sp.Integer(1)
        return None

    @property
    def exponents(self) -> tuple[int, ...]:
        """The exponents ``(p_1, ..., p_d)`` as Python ints."""
        return tuple(int(p) for p in self.args)

    def _monomial_latex(self) -> str:
        parts = []
        for j, p in enumerate(self.exponents, start=1):
            if p == 1:
                parts.append(f"x_{{1,{j}}}")
            elif p:
                parts.append(f"x_{{1,{j}}}^{{{p}}}")
        return " ".join(parts)

    def _latex(self, printer: object, exp: object = None) -> str:
        body = rf"\mathbb{{E}}[{self._monomial_latex()}]"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _sympystr(self, printer: object) -> str:
        parts = []
        for j, p in enumerate(self.exponents, start=1):
            if p == 1:
                parts.append(f"x{j}")
            elif p:
                parts.append(f"x{j}^{p}")
        return "E[" + " ".join(parts) + "]"


def phase_moment(m: object) -> sp.Expr:
    """``E[lambda^m] = [m = 0]`` for a uniform phase ``lambda`` and integer ``m``.

    Concrete ``m`` gives 1 or 0; a symbolic integer ``m`` gives
    ``KroneckerDelta(m, 0)`` unless its sign is already decided.
    """
    m = sp.sympify(m)
    if m.is_integer is not True:
        raise InvalidInputError(f"phase exponent {m!r} must be an integer (or integer symbol)")
    if m.is_zero:
        return sp.Integer(1)
    if m.is_zero is False:
        return sp.Integer(0)
    return sp.KroneckerDelta(m, 0)


class _PhasePower(sp.Function):
    """Unevaluated ``lambda^m`` (args ``lambda, m``) used while expanding.

    Wrapping the phase powers keeps SymPy's ``expand`` from treating
    ``lambda^{-t}`` as a denominator and merging it with others.
    """

    @classmethod
    def eval(cls, base: sp.Expr, exponent: sp.Expr) -> None:
        return None


def _wrap_phases(expr: sp.Expr, phases: frozenset) -> sp.Expr:
    if expr in phases:
        return _PhasePower(expr, sp.Integer(1))
    if expr.is_Pow and expr.base in phases:
        return _PhasePower(expr.base, expr.exp)
    if not expr.args or isinstance(expr, _PhasePower):
        return expr
    args = [_wrap_phases(arg, phases) for arg in expr.args]
    if expr.is_Pow and isinstance(args[0], _PhasePower) and args[1].is_integer:
        base, inner = args[0].args
        return _PhasePower(base, inner * args[1])
    return expr.func(*args)


def _accumulate(term: sp.Expr, phases: Sequence[sp.Symbol]) -> tuple[sp.Expr, dict]:
    exps: dict = {p: sp.Integer(0) for p in phases}
    rest = sp.Integer(1)
    for factor in sp.Mul.make_args(term):
        if isinstance(factor, _PhasePower):
            exps[factor.args[0]] += factor.args[1]
        elif factor.is_Pow and isinstance(factor.base, _PhasePower):
            exps[factor.base.args[0]] += factor.base.args[1] * factor.exp
        else:
            rest *= factor
    return rest, {p: sp.expand(e) for p, e in exps.items()}


def split_phases(term: sp.Expr, phases: Sequence[sp.Symbol]) -> tuple[sp.Expr, dict]:
    """Split a product into ``(rest, {phase: total exponent})``.

    Exponents of the same phase are added (``lambda^{i-1} lambda^{2-i} -> lambda^1``),
    which SymPy does not do by itself for symbolic exponents.
    """
    wrapped = _wrap_phases(sp.sympify(term), frozenset(phases))
    return _accumulate(wrapped, phases)


def phase_expectation(expr: sp.Expr, phases: Sequence[sp.Symbol]) -> sp.Expr:
    """Average ``expr`` over independent uniform phases ``phases``.

    ``conjugate(lambda)`` is first replaced by ``1/lambda``; then every term
    ``coef * prod lambda_j^{m_j}`` becomes ``coef * prod [m_j = 0]``
    (independence across ``j`` and :func:`phase_moment`).
    """
    phases = list(phases)
    expr = sp.sympify(expr).subs({sp.conjugate(p): 1 / p for p in phases})
    wrapped = sp.expand(_wrap_phases(expr, frozenset(phases)))
    total = sp.Integer(0)
    for term in sp.Add.make_args(wrapped):
        rest, exps = _accumulate(term, phases)
        factor = sp.Integer(1)
        for p in phases:
            factor *= phase_moment(exps[p])
            if factor == 0:
                break
        total += rest * factor
    return total


def phase_expectation_poly(poly: Any, pairs: Sequence[tuple[int, int]]) -> Any:
    """:func:`phase_expectation` for an element of a SymPy polynomial ring.

    ``pairs`` lists ``(index of lambda_j, index of conj(lambda_j))`` among the ring's
    generators. The same rule, ``E[lambda^p conj(lambda)^q] = [p = q]`` with
    independent phases: a monomial is kept (with both exponents set to 0) iff
    the two exponents agree for every ``j``.
    """
    kept = {}
    for exps, coef in poly.items():
        if all(exps[i] == exps[k] for i, k in pairs):
            new = list(exps)
            for i, k in pairs:
                new[i] = new[k] = 0
            key = tuple(new)
            kept[key] = kept.get(key, 0) + coef
    return poly.ring.from_dict(kept) if kept else poly.ring.zero


#: Phase rules of :func:`phase_expectation_poly_law`: the paper's ``uniform``; ``unit`` -- any
#: law of a unit-modulus eigenvalue symmetric under ``theta -> -theta``, with generic moments
#: ``phi_m = E lambda^m = E lambda^{-m}`` (``phi_0 = 1``); ``damped`` -- ``lambda = R e^{i theta}``,
#: ``theta`` uniform: ``E[lambda^p conj(lambda)^q] = R^{p+q} [p = q]``.
PHASE_RULES = ("uniform", "unit", "damped")


def phase_expectation_poly_law(
    poly: Any,
    pairs: Sequence[tuple[int, int]],
    rule: str,
    phi_index: Mapping[int, int] | None = None,
    r_index: int | None = None,
) -> Any:
    """:func:`phase_expectation_poly` for another transition law (independent, identically distributed phases).

    ``rule = "unit"``: the factor ``lambda_j^p conj(lambda_j)^q`` becomes the generator
    ``phi_{|p - q|}`` (index ``phi_index[|p - q|]``; nothing for ``p = q``). ``rule = "damped"``:
    it becomes ``R^{p+q}`` (generator ``r_index``) if ``p = q``, else the monomial is dropped.
    ``rule = "uniform"`` is :func:`phase_expectation_poly`.
    """
    if rule == "uniform":
        return phase_expectation_poly(poly, pairs)
    if rule not in PHASE_RULES:
        raise InvalidInputError(f"phase rule {rule!r} must be one of {', '.join(PHASE_RULES)}")
    kept: dict = {}
    for exps, coef in poly.items():
        new = list(exps)
        keep = True
        for i, k in pairs:
            p, q = exps[i], exps[k]
            new[i] = new[k] = 0
            if rule == "damped":
                if p != q:
                    keep = False
                    break
                new[r_index] += p + q
            elif p != q:
                new[phi_index[abs(p - q)]] += 1
        if keep:
            key = tuple(new)
            kept[key] = kept.get(key, 0) + coef
    kept = {key: value for key, value in kept.items() if value}
    return poly.ring.from_dict(kept) if kept else poly.ring.zero


def phase_expectation_law(
    expr: sp.Expr, phases: Sequence[sp.Symbol], moment: Callable[[int, int], sp.Expr]
) -> sp.Expr:
    """Average ``expr`` over i.i.d. phases of any law: ``E[prod_j lambda_j^{p_j} conj(lambda_j)^{q_j}]
    = prod_j moment(p_j, q_j)`` with ``moment(p, q) = E[lambda^p conj(lambda)^q]``.

    ``expr`` is a polynomial in the ``phases`` and their ``conjugate`` s (concrete integer
    exponents); conjugates are kept apart (not replaced by ``1/lambda``), so laws with
    ``|lambda| != 1`` are handled. With ``moment(p, q) = [p = q]`` this is :func:`phase_expectation`.
    """
    phases = list(phases)
    bars = [sp.Dummy(f"conj_{p}") for p in phases]
    expr = sp.expand(sp.sympify(expr).xreplace({sp.conjugate(p): bar for p, bar in zip(phases, bars)}))
    if not expr.free_symbols & set(phases + bars):
        return expr
    poly = sp.Poly(expr, *(phases + bars))
    total = sp.Integer(0)
    n = len(phases)
    for monomial, coef in poly.terms():
        factor = sp.Integer(1)
        for j in range(n):
            factor *= moment(monomial[j], monomial[n + j])
            if factor == 0:
                break
        total += coef * factor
    return sp.expand(total)


def coordinate_expectation_poly(poly: Any, x_indices: Sequence[int]) -> sp.Expr:
    """:func:`coordinate_expectation` for a ring element: a SymPy expression with :class:`Moment` s."""
    gens = [sp.sympify(g.as_expr()) for g in poly.ring.gens]
    x_set = set(x_indices)
    total = sp.Integer(0)
    for exps, coef in poly.items():
        moment = Moment(*(exps[i] for i in x_indices))
        rest = sp.Mul(*(g**e for n, (g, e) in enumerate(zip(gens, exps)) if e and n not in x_set))
        total += sp.Rational(coef.numerator, coef.denominator) * rest * moment
    return total


def coordinate_expectation(expr: sp.Expr, xs: Sequence[sp.Symbol]) -> sp.Expr:
    """Replace every monomial in the coordinates ``xs`` by its generic :class:`Moment`.

    ``expr`` must be a polynomial in ``xs`` (other symbols are coefficients).
    """
    xs = list(xs)
    poly = sp.Poly(sp.expand(expr), *xs)
    total = sp.Integer(0)
    for monomial, coef in poly.terms():
        total += coef * Moment(*monomial)
    return total


def moments_in(expr: sp.Expr) -> list[Moment]:
    """The generic moments occurring in ``expr``, sorted by exponents."""
    return sorted(expr.atoms(Moment), key=lambda m: m.exponents)


def vanishes_under_assumption2(exponents: Iterable[int]) -> bool:
    """True if Assumption 2 forces ``E prod x_j^{p_j} = 0``.

    That is: at most four coordinates occur and one of them occurs to the
    first power.
    """
    present = [p for p in exponents if p]
    return 0 < len(present) <= 4 and 1 in present


def _unit(d: int, *pairs: tuple[int, int]) -> tuple[int, ...]:
    exps = [0] * d
    for j, p in pairs:
        exps[j] = p
    return tuple(exps)


def assumption2_reduce(
    expr: sp.Expr,
    d: int,
    *,
    kappa1: sp.Expr = KAPPA1,
    kappa2: sp.Expr = KAPPA2,
    kappa3: sp.Expr = KAPPA3,
    second_moment: sp.Expr = M2,
    equal_column_sums: bool = False,
) -> sp.Expr:
    """Apply Assumption 2 to the generic moments of a ``d``-dimensional ``x_1``.

    1. moments with a coordinate to the first power (at most four coordinates) -> 0;
    2. ``E x_j^4 -> kappa_1``, ``E x_j^6 -> kappa_2`` for every ``j``;
    3. only the row sums ``kappa_3 = sum_{r != j} E x_j^2 x_r^4`` are known, so
       for each ``j`` the term with the largest ``r != j`` is replaced by
       ``kappa_3 - (the other terms of the row)``; the others cancel exactly when
       ``expr`` depends on the row sums only (what remains is reported by
       :func:`moments_in`). For ``d = 1`` the row sum is empty: ``kappa_3 = 0``;
    4. likewise ``E x_d^2 -> d m_2 - sum_{j<d} E x_j^2`` (``m_2`` is the mean
       second moment; no assumption is needed for this).

    ``equal_column_sums=True`` adds the condition (not part of Assumption 2, true
    for exchangeable coordinates) that the column sums
    ``sum_{r != j} E x_r^2 x_j^4`` are equal too; they then equal ``kappa_3``
    because the row sums and the column sums have the same total. Both sets of
    linear conditions are solved together for as many mixed moments as they fix.

    Every other moment is left in place, so a result free of :class:`Moment`
    depends on the law only through ``kappa_1, kappa_2, kappa_3, m_2``.
    """
    expr = sp.sympify(expr)
    if d < 1:
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    subs: dict = {}
    for m in expr.atoms(Moment):
        if len(m.args) != d:
            raise InvalidInputError(f"moment {m} has {len(m.args)} exponents but d={d}")
        if vanishes_under_assumption2(m.exponents):
            subs[m] = sp.Integer(0)
    expr = expr.xreplace(subs)
    subs = {}
    for j in range(d):
        subs[Moment(*_unit(d, (j, 4)))] = kappa1
        subs[Moment(*_unit(d, (j, 6)))] = kappa2
    expr = expr.xreplace(subs)
    if d == 1:
        expr = expr.xreplace({kappa3: 0}) if isinstance(kappa3, sp.Symbol) else expr
    else:
        expr = expr.xreplace(_kappa3_substitution(d, kappa3, equal_column_sums))
    rest = sum((Moment(*_unit(d, (j, 2))) for j in range(d - 1)), sp.Integer(0))
    expr = expr.xreplace({Moment(*_unit(d, (d - 1, 2))): d * second_moment - rest})
    return sp.expand(expr)


@lru_cache(maxsize=64)
def _kappa3_substitution(d: int, kappa3: sp.Expr, columns: bool) -> dict:
    """Solve ``row sums = kappa_3`` (and ``column sums = kappa_3``) for mixed moments."""
    pairs = [(j, r) for j in range(d) for r in range(d) if r != j]
    moment = {p: Moment(*_unit(d, (p[0], 2), (p[1], 4))) for p in pairs}
    dummy = {p: sp.Dummy(f"M_{p[0]}{p[1]}") for p in pairs}
    equations = [sum(dummy[(j, r)] for r in range(d) if r != j) - kappa3 for j in range(d)]
    if columns:
        equations += [sum(dummy[(r, j)] for r in range(d) if r != j) - kappa3 for j in range(d)]
    # Solve for the moments with the largest indices first (a fixed, reproducible choice).
    unknowns = [dummy[p] for p in sorted(pairs, key=lambda p: (p[1], p[0]), reverse=True)]
    solution = sp.solve(equations, unknowns, dict=True)
    if len(solution) != 1:
        raise AssertionError("the kappa_3 conditions should have exactly one solution family")
    back = {dummy[p]: moment[p] for p in pairs}
    return {
        moment[p]: sp.sympify(solution[0][dummy[p]]).xreplace(back)
        for p in pairs
        if dummy[p] in solution[0]
    }


def instantiate_pattern(pattern: Sequence[int], d: int) -> sp.Expr:
    """``sum`` over distinct coordinates ``j, k, k', ...`` of ``E x_j^{p_0} x_k^{p_1} ...``.

    ``pattern`` lists the exponents of distinct labelled coordinates; the sum runs
    over all injective assignments of labels to ``1..d`` (empty if ``d`` is too small).
    """
    total = sp.Integer(0)
    for coords in _cartesian(range(d), repeat=len(pattern)):
        if len(set(coords)) != len(coords):
            continue
        total += Moment(*_unit(d, *zip(coords, pattern)))
    return total


def substitute_moments(expr: sp.Expr, values: Mapping[Moment, sp.Expr]) -> sp.Expr:
    """Replace generic moments by given values (e.g. exact moments of a law)."""
    return sp.sympify(expr).xreplace(dict(values))

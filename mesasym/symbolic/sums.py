"""Finite sums: the Kronecker-delta rule over integer ranges, and sums in closed form.

:func:`delta_sum` evaluates

.. math::

    \\sum_{i_1 = l_1}^{h_1} \\cdots \\sum_{i_n = l_n}^{h_n}
        f(i) \\prod_k [\\ell_k(i, t) = 0]

for affine ``ell_k`` with unit coefficient on the index they eliminate:
``sum_i f(i) [i = v] = f(v) [l <= v <= h]``. The range conditions are decided
for every admissible value of the parameters (e.g. ``t >= 2``) by reducing
them to the sign of an expression in non-negative integers; a condition that
cannot be decided raises ``NotImplementedError`` rather than guessing.

:func:`sum_over` sums an expression term by term after shifting the index to
start at 1, so that SymPy recognises ``sum_{s=1}^n 1/s = H_n``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp

from mesasym.errors import InvalidInputError

__all__ = [
    "delta_sum",
    "sum_over",
    "always_nonnegative",
    "always_negative",
    "harmonic_number",
    "EXACT_HARMONIC_MAX",
]

#: Largest ``n`` for which :func:`harmonic_number` is used by default (about a second).
EXACT_HARMONIC_MAX = 100_000

Range = tuple[sp.Symbol, sp.Expr, sp.Expr]


def _shifted(expr: sp.Expr, params: Mapping[sp.Symbol, int]) -> sp.Expr:
    """Write every parameter ``p >= p_min`` as ``p_min + s`` with ``s >= 0``."""
    subs = {}
    for p, lower in params.items():
        subs[p] = lower + sp.Dummy(f"s_{p}", integer=True, nonnegative=True)
    return sp.expand(sp.sympify(expr).subs(subs))


def always_nonnegative(expr: sp.Expr, params: Mapping[sp.Symbol, int]) -> bool:
    """True if ``expr >= 0`` is provable for all integers ``p >= params[p]``."""
    return _shifted(expr, params).is_nonnegative is True


def always_negative(expr: sp.Expr, params: Mapping[sp.Symbol, int]) -> bool:
    """True if ``expr < 0`` is provable for all integers ``p >= params[p]``."""
    return _shifted(expr, params).is_negative is True


def _box_extreme(expr: sp.Expr, ranges: Mapping[sp.Symbol, tuple], lowest: bool) -> sp.Expr:
    """Minimum (``lowest``) or maximum of an affine ``expr`` over the index box."""
    expr = sp.expand(expr)
    out = expr
    for idx, (lo, hi) in ranges.items():
        coef = expr.coeff(idx)
        if coef == 0:
            continue
        if not coef.is_number:
            raise NotImplementedError(f"condition {expr} is not affine in {idx}")
        pick_lo = (coef > 0) == lowest
        out = out.subs(idx, lo if pick_lo else hi)
    return sp.expand(out)


def _delta_arg(delta: sp.KroneckerDelta) -> sp.Expr:
    return sp.expand(delta.args[0] - delta.args[1])


def _one_term(term: sp.Expr, ranges: dict, params: Mapping[sp.Symbol, int]) -> sp.Expr:
    factor = sp.Integer(1)
    deltas: list[sp.Expr] = []
    for f in sp.Mul.make_args(term):
        if isinstance(f, sp.KroneckerDelta):
            deltas.append(_delta_arg(f))
        elif isinstance(f, sp.Pow) and isinstance(f.base, sp.KroneckerDelta):
            deltas.append(_delta_arg(f.base))  # [x = 0]^n = [x = 0]
        else:
            factor *= f
    ranges = dict(ranges)
    conditions: list[sp.Expr] = []  # each must be >= 0
    progress = True
    while progress:
        progress = False
        for n, arg in enumerate(deltas):
            for idx in list(ranges):
                coef = arg.coeff(idx)
                if coef in (1, -1) and not (arg - coef * idx).has(idx):
                    value = sp.expand(-(arg - coef * idx) / coef)
                    lo, hi = ranges.pop(idx)
                    factor = factor.subs(idx, value)
                    deltas = [sp.expand(x.subs(idx, value)) for k, x in enumerate(deltas) if k != n]
                    conditions = [sp.expand(x.subs(idx, value)) for x in conditions]
                    conditions += [sp.expand(value - lo), sp.expand(hi - value)]
                    progress = True
                    break
            if progress:
                break
    kept = sp.Integer(1)
    for arg in deltas:
        if arg == 0:
            continue
        if any(arg.has(idx) for idx in ranges):
            raise NotImplementedError(f"cannot eliminate the Kronecker delta [{arg} = 0]")
        if always_negative(arg, params) or always_negative(-arg, params):
            return sp.Integer(0)
        kept *= sp.KroneckerDelta(arg, 0)
    for cond in conditions:
        if always_nonnegative(_box_extreme(cond, ranges, lowest=True), params):
            continue
        if always_negative(_box_extreme(cond, ranges, lowest=False), params):
            return sp.Integer(0)
        raise NotImplementedError(f"cannot decide the range condition {cond} >= 0")
    result = factor * kept
    for idx, (lo, hi) in ranges.items():
        result = sum_over(result, idx, lo, hi)
    return result


def delta_sum(
    summand: sp.Expr,
    ranges: Sequence[Range],
    params: Mapping[sp.Symbol, int],
) -> sp.Expr:
    """``sum`` of ``summand`` over the index ``ranges`` using the Kronecker-delta rule.

    ``ranges`` is a sequence of ``(index, low, high)`` whose bounds depend only on
    the parameters; ``params`` maps each parameter to its least admissible value
    (e.g. ``{t: 2}``).
    """
    table = {idx: (sp.sympify(lo), sp.sympify(hi)) for idx, lo, hi in ranges}
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(summand)):
        total += _one_term(term, table, params)
    return sp.expand(total)


def sum_over(expr: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """``sum_{var=lo}^{hi} expr`` in closed form, term by term.

    The index is shifted to ``s = var - lo + 1`` so every sum starts at 1
    (SymPy then returns ``harmonic(n)`` for ``sum 1/s``); a sum SymPy cannot do
    stays an unevaluated ``Sum``.
    """
    s = sp.Dummy("s", integer=True, positive=True)
    shifted = sp.expand(sp.sympify(expr).subs(var, s + lo - 1))
    n = sp.expand(hi - lo + 1)
    total = sp.Integer(0)
    for term in sp.Add.make_args(shifted):
        coef, dependent = term.as_independent(s, as_Add=False)
        if dependent == 1:
            total += coef * n
        else:
            total += coef * sp.summation(dependent, (s, 1, n))
    return sp.expand(total)


def _harmonic_split(a: int, b: int) -> tuple[int, int]:
    """``sum_{k=a}^{b-1} 1/k = p/q`` (unreduced), by binary splitting."""
    if b - a <= 16:
        p, q = 0, 1
        for k in range(a, b):
            p, q = p * k + q, q * k
        return p, q
    m = (a + b) // 2
    p1, q1 = _harmonic_split(a, m)
    p2, q2 = _harmonic_split(m, b)
    return p1 * q2 + p2 * q1, q1 * q2


def harmonic_number(n: int) -> sp.Rational:
    """``H_n = sum_{s=1}^n 1/s`` as an exact rational, by binary splitting.

    ``O(n log n)`` big-integer work (SymPy's own ``harmonic(n)`` adds the terms one
    by one and is much slower for large ``n``).

    Why hand-written: no kept library gives ``H_n`` exactly and fast -- ``sympy.harmonic(n)``
    sums term by term (quadratic big-integer work), ``mpmath.harmonic`` and ``scipy.special``
    are floating point, and the checks need the exact rational up to ``n = 10^5``
    (:data:`EXACT_HARMONIC_MAX`). Binary splitting is the standard ten-line method.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInputError(f"n={n!r} must be a non-negative integer")
    if n == 0:
        return sp.Integer(0)
    p, q = _harmonic_split(1, n + 1)
    return sp.Rational(p, q)

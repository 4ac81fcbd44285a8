"""High-precision evaluation of the derived fixed point ``c* = a~ b~``.

The expression comes from the symbolic derivation
(:func:`mesasym.symbolic.reduced_flow.fixed_point_product`, the root of the
derived ``g``), with the harmonic number ``H_{T-2}`` as its only non-rational
ingredient:

.. math::

    c^* = \\frac{\\kappa_1 (T-2)}{\\kappa_2 (T-2) + \\kappa_3 H_{T-2}}.

* :func:`fixed_point_exact` -- an exact :class:`sympy.Rational` when the kappas are
  rational; ``H_n`` by binary splitting (``O(n log n)`` big-integer work, so
  ``T`` is capped at :data:`EXACT_T_MAX` unless the caller lifts the cap);
* :func:`fixed_point_mp` -- an :class:`mpmath.mpf` at any requested number of
  significant digits (default 50) and any ``T >= 3`` (``10^6``, ``10^30``, ...):
  ``H_n = psi(n + 1) + gamma`` via :func:`mpmath.harmonic`, no loop over ``t``.

Precision is only ever changed inside ``with mpmath.mp.workdps(n):``.

A later issue adds a high-precision integration of the reduced ODE here.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic.sums import harmonic_number

__all__ = [
    "DEFAULT_DPS",
    "EXACT_T_MAX",
    "harmonic_exact",
    "harmonic_mp",
    "fixed_point_exact",
    "fixed_point_mp",
    "to_mpf",
    "mp_string",
]

#: Default number of significant decimal digits.
DEFAULT_DPS = 50
#: Largest ``T`` accepted by :func:`fixed_point_exact` by default (about a second).
EXACT_T_MAX = 100_002
#: Extra working digits used internally.
_GUARD_DIGITS = 15
_MAX_DPS = 100_000


def _check_T(T: Any) -> int:
    if isinstance(T, bool) or not isinstance(T, (int, sp.Integer)) or int(T) < 3:
        raise InvalidInputError(f"T={T!r} must be an integer >= 3")
    return int(T)


def _check_dps(dps: Any) -> int:
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= _MAX_DPS:
        raise InvalidInputError(f"dps={dps!r} must be an integer between 1 and {_MAX_DPS}")
    return dps


def harmonic_exact(n: int) -> Fraction:
    """``H_n = 1 + 1/2 + ... + 1/n`` exactly (``H_0 = 0``), by binary splitting."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInputError(f"n={n!r} must be a non-negative integer")
    value = harmonic_number(n)
    return Fraction(int(value.p), int(value.q))


def harmonic_mp(n: int, dps: int = DEFAULT_DPS) -> mpmath.mpf:
    """``H_n`` to ``dps`` significant digits (``psi(n+1) + gamma``; cost independent of ``n``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInputError(f"n={n!r} must be a non-negative integer")
    dps = _check_dps(dps)
    with mpmath.mp.workdps(dps + _GUARD_DIGITS):
        value = mpmath.harmonic(n)
    with mpmath.mp.workdps(dps):
        return +value


@lru_cache(maxsize=1)
def _derived() -> tuple[sp.Expr, sp.Symbol]:
    """The derived ``c*`` with ``H_{T-2}`` replaced by a symbol ``H``."""
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.reduced_flow import fixed_point_product

    H = sp.Symbol("H", positive=True)
    expr = fixed_point_product()
    expr = expr.replace(lambda e: isinstance(e, sp.harmonic), lambda e: H)
    if expr.free_symbols - {S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3, H}:
        raise AssertionError(f"unexpected symbols in the derived fixed point: {expr.free_symbols}")
    return expr, H


def _kappa_values(kappas: tuple[Any, Any, Any]) -> tuple[sp.Expr, ...]:
    out = []
    for name, k in zip(("kappa1", "kappa2", "kappa3"), kappas):
        if isinstance(k, Fraction):
            k = sp.Rational(k.numerator, k.denominator)
        try:
            value = sp.sympify(k)
        except (sp.SympifyError, TypeError) as error:
            raise InvalidInputError(f"{name}={k!r} must be a real number") from error
        if not value.is_number or value.is_real is False or not value.is_finite:
            raise InvalidInputError(f"{name}={k!r} must be a finite real number")
        out.append(value)
    if not (out[0].is_positive and out[1].is_positive and out[2].is_nonnegative):
        raise InvalidInputError(
            f"kappas=({kappas[0]!r}, {kappas[1]!r}, {kappas[2]!r}) must satisfy kappa1 > 0, kappa2 > 0, kappa3 >= 0"
        )
    return tuple(out)


def fixed_point_exact(
    T: int, kappa1: Any, kappa2: Any, kappa3: Any, *, max_T: int | None = EXACT_T_MAX
) -> sp.Rational:
    """The derived ``a~ b~`` as an exact rational (rational kappas required).

    ``max_T=None`` lifts the cap on ``T`` (the cost grows like ``T log T`` big-integer
    work: about 1 s at ``T = 10^5``, a minute at ``10^6``).
    """
    T_val = _check_T(T)
    if max_T is not None and T_val > max_T:
        raise InvalidInputError(
            f"T={T!r} is above the exact-rational cap {max_T}; use fixed_point_mp or pass max_T=None"
        )
    values = _kappa_values((kappa1, kappa2, kappa3))
    for name, v in zip(("kappa1", "kappa2", "kappa3"), values):
        if not v.is_Rational:
            raise InvalidInputError(f"{name}={v} must be rational for an exact rational fixed point")
    from mesasym.symbolic import symbols as S

    expr, H = _derived()
    h = harmonic_exact(T_val - 2)
    subs = {
        S.T: sp.Integer(T_val),
        S.KAPPA1: values[0],
        S.KAPPA2: values[1],
        S.KAPPA3: values[2],
        H: sp.Rational(h.numerator, h.denominator),
    }
    result = sp.cancel(expr.xreplace(subs))
    if not result.is_Rational:
        raise AssertionError(f"fixed point is not rational: {result}")
    return result


def to_mpf(value: Any, dps: int) -> mpmath.mpf:
    """A real SymPy number (or int/Fraction/str) as an mpf correct to about ``dps`` digits."""
    if isinstance(value, Fraction):
        value = sp.Rational(value.numerator, value.denominator)
    v = sp.sympify(value)
    if v.is_Rational:
        return mpmath.mpf(int(v.p)) / int(v.q)
    evaluated = sp.N(v, dps + _GUARD_DIGITS)
    if not evaluated.is_real:
        raise InvalidInputError(f"value={value!r} must be real")
    return mpmath.mpf(evaluated._mpf_) if hasattr(evaluated, "_mpf_") else mpmath.mpf(str(evaluated))


@lru_cache(maxsize=1)
def _mp_function() -> Any:
    from mesasym.symbolic import symbols as S

    expr, H = _derived()
    return sp.lambdify((S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3, H), expr, modules="mpmath")


def fixed_point_mp(
    T: int, kappa1: Any, kappa2: Any, kappa3: Any, dps: int = DEFAULT_DPS
) -> mpmath.mpf:
    """The derived ``a~ b~`` to ``dps`` significant digits, any ``T >= 3`` (no loop over ``t``)."""
    T_val = _check_T(T)
    dps = _check_dps(dps)
    values = _kappa_values((kappa1, kappa2, kappa3))
    work = dps + _GUARD_DIGITS
    with mpmath.mp.workdps(work):
        args = [mpmath.mpf(T_val)] + [to_mpf(v, work) for v in values] + [mpmath.harmonic(T_val - 2)]
        value = _mp_function()(*args)
    with mpmath.mp.workdps(dps):
        return +value


def mp_string(value: mpmath.mpf, dps: int = DEFAULT_DPS) -> str:
    """``value`` printed with ``dps`` significant digits."""
    dps = _check_dps(dps)
    with mpmath.mp.workdps(dps):
        return mpmath.nstr(value, dps, strip_zeros=False)

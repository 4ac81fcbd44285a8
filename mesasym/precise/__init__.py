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

* :func:`integrate_reduced_flow` -- the derived reduced ODE integrated at the
  requested precision by a high-order Taylor-series solver
  (:class:`PolynomialTaylorSolver`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    "PolynomialTaylorSolver",
    "ReducedTrajectory",
    "integrate_reduced_flow",
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


class PolynomialTaylorSolver:
    """High-order Taylor-series solver for :math:`y' = F(y)` with polynomial ``F``.

    The Taylor coefficients of the solution at the current point follow from the
    recurrence :math:`(k+1)\\,y_{k+1} = [F(y)]_k`, where the ``k``-th coefficient
    of every monomial of ``F`` is a Cauchy product of already known
    coefficients (each monomial is built as a parent monomial times one
    variable). With ``N`` terms, the step is the largest ``h`` for which the
    last two terms, :math:`|y_{N-1}| h^{N-1}` and :math:`|y_N| h^N`, are below
    :math:`10^{-(dps+3)}` of the solution's scale (the usual control of
    high-order Taylor methods); all arithmetic is done at ``dps + 15`` digits.
    Unlike :func:`mpmath.odefun` (which differentiates numerically at
    ``dps * (N+1)`` digits) this costs ``O(N^2)`` operations per step.

    Why hand-written: the reduced ODE must be integrated to ``10^-(dps/2)`` at 50-100 digits.
    SciPy's integrators work in double precision only; :func:`mpmath.odefun` is the one
    arbitrary-precision ODE solver in a kept library and is far slower at these precisions
    for the reason above; the right-hand side is a polynomial, for which the Taylor
    recurrence is exact and short.
    """

    def __init__(self, rhs: Sequence[sp.Expr], variables: Sequence[sp.Symbol], y0: Sequence[Any], dps: int) -> None:
        self.dps = _check_dps(dps)
        self.work = dps + _GUARD_DIGITS
        self.N = int(1.3 * dps) + 10
        polys = [sp.Poly(sp.expand(expr), *variables) for expr in rhs]
        with mpmath.mp.workdps(self.work):
            self.terms = [[(m, to_mpf(c, self.work)) for m, c in zip(p.monoms(), p.coeffs())] for p in polys]
            self.tol = mpmath.mpf(10) ** (-(dps + 3))
            self.t = mpmath.mpf(0)
            self.y = [to_mpf(v, self.work) for v in y0]
        # every monomial of degree >= 2, with its parent (one variable fewer)
        needed: set[tuple[int, ...]] = set()
        for row in self.terms:
            for m, _ in row:
                m = list(m)
                while sum(m) >= 2:
                    needed.add(tuple(m))
                    m[next(i for i, e in enumerate(m) if e)] -= 1
        self.products = sorted(needed, key=lambda m: (sum(m), m))
        self.parent = {}
        for m in self.products:
            k = next(i for i, e in enumerate(m) if e)
            self.parent[m] = (tuple(e - (i == k) for i, e in enumerate(m)), k)
        self._expand()

    def _expand(self) -> None:
        """Taylor coefficients at ``self.t`` and the admissible step."""
        with mpmath.mp.workdps(self.work):
            series = [[v] for v in self.y]
            product: dict[tuple[int, ...], list] = {m: [] for m in self.products}

            def of(m: tuple[int, ...]) -> list:
                return series[m.index(1)] if sum(m) == 1 else product[m]

            for n in range(self.N):
                for m in self.products:
                    p, k = self.parent[m]
                    left, right = of(p), series[k]
                    product[m].append(mpmath.fsum(left[j] * right[n - j] for j in range(n + 1)))
                for i, row in enumerate(self.terms):
                    total = mpmath.mpf(0)
                    for m, c in row:
                        if sum(m) == 0:
                            total += c if n == 0 else 0
                        else:
                            total += c * of(m)[n]
                    series[i].append(total / (n + 1))
            scale = max(mpmath.mpf(1), *(abs(v) for v in self.y))
            h = mpmath.inf
            for coefficients in series:
                for k in (self.N - 1, self.N):
                    if coefficients[k]:
                        h = min(h, (self.tol * scale / abs(coefficients[k])) ** (mpmath.mpf(1) / k))
            self.series, self.h = series, h

    def _evaluate(self, dt: mpmath.mpf) -> list:
        return [mpmath.polyval(coefficients[::-1], dt) for coefficients in self.series]

    def at(self, t: Any) -> list[mpmath.mpf]:
        """The solution at time ``t`` >= the current time (steps forward as needed)."""
        with mpmath.mp.workdps(self.work):
            t = mpmath.mpf(t)
            if t < self.t:
                raise InvalidInputError(f"t={t} is before the solver's current time {self.t}")
            while t > self.t + self.h:
                self.y = self._evaluate(self.h)
                self.t += self.h
                self._expand()
            return self._evaluate(t - self.t)


@dataclass(frozen=True)
class ReducedTrajectory:
    """A high-precision solution of the derived reduced ODE (mpmath numbers).

    ``tau``, ``a``, ``b`` are sampled on a uniform grid of step
    ``1 / (4 rate)``; ``distance`` is ``|a b - c*| / c*`` at the last point and
    ``conserved_drift`` the largest ``|Delta (a^2 - b^2)|`` seen along the way.
    """

    tau: tuple[mpmath.mpf, ...]
    a: tuple[mpmath.mpf, ...]
    b: tuple[mpmath.mpf, ...]
    c_star: mpmath.mpf
    distance: mpmath.mpf
    conserved_drift: mpmath.mpf
    converged: bool
    dps: int

    def limit_error(self, a_tilde: mpmath.mpf, b_tilde: mpmath.mpf) -> tuple[mpmath.mpf, mpmath.mpf]:
        """``(error, tolerance)`` of the end point against the closed forms ``a~, b~``.

        ``error`` is the larger relative error of ``a`` and ``b``. With ``a^2 - b^2``
        conserved, ``|a - a~| <= |ab - c*| / (|a| + |a~|)``, so for the stopping
        distance ``eps`` the bound is ``2 eps max(|b~/a~|, |a~/b~|)``, plus
        ``10^-(dps-5)`` for the integration error.
        """
        with mpmath.mp.workdps(self.dps + _GUARD_DIGITS):
            ratio = max(abs(b_tilde / a_tilde), abs(a_tilde / b_tilde))
            tolerance = 2 * self.distance * ratio + mpmath.mpf(10) ** (-(self.dps - 5))
            error = max(abs(self.a[-1] - a_tilde) / abs(a_tilde), abs(self.b[-1] - b_tilde) / abs(b_tilde))
        return error, tolerance


def integrate_reduced_flow(
    rhs_a: sp.Expr,
    rhs_b: sp.Expr,
    a0: Any,
    b0: Any,
    c_star: Any,
    rate: Any,
    *,
    dps: int = DEFAULT_DPS,
    target: Any = None,
    max_rate_times: int = 200,
) -> ReducedTrajectory:
    """Integrate ``(da/dtau, db/dtau) = (rhs_a, rhs_b)`` at ``dps`` digits.

    ``rhs_a``, ``rhs_b`` are the *derived* right-hand sides (polynomials in
    :data:`mesasym.symbolic.symbols.a`, ``b`` with every other symbol
    substituted), integrated by :class:`PolynomialTaylorSolver`. The solution is
    sampled every ``1/(4 rate)`` (``rate`` = the derived linear rate at the fixed
    point) until ``|ab - c*| <= target * c*`` (default ``10^-(dps // 2)``) or
    ``tau = max_rate_times / rate``.
    """
    from mesasym.symbolic import symbols as S

    dps = _check_dps(dps)
    free = (sp.sympify(rhs_a).free_symbols | sp.sympify(rhs_b).free_symbols) - {S.a, S.b}
    if free:
        raise InvalidInputError(f"the right-hand sides still contain symbols {sorted(map(str, free))}")
    solver = PolynomialTaylorSolver((rhs_a, rhs_b), (S.a, S.b), (a0, b0), dps)
    with mpmath.mp.workdps(dps + _GUARD_DIGITS):
        a_start, b_start = solver.y
        c_target = to_mpf(c_star, dps + _GUARD_DIGITS)
        step = 1 / (4 * to_mpf(rate, dps + _GUARD_DIGITS))
        tol = mpmath.mpf(10) ** (-(dps // 2)) if target is None else to_mpf(target, dps)
        invariant = a_start**2 - b_start**2
        taus, a_values, b_values = [mpmath.mpf(0)], [a_start], [b_start]
        drift = mpmath.mpf(0)
        distance = abs(a_start * b_start - c_target) / c_target
        k = 0
        while distance > tol and k < 4 * max_rate_times:
            k += 1
            a_k, b_k = solver.at(k * step)
            taus.append(k * step)
            a_values.append(a_k)
            b_values.append(b_k)
            drift = max(drift, abs(a_k**2 - b_k**2 - invariant))
            distance = abs(a_k * b_k - c_target) / c_target
    with mpmath.mp.workdps(dps):
        return ReducedTrajectory(
            tau=tuple(+x for x in taus),
            a=tuple(+x for x in a_values),
            b=tuple(+x for x in b_values),
            c_star=+c_target,
            distance=+distance,
            conserved_drift=+drift,
            converged=bool(distance <= tol),
            dps=dps,
        )


def as_float(expr: Any, dps: int = 30) -> float:
    """A real SymPy number as a float (large-``T`` harmonic symbols ``H_{n}`` evaluated by mpmath)."""
    value = sp.sympify(expr)
    big = {}
    for symbol in value.free_symbols:
        if symbol.name.startswith("H_{") and symbol.name.endswith("}"):
            with mpmath.workdps(dps + 10):
                big[symbol] = sp.Float(mpmath.harmonic(int(symbol.name[3:-1])), dps + 10)
    value = value.xreplace(big)
    if value.free_symbols:
        raise AssertionError(f"not a number: {value}")
    return float(sp.N(value, dps))


def exact_text(expr: Any, limit: int = 200) -> str:
    """``sstr(expr)``, or a placeholder when longer than ``limit`` characters."""
    text = sp.sstr(sp.sympify(expr))
    return text if len(text) <= limit else "(exact value too long to print)"



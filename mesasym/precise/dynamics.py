r"""High-precision evaluation of the derived closed-form dynamics (:mod:`mesasym.symbolic.dynamics`).

:class:`DynamicsEvaluator` takes the derived slope ``K = g'`` and fixed point ``c*`` of one
setting and a start ``(a_0, b_0)`` (``a_0 != -b_0``) and evaluates, at ``dps`` digits:

* the flow's trajectory ``a(tau), b(tau), c(tau)`` from the explicit inversion
  ``w(tau) = (w_+ - m_0 w_- e^{-r tau}) / (1 - m_0 e^{-r tau})`` (``w = (a + b)^2``);
* the linear rate ``r`` and the time ``tau_eps`` at which ``|c - c*| = eps c*``;
* the reduced GD map ``(a, b) -> (a + eta da/dtau, b + eta db/dtau)`` iterated exactly
  in mpmath (``dps + 15`` working digits), its stability threshold ``2/r`` at the
  flow's limit, and the number of steps to ``eps`` (iterated, and the two closed-form
  estimates ``tau_eps/eta`` and ``ln(eps c*/|c_0 - c*|)/ln|1 - eta r|``).

Every formula is a lambdified expression of the derivation; nothing is typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp

from mesasym.errors import InvalidInputError, require
from mesasym.precise import to_mpf

__all__ = ["DynamicsEvaluator", "GDRun", "mp_number"]

_GUARD = 15


def mp_number(expr: Any, dps: int) -> mpmath.mpf:
    """A real SymPy number as an mpf; large-``T`` harmonic symbols ``H_{n}`` evaluated by mpmath."""
    value = sp.sympify(expr)
    big = {}
    for symbol in value.free_symbols:
        if symbol.name.startswith("H_{") and symbol.name.endswith("}"):
            with mpmath.workdps(dps + _GUARD):
                big[symbol] = sp.Float(mpmath.harmonic(int(symbol.name[3:-1])), dps + _GUARD)
    value = value.xreplace(big)
    if value.free_symbols:
        raise InvalidInputError(f"value {value} still contains symbols {sorted(map(str, value.free_symbols))}")
    return to_mpf(value, dps)


@lru_cache(maxsize=1)
def _functions() -> dict[str, Any]:
    """Lambdified (mpmath) closed forms of the derivation."""
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.dynamics import EPS, ETA, W, W0, derive_dynamics

    dyn = derive_dynamics(verify=False)  # the same expressions; the verified run is in the tests
    K, C, delta, tau = S.K, S.CSTAR, S.DELTA, S.tau

    def f(args: tuple, expr: sp.Expr) -> Any:
        return sp.lambdify(args, expr, modules="mpmath")

    return {
        "w_plus": f((K, C, delta), dyn.w_plus),
        "w_minus": f((K, C, delta), dyn.w_minus),
        "rate": f((K, C, delta), dyn.rate),
        "w_of_tau": f((K, C, delta, W0, tau), dyn.w_of_tau),
        "c_of_w": f((delta, W), dyn.c_of_w),
        "a_of_w": f((delta, W), dyn.a_of_w),
        "b_of_w": f((delta, W), dyn.b_of_w),
        "w_of_c": f((delta, S.c), dyn.w_of_c),
        "tau_of_w": f((K, C, delta, W0, W), dyn.tau_of_w),
        "max_stable_lr": f((K, C, delta), dyn.max_stable_lr),
        "monotone_lr": f((K, C, delta), dyn.monotone_lr),
        "map_a": f((S.a, S.b, K, C, ETA), dyn.gd_map[0]),
        "map_b": f((S.a, S.b, K, C, ETA), dyn.gd_map[1]),
        "eps": EPS,
    }


@dataclass(frozen=True)
class GDRun:
    """The reduced GD map iterated: ``a[k], b[k]`` after ``k`` steps (``k = 0..steps``)."""

    lr: mpmath.mpf
    a: tuple[mpmath.mpf, ...]
    b: tuple[mpmath.mpf, ...]
    diverged: bool

    @property
    def c(self) -> tuple[mpmath.mpf, ...]:
        return tuple(x * y for x, y in zip(self.a, self.b))


class DynamicsEvaluator:
    """The derived dynamics of one setting at ``dps`` significant digits (see the module docstring)."""

    def __init__(self, slope: Any, c_star: Any, a0: Any, b0: Any, dps: int = 50) -> None:
        require(isinstance(dps, int) and not isinstance(dps, bool) and 15 <= dps <= 1000, f"dps={dps!r} must be an integer in [15, 1000]")
        self.dps = dps
        self.work = dps + _GUARD
        self.a0_exact, self.b0_exact = sp.Rational(a0), sp.Rational(b0)
        require(
            self.a0_exact + self.b0_exact != 0,
            f"a0={a0}, b0={b0}: the start lies on the non-convergent line a0 = -b0 (the flow goes to the saddle at 0)",
        )
        self.fn = _functions()
        with mpmath.mp.workdps(self.work):
            self.K = mp_number(slope, self.work)
            self.C = mp_number(c_star, self.work)
            require(self.K > 0 and self.C > 0, f"slope={slope}, c*={c_star} must both be positive")
            self.a0 = to_mpf(self.a0_exact, self.work)
            self.b0 = to_mpf(self.b0_exact, self.work)
            self.delta = self.a0**2 - self.b0**2
            self.w0 = (self.a0 + self.b0) ** 2
            self.sign = 1 if self.a0 + self.b0 > 0 else -1
            self.c0 = self.a0 * self.b0

    def _out(self, value: mpmath.mpf) -> mpmath.mpf:
        with mpmath.mp.workdps(self.dps):
            return +value

    # --- flow -------------------------------------------------------------
    @property
    def rate(self) -> mpmath.mpf:
        """``r = K sqrt(delta^2 + 4 c*^2)``: ``|c - c*|`` decays like ``e^{-r tau}``."""
        with mpmath.mp.workdps(self.work):
            return self._out(self.fn["rate"](self.K, self.C, self.delta))

    def limits(self) -> tuple[mpmath.mpf, mpmath.mpf]:
        """``(a~, b~)``: the trajectory at ``w = w_+``."""
        with mpmath.mp.workdps(self.work):
            w = self.fn["w_plus"](self.K, self.C, self.delta)
            return self._out(self.sign * self.fn["a_of_w"](self.delta, w)), self._out(self.sign * self.fn["b_of_w"](self.delta, w))

    def at(self, tau: Any) -> tuple[mpmath.mpf, mpmath.mpf, mpmath.mpf]:
        """``(a, b, c)`` of the flow at time ``tau >= 0``."""
        with mpmath.mp.workdps(self.work):
            t = to_mpf(sp.Rational(str(tau)) if isinstance(tau, (float, str)) else tau, self.work)
            require(t >= 0, f"tau={tau!r} must be >= 0")
            w = self.fn["w_of_tau"](self.K, self.C, self.delta, self.w0, t)
            a = self.sign * self.fn["a_of_w"](self.delta, w)
            b = self.sign * self.fn["b_of_w"](self.delta, w)
            return self._out(a), self._out(b), self._out(a * b)

    def tau_to_relative_error(self, eps: Any) -> mpmath.mpf:
        """The first ``tau`` with ``|c(tau) - c*| <= eps c*`` (0 if the start is already there)."""
        with mpmath.mp.workdps(self.work):
            e = to_mpf(sp.Rational(str(eps)) if isinstance(eps, (float, str)) else eps, self.work)
            require(0 < e < 1, f"eps={eps!r} must be in (0, 1)")
            if abs(self.c0 - self.C) <= e * self.C:
                return self._out(mpmath.mpf(0))
            level = self.C * (1 - e) if self.c0 < self.C else self.C * (1 + e)
            w = self.fn["w_of_c"](self.delta, level)
            return self._out(self.fn["tau_of_w"](self.K, self.C, self.delta, self.w0, w))

    # --- gradient descent -------------------------------------------------------
    @property
    def max_stable_lr(self) -> mpmath.mpf:
        """``2/r`` at the flow's limit: the reduced GD map's linear-stability threshold there."""
        with mpmath.mp.workdps(self.work):
            return self._out(self.fn["max_stable_lr"](self.K, self.C, self.delta))

    @property
    def monotone_lr(self) -> mpmath.mpf:
        """``1/r``: below it the transverse eigenvalue ``1 - eta r`` is non-negative (no oscillation)."""
        with mpmath.mp.workdps(self.work):
            return self._out(self.fn["monotone_lr"](self.K, self.C, self.delta))

    def gd(self, lr: Any, steps: int, *, stop_eps: Any = None, blowup: float = 1e12) -> GDRun:
        """Iterate the derived reduced GD map ``steps`` times (or until ``|c - c*| <= stop_eps c*``)."""
        require(isinstance(steps, int) and not isinstance(steps, bool) and steps >= 0, f"steps={steps!r} must be an integer >= 0")
        fa, fb = self.fn["map_a"], self.fn["map_b"]
        with mpmath.mp.workdps(self.work):
            eta = to_mpf(sp.Rational(str(lr)) if isinstance(lr, (float, str)) else lr, self.work)
            require(eta > 0, f"lr={lr!r} must be positive")
            tol = None if stop_eps is None else to_mpf(sp.Rational(str(stop_eps)), self.work) * self.C
            a, b = self.a0, self.b0
            out_a, out_b = [a], [b]
            diverged = False
            limit = mpmath.mpf(blowup) * max(mpmath.mpf(1), abs(a), abs(b), self.C)
            for _ in range(steps):
                if tol is not None and abs(a * b - self.C) <= tol:
                    break
                a, b = fa(a, b, self.K, self.C, eta), fb(a, b, self.K, self.C, eta)
                out_a.append(a)
                out_b.append(b)
                if not (abs(a) < limit and abs(b) < limit):
                    diverged = True
                    break
        with mpmath.mp.workdps(self.dps):
            return GDRun(+eta, tuple(+x for x in out_a), tuple(+x for x in out_b), diverged)

    def steps_to_relative_error(self, lr: Any, eps: Any, max_steps: int = 100_000) -> dict[str, Any]:
        """Steps of the reduced GD map until ``|c - c*| <= eps c*``: iterated, and two estimates.

        ``iterated`` is ``None`` if not reached within ``max_steps`` (or diverged);
        ``estimate_flow = tau_eps / eta``; ``estimate_rate = ln(eps c*/|c_0 - c*|)/ln|1 - eta r|``
        (the linearisation at the limit; ``None`` when ``eta >= 2/r``).
        """
        run = self.gd(lr, max_steps, stop_eps=eps)
        with mpmath.mp.workdps(self.work):
            eta = run.lr
            e = to_mpf(sp.Rational(str(eps)), self.work)
            reached = (not run.diverged) and abs(run.a[-1] * run.b[-1] - self.C) <= e * self.C
            factor = abs(1 - eta * self.rate)
            distance = abs(self.c0 - self.C)
            if distance <= e * self.C:
                estimate_rate = mpmath.mpf(0)
            elif 0 < factor < 1:
                estimate_rate = mpmath.log(e * self.C / distance) / mpmath.log(factor)
            else:
                estimate_rate = None
            estimate_flow = self.tau_to_relative_error(eps) / eta
        return {
            "iterated": len(run.a) - 1 if reached else None,
            "diverged": run.diverged,
            "max_steps": max_steps,
            "estimate_flow": float(estimate_flow),
            "estimate_rate": None if estimate_rate is None else float(estimate_rate),
        }

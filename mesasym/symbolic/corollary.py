"""Corollary 1 as a symbolic identity: the manifold model is one GD step on in-context OLS.

For concrete ``d`` and ``t`` and a *generic* complex sequence ``x_1, ..., x_t``
(independent symbols and conjugates; no AR structure needed), with
``x_0 = 0``:

1. the literal model of :mod:`mesasym.symbolic.model` on the manifold
   ``W^{KQ}_{32} = aI``, ``W^{PV}_{12} = bI`` gives ``yhat_t``;
2. ``L_OLS,t(W) = 1/2 sum_{i=1}^{t-1} ||x_{i+1} - W x_i||^2`` with a complex
   ``d x d`` matrix ``W`` of symbols; its gradient at ``W = 0`` in the convention
   of THEORY §3 is ``2 dL/d conj(W)``, computed by differentiation;
3. one step ``W_1 = 0 - eta * grad`` and ``yhat_t = W_1 x_t`` is solved for the step
   ``eta`` (one equation per output coordinate and monomial); the derived step is
   unique and the identity then holds exactly.

The general-``t`` form ``yhat_t = (ab/(t-1)) sum_{i=1}^{t-1} x_{i+1} x_i^* x_t``
comes from the block algebra of :mod:`mesasym.symbolic.manifold_loss` (route (i)).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.model import embedding_columns, manifold_parameters, model_output

__all__ = ["CorollaryIdentity", "corollary1_identity"]


@dataclass(frozen=True)
class CorollaryIdentity:
    """Result of :func:`corollary1_identity`."""

    d: int
    t: int
    model_output: tuple[sp.Expr, ...]  # yhat_t on the manifold
    ols_gradient: sp.Matrix  # grad L_OLS,t at W = 0 (THEORY §3 convention)
    step: sp.Expr  # derived eta
    residual: tuple[sp.Expr, ...]  # yhat_t - W_1 x_t with the derived step (all 0)

    @property
    def holds(self) -> bool:
        """True if the identity holds exactly."""
        return all(sp.expand(r) == 0 for r in self.residual)


@lru_cache(maxsize=32)
def corollary1_identity(d: int, t: int) -> CorollaryIdentity:
    """Derive the step size ``eta`` with ``yhat_t = (-eta grad L_OLS,t(0)) x_t`` (real ``a, b``)."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    if isinstance(t, bool) or not isinstance(t, int) or t < 2:
        raise InvalidInputError(f"t={t!r} must be an integer >= 2")
    xs = [[sp.Symbol(f"x_{{{i},{j + 1}}}") for j in range(d)] for i in range(1, t + 1)]
    xbars = [[sp.Symbol(rf"\bar{{x}}_{{{i},{j + 1}}}") for j in range(d)] for i in range(1, t + 1)]
    conj_x = {x: xb for row, rowb in zip(xs, xbars) for x, xb in zip(row, rowb)}

    def conj(expr: sp.Expr) -> sp.Expr:
        return sp.sympify(expr).xreplace(conj_x)  # a, b real

    WKQ, WPV = manifold_parameters([S.a] * d, [S.b] * d)
    yhat = tuple(sp.expand(y) for y in model_output(WKQ, WPV, embedding_columns(xs), conj))

    W = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"W_{{{r + 1},{c + 1}}}"))
    Wbar = sp.Matrix(d, d, lambda r, c: sp.Symbol(rf"\bar{{W}}_{{{r + 1},{c + 1}}}"))
    ols = sp.Integer(0)
    for i in range(t - 1):
        x_i, x_next = sp.Matrix(xs[i]), sp.Matrix(xs[i + 1])
        xb_i, xb_next = sp.Matrix(xbars[i]), sp.Matrix(xbars[i + 1])
        r = x_next - W * x_i
        rbar = xb_next - Wbar * xb_i
        ols += sp.Rational(1, 2) * (rbar.T * r)[0, 0]
    at_zero = {w: 0 for w in list(W) + list(Wbar)}
    grad = sp.Matrix(d, d, lambda r, c: sp.expand(2 * sp.diff(ols, Wbar[r, c]).subs(at_zero)))

    eta = sp.Symbol("eta")
    W1 = -eta * grad
    prediction = W1 * sp.Matrix(xs[t - 1])
    equations = []
    for j in range(d):
        difference = sp.expand(yhat[j] - prediction[j])
        poly = sp.Poly(difference, *(conj_x.keys()), *(conj_x.values()))
        equations += [c for c in poly.coeffs() if c != 0]
    solution = sp.solve(equations, eta, dict=True)
    if len(solution) != 1:
        raise AssertionError(f"no unique step size: {solution}")
    step = sp.factor(solution[0][eta])
    residual = tuple(sp.expand(yhat[j] - prediction[j].subs(eta, step)) for j in range(d))
    return CorollaryIdentity(d=d, t=t, model_output=yhat, ols_gradient=grad, step=step, residual=residual)

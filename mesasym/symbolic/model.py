"""The model of THEORY §2 written out entry by entry (concrete ``d`` and ``t``).

This is the *literal* definition, used by the brute-force route, the
invariance table and Corollary 1:

.. math::

    e_i = (0_d;\\, x_i;\\, x_{i-1}),\\quad x_0 = 0,\\qquad E_t = [e_1, \\dots, e_t],\\qquad
    f_t = e_t + W^{PV} E_t\\, \\frac{E_t^* W^{KQ} e_t}{\\rho_t},\\quad \\rho_t = t - 1,

and :math:`\\hat y_t = [f_t]_{1:d}`. Vectors are Python lists and matrices lists
of rows, so the same code runs on SymPy expressions and on elements of a
SymPy polynomial ring (used for speed by :mod:`mesasym.symbolic.invariance`).
Conjugation is supplied by the caller as a function, because the symbols stand
for different things in each use (``conj(lambda) = 1/lambda`` or an independent
generator for a phase, an independent symbol for a Wirtinger parameter, the
identity for a real coordinate).

The general-``d`` route in :mod:`mesasym.symbolic.manifold_loss` encodes the
same definition independently, with block matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

from mesasym.errors import InvalidInputError

__all__ = [
    "Conjugator",
    "embedding",
    "embedding_columns",
    "model_output",
    "manifold_parameters",
    "symbol_matrix",
    "ar_sequence",
    "rho",
]

Conjugator = Callable[[Any], Any]
Vector = list
Matrix = list  # list of rows


def rho(t: int) -> int:
    """The normalisation ``rho_t = t - 1`` of THEORY §2."""
    return t - 1


def embedding(x_cur: Vector, x_prev: Vector, zero: Any = sp.Integer(0)) -> Vector:
    """``e = (0_d; x_cur; x_prev)`` as a list of length ``3d``."""
    return [zero] * len(x_cur) + list(x_cur) + list(x_prev)


def embedding_columns(xs: Sequence[Vector], zero: Any = sp.Integer(0)) -> list[Vector]:
    """``[e_1, ..., e_t]`` for the tokens ``xs = [x_1, ..., x_t]`` (``x_0 = 0``)."""
    if not xs:
        raise InvalidInputError("the token list must not be empty")
    d = len(xs[0])
    previous = [[zero] * d] + [list(x) for x in xs[:-1]]
    return [embedding(cur, prev, zero) for cur, prev in zip(xs, previous)]


def _matvec(M: Matrix, v: Vector, zero: Any) -> Vector:
    out = []
    for row in M:
        acc = zero
        for m, x in zip(row, v):
            if m != 0 and x != 0:
                acc = acc + m * x
        out.append(acc)
    return out


def model_output(
    WKQ: Matrix,
    WPV: Matrix,
    columns: Sequence[Vector],
    conj: Conjugator,
    zero: Any = sp.Integer(0),
) -> Vector:
    """``yhat_t = [e_t + W^{PV} E_t (E_t^* W^{KQ} e_t) / rho_t]_{1:d}`` with ``t = len(columns)``.

    ``E_t^* W^{KQ} e_t`` is the column of inner products ``e_i^* (W^{KQ} e_t)``; the
    second factor is ``sum_i (W^{PV} e_i) s_i``.
    """
    t = len(columns)
    if t < 2:
        raise InvalidInputError(f"t={t!r} must be >= 2 (rho_t = t - 1 must be positive)")
    size = len(columns[0])
    if size % 3:
        raise InvalidInputError(f"embedding length {size} is not 3d")
    d = size // 3
    e_t = columns[-1]
    kq_e_t = _matvec(WKQ, e_t, zero)
    scores = []
    for e_i in columns:
        acc = zero
        for p, q in zip(e_i, kq_e_t):
            if p != 0 and q != 0:
                acc = acc + conj(p) * q
        scores.append(acc)
    total = [zero] * size
    for e_i, s_i in zip(columns, scores):
        if s_i == 0:
            continue
        pv_e_i = _matvec(WPV, e_i, zero)
        total = [acc + v * s_i for acc, v in zip(total, pv_e_i)]
    inverse_rho = sp.Rational(1, rho(t))
    f = [e + v * inverse_rho for e, v in zip(e_t, total)]
    return f[:d]


def symbol_matrix(prefix: str, rows: int, cols: int, **assumptions: bool) -> Matrix:
    """A ``rows x cols`` list-matrix of fresh symbols ``prefix_{r,c}`` (0-based indices)."""
    return [[sp.Symbol(f"{prefix}_{{{r},{c}}}", **assumptions) for c in range(cols)] for r in range(rows)]


def manifold_parameters(
    a_entries: Sequence[Any], b_entries: Sequence[Any], zero: Any = sp.Integer(0)
) -> tuple[Matrix, Matrix]:
    """``(W^{KQ}, W^{PV})`` on the Assumption-1 manifold, one value per diagonal entry.

    ``W^{KQ}_{32} = diag(a_entries)`` (rows ``2d:3d``, columns ``d:2d``) and
    ``W^{PV}_{12} = diag(b_entries)`` (rows ``0:d``, columns ``d:2d``); every other
    entry is zero.
    """
    d = len(a_entries)
    if d < 1 or len(b_entries) != d:
        raise InvalidInputError("a_entries and b_entries must be non-empty and of equal length")
    WKQ = [[zero] * (3 * d) for _ in range(3 * d)]
    WPV = [[zero] * (3 * d) for _ in range(3 * d)]
    for j in range(d):
        WKQ[2 * d + j][d + j] = a_entries[j]
        WPV[j][d + j] = b_entries[j]
    return WKQ, WPV


def ar_sequence(phases: Sequence[Any], x1: Sequence[Any], length: int) -> list[Vector]:
    """``[x_1, ..., x_length]`` with ``x_{i,j} = lambda_j^{i-1} x_{1,j}`` (``x_{t+1} = W x_t``)."""
    return [[lam ** (i - 1) * x for lam, x in zip(phases, x1)] for i in range(1, length + 1)]

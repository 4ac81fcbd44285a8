r"""The deep linear-attention model written out on polynomial-ring elements (concrete ``d``, ``T``).

The literal definition, layer by layer (the one-layer case is :mod:`mesasym.symbolic.model`):

.. math::

    e^{(0)}_t = (0_d;\, x_t;\, x_{t-1}),\qquad
    e^{(l)}_t = e^{(l-1)}_t + \frac{1}{\rho_t} \sum_{i \le t} \bigl(W^{PV}_l e^{(l-1)}_i\bigr)
        \bigl(e^{(l-1)*}_i W^{KQ}_l e^{(l-1)}_t\bigr),\qquad \hat y_t = [e^{(L)}_t]_{1:d},

:math:`\rho_t = t - 1` for ``t >= 2`` and :math:`\rho_1 = 1` (the convention of
:mod:`mesasym.models.exact_linear`). Every token of every layer is kept, since layer ``l``
at position ``t`` reads layer ``l - 1`` at all positions ``i <= t``.

Tokens are lists of ring elements; :func:`ar_tokens` writes :math:`x_{i,j} = \lambda_j^{i-1}
x_{1j}` with two generators per phase, ``p_j`` for :math:`\lambda_j` and ``q_j`` for
:math:`\bar\lambda_j = \lambda_j^{-1}`; conjugation swaps them (parameters and ``x`` are real).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from mesasym.symbolic.model import Conjugator

__all__ = ["deep_tokens", "deep_prediction", "block_scalar_matrices", "ar_tokens"]

Matrix = list


def _matvec(M: Matrix, v: list, zero: Any) -> list:
    out = []
    for row in M:
        acc = zero
        for m, x in zip(row, v):
            if m and x:
                acc = acc + m * x
        out.append(acc)
    return out


def deep_tokens(layers: Sequence[tuple[Matrix, Matrix]], columns: list[list], conj: Conjugator, zero: Any) -> list[list]:
    """The tokens :math:`e^{(L)}_1, \\dots, e^{(L)}_t` for ``layers = [(W^{KQ}_l, W^{PV}_l), ...]``."""
    tokens = [list(e) for e in columns]
    for WKQ, WPV in layers:
        values = [_matvec(WPV, e, zero) for e in tokens]
        conj_tokens = [[conj(v) if v else zero for v in e] for e in tokens]
        new = []
        for t, e_t in enumerate(tokens, start=1):
            query = _matvec(WKQ, e_t, zero)
            total = [zero] * len(e_t)
            for i in range(t):
                score = zero
                for p, q in zip(conj_tokens[i], query):
                    if p and q:
                        score = score + p * q
                if score:
                    total = [acc + v * score for acc, v in zip(total, values[i])]
            inverse_rho = sp.Rational(1, max(t - 1, 1))
            new.append([e + v * inverse_rho for e, v in zip(e_t, total)])
        tokens = new
    return tokens


def deep_prediction(layers, columns, conj, zero) -> list:
    """:math:`\\hat y_t = [e^{(L)}_t]_{1:d}` for ``t = len(columns)``."""
    d = len(columns[0]) // 3
    return deep_tokens(layers, columns, conj, zero)[-1][:d]


def block_scalar_matrices(values: dict[tuple[int, str, int, int], Any], d: int, layers: int, zero: Any):
    """Per layer ``(W^{KQ}, W^{PV})`` whose block ``(l, m, r, s)`` (0-based) is ``values[...] * I``."""
    out = []
    for l in range(layers):
        mats = {m: [[zero] * (3 * d) for _ in range(3 * d)] for m in ("KQ", "PV")}
        for (layer, m, r, s), v in values.items():
            if layer == l:
                for j in range(d):
                    mats[m][r * d + j][s * d + j] = v
        out.append((mats["KQ"], mats["PV"]))
    return out


def ar_tokens(p: Sequence[Any], q: Sequence[Any], x: Sequence[Any], length: int, zero: Any) -> list[list]:
    """The embeddings :math:`e_1..e_{length}` of :math:`x_{i,j} = \\lambda_j^{i-1} x_{1j}` (``x_0 = 0``)."""
    xs = [[pj ** (i - 1) * xj for pj, xj in zip(p, x)] for i in range(1, length + 1)]
    previous = [[zero] * len(x)] + xs[:-1]
    return [[zero] * len(x) + cur + prev for cur, prev in zip(xs, previous)]

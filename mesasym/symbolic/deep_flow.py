r"""Reduced population loss and flow of deep linear attention on a block-scalar manifold (SymPy).

Setting: concrete ``d``, ``T``, ``L`` and a set ``C`` of block-scalar coordinates
``(l, m, r, s)`` (block ``(r, s)`` of matrix ``m`` of layer ``l`` equal to :math:`s_c I`, every
other entry zero; the paper's manifold is :math:`W^{KQ}_{l,32} = a_l I`,
:math:`W^{PV}_{l,12} = b_l I`). Derivation, from the model and the expectation rules only:

1. the literal model (:mod:`mesasym.symbolic.deep_model`) on ring elements gives every
   residual :math:`r_t = \hat y_t - x_{t+1}` as a polynomial in the :math:`s_c`, the
   :math:`x_{1j}` and the phase generators :math:`\lambda_j, \bar\lambda_j`;
2. **phase rule** (:math:`|\lambda_j| = 1`, :math:`E\lambda_j^m = [m = 0]`, independent
   phases): group the monomials of :math:`r_{t,j}` by their net phase exponent vector
   ``m`` into :math:`R_{t,j,m}(s, x)`; since ``s`` and ``x`` are real,
   :math:`\overline{r_{t,j}} = \sum_m \bar\lambda^{m} R_{t,j,m}` and
   :math:`E_\lambda |r_{t,j}|^2 = \sum_m R_{t,j,m}^2` exactly;
3. **moment rule**: every monomial :math:`\prod_j x_{1j}^{k_j}` becomes the law's exact
   moment ``dist.moment(indices)`` (or a generic :class:`~mesasym.symbolic.expectation.Moment`);
4. :math:`L(s) = \tfrac12 \sum_{t=2}^{T-1} \sum_j E|r_{t,j}|^2`, a polynomial in ``s``.

In THEORY §3's gradient convention the gradient of one diagonal entry of block ``c`` at a
manifold point is :math:`\frac1d \partial L/\partial s_c` when the manifold is invariant
(all ``d`` entries are equal by symmetry), so the reduced flow is
:math:`\dot s_c = -\frac1d \partial L/\partial s_c`. Where the manifold is *not* invariant,
the derivative along a block outside it, :math:`\frac1d\partial L/\partial s_c` at
:math:`s_c = 0`, is the residue that breaks it.

Cost: the layer-``L`` residual has up to :math:`O((T d)^{3^L})` monomials before grouping
(far fewer on a block-scalar manifold); measured on 2 cores: ``L = 2``, ``d = 2`` at ``T = 6``
in 0.5 s and at ``T = 10`` in 7 s; ``L = 3``, ``d = 1``, ``T = 5`` in 2 s (the limits of
:func:`reduced_loss`).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic.deep_model import ar_tokens, block_scalar_matrices, deep_prediction
from mesasym.symbolic.expectation import Moment

__all__ = [
    "Coordinate",
    "ReducedDeepLoss",
    "coordinate_symbol",
    "paper_manifold",
    "reduced_loss",
    "reduced_flow",
    "residue",
    "depends_only_on_product_sum",
]

Coordinate = tuple[int, str, int, int]


def coordinate_symbol(c: Coordinate) -> sp.Symbol:
    """``a_l`` for KQ32, ``b_l`` for PV12, else ``w_{l,KQrs}``: real symbols, 1-based names."""
    l, m, r, s = c
    if (m, r, s) == ("KQ", 2, 1):
        return sp.Symbol(f"a_{l + 1}", real=True)
    if (m, r, s) == ("PV", 0, 1):
        return sp.Symbol(f"b_{l + 1}", real=True)
    return sp.Symbol(f"w_{{{l + 1},{m}{r + 1}{s + 1}}}", real=True)


def paper_manifold(layers: int) -> tuple[Coordinate, ...]:
    """The per-layer diagonal manifold's coordinates ``(a_1, b_1, a_2, b_2, ...)``."""
    return tuple(c for l in range(layers) for c in ((l, "KQ", 2, 1), (l, "PV", 0, 1)))


@dataclass(frozen=True)
class ReducedDeepLoss:
    """:math:`L(s)` on the manifold of ``coordinates`` at ``(d, T, layers)``; ``loss`` uses ``symbols``."""

    coordinates: tuple[Coordinate, ...]
    symbols: tuple[sp.Symbol, ...]
    d: int
    T: int
    layers: int
    loss: sp.Expr


def _check(d: int, T: int, layers: int) -> None:
    for name, value, low in (("d", d, 1), ("T", T, 3), ("layers", layers, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInputError(f"{name}={value!r} must be an integer >= {low}")
    if layers > 3 or (layers == 3 and d * T > 5) or (layers == 2 and (d > 2 or T > 10)):
        raise InvalidInputError(
            f"layers={layers}, d={d}, T={T} is beyond the symbolic derivation's limit "
            "(layers=2: d <= 2, T <= 10; layers=3: d*T <= 5)"
        )


@functools.lru_cache(maxsize=32)
def _phase_averaged(coordinates: tuple[Coordinate, ...], d: int, T: int, layers: int):
    """``(ring, n_s, [sum_m R_{t,j,m}^2 summed over t, j])``: steps 1–2, as one ring element."""
    names = [f"s{k}" for k in range(len(coordinates))] + [f"x{j}" for j in range(d)]
    ring, *gens = sp.ring(",".join(names + [f"p{j}" for j in range(d)] + [f"q{j}" for j in range(d)]), sp.QQ)
    n_s, zero = len(coordinates), ring.zero
    s = gens[:n_s]
    x = gens[n_s : n_s + d]
    p = gens[n_s + d : n_s + 2 * d]
    q = gens[n_s + 2 * d :]
    swap = list(range(len(gens)))
    for j in range(d):
        swap[n_s + d + j], swap[n_s + 2 * d + j] = n_s + 2 * d + j, n_s + d + j

    def conj(poly):
        return ring.from_dict({tuple(e[swap[k]] for k in range(len(e))): c for e, c in poly.items()})

    params = block_scalar_matrices(dict(zip(coordinates, s)), d, layers, zero)
    columns = ar_tokens(p, q, x, T, zero)
    total = zero
    n_keep = n_s + d
    for t in range(2, T):
        yhat = deep_prediction(params, columns[:t], conj, zero)
        target = columns[t][d : 2 * d]  # x_{t+1}
        for j in range(d):
            groups: dict[tuple[int, ...], dict] = defaultdict(dict)
            for exps, coef in (yhat[j] - target[j]).items():
                net = tuple(exps[n_s + d + k] - exps[n_s + 2 * d + k] for k in range(d))
                key = exps[:n_keep] + (0,) * (2 * d)
                groups[net][key] = groups[net].get(key, 0) + coef
            for part in groups.values():
                R = ring.from_dict(part)
                total += R * R
    return ring, n_s, total * sp.Rational(1, 2)


def reduced_loss(coordinates: Sequence[Coordinate], d: int, T: int, layers: int, dist=None) -> ReducedDeepLoss:
    """Steps 1–4 of the module docstring; ``dist=None`` keeps generic :class:`Moment` s."""
    _check(d, T, layers)
    coordinates = tuple(coordinates)
    ring, n_s, averaged = _phase_averaged(coordinates, d, T, layers)
    symbols = tuple(coordinate_symbol(c) for c in coordinates)
    moments: dict[tuple[int, ...], sp.Expr] = {}

    def moment(exps: tuple[int, ...]) -> sp.Expr:
        if exps not in moments:
            indices = [j for j, k in enumerate(exps) for _ in range(k)]
            moments[exps] = Moment(*exps) if dist is None else sp.sympify(dist.moment(indices, d))
        return moments[exps]

    terms: dict[tuple[int, ...], sp.Expr] = defaultdict(lambda: sp.Integer(0))
    for exps, coef in averaged.items():
        terms[exps[:n_s]] += sp.Rational(coef.numerator, coef.denominator) * moment(exps[n_s : n_s + d])
    loss = sp.Add(*(sp.expand(c) * sp.Mul(*(v**k for v, k in zip(symbols, e))) for e, c in terms.items()))
    return ReducedDeepLoss(coordinates, symbols, d, T, layers, loss)


def reduced_flow(reduced: ReducedDeepLoss) -> tuple[sp.Expr, ...]:
    """:math:`\\dot s_c = -\\frac1d \\partial L / \\partial s_c` (per-entry gradient flow)."""
    return tuple(-sp.diff(reduced.loss, v) / reduced.d for v in reduced.symbols)


def residue(reduced: ReducedDeepLoss, inside: Sequence[Coordinate]) -> dict[Coordinate, sp.Expr]:
    """Per coordinate outside ``inside``: :math:`\\frac1d \\partial L/\\partial s_c` on the ``inside`` manifold.

    A nonzero entry is a gradient component leaving the ``inside`` manifold: the symbolic
    residue that breaks its invariance.
    """
    at = {v: 0 for c, v in zip(reduced.coordinates, reduced.symbols) if c not in inside}
    return {
        c: sp.expand(sp.diff(reduced.loss, v).subs(at) / reduced.d)
        for c, v in zip(reduced.coordinates, reduced.symbols)
        if c not in inside
    }


def depends_only_on_product_sum(reduced: ReducedDeepLoss) -> sp.Expr | None:
    """On the paper's manifold: ``L`` as a function of :math:`c = \\sum_l a_l b_l`, or ``None``.

    Substitutes :math:`b_1 = (c - \\sum_{l \\ge 2} a_l b_l)/a_1` and returns the result if no
    ``a_l, b_l`` remains (a derived statement: the deep model on the manifold is the one-layer
    model with :math:`ab = c`).
    """
    a = [coordinate_symbol((l, "KQ", 2, 1)) for l in range(reduced.layers)]
    b = [coordinate_symbol((l, "PV", 0, 1)) for l in range(reduced.layers)]
    c = sp.Symbol("c", real=True)
    others = {v: 0 for v in reduced.symbols if v not in a + b}
    expr = reduced.loss.subs(others)
    expr = sp.expand(sp.together(expr.subs(b[0], (c - sum(x * y for x, y in zip(a[1:], b[1:]))) / a[0])))
    return None if expr.free_symbols & set(a + b) else expr

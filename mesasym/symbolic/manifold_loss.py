"""The population loss ``L_t(a, b)`` on the Assumption-1 manifold, by two routes.

On the manifold ``W^{KQ}_{32} = a I``, ``W^{PV}_{12} = b I`` (``a, b`` complex; the
conjugates are the independent Wirtinger symbols ``ABAR``, ``BBAR``).

Route (i), :func:`general_manifold_loss`, symbolic ``d`` and ``t``:

1. block algebra with ``d x d`` blocks (SymPy ``BlockMatrix``) gives
   ``[W^{PV} e_i e_i^* W^{KQ} e_t]_1 = a b\\, x_i x_{i-1}^* x_t`` and ``[e_t]_1 = 0``;
   ``x_0 = 0`` removes ``i = 1``, so ``yhat_t = (ab/(t-1)) sum_{i=2}^t x_i x_{i-1}^* x_t``;
2. coordinates ``x_{i,j} = lambda_j^{i-1} x_j``; the inner product is split into
   ``k = j`` and ``k != j``;
3. ``|r_j|^2`` is expanded pair by pair (the conjugate copy uses ``i'`` and
   ``k'``, and ``k' = k`` / ``k' != k`` are separate cases), each pair is averaged
   over the phases (one Kronecker delta per distinct coordinate) and summed over
   ``i, i'`` with the Kronecker-delta rule;
4. the result is ``L_t = 1/2 sum_pattern coef * S(pattern)`` with
   ``S(p_j, p_k, ...) = sum_j sum_{k != j, ...} E x_j^{p_j} x_k^{p_k} ...``
   (valid for every law), and Assumption 2 turns each ``S`` into ``d kappa``.

Route (ii), :func:`brute_force_manifold_loss`, concrete ``d`` and ``t``: the
literal model of :mod:`mesasym.symbolic.model` with explicit phase and
coordinate symbols, expanded and averaged with
:func:`~mesasym.symbolic.expectation.phase_expectation` and
:func:`~mesasym.symbolic.expectation.coordinate_expectation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import (
    assumption2_reduce,
    coordinate_expectation,
    instantiate_pattern,
    phase_expectation,
    split_phases,
    vanishes_under_assumption2,
)
from mesasym.symbolic.model import ar_sequence, embedding_columns, manifold_parameters, model_output
from mesasym.symbolic.sums import delta_sum

__all__ = [
    "block_algebra",
    "scalar_and_factors",
    "time_index",
    "CoordinateTerm",
    "PairTerm",
    "GeneralManifoldLoss",
    "general_manifold_loss",
    "pattern_symbol",
    "pattern_sum_assumption2",
    "instantiate_general_loss",
    "brute_force_manifold_loss",
    "brute_force_symbols",
]

# Labels of distinct coordinates: j (the output coordinate), k, k' (summed, != j).
LABELS = ("j", "k", "k'")
LAM = {lab: sp.Symbol(rf"\lambda_{{{lab}}}") for lab in LABELS}
X = {lab: sp.Symbol(f"x_{{{lab}}}", real=True) for lab in LABELS}
I_IDX = sp.Symbol("i", integer=True)
IP_IDX = sp.Symbol("i'", integer=True)


@dataclass(frozen=True)
class CoordinateTerm:
    """One term of ``r_j``: ``sum_{indices} sum_{labels != j, distinct} summand``."""

    summand: sp.Expr
    indices: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]
    labels: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class PairTerm:
    """One product ``term * conj(term')`` of ``|r_j|^2`` and its average."""

    left: str
    right: str
    case: str
    labels: tuple[str, ...]
    summand: sp.Expr
    phase_average: sp.Expr
    summed: sp.Expr


@dataclass(frozen=True)
class GeneralManifoldLoss:
    """Route (i) results, with every intermediate step (for the LaTeX document)."""

    block_summand: sp.Expr  # [W^PV e_i e_i^* W^KQ e_t]_1 as a matrix expression
    residual_top: sp.Expr  # [e_t]_1
    lower_index: int  # first i with a nonzero term (x_0 = 0)
    output_coordinate: sp.Expr  # yhat_{t,j} before splitting k
    terms: tuple[CoordinateTerm, ...]
    pairs: tuple[PairTerm, ...]
    patterns: dict = field(default_factory=dict)  # pattern -> coefficient of S(pattern) in L_t
    loss_generic: sp.Expr = sp.Integer(0)  # in terms of pattern symbols S(...)
    loss: sp.Expr = sp.Integer(0)  # Assumption 2, symbolic d


def pattern_symbol(pattern: tuple[int, ...]) -> sp.Symbol:
    """A symbol standing for ``S(pattern) = sum_j sum_{k != j ...} E x_j^{p_j} x_k^{p_k}...``."""
    labels = LABELS[: len(pattern)]
    mono = " ".join(
        f"x_{{1,{lab}}}^{{{p}}}" if p != 1 else f"x_{{1,{lab}}}" for lab, p in zip(labels, pattern) if p
    )
    sums = r"\sum_{j}" + "".join(
        rf"\sum_{{{lab} \notin \{{{', '.join(labels[:n])}\}}}}" for n, lab in enumerate(labels[1:], 1)
    )
    return sp.Symbol(rf"{sums} \mathbb{{E}}[{mono}]")


def pattern_sum_assumption2(pattern: tuple[int, ...], d: sp.Expr = S.d) -> sp.Expr:
    """``S(pattern)`` under Assumption 2 (symbolic or concrete ``d``).

    ``S(2) = d m_2`` (definition of ``m_2``), ``S(4) = d kappa_1``, ``S(6) = d kappa_2``,
    ``S(2, 4) = d kappa_3``; zero when a coordinate appears to the first power.
    Labels with exponent 0 contribute the number of choices ``d - 1``, ``d - 2``, ...
    """
    if vanishes_under_assumption2(pattern):
        return sp.Integer(0)
    count = sp.Integer(1)
    present = []
    for n, p in enumerate(pattern):
        if p == 0:
            count *= d - n
        else:
            present.append(p)
    # Labels other than j only count choices; the moment is read at the labels present.
    if pattern[0] == 0:
        raise NotImplementedError(f"pattern {pattern} without the output coordinate j")
    known = {(2,): S.M2, (4,): S.KAPPA1, (6,): S.KAPPA2, (2, 4): S.KAPPA3}
    key = tuple(present)
    if len(present) == len(pattern) and key in known:
        return d * known[key]
    if key in known and len(present) == 1:
        return count * d * known[key]
    raise NotImplementedError(f"Assumption 2 does not determine the moment pattern {pattern}")


def time_index(name: str) -> sp.Expr:
    """The time of a token of the block algebra (``x_{i-1}`` -> ``i - 1``)."""
    table = {"x_i": I_IDX, "x_{i-1}": I_IDX - 1, "x_t": S.t, "x_{t-1}": S.t - 1}
    return table[name]


def _coordinate(time: sp.Expr, label: str, conjugate: bool = False) -> sp.Expr:
    """``(x_time)_label = lambda_label^{time-1} x_label`` (or its conjugate, ``x`` real)."""
    exponent = time - 1
    return LAM[label] ** (-exponent if conjugate else exponent) * X[label]


def block_algebra() -> tuple[sp.Expr, sp.Expr]:
    """``([W^PV e_i e_i^* W^KQ e_t]_1, [e_t]_1)`` by block multiplication, symbolic ``d``."""
    d = S.d
    Z = sp.ZeroMatrix(d, 1)
    O = sp.ZeroMatrix(d, d)
    I = sp.Identity(d)
    x_i, x_im1, x_t, x_tm1 = (sp.MatrixSymbol(n, d, 1) for n in ("x_i", "x_{i-1}", "x_t", "x_{t-1}"))
    e_i = sp.BlockMatrix([[Z], [x_i], [x_im1]])
    e_t = sp.BlockMatrix([[Z], [x_t], [x_tm1]])
    WKQ = sp.BlockMatrix([[O, O, O], [O, O, O], [O, S.A * I, O]])
    WPV = sp.BlockMatrix([[O, S.B * I, O], [O, O, O], [O, O, O]])
    product_ = sp.block_collapse(WPV * e_i * (e_i.adjoint() * WKQ * e_t))
    blocks = product_.blocks if hasattr(product_, "blocks") else product_
    top = blocks[0, 0]
    for r in (1, 2):
        if not blocks[r, 0].is_ZeroMatrix:
            raise AssertionError("block algebra: lower blocks of W^PV E E^* W^KQ e_t are not zero")
    return top, e_t.blocks[0, 0]


def scalar_and_factors(expr: sp.Expr) -> tuple[sp.Expr, list[sp.Expr]]:
    """``(scalar, matrix factors)`` of a product from :func:`block_algebra`."""
    scalar = sp.Integer(1)
    factors = []
    for arg in (expr.args if isinstance(expr, sp.MatMul) else (expr,)):
        if arg.is_Matrix:
            factors.append(arg)
        else:
            scalar *= arg
    return scalar, factors


def _output_coordinate(top: sp.Expr) -> tuple[sp.Expr, int, sp.Symbol]:
    """``yhat_{t,j}`` from the block ``scalar * x_p x_q^* x_r`` (sum over ``i`` and ``k``).

    Returns (summand over ``i`` with an inner ``Sum`` over ``k``, lower bound of ``i``,
    the dummy ``k``).
    """
    scalar, factors = scalar_and_factors(top)
    if len(factors) != 3 or not isinstance(factors[1], sp.Adjoint):
        raise AssertionError(f"unexpected block form {top}")
    p, q, r = factors[0].name, factors[1].arg.name, factors[2].name
    times = [time_index(p), time_index(q), time_index(r)]
    # x_0 = 0: the smallest i whose factors all have time index >= 1.
    lower = 1
    while any(sp.sympify(tm).subs(I_IDX, lower) == 0 for tm in times):
        lower += 1
    k = sp.Symbol("k", integer=True)
    summand = scalar / (S.t - 1) * _coordinate(times[0], "j") * sp.Sum(
        _coordinate(times[1], "k", conjugate=True) * _coordinate(times[2], "k"), (k, 1, S.d)
    )
    return summand, lower, k


def _split_terms(top: sp.Expr) -> tuple[sp.Expr, int, tuple[CoordinateTerm, ...]]:
    scalar, factors = scalar_and_factors(top)
    p, q, r = factors[0].name, factors[1].arg.name, factors[2].name
    tp, tq, tr = time_index(p), time_index(q), time_index(r)
    output, lower, _ = _output_coordinate(top)
    rng = ((I_IDX, sp.Integer(lower), S.t),)
    pre = scalar / (S.t - 1) * _coordinate(tp, "j")
    same = CoordinateTerm(pre * _coordinate(tq, "j", True) * _coordinate(tr, "j"), rng, (), "k=j")
    other = CoordinateTerm(pre * _coordinate(tq, "k", True) * _coordinate(tr, "k"), rng, ("k",), "k!=j")
    target = CoordinateTerm(-_coordinate(S.t + 1, "j"), (), (), "target")
    return output, lower, (same, other, target)


def _conjugate_term(term: CoordinateTerm) -> CoordinateTerm:
    """Conjugate copy: ``i -> i'``, ``k -> k'``, ``lambda -> 1/lambda``, ``a, b -> abar, bbar``."""
    mapping = {lam: 1 / lam for lam in LAM.values()}
    mapping.update({S.A: S.ABAR, S.B: S.BBAR})
    summand = term.summand.xreplace(mapping)
    summand = summand.xreplace({I_IDX: IP_IDX, LAM["k"]: LAM["k'"], X["k"]: X["k'"]})
    indices = tuple((IP_IDX, lo, hi) for _, lo, hi in term.indices)
    labels = tuple("k'" for _ in term.labels)
    return CoordinateTerm(summand, indices, labels, term.name)


def _average_pair(left: CoordinateTerm, right: CoordinateTerm) -> list[PairTerm]:
    rbar = _conjugate_term(right)
    cases: list[tuple[str, sp.Expr, tuple[str, ...]]] = []
    product_ = left.summand * rbar.summand
    if "k" in left.labels and "k'" in rbar.labels:
        same = product_.xreplace({LAM["k'"]: LAM["k"], X["k'"]: X["k"]})
        cases.append(("k'=k", same, ("k",)))
        cases.append(("k'!=k", product_, ("k", "k'")))
    elif "k'" in rbar.labels:
        cases.append(("", product_.xreplace({LAM["k'"]: LAM["k"], X["k'"]: X["k"]}), ("k",)))
    else:
        cases.append(("", product_, left.labels))
    out = []
    ranges = left.indices + rbar.indices
    phases = [LAM[lab] for lab in LABELS]
    for case, summand, labels in cases:
        averaged = phase_expectation(summand, phases)
        summed = delta_sum(averaged, ranges, {S.t: 2}) if ranges else sp.expand(averaged)
        out.append(PairTerm(left.name, right.name, case, labels, summand, averaged, summed))
    return out


def _patterns(pairs: tuple[PairTerm, ...]) -> dict[tuple[int, ...], sp.Expr]:
    """Coefficients of ``S(pattern)`` in ``sum_j |r_j|^2`` (before the factor 1/2)."""
    xs = [X[lab] for lab in LABELS]
    table: dict[tuple[int, ...], sp.Expr] = {}
    for pair in pairs:
        labels = pair.labels
        if pair.summed == 0:
            continue
        poly = sp.Poly(pair.summed, *xs)
        for monomial, coef in poly.terms():
            pattern = tuple(monomial[LABELS.index(lab)] for lab in ("j",) + tuple(labels))
            if any(monomial[LABELS.index(lab)] for lab in LABELS if lab not in ("j",) + labels):
                raise AssertionError("coordinate of an unsummed label left in a pair term")
            table[pattern] = sp.expand(table.get(pattern, 0) + coef)
    return {p: c for p, c in table.items() if c != 0}


@lru_cache(maxsize=1)
def general_manifold_loss() -> GeneralManifoldLoss:
    """Route (i): ``L_t(a, b)`` for symbolic ``d`` and ``t`` (``t >= 2``).

    ``loss`` is in the Wirtinger symbols ``A, ABAR, B, BBAR`` with Assumption 2;
    ``loss_generic`` keeps the law-independent sums ``S(pattern)``.
    """
    top, residual_top = block_algebra()
    if not residual_top.is_ZeroMatrix:
        raise AssertionError("the output slot of e_t is not zero")
    output, lower, terms = _split_terms(top)
    pairs: list[PairTerm] = []
    for left in terms:
        for right in terms:
            pairs.extend(_average_pair(left, right))
    pairs_t = tuple(pairs)
    patterns = _patterns(pairs_t)
    half = sp.Rational(1, 2)
    loss_generic = sp.expand(half * sum(c * pattern_symbol(p) for p, c in patterns.items()))
    loss = sp.expand(half * sum(c * pattern_sum_assumption2(p) for p, c in patterns.items()))
    return GeneralManifoldLoss(
        block_summand=top,
        residual_top=residual_top,
        lower_index=lower,
        output_coordinate=output,
        terms=terms,
        pairs=pairs_t,
        patterns=patterns,
        loss_generic=loss_generic,
        loss=loss,
    )


def instantiate_general_loss(d: int, t: int) -> sp.Expr:
    """Route (i) at concrete ``d, t`` with generic :class:`Moment` s (no Assumption 2)."""
    general = general_manifold_loss()
    half = sp.Rational(1, 2)
    total = sp.Integer(0)
    for pattern, coef in general.patterns.items():
        total += coef.subs(S.t, t) * instantiate_pattern(pattern, d)
    return sp.expand(half * total)


def brute_force_symbols(d: int, per_entry: bool) -> dict:
    """The symbols of route (ii): phases, coordinates and the manifold parameters."""
    lams = [sp.Symbol(rf"\lambda_{{{j + 1}}}") for j in range(d)]
    xs = [sp.Symbol(f"x_{{1,{j + 1}}}", real=True) for j in range(d)]
    if per_entry:
        As = [sp.Symbol(f"a_{{{j + 1}}}") for j in range(d)]
        Bs = [sp.Symbol(f"b_{{{j + 1}}}") for j in range(d)]
        Abars = [sp.Symbol(rf"\bar{{a}}_{{{j + 1}}}") for j in range(d)]
        Bbars = [sp.Symbol(rf"\bar{{b}}_{{{j + 1}}}") for j in range(d)]
    else:
        As, Bs, Abars, Bbars = [S.A] * d, [S.B] * d, [S.ABAR] * d, [S.BBAR] * d
    return {"lams": lams, "xs": xs, "A": As, "B": Bs, "Abar": Abars, "Bbar": Bbars}


def brute_force_manifold_loss(
    d: int, t: int, *, per_entry: bool = False, assumption2: bool = True
) -> sp.Expr:
    """Route (ii): ``L_t = E[1/2 ||yhat_t - x_{t+1}||^2]`` from the literal model.

    Concrete ``d >= 1``, ``t >= 2``. With ``per_entry`` every diagonal entry of the
    two red blocks has its own symbol ``a_j, b_j`` (conjugates ``abar_j, bbar_j``);
    otherwise all equal ``A, B``. With ``assumption2`` the moments are reduced by
    :func:`~mesasym.symbolic.expectation.assumption2_reduce`; otherwise generic
    :class:`~mesasym.symbolic.expectation.Moment` s remain.
    """
    if not (isinstance(d, int) and d >= 1):
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    if not (isinstance(t, int) and t >= 2):
        raise InvalidInputError(f"t={t!r} must be an integer >= 2")
    sym = brute_force_symbols(d, per_entry)
    lams, xs = sym["lams"], sym["xs"]
    WKQ, WPV = manifold_parameters(sym["A"], sym["B"])
    conj_map = {lam: 1 / lam for lam in lams}
    conj_map.update(dict(zip(sym["A"], sym["Abar"])))
    conj_map.update(dict(zip(sym["B"], sym["Bbar"])))

    def conj(expr: sp.Expr) -> sp.Expr:
        return sp.sympify(expr).xreplace(conj_map)

    tokens = ar_sequence(lams, xs, t + 1)
    yhat = model_output(WKQ, WPV, embedding_columns(tokens[:t]), conj)
    residual = [y - x for y, x in zip(yhat, tokens[t])]
    square = sum((r * conj(r) for r in residual), sp.Integer(0))
    loss = sp.Rational(1, 2) * coordinate_expectation(phase_expectation(square, lams), xs)
    loss = sp.expand(loss)
    return assumption2_reduce(loss, d) if assumption2 else loss


def phase_exponents(expr: sp.Expr) -> dict:
    """Phase exponents of a single product (helper for documents)."""
    return split_phases(expr, [LAM[lab] for lab in LABELS])[1]


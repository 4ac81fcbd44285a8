"""The invariance behind Theorem 1: the full model's gradient at manifold points.

For concrete ``d`` and ``T`` we take the *full* model of
:mod:`mesasym.symbolic.model` with both ``3d x 3d`` matrices perturbed around a
manifold point,

.. math::

    W^{KQ} = W^{KQ}_0(a) + \\Delta^{KQ},\\qquad W^{PV} = W^{PV}_0(b) + \\Delta^{PV},

one complex symbol per entry of each perturbation (``18 d^2`` in all) and its
conjugate as an independent symbol. The population loss
``L = sum_{t=2}^{T-1} E[1/2 ||yhat_t - x_{t+1}||^2]`` is expanded to first order in
the perturbation (this determines the gradient at the manifold point
exactly), averaged over the phases and written with generic moments
:class:`~mesasym.symbolic.expectation.Moment` of ``x_1``; then for every entry
``grad = 2 dL/d conj(Delta)`` at ``Delta = 0`` (THEORY §3 convention). Nothing
about which entries matter is assumed: an entry absent from every
``yhat_t`` gets an identically zero gradient from the same computation, and
that absence is recorded (``appears``).

Each entry is then classified:

* ``structural``: the entry does not occur in ``yhat_t`` (zero for every law);
* ``zero``: it occurs but its gradient vanishes for every law (phases alone);
* ``assumption2``: its gradient is a combination of moments that Assumption 2
  sets to zero (those moments are listed);
* ``kappa``: nonzero, a function of ``kappa_1, kappa_2, kappa_3`` after
  Assumption 2 (the red diagonals);
* ``other``: still depends on moments Assumption 2 does not fix (listed in
  ``unfixed``). Two kinds occur: ``E x_j^3 x_k^3`` (no coordinate to the first
  power, so Assumption 2 does not remove it) in the off-diagonal entries of
  both red blocks, and, for ``d >= 3``, the column sums
  ``sum_{r != j} E x_r^2 x_j^4`` in the diagonal of ``W^{KQ}_{32}`` (Assumption 2
  fixes only the row sums). The ``strengthened`` fields add both conditions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from mesasym.cache import DiskCache
from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.expectation import (
    Moment,
    assumption2_reduce,
    coordinate_expectation_poly,
    PHASE_RULES,
    moments_in,
    phase_expectation_poly_law,
    vanishes_under_assumption2,
)
from mesasym.symbolic.model import ar_sequence, embedding_columns, manifold_parameters, model_output

__all__ = [
    "EntryGradient",
    "InvarianceTable",
    "invariance_table",
    "strengthen",
    "reduction_violations",
    "BLOCK_NAMES",
    "CLASSES",
]

#: Paper names of the 3 x 3 block grid (1-based block indices).
BLOCK_NAMES = {(r, s): f"{r}{s}" for r in (1, 2, 3) for s in (1, 2, 3)}

CLASSES = ("structural", "zero", "assumption2", "kappa", "other")


@dataclass(frozen=True)
class EntryGradient:
    """Gradient of ``L`` w.r.t. one entry of ``W^{KQ}`` or ``W^{PV}`` at a manifold point.

    ``generic`` holds for every law; ``assumption2`` applies Assumption 2 as stated
    (vanishing moments, equal ``kappa_1, kappa_2``, equal row sums ``kappa_3``);
    ``strengthened`` adds equal column sums ``sum_{r != j} E x_r^2 x_j^4`` and
    ``E x_j^3 x_k^3 = 0`` (``j != k``), both true for exchangeable laws with
    symmetric coordinates. ``unfixed`` lists the moments left in ``assumption2``.
    """

    matrix: str  # "KQ" or "PV"
    row: int  # 0-based
    col: int  # 0-based
    d: int
    block: tuple[int, int]  # 1-based paper block (block-row, block-column)
    appears: bool  # the entry occurs in some yhat_t
    generic: sp.Expr
    assumption2: sp.Expr
    strengthened: sp.Expr
    moments: tuple[Moment, ...]  # generic moments occurring in `generic`
    killed: tuple[Moment, ...]  # those Assumption 2 sets to zero
    unfixed: tuple[Moment, ...]  # moments Assumption 2 leaves in the gradient
    classification: str  # under Assumption 2 as stated
    classification_strengthened: str

    @property
    def on_diagonal(self) -> bool:
        """Whether the entry is on the diagonal of its ``d x d`` block."""
        return self.row % self.d == self.col % self.d

    @property
    def is_red(self) -> bool:
        """Whether the entry lies in ``W^{KQ}_{32}`` or ``W^{PV}_{12}``."""
        return (self.matrix, self.block) in (("KQ", (3, 2)), ("PV", (1, 2)))


@dataclass(frozen=True)
class InvarianceTable:
    """All ``18 d^2`` entry gradients at the manifold point ``(a, b)``."""

    d: int
    T: int
    entries: tuple[EntryGradient, ...]

    def entry(self, matrix: str, row: int, col: int) -> EntryGradient:
        """The gradient record of ``W^{matrix}[row, col]`` (0-based)."""
        for e in self.entries:
            if e.matrix == matrix and e.row == row and e.col == col:
                return e
        raise InvalidInputError(f"no entry {matrix}[{row}, {col}] for d={self.d}")

    def block(self, matrix: str, block: tuple[int, int]) -> tuple[EntryGradient, ...]:
        """The ``d x d`` entries of one block (1-based block indices)."""
        return tuple(e for e in self.entries if e.matrix == matrix and e.block == block)

    def block_class(self, matrix: str, block: tuple[int, int], diagonal: bool | None = None) -> set[str]:
        """Classifications occurring in a block (optionally only its (off-)diagonal)."""
        return {
            e.classification
            for e in self.block(matrix, block)
            if diagonal is None or diagonal == e.on_diagonal
        }


def _classify(appears: bool, generic: sp.Expr, reduced: sp.Expr) -> str:
    if not appears:
        return "structural"
    if sp.expand(generic) == 0:
        return "zero"
    if sp.expand(reduced) == 0:
        return "assumption2"
    if not moments_in(reduced):
        return "kappa"
    return "other"


def strengthen(expr: sp.Expr, d: int) -> sp.Expr:
    """Assumption 2 plus equal column sums of ``kappa_3`` and ``E x_j^3 x_k^3 = 0`` (``j != k``)."""
    reduced = assumption2_reduce(expr, d, equal_column_sums=True)
    odd = {
        m: sp.Integer(0)
        for m in reduced.atoms(Moment)
        if sorted(p for p in m.exponents if p) == [3, 3]
    }
    return sp.expand(reduced.xreplace(odd))


_DISK = DiskCache("invariance-table", [__name__])


@lru_cache(maxsize=8)
def invariance_table(d: int = 2, T: int = 5, phases: str = "uniform") -> InvarianceTable:
    """Gradient of the full model's population loss at ``W^{KQ}_{32} = aI``, ``W^{PV}_{12} = bI``.

    ``L = sum_{t=2}^{T-1} L_t`` (so ``T = 5`` covers ``t <= 4``), every entry of both
    ``3d x 3d`` matrices, real ``a, b`` (symbols ``mesasym.symbolic.symbols.a, b``).
    ``phases`` is the phase rule (:data:`~mesasym.symbolic.expectation.PHASE_RULES`): the
    paper's ``uniform``; ``unit`` keeps generic moments ``phi_m = E lambda^m`` (symbols
    ``phi_1, phi_2, ...``) of a symmetric unit-modulus law; ``damped`` keeps ``R``
    (:math:`\\lambda = R e^{i\\theta}`); see :mod:`mesasym.symbolic.phase_laws`.
    """
    if phases not in PHASE_RULES:
        raise InvalidInputError(f"phases={phases!r} must be one of {', '.join(PHASE_RULES)}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    if isinstance(T, bool) or not isinstance(T, int) or T < 3:
        raise InvalidInputError(f"T={T!r} must be an integer >= 3")
    key = (sp.__version__, d, T, phases)
    return _DISK.get_or_compute(key, lambda: _invariance_table_now(d, T, phases))


def _invariance_table_now(d: int, T: int, phases: str) -> InvarianceTable:
    """The table of :func:`invariance_table`, derived (its arguments already checked)."""
    n = 3 * d
    # Generators of the polynomial ring: perturbations and their conjugates, a, b,
    # phases lambda_j and their conjugates, coordinates x_j.
    names: list[str] = []
    for tag in ("KQ", "PV", "KQbar", "PVbar"):
        names += [f"D{tag}_{r}_{c}" for r in range(n) for c in range(n)]
    names += ["a", "b"]
    names += [f"lam{j}" for j in range(d)] + [f"lamc{j}" for j in range(d)] + [f"x{j}" for j in range(d)]
    n_phi = 6 * T if phases == "unit" else 0  # net exponents of one first-order term stay below 6T
    names += [f"phi_{m}" for m in range(1, n_phi + 1)] + (["R"] if phases == "damped" else [])
    ring, *gens = sp.ring(",".join(names), sp.QQ)
    index = {name: k for k, name in enumerate(names)}
    zero = ring.zero

    def grid(tag: str) -> list[list]:
        return [[gens[index[f"D{tag}_{r}_{c}"]] for c in range(n)] for r in range(n)]

    dKQ, dPV = grid("KQ"), grid("PV")
    a_gen, b_gen = gens[index["a"]], gens[index["b"]]
    lams = [gens[index[f"lam{j}"]] for j in range(d)]
    xs = [gens[index[f"x{j}"]] for j in range(d)]
    WKQ0, WPV0 = manifold_parameters([a_gen] * d, [b_gen] * d, zero)
    WKQ = [[WKQ0[r][c] + dKQ[r][c] for c in range(n)] for r in range(n)]
    WPV = [[WPV0[r][c] + dPV[r][c] for c in range(n)] for r in range(n)]

    # Conjugation permutes generators: Delta <-> Delta-bar, lambda <-> conj(lambda);
    # a, b, x are real and the rational coefficients are real.
    perm = list(range(len(names)))
    for tag, bar in (("KQ", "KQbar"), ("PV", "PVbar")):
        for r in range(n):
            for c in range(n):
                i, k = index[f"D{tag}_{r}_{c}"], index[f"D{bar}_{r}_{c}"]
                perm[i], perm[k] = k, i
    for j in range(d):
        i, k = index[f"lam{j}"], index[f"lamc{j}"]
        perm[i], perm[k] = k, i

    def conj(p: object) -> object:
        out: dict = {}
        for exps, coef in p.items():
            new = [0] * len(names)
            for g, e in enumerate(exps):
                if e:
                    new[perm[g]] += e
            out[tuple(new)] = coef
        return ring.from_dict(out) if out else zero

    delta_idx = [index[f"D{tag}_{r}_{c}"] for tag in ("KQ", "PV") for r in range(n) for c in range(n)]

    def order(p: object, k: int) -> object:
        part = {e: c for e, c in p.items() if sum(e[i] for i in delta_idx) == k}
        return ring.from_dict(part) if part else zero

    pairs = [(index[f"lam{j}"], index[f"lamc{j}"]) for j in range(d)]
    first_order = zero
    occurring: set[int] = set()
    for t in range(2, T):
        tokens = ar_sequence(lams, xs, t + 1)
        yhat = model_output(WKQ, WPV, embedding_columns(tokens[:t], zero), conj, zero)
        residual = [y - x for y, x in zip(yhat, tokens[t])]
        r0 = [order(r, 0) for r in residual]
        r1 = [order(r, 1) for r in residual]
        for r in r1:
            for exps in r.keys():
                occurring |= {i for i in delta_idx if exps[i]}
        # 1/2 |r0 + r1 + r2|^2 to first order in Delta (r2 only enters at second order).
        first = zero
        for j in range(d):
            first += r0[j] * conj(r1[j]) + r1[j] * conj(r0[j])
        first_order += phase_expectation_poly_law(
            first * sp.Rational(1, 2),
            pairs,
            phases,
            {m: index[f"phi_{m}"] for m in range(1, n_phi + 1)},
            index.get("R"),
        )
    x_idx = [index[f"x{j}"] for j in range(d)]
    to_sympy = {sp.Symbol("a"): S.a, sp.Symbol("b"): S.b}

    entries = []
    for tag in ("KQ", "PV"):
        for row in range(n):
            for col in range(n):
                k_delta = index[f"D{tag}_{row}_{col}"]
                k_bar = index[f"D{tag}bar_{row}_{col}"]
                derivative = first_order.diff(gens[k_bar]) * 2
                generic = sp.expand(coordinate_expectation_poly(derivative, x_idx).xreplace(to_sympy))
                reduced = assumption2_reduce(generic, d)
                stronger = strengthen(generic, d)
                appears = k_delta in occurring
                moments = tuple(moments_in(generic))
                entries.append(
                    EntryGradient(
                        matrix=tag,
                        row=row,
                        col=col,
                        d=d,
                        block=(row // d + 1, col // d + 1),
                        appears=appears,
                        generic=generic,
                        assumption2=reduced,
                        strengthened=stronger,
                        moments=moments,
                        killed=tuple(m for m in moments if vanishes_under_assumption2(m.exponents)),
                        unfixed=tuple(moments_in(reduced)),
                        classification=_classify(appears, generic, reduced),
                        classification_strengthened=_classify(appears, generic, stronger),
                    )
                )
    return InvarianceTable(d=d, T=T, entries=tuple(entries))


def reduction_violations(
    moment: Callable[[tuple[int, ...]], sp.Expr], d: int, exchangeable: bool = False
) -> list[str]:
    """Conditions beyond Assumption 2 that the reduction to one ``(a, b)`` needs, per the table.

    ``moment(indices)`` is the exact ``E[x_{1,i_1} ... x_{1,i_k}]`` (0-based indices).
    Returns one sentence per violated condition: ``E x_j^3 x_k^3 = 0`` for ``j != k``
    (off-diagonals of both red blocks) and equal column sums
    ``sum_{r != j} E x_r^2 x_j^4`` (diagonal of ``W^{KQ}_{32}``, ``d >= 3``).
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InvalidInputError(f"d={d!r} must be an integer >= 1")
    reasons: list[str] = []
    pairs = [(0, 1)] if exchangeable and d >= 2 else [(j, k) for j in range(d) for k in range(j + 1, d)]
    for j, k in pairs:
        value = sp.sympify(moment((j, j, j, k, k, k)))
        if sp.simplify(value) != 0:
            reasons.append(
                f"E[x_{{1,{j + 1}}}^3 x_{{1,{k + 1}}}^3] = {sp.sstr(value)} is not 0, so the off-diagonal "
                "entries of both red blocks get a nonzero gradient at Assumption-1 points "
                "(Assumption 2 does not cover this moment)"
            )
            break
    if d >= 3 and not exchangeable:
        columns = [
            sp.sympify(sum(moment((r, r, j, j, j, j)) for r in range(d) if r != j)) for j in range(d)
        ]
        for j in range(1, d):
            if sp.simplify(columns[j] - columns[0]) != 0:
                reasons.append(
                    "the column sums sum_{r != j} E[x_{1,r}^2 x_{1,j}^4] differ "
                    f"({sp.sstr(columns[0])} for j = 1, {sp.sstr(columns[j])} for j = {j + 1}), so the "
                    "diagonal of W^{KQ}_32 does not stay a multiple of the identity"
                )
                break
    return reasons

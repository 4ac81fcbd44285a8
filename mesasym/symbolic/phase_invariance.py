r"""Invariance of the Assumption-1 manifold for a law of ``W`` (a step of Theorem 1's reduction,
:func:`mesasym.symbolic.phase_laws.reduction_steps`).

:func:`invariance_condition`: the full model's gradient at Assumption-1 points, every entry, from
:func:`~mesasym.symbolic.invariance.invariance_table` with the phase rule ``unit`` (generic
:math:`\phi_m = E\lambda^m`, symmetric unit-modulus laws) or ``damped`` (:math:`R^{a+b}[a=b]`). Under
Assumption 2 the gradients of the entries outside the two red blocks are polynomials in the
:math:`\phi_m`; the monomials that occur are the condition for the manifold to stay invariant (found:
:math:`\phi_1, \phi_2, \phi_1^2, \phi_m\phi_{m+1}, \phi_m\phi_{m+2}`, :func:`unit_monomial_family`).
For ``damped`` every such gradient is zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from mesasym.laws import TransitionLaw, parse_process
from mesasym.laws.processes import Damped, ProcessMixture, UniformPhases
from mesasym.symbolic.invariance import invariance_table

__all__ = ["phase_rule_of", "InvarianceCondition", "invariance_condition", "unit_monomial_family", "TABLE_MAX_T"]


def phase_rule_of(process: TransitionLaw | str | None) -> str | None:
    """The symbolic phase rule covering a law: ``uniform``, ``damped`` or ``unit``; ``None`` for a
    mixture of damped and unit-modulus components (no symbolic table)."""
    law = parse_process(process)
    if isinstance(law, UniformPhases):
        return "uniform"
    if isinstance(law, Damped):
        return "uniform" if law.unit_modulus else "damped"
    if isinstance(law, ProcessMixture) and not law.unit_modulus:
        return None
    return "unit"


# ---------------------------------------------------------------------------
# Invariance
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvarianceCondition:
    """What keeps the Assumption-1 manifold invariant, and whether a law meets it.

    ``monomials``: the products of phase moments occurring in the Assumption-2 gradients of the
    entries outside the red blocks (as text, e.g. ``phi_1*phi_2``); ``holds``: all of them vanish for
    ``process`` (``None`` if no symbolic rule covers it); ``nonzero``: those that do not vanish.
    """

    rule: str | None
    d: int
    T: int
    monomials: tuple[str, ...]
    holds: bool | None
    nonzero: tuple[str, ...]
    offending_entries: tuple[str, ...]


#: Largest ``T`` at which the invariance table is derived (its cost grows like ``T^3``: ~1 s at
#: ``T = 6``, 34 s at ``T = 20``). Beyond it the family of monomials the table exhibits is extended to
#: ``T`` (:func:`unit_monomial_family`), after checking that the table at this ``T`` is that family.
TABLE_MAX_T = 6


def unit_monomial_family(T: int) -> tuple[str, ...]:
    """The monomials of the unit-modulus invariance table at ``T`` (found in the derived tables at
    ``d = 2``, ``T = 3..9``, a test compares them): ``phi_1, phi_2, phi_1^2``, ``phi_m phi_{m+1}`` for
    ``1 <= m <= T-2`` and ``phi_m phi_{m+2}`` for ``1 <= m <= T-3``."""
    family = {"phi_1", "phi_2", "phi_1^2"}
    family |= {f"phi_{m}*phi_{m + 1}" for m in range(1, T - 1)}
    family |= {f"phi_{m}*phi_{m + 2}" for m in range(1, T - 2)}
    return tuple(sorted(family, key=_monomial_key))


def _monomial_value(text: str, law: TransitionLaw) -> sp.Expr:
    value = sp.Integer(1)
    for part in text.split("*"):
        m, _, k = part[4:].partition("^")
        value *= law.moment(int(m), 0) ** int(k or 1)
    return value


def invariance_condition(process: TransitionLaw | str | None, d: int = 2, T: int = 6) -> InvarianceCondition:
    """The invariance table with the law's phase rule at ``d, T``: every entry except the red diagonals,
    reduced under Assumption 2 plus ``E x_j^3 x_k^3 = 0`` and equal column sums (the ``strengthened``
    form; both hold for i.i.d. coordinates and are checked separately by
    :func:`~mesasym.symbolic.invariance.reduction_violations`).

    The table is derived at ``min(T, TABLE_MAX_T)``; for a unit-modulus law at a larger ``T`` the
    monomials are :func:`unit_monomial_family` at ``T`` (the table at ``TABLE_MAX_T`` must be that
    family, else :class:`AssertionError`), and the manifold is invariant iff every one vanishes."""
    law = parse_process(process)
    rule = phase_rule_of(law)
    if rule is None:
        return InvarianceCondition(None, d, T, (), None, (), ())
    table_T = min(T, TABLE_MAX_T)
    table = invariance_table(d, table_T, rule)
    phis = [sp.Symbol(f"phi_{m}") for m in range(1, 6 * table_T + 1)]
    values = {phi: law.moment(m, 0) for m, phi in enumerate(phis, start=1)} if rule == "unit" else {}
    if rule == "damped":
        values = {sp.Symbol("R"): law.r}
    monomials: set[str] = set()
    offending: list[str] = []
    for e in table.entries:
        if (e.is_red and e.on_diagonal) or not e.appears or e.strengthened == 0:
            continue
        if rule == "unit":
            poly = sp.Poly(e.strengthened, *phis)
            for monomial, _coefficient in poly.terms():
                monomials.add(
                    "*".join(f"phi_{m}" + (f"^{k}" if k > 1 else "") for m, k in enumerate(monomial, start=1) if k) or "1"
                )
        substituted = sp.simplify(e.strengthened.xreplace(values))
        if substituted != 0:
            offending.append(f"W^{e.matrix}[{e.row},{e.col}]")
    if rule == "unit" and T > table_T:
        if monomials != set(unit_monomial_family(table_T)):
            raise AssertionError(f"the invariance table at T={table_T} is not the monomial family; extend TABLE_MAX_T")
        monomials = set(unit_monomial_family(T))
    nonzero = {text for text in monomials if sp.simplify(_monomial_value(text, law)) != 0}
    holds = not offending and (rule != "unit" or T <= table_T or not nonzero)
    if rule == "unit" and not holds and not offending:
        offending.append(f"(beyond T={table_T}) " + ", ".join(sorted(nonzero, key=_monomial_key)))
    return InvarianceCondition(
        rule, d, T, tuple(sorted(monomials, key=_monomial_key)), holds, tuple(sorted(nonzero, key=_monomial_key)), tuple(offending)
    )


def _monomial_key(text: str) -> tuple:
    """Order by degree, then indices, then the text (``phi_1`` before ``phi_1^2``: a total order, so the
    printed list does not depend on string hashing)."""
    return (text.count("*"), [int(part.split("^")[0][4:]) for part in text.split("*") if part.startswith("phi_")], text)


# ---------------------------------------------------------------------------
# The loss on the manifold and its minimiser
# ---------------------------------------------------------------------------

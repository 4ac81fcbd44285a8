"""The reduced gradient flow on the Assumption-1 manifold, derived from ``L_t``.

Starting from the route-(i) loss ``L_t(a, b)`` (:mod:`mesasym.symbolic.manifold_loss`):

1. ``L = sum_{t=2}^{T-1} L_t`` in closed form (a harmonic number appears);
2. gradient of one diagonal entry in the convention of THEORY §3,
   ``grad = dL/dRe + i dL/dIm = 2 dL/d conj(z)``. With every diagonal entry equal,
   ``sum_m dL/d conj(a_m) = dL/d conj(a)`` (chain rule), and when the per-entry
   gradients coincide (checked entry by entry in the brute-force route and in
   the full-model invariance table) each is ``(2/d) dL/d conj(a)``;
3. at real ``a, b`` the flow ``da/dtau = -grad_a``, ``db/dtau = -grad_b`` factors as
   ``(-b g(ab), -a g(ab))``; ``g`` is read off, not assumed;
4. the conserved quadratic form is found by solving ``dQ/dtau = 0`` for a general
   quadratic ``Q = alpha a^2 + beta ab + gamma b^2``;
5. fixed points: ``g(c*) = 0``; individual ``(a~, b~)`` from the conserved
   quantity and ``a~ b~ = c*``; linearisation at the fixed point; the
   initialisations that do not reach ``c*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from mesasym.cache import DiskCache
from mesasym.errors import InvalidInputError
from mesasym.symbolic import symbols as S
from mesasym.symbolic.manifold_loss import general_manifold_loss
from mesasym.symbolic.sums import EXACT_HARMONIC_MAX, harmonic_number, sum_over

__all__ = [
    "ReducedFlow",
    "derive_reduced_flow",
    "fixed_point_limits",
    "fixed_point_product",
    "per_entry_gradient",
    "is_positive",
    "manifold_loss_t",
    "manifold_loss_total",
]


@dataclass(frozen=True)
class ReducedFlow:
    """Everything derived about the two-parameter flow.

    Expressions use the real symbols ``a, b`` (``c = ab``), ``a_0, b_0`` and the
    parameters ``T, d, kappa_1, kappa_2, kappa_3, m_2`` (or their substituted values).
    """

    loss_t: sp.Expr  # L_t at real a, b
    loss: sp.Expr  # L = sum_t L_t
    grad_a: sp.Expr  # per-entry gradient (convention of THEORY §3)
    grad_b: sp.Expr
    grad_a_imaginary: sp.Expr  # imaginary part of the per-entry gradient at real points (0)
    rhs_a: sp.Expr  # da/dtau
    rhs_b: sp.Expr  # db/dtau
    g: sp.Expr  # function of c with rhs_a = -b g(ab), rhs_b = -a g(ab)
    slope: sp.Expr  # g'(c), a constant
    conserved: sp.Expr  # quadratic form with zero time derivative (a^2 - b^2)
    conserved_rate: sp.Expr  # d/dtau of it along the flow (0)
    c_rate: sp.Expr  # dc/dtau in terms of a, b, c
    fixed_product: sp.Expr  # c* = a~ b~
    a_tilde_squared: sp.Expr  # in terms of delta = a0^2 - b0^2
    a_tilde_squared_c: sp.Expr  # the same with c* as the symbol CSTAR
    delta: sp.Expr  # a0^2 - b0^2
    a_tilde: sp.Expr  # closed form of lim a in a0, b0 (Piecewise: the derived sign rule)
    b_tilde: sp.Expr  # closed form of lim b = c*/a~ in a0, b0
    a_tilde_c: sp.Expr  # a~ with delta and c* as the symbols DELTA, CSTAR (for printing)
    jacobian_eigenvalues: tuple[sp.Expr, ...]  # at a fixed point, in terms of a~ (b~ = c*/a~)
    jacobian_eigenvalues_kc: tuple[sp.Expr, ...]  # the same with K = g' and C = c* as symbols
    rate: sp.Expr  # linear convergence rate of c at the fixed point
    rate_kc: sp.Expr  # the same with K = g' and c* as symbols
    non_convergent: sp.Expr  # condition on (a0, b0)
    non_convergent_reason: str


def _validate_T_d(T: object, d: object) -> tuple[sp.Expr, sp.Expr]:
    return _integer_or_symbol(T, "T", 3), _integer_or_symbol(d, "d", 1)


def _integer_or_symbol(value: object, name: str, minimum: int) -> sp.Expr:
    """A SymPy symbol as it is, else an integer ``>= minimum`` as a SymPy integer."""
    if isinstance(value, sp.Symbol):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, sp.Integer)) or int(value) < minimum:
        raise InvalidInputError(f"{name}={value!r} must be an integer >= {minimum}")
    return sp.Integer(int(value))


def _substitutions(d: sp.Expr, kappas: tuple | None, second_moment: sp.Expr | None) -> dict:
    subs: dict = {S.d: d}
    if kappas is not None:
        k1, k2, k3 = (sp.sympify(k) for k in kappas)
        subs.update({S.KAPPA1: k1, S.KAPPA2: k2, S.KAPPA3: k3})
    elif d == 1:
        subs[S.KAPPA3] = sp.Integer(0)  # empty row sum
    if second_moment is not None:
        subs[S.M2] = sp.sympify(second_moment)
    return subs


def manifold_loss_t(
    d: object = S.d, kappas: tuple | None = None, second_moment: sp.Expr | None = None
) -> sp.Expr:
    """``L_t`` in the Wirtinger symbols ``A, ABAR, B, BBAR`` (route (i), Assumption 2)."""
    _, d_val = _validate_T_d(S.T, d)
    return general_manifold_loss().loss.subs(_substitutions(d_val, kappas, second_moment))


def manifold_loss_total(
    T: object = S.T,
    d: object = S.d,
    kappas: tuple | None = None,
    second_moment: sp.Expr | None = None,
) -> sp.Expr:
    """``L = sum_{t=2}^{T-1} L_t`` in closed form (Wirtinger symbols)."""
    T_val, d_val = _validate_T_d(T, d)
    return sum_over(manifold_loss_t(d_val, kappas, second_moment), S.t, 2, T_val - 1)


def _real_point(expr: sp.Expr) -> sp.Expr:
    return sp.expand(expr.subs({S.A: S.a, S.ABAR: S.a, S.B: S.b, S.BBAR: S.b}))


def per_entry_gradient(total_loss: sp.Expr, d: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``(grad_a, grad_b)`` of one diagonal entry at real ``a, b``: ``(2/d) dL/d conj``."""
    grad_a = _real_point(2 * sp.diff(total_loss, S.ABAR) / d)
    grad_b = _real_point(2 * sp.diff(total_loss, S.BBAR) / d)
    return grad_a, grad_b


def _conserved_quadratic(rhs_a: sp.Expr, rhs_b: sp.Expr) -> sp.Expr:
    alpha, beta, gamma = sp.symbols("alpha beta gamma")
    Q = alpha * S.a**2 + beta * S.a * S.b + gamma * S.b**2
    rate = sp.expand(sp.diff(Q, S.a) * rhs_a + sp.diff(Q, S.b) * rhs_b)
    equations = sp.Poly(rate, S.a, S.b).coeffs()
    solution = sp.solve(equations, [alpha, beta, gamma], dict=True)
    if len(solution) != 1:
        raise AssertionError("no unique family of conserved quadratic forms")
    conserved = Q.subs(solution[0])
    free = sorted(conserved.free_symbols & {alpha, beta, gamma}, key=str)
    if len(free) != 1:
        raise AssertionError(f"conserved quadratic forms have {len(free)} free parameters")
    # Normalise the one-parameter family so that the coefficient of a^2 is 1.
    scale = sp.Poly(conserved, S.a, S.b).coeff_monomial(S.a**2)
    return sp.expand(sp.cancel(conserved / scale))


_DISK = DiskCache("reduced-flow", [__name__])


@lru_cache(maxsize=32)
def _derive(T: sp.Expr, d: sp.Expr, kappas: tuple | None, second_moment: sp.Expr | None) -> ReducedFlow:
    """The derivation for these inputs, from memory, the disk cache (keyed by the inputs and the
    source of this module and everything it imports) or ``_derive_now``."""
    key = (sp.__version__, sp.srepr((T, d, kappas, second_moment)))
    return _DISK.get_or_compute(key, lambda: _derive_now(T, d, kappas, second_moment))


def _derive_now(T: sp.Expr, d: sp.Expr, kappas: tuple | None, second_moment: sp.Expr | None) -> ReducedFlow:
    loss_total = manifold_loss_total(T, d, kappas, second_moment)
    loss_t = _real_point(manifold_loss_t(d, kappas, second_moment))
    grad_a, grad_b = per_entry_gradient(loss_total, d)
    # Imaginary direction: a -> a + i eps changes A by i eps and ABAR by -i eps.
    grad_a_imag = _real_point(sp.I * sp.diff(loss_total, S.A) - sp.I * sp.diff(loss_total, S.ABAR))
    grad_a_imag = sp.simplify(grad_a_imag / d)
    rhs_a, rhs_b = -grad_a, -grad_b
    # g from rhs_a = -b g; it must depend on (a, b) only through c = ab.
    g_ab = sp.cancel(-rhs_a / S.b)
    g = sp.expand(sp.cancel(g_ab.subs(S.a, S.c / S.b)))
    if S.b in g.free_symbols or S.a in g.free_symbols:
        raise AssertionError(f"g is not a function of ab: {g}")
    if sp.expand(rhs_b + S.a * g.subs(S.c, S.a * S.b)) != 0:
        raise AssertionError("db/dtau is not -a g(ab)")
    slope = sp.expand(sp.diff(g, S.c))
    if S.c in slope.free_symbols:
        raise AssertionError("g is not affine in c")
    conserved = _conserved_quadratic(rhs_a, rhs_b)
    conserved_rate = sp.expand(sp.diff(conserved, S.a) * rhs_a + sp.diff(conserved, S.b) * rhs_b)
    c_rate = sp.expand(S.b * rhs_a + S.a * rhs_b)  # d(ab)/dtau
    roots = sp.solve(sp.Eq(g, 0), S.c)
    if len(roots) != 1:
        raise AssertionError(f"g(c) = 0 has {len(roots)} roots")
    c_star = sp.factor(roots[0])
    # Individual limits: a^2 - b^2 = delta and ab = c*  =>  u = a^2 solves u^2 - delta u - c*^2 = 0.
    delta = S.DELTA
    c_pos = sp.Symbol("c_*", positive=True)
    u = sp.Symbol("u")
    quadratic = sp.Poly(u**2 - delta * u - c_pos**2, u)
    u_roots = sp.solve(quadratic.as_expr(), u)
    # Vieta: the product of the roots is -c*^2 < 0, so exactly one root is positive: the larger.
    if len(u_roots) != 2 or not (quadratic.TC() / quadratic.LC()).is_negative:
        raise AssertionError(f"unexpected roots for a~^2: {u_roots}")
    first_larger = sp.simplify(u_roots[0] - u_roots[1]).is_positive
    if first_larger is None:
        raise AssertionError("cannot order the roots for a~^2")
    a_tilde_sq = (u_roots[0] if first_larger else u_roots[1]).subs(c_pos, c_star)
    a_tilde_sq_c = (u_roots[0] if first_larger else u_roots[1])
    # g is affine with root c*: g(c) = g'(c - c*). Work with symbols for g' and c*
    # (K, C) so that the linearisation stays small; substitute back at the end.
    if sp.expand(sp.cancel(g - slope * (S.c - c_star))) != 0:
        raise AssertionError("g is not g'(c - c*)")
    K, C = S.K, S.CSTAR
    rhs_a_small = -S.b * K * (S.a * S.b - C)
    rhs_b_small = -S.a * K * (S.a * S.b - C)
    if any(
        sp.cancel(sp.expand(small.subs({K: slope, C: c_star}) - full)) != 0
        for small, full in ((rhs_a_small, rhs_a), (rhs_b_small, rhs_b))
    ):
        raise AssertionError("the flow is not (-b g(ab), -a g(ab))")
    # Linearisation at a fixed point (a~, C/a~).
    at = S.ATILDE
    J = sp.Matrix([rhs_a_small, rhs_b_small]).jacobian([S.a, S.b]).subs({S.a: at, S.b: C / at})
    eigs_small = [sp.factor(e) for e in J.eigenvals(multiple=True)]
    nonzero = [e for e in eigs_small if e != 0]
    if len(nonzero) != 1 or len(eigs_small) != 2:
        raise AssertionError(f"expected eigenvalues 0 and one nonzero, got {eigs_small}")
    # -lambda = K (a~^2 + b~^2) and (a~^2 + b~^2)^2 = delta^2 + 4 C^2 with a~^2 from above.
    rate_small = sp.factor(-nonzero[0].subs(at, sp.sqrt(a_tilde_sq_c.subs(c_pos, C))))
    rate_closed = K * sp.sqrt(delta**2 + 4 * C**2)
    if sp.simplify(rate_small**2 - rate_closed**2) != 0:
        raise AssertionError(f"linear rate mismatch: {rate_small} vs {rate_closed}")
    eigs = tuple(e.subs({K: slope, C: c_star}) for e in eigs_small)
    rate = rate_closed.subs({K: slope, C: c_star})
    if not (is_positive(c_star) and is_positive(slope)):
        raise AssertionError(f"cannot prove c* > 0 and g' > 0 (c* = {c_star}, g' = {slope})")
    non_convergent, reason = _non_convergent_set(conserved, c_star)
    a_tilde_c = _signed_limit(conserved, a_tilde_sq_c.subs(c_pos, C))
    a_tilde = a_tilde_c.subs({S.DELTA: S.a0**2 - S.b0**2, C: c_star})
    b_tilde = sp.piecewise_fold(c_star / a_tilde)
    return ReducedFlow(
        loss_t=loss_t,
        loss=_real_point(loss_total),
        grad_a=grad_a,
        grad_b=grad_b,
        grad_a_imaginary=grad_a_imag,
        rhs_a=rhs_a,
        rhs_b=rhs_b,
        g=g,
        slope=slope,
        conserved=conserved,
        conserved_rate=conserved_rate,
        c_rate=sp.factor(c_rate),
        fixed_product=c_star,
        a_tilde_squared=a_tilde_sq,
        a_tilde_squared_c=a_tilde_sq_c.subs(c_pos, C),
        delta=S.a0**2 - S.b0**2,
        a_tilde=a_tilde,
        b_tilde=b_tilde,
        a_tilde_c=a_tilde_c,
        jacobian_eigenvalues=eigs,
        jacobian_eigenvalues_kc=tuple(eigs_small),
        rate=rate,
        rate_kc=rate_closed,
        non_convergent=non_convergent,
        non_convergent_reason=reason,
    )


def is_positive(expr: sp.Expr) -> bool:
    """Whether ``expr > 0`` is provable for every ``T >= 3``, ``d >= 1`` (``kappa_1, kappa_2 > 0``).

    ``T = 3 + n``, ``d = 1 + m`` with ``n, m >= 0``, and every harmonic number is replaced by a
    positive symbol.
    """
    n = sp.Dummy("n", integer=True, nonnegative=True)
    m = sp.Dummy("m", integer=True, nonnegative=True)
    e = sp.sympify(expr).subs({S.T: n + 3, S.d: m + 1})
    e = e.xreplace({h: sp.Dummy("H", positive=True) for h in e.atoms(sp.harmonic)})
    numerator, denominator = (sp.expand(part) for part in sp.fraction(sp.cancel(e)))
    signs = (numerator.is_positive, denominator.is_positive)
    negative = (numerator.is_negative, denominator.is_negative)
    return signs == (True, True) or negative == (True, True)


def _signed_limit(conserved: sp.Expr, a_tilde_squared: sp.Expr) -> sp.Expr:
    """``a~`` with its sign, from ``a~^2`` (in ``DELTA``, ``CSTAR``) and the conserved ``Q = a^2 - b^2``.

    On the level set ``Q = delta`` a coordinate can reach ``0`` only if ``Q`` with that
    coordinate set to 0 equals ``delta`` for a real value of the other. Both are solved:
    for ``delta > 0``, ``-b^2 = delta`` has no real root, so ``a`` keeps the sign of
    ``a_0``; for ``delta < 0``, ``a^2 = delta`` has none, so ``b`` keeps the sign of ``b_0``
    and ``a~ = c*/b~`` (``c* > 0``) has it too. On ``delta = 0`` the convergent line is
    ``a = b`` (:func:`_non_convergent_set`), where both signs agree. Hence
    ``a~ = sign(a_0) sqrt(a~^2)`` if ``a_0^2 >= b_0^2``, else ``sign(b_0) sqrt(a~^2)``.
    """
    positive = sp.Symbol("p", positive=True)
    for vanishing, other, level in ((S.a, S.b, positive), (S.b, S.a, -positive)):
        roots = sp.solve(sp.Eq(conserved.subs(vanishing, 0), level), other)
        if any(root.is_real is not False for root in roots):
            raise AssertionError(f"{vanishing} can cross zero on the level set {conserved} = {level}")
    magnitude = sp.sqrt(a_tilde_squared)
    return sp.Piecewise(
        (sp.sign(S.a0) * magnitude, S.DELTA >= 0),
        (sp.sign(S.b0) * magnitude, True),
    )


def fixed_point_limits(flow: ReducedFlow, a0: object, b0: object) -> tuple[sp.Expr, sp.Expr]:
    """The derived limits ``(a~, b~)`` of the reduced flow from ``(a0, b0)``, exactly.

    Evaluates :attr:`ReducedFlow.a_tilde` and :attr:`ReducedFlow.b_tilde` (the closed
    form of ``a~^2`` with the derived sign rule, ``b~ = c*/a~``). Starts on the derived
    non-convergent set have no such limit: ``(0, 0)`` raises :class:`InvalidInputError`;
    on ``b0 = -a0 != 0`` the values are those of the mirror start ``(a0, a0)``.
    """
    values = {S.a0: sp.sympify(a0), S.b0: sp.sympify(b0)}
    if values[S.a0] == 0 and values[S.b0] == 0:
        raise InvalidInputError("the start (a0, b0) = (0, 0) is an equilibrium: the flow has no limit a~, b~")
    return flow.a_tilde.subs(values), flow.b_tilde.subs(values)


def _non_convergent_set(conserved: sp.Expr, c_star: sp.Expr) -> tuple[sp.Expr, str]:
    """Initialisations from which ``c(tau)`` cannot reach ``c*``.

    Equilibria are ``{g(ab) = 0}`` and the origin. On a level set
    ``a^2 - b^2 = delta != 0`` we have ``a^2 + b^2 >= |delta| > 0`` and
    ``dc/dtau = -(a^2 + b^2) g(c)`` with ``g`` increasing, so ``c -> c*``. The origin
    lies on the level set ``delta = 0``, which factors into two invariant lines;
    the line on which ``c = ab`` cannot take the (positive) value ``c*`` never
    reaches it.
    """
    factors = [f for f, _ in sp.factor_list(conserved)[1]]
    if len(factors) != 2:
        raise AssertionError(f"the level set a^2 - b^2 = 0 should be two lines: {factors}")
    bad = []
    for line in factors:
        solved_b = sp.solve(line, S.b)[0]
        c_on_line = sp.expand((S.a * S.b).subs(S.b, solved_b))
        # c* > 0 (checked by the caller): replace it by a positive symbol to decide reality.
        c_pos = sp.Symbol("c_*", positive=True)
        reach = [r for r in sp.solve(sp.Eq(c_on_line, c_pos), S.a) if r.is_real is not False]
        if not reach:
            bad.append(sp.Eq(S.b0, solved_b.subs(S.a, S.a0)))
    if len(bad) != 1:
        raise AssertionError(f"expected exactly one non-convergent line, got {bad}")
    reason = (
        "a^2 - b^2 is conserved; for a_0^2 != b_0^2 the factor a^2 + b^2 stays >= |a_0^2 - b_0^2| > 0 "
        "and c = ab increases/decreases monotonically to the unique root c* of the increasing "
        "affine g; on the invariant line a = -b one has c = -a^2 <= 0 < c*, so the flow goes to "
        "the saddle at the origin (also the limit from the origin itself); on a = b != 0 it "
        "reaches c*."
    )
    return bad[0], reason


def derive_reduced_flow(
    T: object = S.T,
    d: object = S.d,
    kappas: tuple | None = None,
    second_moment: object | None = None,
) -> ReducedFlow:
    """Derive the reduced flow for symbolic or concrete ``T >= 3``, ``d >= 1`` and kappas.

    ``kappas = (kappa_1, kappa_2, kappa_3)`` (SymPy numbers or expressions); ``None``
    keeps the symbols. Cached per argument tuple.
    """
    T_val, d_val = _validate_T_d(T, d)
    k = None if kappas is None else tuple(sp.sympify(x) for x in kappas)
    m2 = None if second_moment is None else sp.sympify(second_moment)
    general = _derive(S.T, d_val, k, m2)
    if isinstance(T_val, sp.Symbol):
        return general if T_val == S.T else _specialise(general, S.T, T_val)
    return _specialise(general, S.T, T_val)


def _at(expr: object, T_sym: sp.Symbol, T_val: sp.Expr, H: sp.Expr) -> object:
    if not isinstance(expr, sp.Basic):
        return expr
    replaced = expr.replace(
        lambda e: isinstance(e, sp.harmonic) and e.args[0] == T_sym - 2, lambda e: H
    )
    if any(isinstance(e, sp.harmonic) for e in sp.preorder_traversal(replaced)):
        raise AssertionError(f"unexpected harmonic number in {expr}")
    out = replaced.subs(T_sym, T_val)
    return sp.cancel(out) if out.is_number else out


def _specialise(flow: ReducedFlow, T_sym: sp.Symbol, T_val: sp.Expr) -> ReducedFlow:
    """``flow`` at ``T = T_val``: ``H_{T-2}`` becomes its exact value (or a symbol ``H_{n}``
    when ``T_val - 2`` exceeds :data:`EXACT_HARMONIC_MAX`, to keep SymPy from summing it)."""
    if isinstance(T_val, sp.Symbol):
        H = sp.harmonic(T_val - 2)
    elif int(T_val) - 2 <= EXACT_HARMONIC_MAX:
        H = harmonic_number(int(T_val) - 2)
    else:
        H = sp.Symbol(f"H_{{{int(T_val) - 2}}}", positive=True)
    values = {}
    for name in flow.__dataclass_fields__:
        value = getattr(flow, name)
        if isinstance(value, tuple):
            values[name] = tuple(_at(v, T_sym, T_val, H) for v in value)
        else:
            values[name] = _at(value, T_sym, T_val, H)
    return ReducedFlow(**values)


def fixed_point_product(T: object = S.T, d: object = S.d, kappas: tuple | None = None) -> sp.Expr:
    """The derived ``c* = a~ b~`` (root of ``g``)."""
    return derive_reduced_flow(T, d, kappas).fixed_product

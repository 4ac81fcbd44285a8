"""``deep.tex``: two-layer linear attention on the per-layer diagonal manifold and its invariant closure,
generated from :mod:`mesasym.symbolic.deep_flow` (only prose is typed; every expression is an object of
the derivation)."""

from __future__ import annotations

import sympy as sp

from mesasym.report.latex.common import equation, header, tex

__all__ = ["deep_document", "CLOSURE"]

#: The closure of the two-layer per-layer manifold (found by the exact engine, docs/deep-theory.md):
#: the paper's four coordinates, W^PV_{1,23} and W^KQ_{2,21}.
CLOSURE = ((0, "KQ", 2, 1), (0, "PV", 0, 1), (1, "KQ", 2, 1), (1, "PV", 0, 1), (0, "PV", 1, 2), (1, "KQ", 1, 0))


def deep_document() -> str:
    from mesasym.laws import parse_distribution
    from mesasym.symbolic.deep_flow import (
        depends_only_on_product_sum,
        paper_manifold,
        reduced_flow,
        reduced_loss,
        residue,
    )
    from mesasym.symbolic.phase_laws import manifold_fixed_point, manifold_loss_value

    out = header(r"Two-layer linear attention: the per-layer manifold is not invariant; its closure")
    out.append(
        r"""\section*{Setting}
Data as in \texttt{theorem1.tex} (uniform phases, $x_1$ real, independent of $W$). Model: $L$ layers of linear
attention with residual connections on $e^{(0)}_t = (0;\,x_t;\,x_{t-1})$,
$e^{(l)}_t = e^{(l-1)}_t + W^{PV}_l \sum_{i\le t} e^{(l-1)}_i\,(e^{(l-1)*}_i W^{KQ}_l e^{(l-1)}_t)/\rho_t$,
$\rho_t = \max(t-1, 1)$, $\hat y_t = [e^{(L)}_t]_1$, $L = \sum_{t=2}^{T-1}\mathbb{E}\,\tfrac12\|\hat y_t - x_{t+1}\|^2$.
A block-scalar point sets some blocks to real multiples of $I$ and all others to $0$; $w_{l,Mrs}$ is the multiple of
block $(r,s)$ of $W^{M}_l$, $a_l = w_{l,KQ32}$, $b_l = w_{l,PV12}$. Derivation (\texttt{mesasym.symbolic.deep\_flow}):
the literal model on polynomials, the phase rule $\mathbb{E}|r|^2 = \sum_m R_m^2$ over net phase exponents $m$, then
the law's exact moments. Gradient per entry $\frac1d\partial L/\partial w$ (THEORY convention, real points)."""
    )

    out.append(r"\section{On the per-layer manifold the model is one layer with $ab = a_1b_1 + a_2b_2$}")
    c = sp.Symbol("c", real=True)
    for spec, d, T in (("gaussian", 2, 6), ("uniform", 2, 5)):
        dist = parse_distribution(spec)
        on_paper = reduced_loss(paper_manifold(2), d, T, 2, dist)
        as_c = depends_only_on_product_sum(on_paper)
        one = sp.nsimplify(manifold_loss_value(None, dist, d, T, c))
        same = as_c is not None and sp.expand(as_c - one) == 0
        out.append(
            f"\\texttt{{{spec}}}, $d={d}$, $T={T}$: substituting $b_1 = (c - a_2 b_2)/a_1$ leaves no $a_l, b_l$:"
        )
        out.append(equation(f"L = {tex(as_c)}"))
        out.append(f"equal to the one-layer manifold loss at $ab = c$ (\\texttt{{theorem1.tex}}): {'yes' if same else 'NO'}.")

    out.append(r"\section{The residue that breaks invariance}")
    out.append(
        "At $u = w_{1,PV23} = 0$, $v = w_{2,KQ21} = 0$ the per-entry gradient along these two blocks, on the per-layer "
        "manifold (every other block's gradient vanishes there, by the exact engine):"
    )
    for spec, d, T in (("gaussian", 1, 4), ("gaussian", 2, 5), ("sparse", 2, 5)):
        reduced = reduced_loss(CLOSURE, d, T, 2, parse_distribution(spec))
        broken = residue(reduced, paper_manifold(2))
        lines = [f"\\frac1d\\frac{{\\partial L}}{{\\partial {tex(reduced.symbols[k])}}} &= {tex(sp.factor(broken[c_]))}"
                 for k, c_ in enumerate(CLOSURE) if c_ in broken]
        out.append(f"\\texttt{{{spec}}}, $d={d}$, $T={T}$:")
        out.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
        a1, b1, a2, b2 = reduced.symbols[:4]
        roots = set()
        for expr in broken.values():
            in_c = sp.factor(expr.subs(b1, (c - a2 * b2) / a1))
            roots |= {r for r in sp.solve(in_c, c) if not (r.free_symbols & {a1, a2, b2})}
        c_star = sp.nsimplify(manifold_fixed_point(None, parse_distribution(spec), d, T))
        out.append(
            f"With $c = a_1b_1 + a_2b_2$ the non-monomial factor vanishes at $c = {', '.join(tex(r) for r in sorted(roots, key=sp.default_sort_key))}$; "
            f"the one-layer fixed point is $c^* = {tex(c_star)}$"
            + (" (the same: the manifold's fixed points are stationary for the full model)." if roots == {c_star}
               else " (different: at the manifold's best point the gradient leaves the manifold).")
        )

    out.append(r"\section{The reduced loss and flow on the closure}")
    reduced = reduced_loss(CLOSURE, 1, 4, 2, parse_distribution("gaussian"))
    out.append(r"\texttt{gaussian}, $d = 1$, $T = 4$, six coordinates $a_1, b_1, a_2, b_2, w_{1,PV23}, w_{2,KQ21}$:")
    terms = sorted(sp.Add.make_args(reduced.loss), key=sp.default_sort_key)
    texts = [tex(term) for term in terms]
    rows = [("L ={}& " if k == 0 else "&" if t.startswith("-") else "&+ ") + t for k, t in enumerate(texts)]
    out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    flow = reduced_flow(reduced)
    out.append(r"The reduced flow $\dot w = -\frac1d \partial L/\partial w$; for instance")
    out.append(equation(f"\\dot{{{tex(reduced.symbols[4])}}} = {tex(sp.factor(flow[4]))}"))
    out.append(
        "It matches the exact engine's gradient flow (every entry free) to $10^{-12}$ "
        "(\\texttt{tests/test\\_symbolic\\_deep.py}); its limits are in \\texttt{docs/deep-theory.md}."
    )
    out.append(r"\end{document}")
    return "\n\n".join(line for line in out if line) + "\n"

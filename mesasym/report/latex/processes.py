"""``processes.tex``: Theorem 1's reduction for other transition laws of ``W``, generated from
:mod:`mesasym.symbolic.phase_laws` (only prose is typed; every expression, table entry and verdict is
an object of the derivation)."""

from __future__ import annotations

import sympy as sp

from mesasym.report.latex.common import equation, header, tex, tex_escape

__all__ = ["processes_document", "DOCUMENT_LAWS"]

#: The laws tabulated in the document (spec strings).
DOCUMENT_LAWS = (
    "uniform",
    "damped:r=0.8",
    "roots:k=4",
    "roots:k=3",
    "roots:k=2",
    "roots:k=1",
    "von-mises:kappa=2",
)
_D, _T = 3, 8  # the setting of the closed-form table


def _exponent(row: tuple[int, ...]) -> sp.Expr:
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.manifold_loss import I_IDX, IP_IDX

    return sp.Integer(row[0]) + row[1] * S.t + row[2] * I_IDX + row[3] * IP_IDX


def processes_document() -> str:
    """The document (see the module docstring)."""
    from mesasym.laws import parse_distribution, parse_process
    from mesasym.symbolic.phase_laws import (
        invariance_condition,
        manifold_fixed_point,
        manifold_phase_terms,
        reduction_steps,
        term_patterns,
    )

    out = header(r"Other transition laws of $W$: which step of Theorem 1's reduction survives")
    out.append(
        r"""\section*{Setting}
$x_{t+1} = W x_t$, $W = \mathrm{diag}(\lambda_1,\dots,\lambda_d)$ with $\lambda_j$ i.i.d., independent of $x_1$,
from a law with moments $\mu(a,b) = \mathbb{E}[\lambda^a\bar\lambda^b]$ ($\mu(a,b) = [a=b]$ for the paper's
uniform phases). Model, loss, manifold and gradient convention as in \texttt{theorem1.tex}. For a symmetric
unit-modulus law $\mu(a,b) = \phi_{|a-b|}$ with $\phi_m = \mathbb{E}\lambda^m$."""
    )

    out.append(r"\section{Invariance of the manifold}")
    condition = invariance_condition("von-mises:kappa=1", 2, 6)
    # sorted: the order of condition.monomials depends on string hashing (PYTHONHASHSEED)
    monomials = sorted((sp.sympify(m.replace("^", "**")) for m in condition.monomials), key=sp.default_sort_key)
    out.append(
        "The full model's gradient at $W^{KQ}_{32} = aI$, $W^{PV}_{12} = bI$ (every entry, $d = 2$, $T = 6$) with "
        "generic $\\phi_m$, reduced under Assumption~2 with $\\mathbb{E}x_j^3x_k^3 = 0$ and equal column sums: every "
        "entry outside the red diagonals is a combination of"
    )
    out.append(equation(", \\quad ".join(tex(m) for m in monomials) + "."))
    out.append(
        "The manifold stays invariant iff all of them vanish. With the damped rule "
        "$\\mu(a,b) = R^{a+b}[a=b]$ every such gradient is zero."
    )
    out.append(r"\begin{center}\begin{tabular}{lll}")
    out.append(r"law & invariant & nonzero products \\ \hline")
    for spec in DOCUMENT_LAWS:
        c = invariance_condition(spec, 2, 6)
        products = sorted((sp.sympify(m.replace("^", "**")) for m in c.nonzero), key=sp.default_sort_key)
        nonzero = ", ".join(f"${tex(m)}$" for m in products[:4]) or "--"
        if len(c.nonzero) > 4:
            nonzero += ", \\dots"
        out.append(f"\\texttt{{{tex_escape(spec)}}} & {'yes' if c.holds else 'no'} & {nonzero} \\\\")
    out.append(r"\end{tabular}\end{center}")

    out.append(r"\section{The loss on the manifold}")
    out.append(
        "From the block algebra, $\\hat y_{t,j} = \\frac{ab}{t-1}\\sum_{i\\ge 2}\\sum_k (x_i)_j\\overline{(x_{i-1})_k}"
        "(x_t)_k$ with $(x_v)_l = \\lambda_l^{v-1}x_{1,l}$, and $\\sum_j\\mathbb{E}|\\hat y_{t,j} - x_{t+1,j}|^2 = "
        "c^2A_t - 2cB_t + C_t$ ($c = ab$ real). Each term is a sum over the coincidence patterns of the coordinate "
        "labels; a block $\\beta$ of a pattern contributes $\\mu(a_\\beta, b_\\beta)$ and the pattern the moment sum "
        "$S(p)$ over distinct coordinates. The patterns of $A_t$ (labels $j, k, k'$; summed over $i, i'$ with "
        "weight $(t-1)^{-2}$) and of $B_t$ (labels $j, k$; weight $(t-1)^{-1}$):"
    )
    quadratic, cross, _ = manifold_phase_terms()
    for name, term in (("A_t", quadratic), ("B_t", cross)):
        out.append(r"\begin{center}\begin{tabular}{ll}")
        out.append(f"$S(p)$ in ${name}$ & $\\prod_\\beta \\mu(a_\\beta, b_\\beta)$ \\\\ \\hline")
        for powers, rows in term_patterns(term):
            factors = " ".join(
                f"\\mu\\!\\left({tex(_exponent(ra))},\\, {tex(_exponent(rb))}\\right)" for ra, rb in rows
            )
            out.append(f"$S({', '.join(str(p) for p in powers)})$ & ${factors}$ \\\\")
        out.append(r"\end{tabular}\end{center}")
    out.append(
        "For uniform phases only $S(2), S(4), S(6), S(2,4)$ survive ($d\\,m_2, d\\kappa_1, d\\kappa_2, "
        "d\\kappa_3$); for other laws patterns such as $S(2,2) = \\sum_{j\\ne k}\\mathbb{E}x_j^2x_k^2$ get a "
        "nonzero phase sum. Where the manifold is invariant the limit is $c^* = \\sum_t B_t / \\sum_t A_t$."
    )

    out.append(r"\section{Which step holds, and the closed form}")
    dist = parse_distribution("gaussian")
    out.append(
        f"$x_1 \\sim N(0, I_{_D})$, $T = {_T}$: the steps of the reduction and $c^* = \\sum_t B_t/\\sum_t A_t$ "
        "(exact where the law's moments are rational; the full model's limit where the manifold is invariant, "
        "otherwise the best point on the manifold)."
    )
    out.append(r"\begin{center}\begin{tabular}{lccccl}")
    out.append(r"law & phase rule & invariance & $\kappa$'s only & closed form & $c^*$ \\ \hline")
    for spec in DOCUMENT_LAWS:
        law = parse_process(spec)
        steps = {s.name: s.holds for s in reduction_steps(law, dist, _D, _T)}
        value = manifold_fixed_point(law, dist, _D, _T)
        shown = (
            f"${tex(sp.Rational(value.numerator, value.denominator))}$"
            if hasattr(value, "numerator")
            else f"${float(value):.12g}$"
        )
        marks = " & ".join("yes" if steps[k] else "no" for k in ("phase-rule", "invariance", "kappa-only", "closed-form"))
        out.append(f"\\texttt{{{tex_escape(spec)}}} & {marks} & {shown} \\\\")
    out.append(r"\end{tabular}\end{center}")
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"

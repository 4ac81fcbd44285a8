"""The Theorem 1, Corollary 1 and invariance documents, generated from the symbolic derivation.

* ``theorem1.tex`` -- loss on the manifold (block algebra), coordinates, phase
  average term by term, moment substitution, sum over ``t``, ODE, conserved
  quantity, fixed point, linearisation, non-convergent set, comparison with
  the paper's claim;
* ``corollary1.tex`` -- the one-step-GD identity and its derived step size;
* ``invariance.tex`` -- the full model's gradient at manifold points, block by
  block and entry by entry, with the moments that decide each entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from mesasym.report.latex.common import (
    Specialisation,
    conventions,
    equation,
    gather,
    header,
    math_list,
    tex,
    tex_escape,
)

__all__ = ["theorem1_document", "corollary1_document", "invariance_document"]


def theorem1_document(spec: Specialisation | None = None) -> str:
    """The step-by-step derivation of the reduced flow and Theorem 1's fixed point."""
    from mesasym import claims
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.manifold_loss import general_manifold_loss, pattern_symbol
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    spec = spec or Specialisation()
    general = general_manifold_loss()
    flow = derive_reduced_flow()
    out = header(r"Theorem 1: the reduced gradient flow and its fixed point")
    out.append(conventions())

    out.append(r"\section{The output on the manifold (block algebra, symbolic $d$)}")
    out.append(
        "Multiplying the $3\\times 3$ block matrices with $d\\times d$ blocks (SymPy "
        "\\texttt{block\\_collapse}) gives, for one column $e_i$ of $E_t$,"
    )
    out.append(
        gather(
            [
                r"\left[W^{PV} e_i\, e_i^* W^{KQ} e_t\right]_1 = " + tex(general.block_summand),
                r"\left[e_t\right]_1 = " + tex(general.residual_top),
            ]
        )
    )
    out.append(
        f"and the other two blocks vanish. Since $x_0 = 0$, the terms $i < {general.lower_index}$ vanish, so"
    )
    out.append(
        equation(
            r"\hat y_t = \frac{1}{t-1}\sum_{i="
            + str(general.lower_index)
            + r"}^{t} "
            + tex(general.block_summand)
            + "."
        )
    )

    out.append(r"\section{Coordinates}")
    out.append(
        "With $x_{i,j} = \\lambda_j^{i-1} x_j$ ($x_j$ short for $x_{1,j}$) the output coordinate is"
    )
    out.append(equation(r"\hat y_{t,j} = " + tex(general.output_coordinate)))
    out.append(
        "Splitting the inner sum into $k = j$ and $k \\ne j$, the residual "
        "$r_{t,j} = \\hat y_{t,j} - x_{t+1,j}$ is the sum of three terms:"
    )
    rows = []
    for term in general.terms:
        ranges = ", ".join(f"${tex(i)} = {tex(lo)},\\dots,{tex(hi)}$" for i, lo, hi in term.indices) or "--"
        labels = ", ".join(f"${lab} \\ne j$" for lab in term.labels) or "--"
        rows.append(f"\\texttt{{{term.name}}} & ${tex(term.summand)}$ & {ranges} & {labels} \\\\")
    out.append(
        "\\begin{longtable}{llll}\nterm & summand & indices & summed labels \\\\ \\hline\n"
        + "\n".join(rows)
        + "\n\\end{longtable}"
    )

    out.append(r"\section{Phase average, pair by pair}")
    out.append(
        "$|r_{t,j}|^2$ is the sum of (term) $\\times$ $\\overline{\\text{(term)}}$; the conjugate copy uses "
        "$i'$ and $k'$, and when both carry a summed label the cases $k' = k$ and $k' \\ne k$ are separate. "
        "Each pair is averaged over the independent phases (one Kronecker delta per distinct coordinate) "
        "and then summed over $i, i'$ with the rule $\\sum_i f(i)\\,[i = v] = f(v)\\,[v \\text{ in range}]$, "
        "decided for every $t \\ge 2$."
    )
    rows = []
    for pair in general.pairs:
        case = "$" + pair.case.replace("!=", "\\ne ") + "$" if pair.case else ""
        rows.append(
            f"\\texttt{{{pair.left}}} $\\times$ \\texttt{{{pair.right}}} {case} & "
            f"${tex(pair.phase_average)}$ & ${tex(sp.factor(pair.summed))}$ \\\\"
        )
    out.append(
        "\\begin{longtable}{p{0.22\\textwidth}p{0.5\\textwidth}p{0.2\\textwidth}}\n"
        "pair & phase average & after $\\sum_{i,i'}$ \\\\ \\hline\n" + "\n".join(rows) + "\n\\end{longtable}"
    )

    out.append(r"\section{Moments}")
    out.append(
        "Collecting the monomials in $x$ (with the sums over $j$ and the summed labels) gives, for "
        "\\emph{every} law of $x_1$ (no assumption yet),"
    )
    out.append(equation(r"L_t = " + tex(general.loss_generic)))
    out.append(
        "Assumption 2: $\\mathbb{E}\\,x_{1,j}^4 = \\kappa_1$, $\\mathbb{E}\\,x_{1,j}^6 = \\kappa_2$ and "
        "$\\sum_{k\\ne j}\\mathbb{E}\\,x_{1,j}^2 x_{1,k}^4 = \\kappa_3$ for every $j$; $m_2$ is the mean "
        "second moment. Each sum over $j$ contributes $d$ times the same constant:"
    )
    subs_lines = []
    from mesasym.symbolic.manifold_loss import pattern_sum_assumption2

    for pattern in sorted(general.patterns):
        subs_lines.append(tex(pattern_symbol(pattern)) + " = " + tex(pattern_sum_assumption2(pattern)))
    out.append(gather(subs_lines))
    out.append("so at real $a, b$ (where $\\bar a = a$, $\\bar b = b$):")
    out.append(equation(r"L_t(a, b) = " + tex(sp.factor_terms(flow.loss_t))))

    out.append(r"\section{Sum over $t$}")
    out.append(
        "Summing term by term over $t = 2,\\dots,T-1$ (after shifting the index to start at $1$):"
    )
    per_d = sp.collect(sp.expand(flow.loss / S.d), [S.a**2 * S.b**2, S.a * S.b], sp.factor)
    out.append(equation(r"L(a, b) = " + tex(S.d) + r"\left(" + tex(per_d) + r"\right)"))

    out.append(r"\section{The gradient flow of one diagonal entry}")
    out.append(
        "With all diagonal entries equal, the chain rule gives "
        "$\\sum_m \\partial L/\\partial\\bar a_m = \\partial L/\\partial \\bar a$; when the per-entry "
        "gradients coincide (checked entry by entry from the literal model for $d \\le 4$ and from the full "
        "model in \\texttt{invariance.tex}) each equals $\\frac{2}{d}\\,\\partial L/\\partial\\bar a$:"
    )
    out.append(
        gather(
            [
                r"\nabla_{a_m} L = " + tex(sp.factor(flow.grad_a)),
                r"\nabla_{b_m} L = " + tex(sp.factor(flow.grad_b)),
                r"\operatorname{Im}\nabla_{a_m} L \big|_{a, b \in \mathbb{R}} = " + tex(flow.grad_a_imaginary),
            ]
        )
    )
    out.append("Hence $\\dot a = -b\\, g(ab)$, $\\dot b = -a\\, g(ab)$ with")
    out.append(equation(r"g(c) = " + tex(sp.collect(flow.g, S.c, sp.factor)) + r",\qquad g'(c) = " + tex(sp.factor(flow.slope))))

    out.append(r"\section{Conserved quantity}")
    out.append(
        "Solving $\\frac{d}{d\\tau}(\\alpha a^2 + \\beta ab + \\gamma b^2) = 0$ identically in $a, b$ leaves a "
        "one-parameter family:"
    )
    out.append(
        gather(
            [
                r"Q = " + tex(flow.conserved) + r",\qquad \frac{dQ}{d\tau} = " + tex(flow.conserved_rate),
                r"\frac{d(ab)}{d\tau} = " + tex(flow.c_rate),
            ]
        )
    )

    out.append(r"\section{Fixed point, limits, linearisation}")
    out.append("The unique root of $g$ is")
    out.append(equation(r"c^* = \tilde a\tilde b = " + tex(flow.fixed_product)))
    out.append(
        "With $\\delta = a_0^2 - b_0^2$ conserved and $\\tilde a\\tilde b = c^*$, $u = \\tilde a^2$ solves "
        "$u^2 - \\delta u - c^{*2} = 0$, whose roots have product $-c^{*2} < 0$; the positive root is"
    )
    out.append(equation(r"\tilde a^2 = " + tex(flow.a_tilde_squared.subs(flow.fixed_product, S.CSTAR))))
    out.append(
        "Signs: on the level set $a^2 - b^2 = \\delta$, $a$ can vanish only if $-b^2 = \\delta$ has a real root "
        "(none for $\\delta > 0$) and $b$ only if $a^2 = \\delta$ has one (none for $\\delta < 0$); on "
        "$\\delta = 0$ the convergent line is $a = b$. So the coordinate of larger modulus keeps its sign, "
        "$c^* > 0$ gives the other's, and the derived limits are"
    )
    out.append(
        equation(
            r"\tilde a = " + tex(flow.a_tilde_c) + r",\qquad \tilde b = \frac{c^*}{\tilde a}"
        )
    )
    eig_display = [sp.factor(e) for e in flow.jacobian_eigenvalues_kc]
    out.append(
        "The Jacobian of $(\\dot a, \\dot b)$ at $(\\tilde a, c^*/\\tilde a)$ has eigenvalues "
        "(with $K = g'(c)$, $c^* = \\tilde a \\tilde b$) $"
        + ",\\ ".join(tex(e) for e in eig_display)
        + "$: the zero mode runs along the curve of fixed points $ab = c^*$, and the linear convergence rate is"
    )
    out.append(equation(r"K\,(\tilde a^2 + \tilde b^2) = K\sqrt{\delta^2 + 4c^{*2}}"))
    out.append(
        "Non-convergent initialisations: $"
        + tex(flow.non_convergent)
        + "$, including the origin. Reason: for $a_0^2 \\ne b_0^2$ the factor $a^2 + b^2 \\ge |\\delta| > 0$ "
        "and $c = ab$ moves monotonically to the unique root $c^* > 0$ of the increasing affine $g$. The "
        "level set $\\delta = 0$ factors into the invariant lines $a = b$ and $a = -b$; on $a = -b$ one has "
        "$c = -a^2 \\le 0 < c^*$ (the equation $c = c^*$ has no real solution there), so the flow goes to "
        "the saddle at the origin; on $a = b \\ne 0$ it reaches $c^*$."
    )

    out.append(r"\section{Comparison with the paper}")
    claimed = claims.theorem1_product(S.T, S.KAPPA1, S.KAPPA2, S.KAPPA3)
    difference = sp.simplify(flow.fixed_product - claims.evaluate_sums(claimed))
    out.append("Theorem 1 states")
    out.append(equation(r"\tilde a\tilde b = " + tex(claimed)))
    out.append(
        "and (derived) $-$ (claimed) simplifies to $" + tex(difference) + "$ for symbolic $T$, $d$ and kappas."
    )

    if spec.T is not None or spec.kappas is not None or spec.d is not None:
        out.append(_specialisation_section(spec))

    out.append(r"\section{Remarks on the hypotheses}")
    out.append(
        "The manifold loss above holds for every law (phases alone). Reducing the full flow to one scalar "
        "$a$ and one scalar $b$ needs more than Assumption 2 as stated; see \\texttt{invariance.tex}: "
        "(i) the off-diagonal entries of both red blocks get gradient proportional to "
        "$\\mathbb{E}\\,x_{1,j}^3 x_{1,k}^3$, which Assumption 2 does not remove (no coordinate appears to "
        "the first power); (ii) for $d \\ge 3$ the diagonal of $W^{KQ}_{32}$ depends on the column sums "
        "$\\sum_{r\\ne j}\\mathbb{E}\\,x_{1,r}^2 x_{1,j}^4$, while Assumption 2 fixes only the row sums. "
        "Both conditions hold for exchangeable laws with symmetric coordinates (e.g. Gaussian)."
    )
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


def _specialisation_section(spec: Specialisation) -> str:
    from mesasym.precise import EXACT_T_MAX, fixed_point_exact, fixed_point_mp, mp_string
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    lines = [r"\section{Specialisation}"]
    given = []
    if spec.T is not None:
        given.append(f"$T = {spec.T}$")
    if spec.d is not None:
        given.append(f"$d = {spec.d}$")
    if spec.dist is not None:
        given.append(f"law \\texttt{{{tex_escape(spec.dist)}}}")
    lines.append("Values: " + ", ".join(given) + ".")
    if spec.kappas is not None:
        k1, k2, k3 = spec.kappas
        lines.append(
            equation(rf"\kappa_1 = {tex(k1)},\quad \kappa_2 = {tex(k2)},\quad \kappa_3 = {tex(k3)}")
        )
    flow = derive_reduced_flow(
        spec.T if spec.T is not None else S.T,
        spec.d if spec.d is not None else S.d,
        spec.kappas,
    )
    lines.append(
        equation(r"g(c) = " + tex(sp.collect(flow.g, S.c, sp.factor)) + r",\qquad \tilde a\tilde b = " + tex(flow.fixed_product))
    )
    if spec.T is not None and spec.kappas is not None:
        k1, k2, k3 = spec.kappas
        if all(sp.sympify(k).is_Rational for k in spec.kappas) and spec.T <= EXACT_T_MAX:
            exact = fixed_point_exact(spec.T, k1, k2, k3)
            if len(str(exact)) < 300:
                lines.append(equation(r"\tilde a\tilde b = " + tex(exact)))
        value = fixed_point_mp(spec.T, k1, k2, k3, dps=spec.dps)
        lines.append(
            f"To {spec.dps} significant digits: $\\tilde a\\tilde b \\approx {mp_string(value, spec.dps)}$."
        )
    return "\n\n".join(lines)



def corollary1_document(d_values: Sequence[int] = (1, 2, 3), t_values: Sequence[int] = (2, 3, 4, 5, 6)) -> str:
    """Corollary 1: the manifold model equals one GD step on in-context least squares."""
    from mesasym import claims
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.corollary import corollary1_identity
    from mesasym.symbolic.manifold_loss import general_manifold_loss

    general = general_manifold_loss()
    out = header(r"Corollary 1: the trained model is one step of in-context gradient descent")
    out.append(conventions())
    out.append(r"\section{General $t$ (block algebra)}")
    out.append(
        "From \\texttt{theorem1.tex}, on the manifold and for any sequence with $x_0 = 0$:"
    )
    out.append(
        equation(
            r"\hat y_t = \frac{1}{t-1}\sum_{i="
            + str(general.lower_index)
            + r"}^{t}"
            + tex(general.block_summand)
            + r" = \frac{ab}{t-1}\Big(\sum_{i=1}^{t-1} x_{i+1} x_i^*\Big) x_t ."
        )
    )
    out.append(
        "The in-context least-squares loss is $L_{\\mathrm{OLS},t}(W) = \\tfrac12\\sum_{i=1}^{t-1}"
        "\\|x_{i+1} - W x_i\\|^2$; one gradient step from $W = 0$ with step $\\eta$ gives "
        "$W_1 = -\\eta\\,\\nabla L_{\\mathrm{OLS},t}(0)$ and the prediction $W_1 x_t$."
    )
    out.append(r"\section{The identity for concrete $d$ and $t$ (generic complex sequences)}")
    example = corollary1_identity(2, 4)
    out.append(
        "For a generic complex sequence (independent symbols $x_{i,j}$ and conjugates $\\bar x_{i,j}$), "
        "$\\nabla L_{\\mathrm{OLS},t}(0) = 2\\,\\partial L_{\\mathrm{OLS},t}/\\partial \\bar W$ at $W = 0$ is, "
        "for $d = 2$, $t = 4$,"
    )
    out.append(equation(r"\nabla L_{\mathrm{OLS},4}(0) = " + tex(example.ols_gradient)))
    out.append(
        "and solving $\\hat y_t = W_1 x_t$ (every coefficient of every output coordinate) for $\\eta$ gives "
        "a unique step; with it the identity holds exactly:"
    )
    rows = []
    for d in d_values:
        for t in t_values:
            ident = corollary1_identity(d, t)
            claimed = claims.corollary1_step_size(S.a * S.b, t)
            agree = sp.simplify(ident.step - claimed) == 0
            rows.append(
                f"{d} & {t} & ${tex(ident.step)}$ & {'yes' if ident.holds else 'NO'} & "
                f"${tex(claimed)}$ & {'yes' if agree else 'NO'} \\\\"
            )
    out.append(
        "\\begin{longtable}{rrllll}\n$d$ & $t$ & derived $\\eta$ & identity holds & claimed "
        "$\\tilde a\\tilde b/(t-1)$ at $\\tilde a\\tilde b = ab$ & equal \\\\ \\hline\n"
        + "\n".join(rows)
        + "\n\\end{longtable}"
    )
    out.append(
        "At the fixed point $ab = \\tilde a\\tilde b$ of \\texttt{theorem1.tex}, so the trained model "
        "performs one gradient step with step size $\\tilde a\\tilde b/(t-1)$, as Corollary 1 states. "
        "The step size refers to the gradient convention $\\nabla = 2\\,\\partial/\\partial\\bar W$; with "
        "$\\partial/\\partial \\bar W$ alone it would double."
    )
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


_CLASS_TEXT = {
    "structural": "absent from $\\hat y_t$",
    "zero": "0 for every law",
    "assumption2": "0 under A2",
    "kappa": "$\\kappa$-only under A2",
    "other": "needs more than A2",
}


def invariance_document(d: int = 2, T: int = 5, d_extra: int = 3, T_extra: int = 4) -> str:
    """The full model's gradient at manifold points, block by block (``d``, ``T``), plus ``d_extra``."""
    from mesasym.symbolic.invariance import invariance_table

    table = invariance_table(d, T)
    out = header(r"The invariance behind Theorem 1: full-model gradients on the manifold")
    out.append(conventions())
    out.append(
        f"\\section{{Method ($d = {d}$, $T = {T}$: $t = 2,\\dots,{T - 1}$)}}\n"
        "Both $3d\\times 3d$ matrices are perturbed around the manifold point, "
        "$W^{KQ} = W^{KQ}_0(a) + \\Delta^{KQ}$, $W^{PV} = W^{PV}_0(b) + \\Delta^{PV}$, one complex symbol per "
        f"entry ({2 * (3 * d) ** 2} in all) and its conjugate as an independent symbol. The population loss "
        "of the literal model is expanded to first order in $\\Delta$ (exact for the gradient), averaged over "
        "the phases with generic moments $\\mathbb{E}[\\cdots]$ of $x_1$, and differentiated: "
        "$\\nabla = 2\\,\\partial L/\\partial\\bar\\Delta$ at $\\Delta = 0$, real $a, b$. An entry that does "
        "not occur in any $\\hat y_t$ gets gradient $0$ from the same computation (``absent'')."
    )
    out.append(r"\section{Blocks}")
    rows = []
    for matrix in ("KQ", "PV"):
        for r in (1, 2, 3):
            for s in (1, 2, 3):
                entries = table.block(matrix, (r, s))
                diag = sorted({e.classification for e in entries if e.on_diagonal})
                off = sorted({e.classification for e in entries if not e.on_diagonal})
                killed = sorted({m for e in entries for m in e.killed}, key=lambda m: m.exponents)
                unfixed = sorted({m for e in entries for m in e.unfixed}, key=lambda m: m.exponents)
                red = (matrix, (r, s)) in (("KQ", (3, 2)), ("PV", (1, 2)))
                name = f"$W^{{{matrix}}}_{{{r}{s}}}$" + (" (red)" if red else "")
                rows.append(
                    f"{name} & {', '.join(_CLASS_TEXT[c] for c in diag)} & "
                    f"{', '.join(_CLASS_TEXT[c] for c in off)} & "
                    f"{math_list(killed)} & {math_list(unfixed)} \\\\"
                )
    out.append(
        "\\begin{longtable}{p{0.12\\textwidth}p{0.14\\textwidth}p{0.14\\textwidth}p{0.3\\textwidth}p{0.18\\textwidth}}\n"
        "block & diagonal & off-diagonal & moments removed by A2 & moments A2 leaves \\\\ \\hline\n"
        + "\n".join(rows)
        + "\n\\end{longtable}"
    )
    out.append(
        "A2 = Assumption 2 as stated (moments with a coordinate to the first power vanish; "
        "$\\kappa_1, \\kappa_2$ and the row sums $\\kappa_3$ are the same for every coordinate)."
    )
    out.append(r"\section{Entries with a nonzero generic gradient}")
    rows = []
    for e in table.entries:
        if e.classification in ("structural", "zero"):
            continue
        rows.append(
            f"$W^{{{e.matrix}}}[{e.row},{e.col}]$ & ${tex(e.generic)}$ & ${tex(e.assumption2)}$ & "
            f"${tex(e.strengthened)}$ \\\\"
        )
    out.append(
        "Indices are 0-based, as in the code. ``Strengthened'' adds equal column sums "
        "$\\sum_{r\\ne j}\\mathbb{E}\\,x_{1,r}^2 x_{1,j}^4 = \\kappa_3$ and "
        "$\\mathbb{E}\\,x_{1,j}^3 x_{1,k}^3 = 0$ ($j \\ne k$)."
    )
    out.append(
        "\\begin{longtable}{p{0.1\\textwidth}p{0.4\\textwidth}p{0.22\\textwidth}p{0.18\\textwidth}}\n"
        "entry & generic law & A2 & strengthened \\\\ \\hline\n" + "\n".join(rows) + "\n\\end{longtable}"
    )
    extra = invariance_table(d_extra, T_extra)
    out.append(f"\\section{{The diagonal of the red blocks for $d = {d_extra}$, $T = {T_extra}$}}")
    rows = []
    for matrix, block in (("KQ", (3, 2)), ("PV", (1, 2))):
        for e in extra.block(matrix, block):
            if e.on_diagonal:
                rows.append(f"$W^{{{e.matrix}}}[{e.row},{e.col}]$ & ${tex(e.assumption2)}$ \\\\")
    out.append(
        "Under A2 the diagonal of $W^{PV}_{12}$ is the same for every coordinate, but the diagonal of "
        "$W^{KQ}_{32}$ involves the column sums $\\sum_{r\\ne j}\\mathbb{E}\\,x_{1,r}^2 x_{1,j}^4$ "
        "(A2 fixes only the row sums), so it stays a multiple of the identity only when the column sums "
        "are equal too:"
    )
    out.append(
        "\\begin{longtable}{p{0.15\\textwidth}p{0.75\\textwidth}}\nentry & gradient under A2 \\\\ \\hline\n"
        + "\n".join(rows)
        + "\n\\end{longtable}"
    )
    out.append(r"\end{document}")
    return "\n\n".join(out) + "\n"


"""``dynamics.tex``: the closed-form training dynamics, generated from :func:`derive_dynamics`.

Every displayed expression is an object of the derivation (:mod:`mesasym.symbolic.dynamics`);
only prose is typed. With a :class:`~mesasym.compare.dynamics.DynamicsReport` (``mesasym
dynamics --latex DIR``) a last section gives the values of that setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sympy as sp

from mesasym.errors import InvalidInputError
from mesasym.report.latex.common import conventions, equation, gather, header, tex, tex_escape

__all__ = ["dynamics_document", "write_dynamics_document"]


def dynamics_document(report: Any = None) -> str:
    """The derivation of the closed-form dynamics (and the values of ``report``'s setting)."""
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.dynamics import C0, EPS, ETA, U, V, W, W0, WMINUS, WPLUS, derive_dynamics

    dyn = derive_dynamics()
    flow = dyn.flow
    K, C, delta, tau = S.K, S.CSTAR, S.DELTA, S.tau
    out = header(r"Training dynamics of the reduced flow in closed form")
    out.append(conventions())
    out.append(
        "Gradient descent with step $\\eta$ on the real and imaginary parts is $\\theta \\mapsto \\theta - "
        "\\eta\\nabla L$; $k$ steps correspond to the flow time $\\tau = k\\eta$."
    )

    out.append(r"\section{The reduced flow (from \texttt{theorem1.tex})}")
    out.append(
        "The derived flow of one diagonal entry is $\\dot a = -b\\,g(ab)$, $\\dot b = -a\\,g(ab)$ with "
        "$g$ affine; writing $K = g'$ and $c^*$ for its root (both checked against the derivation),"
    )
    out.append(
        gather(
            [
                r"g(c) = " + tex(sp.collect(flow.g, S.c, sp.factor)) + r" = K\,(c - c^*),",
                r"K = " + tex(sp.factor(flow.slope)) + r",\qquad c^* = " + tex(flow.fixed_product) + ".",
            ]
        )
    )

    out.append(r"\section{Diagonalising variables}")
    out.append("With $u = a + b$, $v = a - b$ (so $c = ab$ and $\\delta = a^2 - b^2$ become)")
    out.append(
        gather(
            [
                r"c = " + tex(dyn.c_uv) + r",\qquad a^2 - b^2 = " + tex(dyn.delta_uv) + ",",
                r"\dot u = " + tex(dyn.u_rate) + r",\qquad \dot v = " + tex(dyn.v_rate) + ".",
            ]
        )
    )
    out.append(
        "So $\\dot u = -u\\,g$ and $\\dot v = v\\,g$: $uv = \\delta$ is conserved, and $u$ never changes sign "
        "(the start $a_0 = -b_0$, $u = 0$, is the non-convergent line)."
    )

    out.append(r"\section{A Riccati equation for $w = (a + b)^2$}")
    out.append("With $v = \\delta/u$ and $w = u^2 > 0$,")
    out.append(equation(r"\dot w = " + tex(dyn.w_rate) + r" = -\frac{K}{2}(w - w_+)(w - w_-),"))
    out.append(
        gather(
            [
                r"w_+ = " + tex(dyn.w_plus) + r" = (\tilde a + \tilde b)^2 > 0,",
                r"w_- = " + tex(dyn.w_minus) + r" \le 0,\qquad w_+ w_- = -\delta^2.",
            ]
        )
    )

    out.append(r"\section{Separation and the explicit inversion}")
    out.append(
        "Partial fractions and integration (SymPy) give, with $m(w) = (w - w_+)/(w - w_-)$ and "
        "$r = K(w_+ - w_-)/2$,"
    )
    out.append(equation(r"\tau(w) = " + tex(dyn.tau_of_w.subs({dyn.w_plus: WPLUS, dyn.w_minus: WMINUS}))))
    out.append(
        "where $w_0 = (a_0 + b_0)^2$. $w$ moves monotonically from $w_0$ towards the equilibrium $w_+$ and stays "
        "above $w_- \\le 0$, so $m(w)/m(w_0) > 0$ and the logarithm is real. \\textbf{Inversion (stated):} "
        "$m(w) = m(w_0)\\,e^{-r\\tau}$ is linear in $w$; SymPy solves it and the result is checked against "
        "the Riccati equation by differentiation and at $\\tau = 0$:"
    )
    out.append(equation(r"w(\tau) = " + tex(dyn.w_of_tau_compact)))
    out.append("Back to the parameters ($s = \\operatorname{sign}(a_0 + b_0)$):")
    out.append(
        gather(
            [
                r"c(\tau) = " + tex(dyn.c_of_w) + r"\Big|_{w = w(\tau)},",
                r"a(\tau) = s\," + tex(dyn.a_of_w) + r",\qquad b(\tau) = s\," + tex(dyn.b_of_w) + ".",
            ]
        )
    )

    out.append(r"\section{The scalar equation for $c$ and the symmetric start}")
    out.append(
        "Independently of the $w$ route: $\\frac{d(ab)}{d\\tau} = -(a^2 + b^2)\\,g(ab)$ and "
        "$(a^2 + b^2)^2 = (a^2 - b^2)^2 + 4(ab)^2$, so"
    )
    out.append(equation(r"\dot c = " + tex(dyn.c_ode) + ","))
    out.append(
        "which the trajectory above satisfies (checked symbolically). For $a_0 = b_0 \\ne 0$ "
        "($\\delta = 0$, $c > 0$) it is the logistic equation $\\dot c = " + tex(dyn.logistic_ode) + "$; "
        "\\texttt{sympy.dsolve} gives"
    )
    out.append(equation(r"c(\tau) = " + tex(dyn.logistic_dsolve)))
    out.append("and it equals the closed form at $\\delta = 0$, $w_0 = 4c_0$ (checked by \\texttt{simplify}).")

    out.append(r"\section{Rate and time to a relative error}")
    out.append(
        "Linearising the Riccati equation at $w_+$ gives the rate (equal to the flow's linear rate in "
        "\\texttt{theorem1.tex}):"
    )
    out.append(equation(r"r = -\frac{\partial \dot w}{\partial w}\Big|_{w_+} = " + tex(dyn.rate)))
    out.append(
        "so $|c(\\tau) - c^*| \\sim e^{-r\\tau}$. $c$ is increasing in $w$, and the level $c$ is reached at "
        "$w = " + tex(dyn.w_of_c) + "$ (the positive root of $w^2 - 4cw - \\delta^2$). The time to relative "
        "error $\\epsilon$ from below ($c_0 < c^*$) is"
    )
    shown = dyn.tau_eps_below.subs({dyn.w_plus: WPLUS, dyn.w_minus: WMINUS})
    out.append(equation(r"\tau_\epsilon = " + tex(shown)))
    out.append("and from above the same with $1 - \\epsilon$ replaced by $1 + \\epsilon$ (zero when $|c_0 - c^*| \\le \\epsilon c^*$).")

    out.append(r"\section{Gradient descent: the reduced map}")
    out.append(
        "The reduced GD map is $(a, b) \\mapsto (a + \\eta\\dot a, b + \\eta\\dot b)$:"
    )
    out.append(
        gather(
            [
                r"a' = " + tex(dyn.gd_map[0]) + r",\qquad b' = " + tex(dyn.gd_map[1]) + ",",
                r"u' = " + tex(dyn.gd_map_uv[0]) + r",\qquad v' = " + tex(dyn.gd_map_uv[1]) + ",",
                r"a'^2 - b'^2 = " + tex(dyn.gd_delta_step) + ".",
            ]
        )
    )
    out.append(
        "Its fixed points are those of the flow ($g(ab) = 0$), but $a^2 - b^2$ is \\emph{not} conserved: "
        "it shrinks by $1 - \\eta^2 g^2$ per step, so GD ends on the hyperbola $ab = c^*$ closer to "
        "$a = b$ than the flow. At a fixed point $(\\tilde a, c^*/\\tilde a)$ the Jacobian has eigenvalues"
    )
    out.append(equation(", \\qquad ".join(tex(e) for e in dyn.gd_eigenvalues)))
    out.append(
        "(the $1$ along the hyperbola of fixed points). Linear stability, $|1 - \\eta r| < 1$, holds iff"
    )
    out.append(
        equation(
            r"0 < \eta < " + tex(dyn.max_stable_lr) + r",\qquad \text{monotone (no oscillation) for } \eta \le "
            + tex(dyn.monotone_lr) + "."
        )
    )
    out.append(
        "Above this threshold an asymmetric start still converges: the oscillation makes $|g|$ large, which "
        "shrinks $|\\delta|$ until the local threshold $2/(K\\sqrt{\\delta^2 + 4c^{*2}})$ exceeds $\\eta$; "
        "only $\\eta > 1/(Kc^*)$ (the threshold at $\\delta = 0$) leaves no stable fixed point."
    )
    out.append(
        "Steps to $\\epsilon$: mesasym iterates the map exactly (mpmath). Two closed-form estimates: "
        "$\\tau_\\epsilon/\\eta$ (the flow's time), and from the linearisation at the limit,"
    )
    out.append(equation(r"k_\epsilon \approx " + tex(dyn.steps_estimate_rate)))

    out.append(r"\section{The full model's step-size limit}")
    out.append(
        "With every entry of both matrices free, GD on the real and imaginary parts is stable at a minimum iff "
        "$\\eta < 2/\\lambda_{\\max}(H)$, $H$ the real Hessian of the exact population loss "
        "(\\texttt{PopulationObjective.gradient\\_jacobian\\_blocks}). Restricted to the two manifold directions "
        "$(aI, 0)$, $(0, bI)$ (each normalised) $H$ is the Jacobian of the per-entry gradient, whose largest "
        "eigenvalue is $r$; hence $\\lambda_{\\max}(H) \\ge r$ and the full limit is at most the reduced one. "
        "mesasym computes $\\lambda_{\\max}$ numerically and checks the manifold curvature against $r$."
    )
    if report is not None:
        out.extend(_setting_section(report))
    out.append(r"\end{document}")
    del C0, EPS, ETA, U, V, W, W0, K, C, delta, tau
    return "\n\n".join(out) + "\n"


def _setting_section(report: Any) -> list[str]:
    d = report.to_dict()
    s, flow, gd = d["settings"], d["flow"], d["gd"]
    lines = [r"\section{This setting}"]
    lines.append(
        tex_escape(f"Law {s['dist']}, d = {s['d']}, T = {s['T']}, (a0, b0) = ({s['a0']:g}, {s['b0']:g}); ")
        + f"$\\kappa_1 = {d['kappas']['kappa1']}$, $\\kappa_2 = {d['kappas']['kappa2']}$, "
        f"$\\kappa_3 = {d['kappas']['kappa3']}$."
    )
    if d.get("process") is not None:  # another law of W: the flow's K and c* are that law's
        lines.append(
            tex_escape(f"Eigenvalues of W ~ {d['process']['spec']}: the manifold stays invariant, and the closed forms ")
            + r"hold with $K = \frac1d\sum_t A_t$ and $c^* = \sum_t B_t / \sum_t A_t$ of this law."
        )
    rows = [
        (r"$c^* = \tilde a\tilde b$", flow["c_star"]["digits"]),
        (r"$\tilde a$, $\tilde b$", f"{flow['a_tilde']['digits']}, {flow['b_tilde']['digits']}"),
        (r"rate $r$", flow["rate"]["digits"]),
        (rf"$\tau_\epsilon$, $\epsilon = {flow['tau_to_relative_error']['eps']:g}$", flow["tau_to_relative_error"]["digits"]),
        (r"reduced GD threshold $2/r$", gd["max_stable_lr_reduced"]["digits"]),
    ]
    if flow["ab_at_tau"] is not None:
        rows.append((rf"$ab$ at $\tau = {flow['ab_at_tau']['tau']:g}$", flow["ab_at_tau"]["ab_digits"]))
    if gd["max_stable_lr_full"] is not None:
        full = gd["max_stable_lr_full"]
        rows.append((r"full model $\lambda_{\max}$", f"{full['lambda_max']:.12g}"))
        rows.append((r"full model threshold $2/\lambda_{\max}$", f"{full['value']:.12g}"))
        blocks = ", ".join(k for k, v in full["top_blocks"].items() if v > 1e-6)
        rows.append((r"top eigenspace lies in", tex_escape(blocks)))
    if gd["ab_after_steps"] is not None:
        run = gd["ab_after_steps"]
        rows.append((rf"$ab$ after {run['steps']} GD steps of ${run['lr']:g}$", run["ab_digits"]))
    if gd["steps_to_relative_error"] is not None:
        count = gd["steps_to_relative_error"]
        rows.append((r"GD steps to $\epsilon$ (iterated)", str(count["iterated"])))
        rows.append((r"estimate $\tau_\epsilon/\eta$", f"{count['estimate_flow']:.2f}"))
    body = "\n".join(f"{name} & \\texttt{{{value}}} \\\\" for name, value in rows)
    lines.append("\\begin{longtable}{ll}\n" + body + "\n\\end{longtable}")
    return lines


def write_dynamics_document(directory: str | Path, report: Any = None) -> Path:
    """Write ``dynamics.tex`` into ``directory`` (created if needed); returns its path."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--latex {str(directory)!r} exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    target = path / "dynamics.tex"
    target.write_text(dynamics_document(report), encoding="utf-8")
    return target

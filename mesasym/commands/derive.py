"""``mesasym derive``: the symbolic derivation of the reduced flow and Theorem 1's fixed point.

Prints the derived loss, ODE, conserved quantity, fixed point ``a~ b~``, the
individual limits, the linear rate and the non-convergent initialisations,
for symbolic or concrete ``T``, ``d`` and law (``--dist``). ``--json`` prints
only JSON; ``--latex DIR`` writes the standalone LaTeX documents.

Exit status: 0, or 3 when the law violates Assumption 2 or a condition the
reduction to one ``(a, b)`` needs beyond it (results are still printed);
2 for invalid input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import sympy as sp

from mesasym.commands import options as O
from mesasym.errors import InvalidInputError

NAME = "derive"
HELP = "Derive the reduced (a, b) gradient flow and Theorem 1's fixed point symbolically (SymPy)."

CONVENTION = "grad = dL/dRe + i dL/dIm = 2 dL/d conj(z); flow d(theta)/d(tau) = -grad L"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--T``, ``--d``, ``--dist``, ``--dps``, ``--latex``."""
    O.add_T(parser, default=None, help="sequence length (default: symbolic)")
    O.add_d(parser, default=None, help="dimension (default: symbolic)")
    O.add_dist(parser, help="law of x_1, e.g. 'gaussian:sigma=1' (needs --d unless the law fixes d)")
    O.add_dps(parser, help="significant digits of the decimal value")
    O.add_output_dir(parser, "--latex", help="write the LaTeX documents into DIR")


def _law(spec: str | None, d: int | None) -> tuple[Any, int | None, tuple | None, Any, list[str]]:
    """``(law, d, kappas, second_moment, reasons)`` for ``--dist`` (all ``None`` without it)."""
    if spec is None:
        return None, d, None, None, []
    from mesasym.laws import parse_distribution
    from mesasym.symbolic.invariance import reduction_violations

    law = parse_distribution(spec)
    if d is None:
        d = law.fixed_dimension
        if d is None:
            raise InvalidInputError(f"--dist={spec!r} needs --d (an integer >= 1): the kappas depend on d")
    law.validate_dimension(d)
    report = law.check_assumption2(d)
    reasons = list(report.reasons)
    kappas = law.kappas(d)
    reasons += reduction_violations(lambda idx: law.moment(idx, d), d, exchangeable=law.exchangeable)
    return law, d, (kappas.kappa1, kappas.kappa2, kappas.kappa3), kappas.second_moment, reasons


#: Longest expression printed in full by the readable output (--json always has it in full).
BRIEF_MAX = 400


def _brief(expr: Any) -> str:
    """``sp.sstr(expr)``, or a note of its length when it is too long to read (e.g. exact H_{T-2} at large T)."""
    text = sp.sstr(expr)
    return text if len(text) <= BRIEF_MAX else f"(an exact expression of {len(text)} characters; see --json)"


def _float(expr: sp.Expr) -> float | None:
    return float(expr) if getattr(expr, "is_number", False) and expr.is_real else None


def run(args: argparse.Namespace) -> int:
    """Run the derivation and print (or write) the results."""
    from mesasym.precise import fixed_point_mp, mp_string
    from mesasym.report.latex import DOCUMENT_NAMES, Specialisation, write_derivations
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    T, d, dps = args.T, args.d, args.dps
    law, d, kappas, second_moment, reasons = _law(args.dist, d)
    if kappas is not None and not (sp.sympify(kappas[0]).is_positive and sp.sympify(kappas[1]).is_positive):
        raise InvalidInputError(f"--dist={args.dist!r} gives kappa1={kappas[0]}, kappa2={kappas[1]}; both must be > 0")

    flow = derive_reduced_flow(T if T is not None else S.T, d if d is not None else S.d, kappas, second_moment)
    digits = None
    if T is not None and kappas is not None:
        digits = mp_string(fixed_point_mp(T, *kappas, dps=dps), dps)
    written: list[str] = []
    if args.latex is not None:
        spec = Specialisation(T=T, d=d, dist=args.dist, kappas=kappas, second_moment=second_moment, dps=dps)
        with O.progress(args, "derive --latex", total=len(DOCUMENT_NAMES), unit="doc") as bar:
            written = [str(p) for p in write_derivations(args.latex, spec, progress=O.message_sink(bar))]

    status = O.EXIT_HYPOTHESES_VIOLATED if reasons else O.EXIT_OK
    kappa_text = (
        {"kappa1": str(kappas[0]), "kappa2": str(kappas[1]), "kappa3": str(kappas[2])}
        if kappas is not None
        else {"kappa1": str(S.KAPPA1), "kappa2": str(S.KAPPA2), "kappa3": str(S.KAPPA3)}
    )
    if args.json:
        payload = {
            "T": T,
            "d": d,
            "dist": None if law is None else law.spec(),
            "kappas": kappa_text,
            "fixed_point": str(flow.fixed_product),
            "fixed_point_float": _float(flow.fixed_product) if digits is None else float(digits),
            "fixed_point_digits": digits,
            "dps": dps,
            "g": str(flow.g),
            "ode": {"da/dtau": str(flow.rhs_a), "db/dtau": str(flow.rhs_b)},
            "conserved": str(flow.conserved),
            "linear_rate": str(flow.rate),
            "non_convergent": str(flow.non_convergent),
            "gradient_convention": CONVENTION,
            "hypotheses": {"satisfied": not reasons, "reasons": reasons} if law is not None else None,
            "latex": written,
        }
        print(json.dumps(payload, indent=2))
        return status

    star = {S.CSTAR: sp.Symbol("c_star")}
    lines = [
        "mesasym derive: reduced gradient flow on the Assumption-1 manifold",
        f"  gradient convention : {CONVENTION}",
        f"  T = {T if T is not None else 'T (symbolic)'}, d = {d if d is not None else 'd (symbolic)'}"
        + (f", law = {law.spec()}" if law is not None else ""),
        f"  kappa1 = {kappa_text['kappa1']}, kappa2 = {kappa_text['kappa2']}, kappa3 = {kappa_text['kappa3']}",
        f"  L_t(a, b)       = {_brief(sp.factor_terms(flow.loss_t))}",
        "  da/dtau         = -b g(ab),   db/dtau = -a g(ab)",
        f"  g(c)            = {_brief(sp.collect(flow.g, S.c))}",
        f"  conserved       : {flow.conserved}   (d/dtau = {flow.conserved_rate})",
        f"  d(ab)/dtau      = {_brief(flow.c_rate)}",
        f"  fixed point     : a~ b~ = {_brief(flow.fixed_product)}",
    ]
    if digits is not None:
        lines.append(f"                  ~ {digits}  ({dps} significant digits)")
    lines += [
        f"  a~^2            = {_brief(flow.a_tilde_squared_c.xreplace(star))},  c_star = a~ b~,  "
        "delta = a0^2 - b0^2,  b~ = c_star/a~",
        f"  linear rate     : {_brief(flow.rate_kc.xreplace(star))},  K = g'(c) = {_brief(flow.slope)}",
        f"  not convergent  : {_brief(flow.non_convergent)} (including the origin)",
    ]
    if law is not None:
        if reasons:
            lines.append("  hypotheses      : VIOLATED -- the reduced flow need not describe the full model:")
            lines += [f"    - {r}" for r in reasons]
        else:
            lines.append("  hypotheses      : Assumption 2 and the reduction conditions hold")
    for path in written:
        lines.append(f"  wrote {path}")
    print("\n".join(lines))
    return status

"""``mesasym dynamics``: training dynamics of one setting in closed form.

Prints the derived trajectory ``c(tau)`` (``c = ab``), the rate at the fixed point, the
time to relative error ``--eps``, the trajectory at ``--tau``, the reduced GD map's
stability threshold, the full model's ``2/lambda_max`` (exact population Hessian at the
flow's limit) and the direction that limits it, and with ``--lr`` the GD map iterated
``--steps`` times and the steps to ``--eps`` (see :mod:`mesasym.compare.dynamics`).
``--json`` prints only JSON; ``--latex DIR`` writes ``dynamics.tex`` for this setting.

``--process SPEC`` takes another law of the eigenvalues of ``W``: where the Assumption-1 manifold
stays invariant the same closed forms hold with the law's slope and fixed point; where it does not
there is no closed form and the command says why (exit 3).

Exit status: 0, 3 when the law violates Assumption 2 or a reduction condition (results
are still printed) or the process leaves the manifold (the reason is printed), 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json

from mesasym.commands import options as O
from mesasym.errors import InvalidInputError

NAME = "dynamics"
HELP = "training dynamics in closed form: c(tau), rate, time and GD steps to eps, step-size limits"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--dist --d --T --a0 --b0 --tau --lr --steps --eps --max-steps --dps --no-full --latex``."""
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1 (default gaussian:sigma=1)")
    O.add_d(parser, default=5)
    O.add_T(parser, default=100)
    O.add_start(parser)
    exact = O.exact_real(max_abs=10**6)
    parser.add_argument("--tau", type=exact, metavar="X", help="report the flow's a, b, ab at this time (read exactly)")
    parser.add_argument("--lr", type=exact, metavar="X", help="GD step size: iterate the reduced GD map, count steps to --eps")
    O.add_int(parser, "--steps", minimum=0, maximum=10_000_000, help="GD steps to iterate (needs --lr)")
    parser.add_argument("--eps", type=exact, default="1e-3", metavar="X", help="relative error |ab - a~b~|/a~b~ to reach (default 1e-3)")
    O.add_int(parser, "--max-steps", minimum=1, maximum=10_000_000, default=100_000, help="cap on the GD steps counted to --eps")
    O.add_dps(parser, default=30, help="significant digits of the high-precision values")
    parser.add_argument("--no-full", action="store_true", help="skip the full model's Hessian (d <= 8, T <= 1000 otherwise)")
    O.add_output_dir(parser, "--latex", help="write dynamics.tex for this setting into DIR")
    O.add_process(
        parser,
        help="law of the eigenvalues of W (default uniform, the paper's): roots:k=K, von-mises:kappa=K, damped:r=R, "
        "mixture:...; closed forms where the manifold stays invariant (T <= 100), else exit 3 with the reason",
    )


def _report(args: argparse.Namespace):  # noqa: ANN202
    from mesasym.compare.dynamics import DynamicsSettings, analyse_dynamics

    if args.steps is not None and args.lr is None:
        raise InvalidInputError("--steps needs --lr (the GD step size)")
    settings = DynamicsSettings(
        dist=args.dist,
        d=args.d,
        T=args.T,
        a0=args.a0,
        b0=args.b0,
        lr=args.lr,
        steps=args.steps,
        eps=args.eps,
        tau=args.tau,
        dps=args.dps,
        max_steps=args.max_steps,
        full=not args.no_full,
        process=args.process,
    )
    with O.progress(args, "dynamics"):
        return analyse_dynamics(settings)


def json_result(args: argparse.Namespace) -> tuple[dict, int]:
    """What ``--json`` prints, as a dict, and the exit status (the Python API ``mesasym sweep`` calls)."""
    from mesasym.errors import HypothesesViolatedError

    try:
        report = _report(args)
    except HypothesesViolatedError as error:
        return _no_closed_form(args, error), O.EXIT_HYPOTHESES_VIOLATED
    return report.to_dict(), (O.EXIT_HYPOTHESES_VIOLATED if report.hypotheses else O.EXIT_OK)


def _no_closed_form(args: argparse.Namespace, error: Exception) -> dict:
    """The payload when the process leaves the manifold: the settings and the reason, no flow."""
    return {
        "settings": {"dist": args.dist, "d": args.d, "T": args.T, "process": args.process},
        "hypotheses": {"satisfied": False, "reasons": [str(error)]},
        "flow": None,
        "gd": None,
    }


def run(args: argparse.Namespace) -> int:
    from mesasym.errors import HypothesesViolatedError

    try:
        report = _report(args)
    except HypothesesViolatedError as error:
        if args.json:
            print(json.dumps(_no_closed_form(args, error), indent=2))
        else:
            print(f"mesasym dynamics: {error}")
        return O.EXIT_HYPOTHESES_VIOLATED
    written = []
    if args.latex is not None:
        from mesasym.report.latex.dynamics import write_dynamics_document

        written.append(str(write_dynamics_document(args.latex, report)))
    payload = report.to_dict()
    payload["latex"] = written
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(render(payload))
    return O.EXIT_HYPOTHESES_VIOLATED if report.hypotheses else O.EXIT_OK


def render(p: dict) -> str:
    """Human-readable lines for the JSON payload."""
    s, flow, gd = p["settings"], p["flow"], p["gd"]
    lines = [
        f"mesasym dynamics: {s['dist']}, d = {s['d']}, T = {s['T']}, (a0, b0) = ({s['a0']:g}, {s['b0']:g})",
    ]
    if p.get("process") is not None:
        lines.append(f"  process             : eigenvalues of W ~ {p['process']['spec']} (closed forms with this law's K and c*)")
    lines += [
        f"  convention          : {p['gradient_convention']}",
        f"  a~ b~               = {flow['c_star']['exact']}",
        f"                      ~ {flow['c_star']['digits']}",
        f"  a~, b~              = {flow['a_tilde']['digits']}, {flow['b_tilde']['digits']}",
        f"  c(tau) = a(tau)b(tau) = {flow['c_of_tau']}",
        f"  rate at the limit   r = {flow['rate']['exact']} ~ {flow['rate']['value']:.10g}  (|ab - a~b~| ~ e^(-r tau))",
        f"  tau to eps = {flow['tau_to_relative_error']['eps']:g}   = {flow['tau_to_relative_error']['digits']}",
    ]
    if flow["ab_at_tau"] is not None:
        at = flow["ab_at_tau"]
        lines.append(f"  flow at tau = {at['tau']:g}   : a = {at['a']:.15g}, b = {at['b']:.15g}, ab = {at['ab_digits']}")
    red = gd["max_stable_lr_reduced"]
    lines.append(f"  reduced GD map      : stable for lr < 2/r = {red['exact']} ~ {red['value']:.10g} (monotone below {red['monotone_below']:.6g})")
    full = gd["max_stable_lr_full"]
    if full is not None:
        blocks = ", ".join(k for k, v in full["top_blocks"].items() if v > 1e-6)
        lines.append(
            f"  full model          : lambda_max = {full['lambda_max']:.10g}, stable for lr < {full['value']:.10g} "
            f"(multiplicity {full['top_multiplicity']}; the top eigenspace lies in blocks {blocks}: "
            + ", ".join(f"{k} {100 * v:.0f}%" for k, v in full["top_direction"].items() if v > 0.005)
            + ")"
        )
        lines.append(
            f"                        manifold curvature {full['manifold_curvature']:.12g} vs r: relative difference "
            f"{full['manifold_curvature_vs_rate']:.2e}; lambda_min = {full['lambda_min']:.3g}"
        )
    else:
        lines.append(f"  full model          : {gd.get('max_stable_lr_full_reason', 'not computed')}")
    run = gd["ab_after_steps"]
    if run is not None:
        lines.append(
            f"  GD map, {run['steps']} steps of {run['lr']:g} (tau = {run['tau']:g}): a = {run['a']:.15g}, "
            f"b = {run['b']:.15g}, ab = {run['ab_digits']}" + ("  DIVERGED" if run["diverged"] else "")
        )
    count = gd["steps_to_relative_error"]
    if count is not None:
        iterated = count["iterated"] if count["iterated"] is not None else f"not reached in {count['max_steps']}"
        rate_est = "n/a (unstable)" if count["estimate_rate"] is None else f"{count['estimate_rate']:.1f}"
        lines.append(
            f"  GD steps to eps     : {iterated} (iterated); estimates tau_eps/lr = {count['estimate_flow']:.1f}, "
            f"linear rate = {rate_est}"
        )
    hyp = p["hypotheses"]
    if not hyp["satisfied"]:
        lines.append("  hypotheses          : VIOLATED -- the reduced flow need not describe the full model:")
        lines += [f"    - {r}" for r in hyp["reasons"]]
    for path in p.get("latex", []):
        lines.append(f"  wrote {path}")
    return "\n".join(lines)

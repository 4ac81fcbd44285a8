"""``mesasym dynamics``: training dynamics of one setting in closed form.

Prints the derived trajectory ``c(tau)`` (``c = ab``), the rate at the fixed point, the
time to relative error ``--eps``, the trajectory at ``--tau``, the reduced GD map's
stability threshold, the full model's ``2/lambda_max`` (exact population Hessian at the
flow's limit) and the direction that limits it, and with ``--lr`` the GD map iterated
``--steps`` times and the steps to ``--eps`` (see :mod:`mesasym.compare.dynamics`).
``--json`` prints only JSON; ``--latex DIR`` writes ``dynamics.tex`` for this setting.

Exit status: 0, 3 when the law violates Assumption 2 or a reduction condition (results
are still printed), 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json

from mesasym.commands import integer_option
from mesasym.errors import InvalidInputError

NAME = "dynamics"
HELP = "training dynamics in closed form: c(tau), rate, time and GD steps to eps, step-size limits"

EXIT_OK = 0
EXIT_HYPOTHESES_VIOLATED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dist", default="gaussian:sigma=1", help="law of x_1 (default gaussian:sigma=1)")
    parser.add_argument("--d", default="5", help="token dimension, an integer >= 1 (default 5)")
    parser.add_argument("--T", dest="T", default="100", help="sequence length, an integer >= 3 (default 100)")
    parser.add_argument("--a0", default="0.1", help="initial W^KQ_32 = a0 I (default 0.1; read exactly)")
    parser.add_argument("--b0", default="0.1", help="initial W^PV_12 = b0 I (default 0.1; read exactly)")
    parser.add_argument("--tau", help="report the flow's a, b, ab at this time")
    parser.add_argument("--lr", help="GD step size (iterate the reduced GD map; steps to --eps)")
    parser.add_argument("--steps", help="GD steps to iterate (needs --lr)")
    parser.add_argument("--eps", default="1e-3", help="relative error |ab - a~b~|/a~b~ to reach (default 1e-3)")
    parser.add_argument("--max-steps", default="100000", help="cap on the GD steps counted to --eps (default 100000)")
    parser.add_argument("--dps", default="30", help="significant digits of the high-precision values (default 30)")
    parser.add_argument("--no-full", action="store_true", help="skip the full model's Hessian")
    parser.add_argument("--latex", metavar="DIR", help="write dynamics.tex for this setting into DIR")
    parser.add_argument("--json", action="store_true", help="print only JSON")


def run(args: argparse.Namespace) -> int:
    from mesasym.compare.dynamics import DynamicsSettings, analyse_dynamics

    steps = None if args.steps is None else integer_option(args.steps, "--steps", 0, 10_000_000)
    if steps is not None and args.lr is None:
        raise InvalidInputError("--steps needs --lr (the GD step size)")
    settings = DynamicsSettings(
        dist=args.dist,
        d=integer_option(args.d, "--d", 1),
        T=integer_option(args.T, "--T", 3),
        a0=args.a0,
        b0=args.b0,
        lr=args.lr,
        steps=steps,
        eps=args.eps,
        tau=args.tau,
        dps=integer_option(args.dps, "--dps", 15, 1000),
        max_steps=integer_option(args.max_steps, "--max-steps", 1, 10_000_000),
        full=not args.no_full,
    )
    report = analyse_dynamics(settings)
    written = []
    if args.latex is not None:
        from mesasym.report.latex.dynamics import write_dynamics_document

        written.append(str(write_dynamics_document(args.latex, report)))
    payload = report.to_dict()
    payload["latex"] = written
    status = EXIT_HYPOTHESES_VIOLATED if report.hypotheses else EXIT_OK
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(render(payload))
    return status


def render(p: dict) -> str:
    """Human-readable lines for the JSON payload."""
    s, flow, gd = p["settings"], p["flow"], p["gd"]
    lines = [
        f"mesasym dynamics: {s['dist']}, d = {s['d']}, T = {s['T']}, (a0, b0) = ({s['a0']:g}, {s['b0']:g})",
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

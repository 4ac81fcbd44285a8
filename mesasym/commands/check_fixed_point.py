"""``mesasym check-fixed-point``: verify Theorem 1 for one setting.

Compares the symbolic derivation, a high-precision integration of the derived
reduced flow and the full transformer trained numerically (see
:mod:`mesasym.compare.fixed_point`). Exit status: 0 verified, 1 a check failed,
2 invalid usage or input, 3 the hypotheses (Assumption 2, a non-degenerate
initialization) do not hold -- the results are still shown.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mesasym.commands import options as O

NAME = "check-fixed-point"
HELP = "verify Theorem 1 (the fixed point a~b~) for one setting against three independent sources"

_EXIT = {"verified": O.EXIT_OK, "failed": O.EXIT_CHECK_FAILED, "hypotheses-violated": O.EXIT_HYPOTHESES_VIOLATED}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mesasym.precise import EXACT_T_MAX

    O.add_T(parser, default=50, maximum=EXACT_T_MAX, help="sequence length (beyond the maximum: mesasym derive)")
    O.add_d(parser, default=5)
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1, e.g. uniform:w=1 (default gaussian:sigma=1)")
    O.add_start(parser)
    parser.add_argument(
        "--engine",
        choices=("population", "monte-carlo"),
        help="how the full model is trained: exact population gradient flow (default when d <= 8) "
        "or gradient descent on a Monte Carlo sample",
    )
    O.add_int(parser, "--samples", minimum=2, maximum=10**6, default=10_000, help="Monte Carlo training sequences")
    O.add_int(
        parser, "--steps", minimum=1, maximum=10**6,
        help="Monte Carlo gradient steps (default: enough for the reduced flow to converge)",
    )
    O.add_real(parser, "--lr", minimum=0, help="Monte Carlo step size, > 0 (default: 1 / largest Hessian eigenvalue)")
    O.add_process(parser)
    O.add_seed(parser)
    O.add_dps(parser)
    O.add_output_file(
        parser, "--plot", suffixes=O.PLOT_SUFFIXES, help="draw a(tau), b(tau), ab(tau) against the reduced ODE (.png/.pdf/.svg)"
    )


def json_result(args: argparse.Namespace) -> tuple[dict, int]:
    """What ``--json`` prints, as a dict, and the exit status (the Python API ``mesasym sweep`` calls)."""
    report = _verify(args, progress=None)
    return report.to_dict(), _EXIT[report.verdict]


def _verify(args: argparse.Namespace, progress):
    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    settings = FixedPointSettings(
        T=args.T,
        d=args.d,
        dist=args.dist,
        a0=O.decimal_text(args.a0),
        b0=O.decimal_text(args.b0),
        engine=args.engine,
        samples=args.samples,
        steps=args.steps,
        lr=args.lr,
        seed=args.seed,
        dps=args.dps,
    )
    from mesasym.laws import is_uniform_process, parse_process

    process = parse_process(getattr(args, "process", None))
    if not is_uniform_process(process):
        from mesasym.compare.process_fixed_point import verify_process_fixed_point

        return verify_process_fixed_point(settings, process, progress=progress)
    return verify_fixed_point(settings, progress=progress)


def run(args: argparse.Namespace) -> int:
    plot_path = args.plot
    if plot_path is not None:
        from mesasym.report.plots import require_matplotlib

        require_matplotlib()
    with O.progress(args, NAME) as bar:
        report = _verify(args, O.message_sink(bar) if O.progress_enabled(args) else None)
    if plot_path is not None:
        from mesasym.report.plots import plot_fixed_point

        plot_fixed_point(report, plot_path)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render(report, plot_path))
    return _EXIT[report.verdict]


def _short(value: object, width: int = 22) -> str:
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _status(check) -> str:
    if check.passed is None:
        return "info"
    return "ok" if check.passed else ("VIOLATED" if check.hypothesis else "FAILED")


def verdict_counts(summary: dict[str, dict[str, int]]) -> str:
    """``"6 of 6 independent checks passed, 3 of 3 consistency checks, hypotheses 2 of 2 hold, 1 info row"``."""
    parts = []
    for key, label in (("independent", "independent checks passed"), ("consistency", "consistency checks")):
        entry = summary.get(key, {"passed": 0, "total": 0})
        parts.append(f"{entry['passed']} of {entry['total']} {label}")
    if "hypotheses" in summary:
        entry = summary["hypotheses"]
        parts.append(f"hypotheses {entry['passed']} of {entry['total']} hold")
    if "info" in summary:
        total = summary["info"]["total"]
        parts.append(f"{total} info row{'s' if total != 1 else ''}")
    return ", ".join(parts)


def render(report, plot_path: Path | None = None) -> str:
    """The human-readable table printed by the command."""
    s = report.settings
    data = report.to_dict()
    fixed = data["fixed_point"]
    numeric = data["numeric"]
    lines = [
        f"Theorem 1 at T={s.T}, d={s.d}, x_1 ~ {report.dist.spec()}, (a0, b0) = ({s.a0}, {s.b0})",
    ]
    if report.process_info is not None:
        info = report.process_info
        lines.append(f"  process: eigenvalues of W ~ {info['spec']} (not the paper's uniform phases)")
        for step in info["steps"]:
            verdict = {True: "holds", False: "FAILS", None: "undecided"}[step["holds"]]
            lines.append(f"    step {step['name']}: {verdict} -- {step['detail']}")
        if info["closed_form_ab"] is None:
            lines.append(
                f"  no closed form: the flow leaves the manifold; best point on it c* = {info['manifold_ab']:.15g}, "
                f"full model's limit ab = {info['population_ab']:.15g}"
            )
    if report.kappas is not None:
        k = data["kappa"]
        lines.append(f"  kappa1 = {k['kappa1']}, kappa2 = {k['kappa2']}, kappa3 = {k['kappa3']}")
    if fixed["ab"] is not None:
        exact = fixed["ab_exact"]
        exact_text = exact if len(exact) <= 60 else f"an exact rational of {len(exact)} characters (see --json)"
        lines += [
            f"  derived a~b~ = {exact_text}",
            f"             = {fixed['ab_digits']}",
            f"  derived a~ = {fixed['a']:.15g}, b~ = {fixed['b']:.15g}",
        ]
    if numeric["engine"] == "population":
        how = f"exact population flow ({numeric['solver']}, {numeric['steps']} steps, tau = {numeric['tau']:.4g})"
    else:
        how = (
            f"Monte Carlo GD ({numeric['samples']} sequences, {numeric['steps']} steps of lr = {numeric['lr']:.3g}; "
            f"standard error {numeric['standard_error']:.2g} from {len(numeric['replicate_ab'])} disjoint parts)"
        )
    lines.append(f"  full model: {how}")
    lines.append(f"              ab = {numeric['ab']:.15g}, a = {numeric['a']:.15g}, b = {numeric['b']:.15g}")
    lines.append("")
    width = max(len(check.name) for check in report.checks) + 2
    lines.append(f"  {'check'.ljust(width)}{'kind'.ljust(14)}{'value'.ljust(24)}{'tolerance'.ljust(24)}result")
    for check in report.checks:
        kind = check.kind + ("*" if check.hypothesis else "")
        tolerance = "-" if check.tolerance is None else check.tolerance
        lines.append(
            f"  {check.name.ljust(width)}{kind.ljust(14)}{_short(check.value).ljust(24)}"
            f"{_short(tolerance).ljust(24)}{_status(check)}"
        )
    lines.append("  (* a hypothesis of the theorem, not evidence for it)")
    lines.append("")
    lines.append("  why these tolerances:")
    for check in report.checks:
        lines.append(f"  - {check.name}: {check.reason}")
    if plot_path is not None:
        lines.append(f"\n  plot written to {plot_path}")
    lines.append(f"\nverdict: {report.verdict} ({verdict_counts(report.summary())}; {report.seconds:.1f} s)")
    return "\n".join(lines)

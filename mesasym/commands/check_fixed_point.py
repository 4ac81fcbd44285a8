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
import sys
from pathlib import Path

from mesasym.cli import EXIT_CHECK_FAILED, EXIT_HYPOTHESES_VIOLATED, EXIT_OK
from mesasym.errors import InvalidInputError

NAME = "check-fixed-point"
HELP = "verify Theorem 1 (the fixed point a~b~) for one setting against three independent sources"

_EXIT = {"verified": EXIT_OK, "failed": EXIT_CHECK_FAILED, "hypotheses-violated": EXIT_HYPOTHESES_VIOLATED}
_PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--T", type=int, default=50, help="sequence length, >= 3 (default 50)")
    parser.add_argument("--d", type=int, default=5, help="token dimension, >= 1 (default 5)")
    parser.add_argument("--dist", default="gaussian:sigma=1", help="law of x_1, e.g. uniform:w=1 (default gaussian:sigma=1)")
    parser.add_argument("--a0", default="0.1", help="initial W^KQ_32 = a0 I (default 0.1; read exactly)")
    parser.add_argument("--b0", default="0.1", help="initial W^PV_12 = b0 I (default 0.1; read exactly)")
    parser.add_argument(
        "--engine",
        choices=("population", "monte-carlo"),
        help="how the full model is trained: exact population gradient flow (default when d <= 8) "
        "or gradient descent on a Monte Carlo sample",
    )
    parser.add_argument("--samples", type=int, default=10_000, help="Monte Carlo training sequences (default 10000)")
    parser.add_argument("--steps", type=int, help="Monte Carlo gradient steps (default: enough for the reduced flow to converge)")
    parser.add_argument("--lr", type=float, help="Monte Carlo step size (default: 1 / largest Hessian eigenvalue)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    parser.add_argument("--dps", type=int, default=50, help="decimal digits of the high-precision parts (default 50)")
    parser.add_argument("--json", action="store_true", help="print only JSON on stdout")
    parser.add_argument("--plot", metavar="PATH", help="draw a(tau), b(tau), ab(tau) against the reduced ODE (.png/.pdf/.svg)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")


def run(args: argparse.Namespace) -> int:
    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    plot_path = _plot_path(args.plot) if args.plot else None
    settings = FixedPointSettings(
        T=args.T,
        d=args.d,
        dist=args.dist,
        a0=args.a0,
        b0=args.b0,
        engine=args.engine,
        samples=args.samples,
        steps=args.steps,
        lr=args.lr,
        seed=args.seed,
        dps=args.dps,
    )
    show_progress = not args.quiet and sys.stderr.isatty()
    progress = (lambda message: print(f"  .. {message}", file=sys.stderr, flush=True)) if show_progress else None
    report = verify_fixed_point(settings, progress=progress)
    if plot_path is not None:
        from mesasym.report.plots import plot_fixed_point

        plot_fixed_point(report, plot_path)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render(report, plot_path))
    return _EXIT[report.verdict]


def _plot_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in _PLOT_SUFFIXES:
        raise InvalidInputError(f"--plot {text!r} must end in one of {', '.join(_PLOT_SUFFIXES)}")
    if not path.parent.is_dir():
        raise InvalidInputError(f"--plot {text!r}: the directory {str(path.parent)!r} does not exist")
    return path


def _short(value: object, width: int = 22) -> str:
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def render(report, plot_path: Path | None = None) -> str:
    """The human-readable table printed by the command."""
    s = report.settings
    data = report.to_dict()
    fixed = data["fixed_point"]
    numeric = data["numeric"]
    lines = [
        f"Theorem 1 at T={s.T}, d={s.d}, x_1 ~ {report.dist.spec()}, (a0, b0) = ({s.a0}, {s.b0})",
    ]
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
    lines.append(f"  {'check'.ljust(width)}{'value'.ljust(24)}{'tolerance'.ljust(24)}result")
    for check in report.checks:
        status = "ok" if check.passed else ("VIOLATED" if check.hypothesis else "FAILED")
        lines.append(f"  {check.name.ljust(width)}{_short(check.value).ljust(24)}{_short(check.tolerance).ljust(24)}{status}")
    lines.append("")
    lines.append("  why these tolerances:")
    for check in report.checks:
        lines.append(f"  - {check.name}: {check.reason}")
    failed = [check for check in report.checks if not check.passed and len(str(check.value)) > 22]
    for check in failed:
        lines.append(f"  ! {check.name}: {check.value}")
    if plot_path is not None:
        lines.append(f"\n  plot written to {plot_path}")
    lines.append(f"\nverdict: {report.verdict} ({report.seconds:.1f} s)")
    return "\n".join(lines)

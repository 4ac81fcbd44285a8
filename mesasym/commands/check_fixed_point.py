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
from mesasym.errors import DivergenceError, InvalidInputError

NAME = "check-fixed-point"
HELP = "verify Theorem 1 (the fixed point a~b~) for one setting against three independent sources"

#: Largest --dps of this command (measured: 100 digits ~5 s at T = 50; 200 digits misses 10^-100).
DPS_MAX = 100
#: Range of the law's scale s = sqrt(E x_j^2) that the numeric engines resolve (measured at T = 12,
#: d = 3 from a0 = b0 = 0.1): the population flow's time scale grows like s^-4, and at s = 0.01 it
#: passes the flow's time limit; at s <= 1000 it verifies.
SCALE_MIN, SCALE_MAX = 0.1, 1000.0
#: Largest start in units of the law's scale, ``max(|a0|, |b0|) * s`` (measured: 100 verifies, 1000 fails:
#: the quartic loss's first phase is too stiff for the numeric engines).
SCALED_START_MAX = 100.0

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
    O.add_int(parser, "--samples", minimum=2, maximum=10**6, default=20_000, help="Monte Carlo training sequences")
    O.add_int(
        parser, "--steps", minimum=1, maximum=10**6,
        help="Monte Carlo gradient steps (default: enough for the reduced flow to converge)",
    )
    O.add_real(parser, "--lr", minimum=0, help="Monte Carlo step size, > 0 (default: 1 / largest Hessian eigenvalue)")
    O.add_real(
        parser, "--alpha", minimum=0, maximum=0.5, default=0.01,
        help="Monte Carlo false-alarm rate of the numeric-ab test, in (0, 0.5] (default 0.01)",
    )
    O.add_int(
        parser, "--replicates", minimum=2, maximum=100, default=10,
        help="Monte Carlo replicates: disjoint groups of the sample, each trained alone (standard error, bias model)",
    )
    O.add_process(parser)
    O.add_seed(parser)
    O.add_dps(
        parser, maximum=DPS_MAX,
        help=f"decimal digits of the high-precision parts (at most {DPS_MAX}: the Taylor integration of the "
        "reduced ODE at 200 digits takes ~20 s and exceeds its step budget)",
    )
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
        alpha=args.alpha,
        replicates=args.replicates,
    )
    from mesasym.laws import is_uniform_process, parse_process

    _check_numeric_range(args)
    process = parse_process(getattr(args, "process", None))
    try:
        if not is_uniform_process(process):
            from mesasym.compare.process_fixed_point import verify_process_fixed_point

            return verify_process_fixed_point(settings, process, progress=progress)
        return verify_fixed_point(settings, progress=progress)
    except DivergenceError as error:
        if args.lr is None:
            raise
        raise InvalidInputError(_diverged(args, error)) from None


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


def _check_numeric_range(args: argparse.Namespace) -> None:
    """Refuse, before any work, settings outside what the numeric engines resolve (see the constants)."""
    import math

    law, d = O.law_and_dimension(args.dist, args.d, args.d)
    try:
        second_moment = law.kappas(d).second_moment
    except InvalidInputError:  # no common kappas: reported as a hypothesis violation by the check itself
        return
    scale = math.sqrt(float(second_moment))
    if not SCALE_MIN <= scale <= SCALE_MAX:
        raise InvalidInputError(
            f"--dist={args.dist!r} has scale sqrt(E x_j^2) = {scale:.3g}; the numeric engines resolve "
            f"{SCALE_MIN:g} <= scale <= {SCALE_MAX:g} (rescale the law: Theorem 1 is scale-covariant; "
            "mesasym derive works at any scale)"
        )
    start = max(abs(float(args.a0)), abs(float(args.b0))) * scale
    if start > SCALED_START_MAX:
        raise InvalidInputError(
            f"--a0={O.decimal_text(args.a0)}, --b0={O.decimal_text(args.b0)}: max(|a0|, |b0|) * scale = {start:.3g} "
            f"must be <= {SCALED_START_MAX:g} for the numeric engines (the loss is quartic in (a, b))"
        )
    if args.engine == "monte-carlo" or d > 8:
        O.require_sequence_budget(args.samples, args.T, d, "--samples")
        if args.steps is not None:  # the training and its replicates: G trainings on 1/G of the sample, ~2 in all
            O.require_training_budget(
                args.samples, args.T, d, 2 * args.steps, "--samples with --steps"
            )


def _diverged(args: argparse.Namespace, error: Exception) -> str:
    """The one-line answer to a user --lr that diverged, with the largest stable step when computable."""
    from mesasym.compare.stability import largest_stable_lr

    law, d = O.law_and_dimension(args.dist, args.d, args.d)
    stable = largest_stable_lr(law, d, args.T, args.a0, args.b0)
    hint = (
        f"the largest stable step here is below about {stable:.3g} (2 / largest eigenvalue of the population Hessian "
        "at the start and at the limit); omit --lr for the automatic step"
        if stable is not None
        else "give a smaller --lr"
    )
    what = str(error).split(";")[0]  # the trainer's own advice is replaced by the computed step
    return f"--lr={args.lr:g} diverged ({what}); {hint}"


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
        lines += [f"  derived a~b~ = {exact_text}", f"             = {fixed['ab_digits']}"]
        if fixed["a"] is not None and fixed["b"] is not None:  # None from a start on the saddle's basin
            lines.append(f"  derived a~ = {fixed['a']:.15g}, b~ = {fixed['b']:.15g}")
    if numeric["engine"] == "population":
        how = f"exact population flow ({numeric['solver']}, {numeric['steps']} steps, tau = {numeric['tau']:.4g})"
    else:
        how = f"Monte Carlo GD ({numeric['samples']} sequences, {numeric['steps']} steps of lr = {numeric['lr']:.3g})"
    lines.append(f"  full model: {how}")
    if "bias_estimate" in numeric:
        detectable = numeric.get("detectable_relative_error")
        lines += [
            f"              trained ab = {numeric['ab_trained']:.15g}, a = {numeric['a']:.15g}, b = {numeric['b']:.15g}",
            f"              {numeric['replicates']} independent replicates: ab = {numeric['ab']:.6g} "
            f"(bias {numeric['bias_estimate']:+.3g} removed), standard error {numeric['standard_error']:.2g}",
        ]
        if detectable is not None:
            lines.append(
                f"              detects a relative error in a~b~ of {detectable:.2%} with probability 90 % "
                f"(false-alarm rate {numeric['alpha']:g})"
            )
    else:
        if "standard_error" in numeric:
            lines[-1] += f"; standard error {numeric['standard_error']:.2g}"
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

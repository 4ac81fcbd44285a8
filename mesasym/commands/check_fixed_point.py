"""``mesasym check-fixed-point``: verify Theorem 1 for one setting.

Compares the symbolic derivation, a high-precision integration of the derived
reduced flow and the full transformer trained numerically (see
:mod:`mesasym.compare.fixed_point`). Exit status: 0 verified, 1 a check failed,
2 invalid usage or input, 3 the hypotheses (Assumption 2, a non-degenerate
initialization) do not hold -- the results are still shown, 4 inconclusive (a
check could not be evaluated, e.g. a run that did not converge; nothing failed).
The text report is :mod:`mesasym.commands.fixed_point_text`.
"""

from __future__ import annotations

import argparse
import json

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

_EXIT = {
    "verified": O.EXIT_OK,
    "failed": O.EXIT_CHECK_FAILED,
    "hypotheses-violated": O.EXIT_HYPOTHESES_VIOLATED,
    "inconclusive": O.EXIT_INCONCLUSIVE,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mesasym.compare.fixed_point_report import MC_ALPHA, MC_REPLICATES
    from mesasym.precise import EXACT_T_MAX

    O.add_T(parser, default=50, maximum=EXACT_T_MAX, help="sequence length (beyond the maximum: mesasym derive)")
    O.add_d(parser, default=5)
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1, e.g. uniform:w=1 (default gaussian:sigma=1, the paper's)")
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
        help="Monte Carlo gradient steps (default: 3 x the derived reduced flow's time to come within 1e-6 of "
        "a~b~, over lr; row numeric-converged says whether that sufficed, else the verdict is inconclusive)",
    )
    O.add_real(parser, "--lr", minimum=0, help="Monte Carlo step size, > 0 (default: 1 / largest Hessian eigenvalue)")
    O.add_real(
        parser, "--alpha", minimum=0, maximum=0.5, default=MC_ALPHA,
        help=f"Monte Carlo false-alarm rate of the numeric-ab test, in (0, 0.5] (default {MC_ALPHA:g})",
    )
    O.add_int(
        parser, "--replicates", minimum=2, maximum=100, default=MC_REPLICATES,
        help="Monte Carlo replicates: disjoint groups of the sample, each trained alone (standard error, bias model)",
    )
    O.add_process(parser)
    O.add_seed(parser)
    O.add_dps(
        parser, maximum=DPS_MAX,
        help=f"decimal digits of the high-precision parts (at most {DPS_MAX}: the Taylor integration of the "
        "reduced ODE at 200 digits takes ~20 s and exceeds its step budget)",
    )
    parser.add_argument("--explain", action="store_true", help="print, under the table, the reason for each tolerance")
    O.add_output_file(
        parser, "--plot", suffixes=O.PLOT_SUFFIXES, help="draw a(tau), b(tau), ab(tau) against the reduced ODE (.png/.pdf/.svg)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="derive again instead of reading the derivation cached on disk (under $MESASYM_CACHE_DIR, "
        "else $XDG_CACHE_HOME/mesasym or ~/.cache/mesasym; keyed by the inputs and the deriving code)",
    )
    parser.add_argument(
        "--model",
        help='the transformer, e.g. "layers=2" (linear attention, no MLP or norm; default: the paper\'s one layer); '
        "layers=2 runs the deep check of mesasym.compare.deep_fixed_point at small --d, --T (docs/deep-theory.md)",
    )


def json_result(args: argparse.Namespace) -> tuple[dict, int]:
    """What ``--json`` prints, as a dict, and the exit status (the Python API ``mesasym sweep`` calls)."""
    report = _verify_deep(args, None) if _deep_layers(args) > 1 else _verify(args, progress=None)
    return report.to_dict(), _EXIT[report.verdict]


def _verify(args: argparse.Namespace, progress):
    from mesasym import cache
    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    cache.set_enabled(not getattr(args, "no_cache", False))

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
        process=args.process,
    )
    _check_numeric_range(args)
    try:
        return verify_fixed_point(settings, progress=progress)
    except DivergenceError as error:
        if args.lr is None:
            raise
        raise InvalidInputError(_diverged(args, error)) from None


def _deep_layers(args: argparse.Namespace) -> int:
    """Layers of ``--model`` (1 when absent); refuses models without an exact engine."""
    if getattr(args, "model", None) is None:
        return 1
    from mesasym.models.exact import parse_exact_model

    return parse_exact_model(args.model)


def _verify_deep(args: argparse.Namespace, progress):
    """``--model layers=2|3``: :func:`mesasym.compare.deep_fixed_point.verify_deep_fixed_point`."""
    from mesasym.compare.deep_fixed_point import DeepSettings, verify_deep_fixed_point
    from mesasym.laws import is_uniform_process, parse_process

    if not is_uniform_process(parse_process(getattr(args, "process", None))):
        raise InvalidInputError(f"--process {args.process} with --model {args.model}: valid only with uniform phases")
    if args.plot is not None or args.engine is not None:
        raise InvalidInputError(f"--plot and --engine do not apply to --model {args.model} (the exact engine is used)")
    settings = DeepSettings(layers=_deep_layers(args), d=args.d, T=args.T, dist=args.dist, a0=float(args.a0),
                            b0=float(args.b0), seed=args.seed, samples=args.samples)
    return verify_deep_fixed_point(settings, progress=progress)


def run(args: argparse.Namespace) -> int:
    if _deep_layers(args) > 1:
        from mesasym.commands.fixed_point_text import render_deep

        with O.progress(args, NAME) as bar:
            report = _verify_deep(args, O.message_sink(bar) if O.progress_enabled(args) else None)
        print(json.dumps(report.to_dict(), indent=2) if args.json else render_deep(report, explain=args.explain))
        return _EXIT[report.verdict]
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
        from mesasym.commands.fixed_point_text import render

        print(render(report, plot_path, explain=args.explain))
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
    O.require_process_budget(getattr(args, "process", None), args.T)
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

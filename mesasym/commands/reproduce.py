"""``mesasym reproduce figure1``: the paper's Figure 1 with the authors' settings (THEORY §9).

Trains the full model by full-batch gradient descent (complex64, every entry
free) on a fixed sample, ``d = 5``, ``T = 100``, for the Gaussian starts
``sigma in {0.5, 1, 2}`` (step sizes 1e-3, 1e-4, 2e-6; 200, 150, 200 steps) and
the sparse starts ``c in {0.5, 1, 2}`` (3e-2, 1e-3, 1e-4; 200, 200, 120 steps),
each from ``(a0, b0) in {(0.1, 0.1), (0.5, 1.5), (2, 2)}``, and writes
``figure1.png`` plus one PNG per row into ``--out`` together with
``figure1.json`` (final values, theory values, Monte Carlo checks, timings).

Cost: one loss + gradient evaluation takes about ``0.05 s`` per 1,000 training
sequences on the reference machine; 18 runs take 3,210 steps in all. The default
``--sequences 2000`` finishes in about ten minutes; the authors' ``--sequences
10000`` takes about half an hour. Progress goes to stderr.

Exit status: 0, or 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json

from mesasym.commands import integer_option

NAME = "reproduce"
HELP = "Reproduce a figure of the paper (figure1: ab dynamics, ratio and MSE panels) with the authors' settings."

DEFAULT_SEQUENCES = 2000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``figure1``, ``--out``, ``--sequences``, ``--test-sequences``, ``--steps``, ``--seed``, ``--only``, ``--quiet``."""
    parser.add_argument("figure", choices=["figure1"], help="which figure (figure1)")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the PNGs and figure1.json")
    parser.add_argument(
        "--sequences",
        metavar="N",
        default=str(DEFAULT_SEQUENCES),
        help=f"training sequences per law (default {DEFAULT_SEQUENCES}; the authors used 10000, about 3x slower)",
    )
    parser.add_argument("--test-sequences", metavar="N", default="10000", help="fresh test sequences per law (default 10000)")
    parser.add_argument("--steps", metavar="N", help="override every run's number of steps (default: the authors' 120-200)")
    parser.add_argument("--seed", metavar="N", default="1", help="seed of the data (default 1)")
    parser.add_argument(
        "--only", choices=["gaussian", "sparse"], help="only the Gaussian or only the sparse panels (default both)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    """Train, plot, write the JSON summary."""
    from pathlib import Path

    from mesasym.compare.figure1 import reproduce_figure1
    from mesasym.report.plots import plot_figure1, require_matplotlib
    from mesasym.commands import stderr_progress

    sequences = integer_option(args.sequences, "--sequences", 2, 10**6)
    test_sequences = integer_option(args.test_sequences, "--test-sequences", 2, 10**6)
    steps = None if args.steps is None else integer_option(args.steps, "--steps", 1, 10**6)
    seed = integer_option(args.seed, "--seed", 0, 2**63 - 1)
    require_matplotlib()
    families = (args.only,) if args.only else ("gaussian", "sparse")
    result = reproduce_figure1(
        args.out,
        sequences=sequences,
        test_sequences=test_sequences,
        steps=steps,
        seed=seed,
        families=families,
        progress=None if args.quiet else stderr_progress,
        plot=plot_figure1,
    )
    summary = Path(args.out) / "figure1.json"
    summary.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    for name in result.files + [str(summary)]:
        print(name)
    return 0

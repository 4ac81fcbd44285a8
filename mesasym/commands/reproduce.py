"""``mesasym reproduce figure1``: the paper's Figure 1 with the authors' settings (THEORY §9).

Trains the full model by full-batch gradient descent (complex64, every entry
free) on a fixed sample, ``d = 5``, ``T = 100``, for the Gaussian starts
``sigma in {0.5, 1, 2}`` (step sizes 1e-3, 1e-4, 2e-6; 200, 150, 200 steps) and
the sparse starts ``c in {0.5, 1, 2}`` (3e-2, 1e-3, 1e-4; 200, 200, 120 steps),
each from ``(a0, b0) in {(0.1, 0.1), (0.5, 1.5), (2, 2)}``, and writes
``figure1.png`` plus one PNG per row into ``--out`` together with
``figure1.json`` (final values, theory values, Monte Carlo checks, timings).

Cost: 18 runs take 3,210 steps in all; at the authors' (and default) 10,000
training sequences a step of the compiled objective takes about 0.07 s, the
per-step test metrics and the population curves about 0.03 s more. The six
laws are independent and run in ``--workers`` processes (default: the cores,
at most 2; the results do not depend on it); the whole figure takes about
4 minutes on the 2-core reference machine (``benchmarks/bench_train.py
--figure1``). A progress bar is shown when stderr is a terminal.
``--json`` prints the summary (the contents of ``figure1.json``) instead of the file names.

Exit status: 0, or 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json

from mesasym.commands import options as O

NAME = "reproduce"
HELP = "Reproduce a figure of the paper (figure1: ab dynamics, ratio and MSE panels) with the authors' settings."

DEFAULT_SEQUENCES = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``figure1``, ``--out``, ``--sequences``, ``--workers``, ``--test-sequences``, ``--steps``, ``--seed``, ``--only``."""
    parser.add_argument("figure", choices=["figure1"], help="which figure (figure1)")
    O.add_output_dir(parser, "--out", required=True, help="directory for the PNGs and figure1.json (created if needed)")
    O.add_int(
        parser, "--sequences", minimum=2, maximum=10**6, default=DEFAULT_SEQUENCES,
        help="training sequences per law (the authors' 10000 by default)",
    )
    O.add_int(parser, "--workers", minimum=1, maximum=64, help="processes for the six laws (default: the cores, at most 2)")
    O.add_int(parser, "--test-sequences", minimum=2, maximum=10**6, default=10_000, help="fresh test sequences per law")
    O.add_int(parser, "--steps", minimum=1, maximum=10**5, help="override every run's number of steps (default: the authors' 120-200)")
    O.add_seed(parser, default=1, help="seed of the data")
    parser.add_argument(
        "--only", choices=["gaussian", "sparse"], help="only the Gaussian or only the sparse panels (default both)"
    )


def run(args: argparse.Namespace) -> int:
    """Train, plot, write the JSON summary."""
    from mesasym.compare.figure1 import reproduce_figure1
    from mesasym.report.plots import plot_figure1, require_matplotlib

    from mesasym.compare.figure1 import FIGURE1_SETTINGS, INITS

    require_matplotlib()
    families = (args.only,) if args.only else ("gaussian", "sparse")
    d, T = 5, 100
    O.require_sequence_budget(args.sequences, T, d, "--sequences")
    O.require_sequence_budget(args.test_sequences, T, d, "--test-sequences")
    chosen = [s for s in FIGURE1_SETTINGS if s.family in families]
    total_steps = sum((args.steps or s.steps) for s in chosen) * len(INITS)
    O.require_training_budget(args.sequences, T, d, total_steps, "--sequences with every run's --steps")
    with O.progress(args, "reproduce figure1", unit="report") as bar:
        result = reproduce_figure1(
            args.out,
            sequences=args.sequences,
            test_sequences=args.test_sequences,
            steps=args.steps,
            seed=args.seed,
            families=families,
            workers=args.workers,
            progress=O.message_sink(bar) if O.progress_enabled(args) else None,
            plot=plot_figure1,
        )
    summary = args.out / "figure1.json"
    payload = result.as_dict()
    summary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({**payload, "files": result.files + [str(summary)]}, indent=2))
    else:
        for name in result.files + [str(summary)]:
            print(name)
    return O.EXIT_OK

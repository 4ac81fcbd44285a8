"""``mesasym sweep``: run a command over a grid of settings into one table; ``mesasym sweep plot DIR``.

``mesasym sweep SPEC.toml --out DIR`` runs every point of the spec (see
:mod:`mesasym.sweep.spec`) through the command's Python API on a Dask cluster
-- a local one with one worker process per core, started and stopped here, or
the one at ``--scheduler tcp://HOST:PORT`` -- writes the table
``DIR/results.parquet`` (+ ``results.csv``) as rows arrive, then the figures
``DIR/figures/*.png|pdf``. Points already in the table are skipped
(``--retry-failed`` reruns the failed ones).

Exit status: 0 every point ran (whatever the commands' verdicts, which are in
the table), 1 some points failed (rows with ``status = error``), 2 bad spec
or options.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mesasym.commands import options as O
from mesasym.errors import InvalidInputError

NAME = "sweep"
HELP = "run a command over a grid of settings (TOML spec) on Dask into one table; 'sweep plot DIR' draws it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC.toml | plot", help="the sweep specification, or 'plot' followed by DIR")
    parser.add_argument("dir", metavar="DIR", nargs="?", help="with 'plot': the output directory of a sweep")
    O.add_output_dir(parser, "--out", help="output directory (table, parts, figures); required to run")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster)")
    O.add_int(parser, "--workers", minimum=1, maximum=1024, help="worker processes of the local cluster (default: one per core)")
    parser.add_argument("--retry-failed", action="store_true", help="run again the points whose row has status = error")
    parser.add_argument("--no-plots", action="store_true", help="do not draw the figures after the run")


def run(args: argparse.Namespace) -> int:
    from mesasym.sweep.spec import load_spec

    if args.spec == "plot":
        return _plot(args)
    if args.dir is not None:
        raise InvalidInputError(f"unexpected argument {args.dir!r}; give the output directory with --out")
    if args.out is None:
        raise InvalidInputError("--out DIR is required to run a sweep")
    workers = args.workers
    if workers is not None and args.scheduler is not None:
        raise InvalidInputError("--workers sets the local cluster; with --scheduler the cluster has its own workers")
    out = Path(args.out)
    spec = load_spec(args.spec)
    from mesasym.sweep.run import run_sweep

    summary = run_sweep(
        spec, out, scheduler=args.scheduler, workers=workers, retry_failed=args.retry_failed,
        progress=O.progress_enabled(args),
    )
    figures: list[str] = []
    if not args.no_plots:
        figures = _draw(spec, out, quiet=args.json)
    if args.json:
        print(json.dumps({**summary.to_dict(), "figures": figures}, indent=2))
    else:
        where = f"on {summary.workers} workers ({summary.scheduler})" if summary.ran else "nothing to run"
        print(
            f"mesasym sweep {args.spec}: {summary.points} points, {summary.skipped} already in the table, "
            f"{summary.ran} run {where}: {summary.done} done, {summary.errors} failed ({summary.seconds:.1f} s)"
        )
        print(f"  table: {out / 'results.parquet'} (+ results.csv)")
        for warning in summary.warnings:
            print(f"  warning: {warning}")
        if figures:
            print(f"  figures: {len(figures)} files in {out / 'figures'}")
    return 1 if _errors_in_table(out) else 0


def _errors_in_table(out: Path) -> int:
    from mesasym.sweep.store import read_table

    return sum(row.get("status") == "error" for row in read_table(out))


def _draw(spec, out: Path, quiet: bool) -> list[str]:
    from mesasym.sweep.plot import draw
    from mesasym.sweep.run import apply_columns
    from mesasym.sweep.store import read_table

    rows = read_table(out)
    apply_columns(spec, rows)
    try:
        return [str(p) for p in draw(spec, rows, out)]
    except InvalidInputError as error:
        if not quiet:
            print(f"  plots: {error}", file=sys.stderr)
        return []


def _plot(args: argparse.Namespace) -> int:
    from mesasym.sweep.plot import draw
    from mesasym.sweep.spec import load_spec
    from mesasym.sweep.store import read_table

    if args.dir is None:
        raise InvalidInputError("sweep plot needs the output directory of a sweep: mesasym sweep plot DIR")
    out = Path(args.dir)
    if not (out / "spec.toml").is_file():
        raise InvalidInputError(f"{args.dir!r} is not a sweep output directory (no spec.toml)")
    from mesasym.sweep.run import apply_columns

    spec = load_spec(out / "spec.toml")
    rows = read_table(out)
    if not rows:
        raise InvalidInputError(f"{args.dir!r} has no results yet")
    for problem in apply_columns(spec, rows):
        print(f"  warning: {problem}", file=sys.stderr)
    figures = [str(p) for p in draw(spec, rows, out)]
    if args.json:
        print(json.dumps({"figures": figures}, indent=2))
    else:
        print(f"mesasym sweep plot: {len(figures)} files in {out / 'figures'}")
        for figure in figures:
            print(f"  {figure}")
    return 0

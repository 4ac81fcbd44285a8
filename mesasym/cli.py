"""The ``mesasym`` command line.

Each sub-command lives in its own module under :mod:`mesasym.commands` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``;
its options come from :mod:`mesasym.commands.options` (one parsing and one set
of limits), and this module adds ``--json``, ``--quiet`` and ``--debug`` to
every command. The exit status is the table in
:mod:`mesasym.commands.exit_codes` (0 ok, 1 a check failed, 2 bad input or a
missing optional dependency, 3 hypotheses violated, 70 internal error).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from mesasym.commands.exit_codes import (  # noqa: F401 - re-exported (older imports)
    EXIT_CHECK_FAILED,
    EXIT_HYPOTHESES_VIOLATED,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_epilog,
)
from mesasym.commands import COMMAND_MODULES  # noqa: F401 - re-exported
from mesasym.errors import DivergenceError, HypothesesViolatedError, MesasymError, MissingDependencyError

# The list of sub-commands is mesasym.commands.COMMAND_MODULES (add a new command there).

#: Where an unexpected internal error should be reported.
REPORT_TO = "the mesasym issue tracker (see docs/cli.md, 'Reporting an internal error')"


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``PROG: error: MESSAGE`` on one line and exit with the usage status (2)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command module."""
    from mesasym import __version__
    from mesasym.commands.options import add_common

    parser = OneLineParser(
        prog="mesasym",
        description="Verify the theory of mesa-optimization in autoregressively "
        "trained linear transformers (Zheng et al., NeurIPS 2024).",
        epilog=exit_code_epilog(),
    )
    parser.add_argument("--version", action="version", version=f"mesasym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP, epilog=exit_code_epilog())
        module.add_arguments(command)
        add_common(command)
        command.set_defaults(_run=module.run)
    return parser


def _exit_code_of(error: MesasymError) -> int:
    if isinstance(error, HypothesesViolatedError):
        return EXIT_HYPOTHESES_VIOLATED
    if isinstance(error, (ValueError, MissingDependencyError, DivergenceError)):
        return EXIT_USAGE
    return EXIT_CHECK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (see :mod:`mesasym.commands.exit_codes`)."""
    if hasattr(sys, "set_int_max_str_digits"):
        # exact results (e.g. a~b~ at T = 10^5, ~40,000 digits) are printed in full in --json; inputs
        # are bounded by the options' own length limits, so Python's guard against huge int parsing is not needed
        sys.set_int_max_str_digits(0)
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, unknown = parser.parse_known_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (already printed as one line)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if unknown:
        where = f"mesasym {args.command}" if getattr(args, "command", None) else "mesasym"
        print(f"{where}: error: unrecognized arguments: {' '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except MesasymError as error:
        print(f"mesasym {args.command}: error: {error}", file=sys.stderr)
        return _exit_code_of(error)
    except KeyboardInterrupt:
        print(f"mesasym {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - avoid a second error at exit
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the one place unexpected errors are turned into exit 70
        if getattr(args, "debug", False):
            traceback.print_exc()
        detail = " ".join(str(error).split())[:200]
        print(
            f"mesasym {args.command}: internal error {type(error).__name__}: {detail} "
            f"(input: mesasym {' '.join(argv)}); please report it to {REPORT_TO}"
            + ("" if getattr(args, "debug", False) else "; --debug shows the traceback"),
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR

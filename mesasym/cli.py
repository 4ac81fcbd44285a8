"""The ``mesasym`` command line.

Each sub-command lives in its own module under :mod:`mesasym.commands` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

Exit status (the same for every sub-command):

* ``0`` -- everything checked was verified;
* ``1`` -- a check failed;
* ``2`` -- invalid usage or input (one line on stderr, no traceback);
* ``3`` -- the input is valid but violates the theorem's hypotheses
  (results are still printed).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from mesasym.errors import MesasymError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_HYPOTHESES_VIOLATED = 3

#: Sub-command modules, in the order ``mesasym --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "mesasym.commands.check_fixed_point",
    "mesasym.commands.derive",
    "mesasym.commands.capability",
    "mesasym.commands.explore",
    "mesasym.commands.reproduce",
    "mesasym.commands.property_test",
)


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command module."""
    from mesasym import __version__

    parser = _OneLineParser(
        prog="mesasym",
        description="Verify the theory of mesa-optimization in autoregressively "
        "trained linear transformers (Zheng et al., NeurIPS 2024).",
    )
    parser.add_argument("--version", action="version", version=f"mesasym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except MesasymError as error:
        print(f"mesasym {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, ValueError) else EXIT_CHECK_FAILED
    except KeyboardInterrupt:
        print(f"mesasym {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - avoid a second error at exit
        return EXIT_OK

"""Helpers for the executed pages of the documentation (command pages, tutorials).

``sh("mesasym check-fixed-point --T 50")`` runs the command in the notebook's kernel
through :func:`mesasym.cli.main` (the same code as the installed ``mesasym`` script)
and prints what a terminal shows: the command line, its output, and ``[exit status N]``
after every command (0 included, so every example shows it the same way; nothing is
returned, so no stray value box follows a cell). The build fails (the cell raises) when the exit status is not the
one the page expects, so a page cannot silently show a changed verdict.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from collections.abc import Iterable


def sh(command: str, expect: int | Iterable[int] = 0, head: int | None = None) -> None:
    """Run ``mesasym ARGS`` in-process and print it like a terminal session, with its exit status.

    ``expect``: the exit status (or statuses) the page documents; another one raises.
    ``head``: print only the first ``head`` lines of the output (and say how many
    were left out).
    """
    from mesasym.cli import main

    argv = shlex.split(command)
    if not argv or argv[0] != "mesasym":
        raise ValueError(f"{command!r} must start with 'mesasym'")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            status = main(argv[1:])
        except SystemExit as stop:  # --help, argparse errors
            status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    lines = buffer.getvalue().rstrip("\n").splitlines()
    shown = lines if head is None or len(lines) <= head else lines[:head]
    print(f"$ {command}")
    print("\n".join(shown))
    if len(shown) < len(lines):
        print(f"... ({len(lines) - len(shown)} more lines)")
    print(f"[exit status {status}]")
    allowed = {expect} if isinstance(expect, int) else set(expect)
    if status not in allowed:
        raise RuntimeError(f"{command!r} exited with {status}, the page expects {sorted(allowed)}")
    sys.stdout.flush()

"""Sub-commands of the ``mesasym`` CLI, one module each (see :mod:`mesasym.cli`)."""

from __future__ import annotations

import sys
from typing import Any

from mesasym.errors import InvalidInputError


def integer_option(text: Any, option: str, minimum: int, maximum: int | None = None) -> int:
    """Parse an integer command-line option or raise :class:`InvalidInputError` naming it."""
    valid = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInputError(f"{option}={text!r} must be {valid}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidInputError(f"{option}={text!r} must be {valid}")
    return value


def stderr_progress(message: str) -> None:
    """Progress lines on stderr (the commands' default)."""
    print(message, file=sys.stderr, flush=True)

"""Exceptions raised by mesasym.

Every error that a user can cause derives from :class:`MesasymError`, so a
caller (and the CLI) can catch the whole family at once. Messages are single
sentences that name the offending value and say what would be valid.
"""

from __future__ import annotations


class MesasymError(Exception):
    """Root of all mesasym errors."""


class InvalidInputError(MesasymError, ValueError):
    """A parameter, specification or option has an invalid value.

    The CLI maps it to exit status 2.
    """


class DivergenceError(MesasymError, FloatingPointError):
    """A numeric training run produced a non-finite or exploding loss."""


class HypothesesViolatedError(MesasymError):
    """The input is valid but violates a hypothesis the requested result needs (e.g. no closed form:
    the flow leaves the Assumption-1 manifold). The CLI maps it to exit status 3 with the reason."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`InvalidInputError` with ``message`` unless ``condition``."""
    if not condition:
        raise InvalidInputError(message)


class MissingDependencyError(MesasymError):
    """An optional dependency needed for this output (e.g. matplotlib for plots) is not installed."""

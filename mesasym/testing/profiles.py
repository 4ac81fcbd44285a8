"""Hypothesis settings profiles shared by the test suite and ``mesasym property-test``.

Three profiles, chosen by the environment variable ``MESASYM_HYPOTHESIS_PROFILE``
(:data:`PROFILE_ENV_VAR`; ``dev`` when unset):

* ``dev`` -- quick local runs (25 examples per cheap property, random, with
  the example database so a failure is replayed first next time);
* ``ci`` -- derandomized (the same examples on every run), no example
  database, no deadline, ``too_slow`` health check off; 40 examples per cheap
  property;
* ``thorough`` -- 500 examples per cheap property.

The shipped property suite (:mod:`mesasym.testing.properties`) scales these
numbers down for its expensive properties (population flows, Monte Carlo);
see :func:`mesasym.testing.properties.budget`.

Example (a test module or ``conftest.py``)::

    from mesasym.testing.profiles import load_profile
    load_profile()          # reads MESASYM_HYPOTHESIS_PROFILE
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from mesasym.errors import InvalidInputError

__all__ = [
    "PROFILE_ENV_VAR",
    "PROFILES",
    "DEFAULT_PROFILE",
    "register_profiles",
    "resolve_profile",
    "load_profile",
    "profile_settings",
]

#: Environment variable naming the profile (CI sets ``ci``).
PROFILE_ENV_VAR = "MESASYM_HYPOTHESIS_PROFILE"
#: The profiles, fastest first.
PROFILES: tuple[str, ...] = ("dev", "ci", "thorough")
#: Profile used when the environment variable is unset.
DEFAULT_PROFILE = "dev"

_registered = False


def register_profiles() -> None:
    """Register ``dev``, ``ci`` and ``thorough`` with Hypothesis (idempotent)."""
    global _registered
    if _registered:
        return
    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.register_profile(
        "ci",
        max_examples=40,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("thorough", max_examples=500, deadline=None)
    _registered = True


def resolve_profile(name: str | None = None) -> str:
    """``name``, or the profile named by :data:`PROFILE_ENV_VAR` (default ``dev``); checked."""
    chosen = name if name is not None else os.environ.get(PROFILE_ENV_VAR, DEFAULT_PROFILE)
    if chosen not in PROFILES:
        source = "profile" if name is not None else f"{PROFILE_ENV_VAR}"
        raise InvalidInputError(f"{source}={chosen!r} is not a Hypothesis profile; valid profiles are: {', '.join(PROFILES)}")
    return chosen


def profile_settings(name: str | None = None) -> settings:
    """The :class:`hypothesis.settings` of profile ``name`` (default: from the environment)."""
    register_profiles()
    return settings.get_profile(resolve_profile(name))


def load_profile(name: str | None = None) -> str:
    """Make profile ``name`` (default: from :data:`PROFILE_ENV_VAR`, else ``dev``) the active one.

    Returns the name loaded; an unknown name raises :class:`~mesasym.errors.InvalidInputError`.
    """
    register_profiles()
    chosen = resolve_profile(name)
    settings.load_profile(chosen)
    return chosen

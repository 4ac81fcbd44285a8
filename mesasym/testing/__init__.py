"""Property-based verification of Theorem 1 with Hypothesis, shipped for users.

Hypothesis is a dependency of mesasym, so this works from any installation.

* :mod:`mesasym.testing.strategies` -- public Hypothesis strategies: laws of
  ``x_1`` that satisfy or violate the hypotheses, initializations, ``T`` and
  ``d`` ranges, whole :class:`~mesasym.testing.strategies.Case` objects;
* :mod:`mesasym.testing.profiles` -- the ``dev`` / ``ci`` / ``thorough`` settings
  profiles, chosen by ``MESASYM_HYPOTHESIS_PROFILE``;
* :mod:`mesasym.testing.properties` -- the shipped property suite
  (:data:`~mesasym.testing.properties.PROPERTIES`), the deliberately broken
  variants that show each property can fail
  (:data:`~mesasym.testing.properties.BROKEN_VARIANTS`) and
  :func:`~mesasym.testing.properties.run_property`, used by ``tests/`` and by
  ``mesasym property-test``.

See ``docs/property-testing.md`` for a walk-through.
"""

from __future__ import annotations

from mesasym.testing import profiles, strategies
from mesasym.testing.profiles import PROFILE_ENV_VAR, PROFILES, load_profile, register_profiles
from mesasym.testing.strategies import Case

__all__ = [
    "profiles",
    "strategies",
    "Case",
    "PROFILE_ENV_VAR",
    "PROFILES",
    "load_profile",
    "register_profiles",
]

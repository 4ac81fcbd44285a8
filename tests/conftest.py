"""Shared pytest configuration: Hypothesis profiles.

The profiles are defined in :mod:`mesasym.testing.profiles` (so that
``mesasym property-test`` uses the same ones). Choose one with
``MESASYM_HYPOTHESIS_PROFILE`` (``dev`` by default; ``.ci/run`` sets ``ci``):
``dev`` is quick, ``ci`` is derandomized with no example database and no
deadline, ``thorough`` tries many examples.
"""

from __future__ import annotations

from mesasym.testing.profiles import load_profile

load_profile()

"""Shared pytest configuration: Hypothesis profiles.

Choose a profile with ``MESASYM_HYPOTHESIS_PROFILE`` (``dev`` by default;
``.ci/run`` sets ``ci``): ``dev`` is quick, ``ci`` is derandomized with no
example database and no deadline, ``thorough`` tries many examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
settings.load_profile(os.environ.get("MESASYM_HYPOTHESIS_PROFILE", "dev"))

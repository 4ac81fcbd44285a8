"""Shared timing helper for the benchmark scripts (run as ``python benchmarks/<script>.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(repeats: int, function: Callable[[], object]) -> float:
    """The smallest wall time of ``repeats`` calls of ``function``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best

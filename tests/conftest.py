"""Shared pytest configuration: Hypothesis profiles.

The profiles are defined in :mod:`mesasym.testing.profiles` (so that
``mesasym property-test`` uses the same ones). Choose one with
``MESASYM_HYPOTHESIS_PROFILE`` (``dev`` by default; ``.ci/run`` sets ``ci``):
``dev`` is quick, ``ci`` is derandomized with no example database and no
deadline, ``thorough`` tries many examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from mesasym import cache
from mesasym.testing.profiles import load_profile

load_profile()


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir():
    """Every test (and every process a test starts) caches derivations in a temporary directory,
    never in the user's cache directory (:mod:`mesasym.cache`)."""
    previous = os.environ.get("MESASYM_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="mesasym-test-cache-") as directory:
        os.environ["MESASYM_CACHE_DIR"] = directory
        yield directory
        if previous is None:
            os.environ.pop("MESASYM_CACHE_DIR", None)
        else:
            os.environ["MESASYM_CACHE_DIR"] = previous


@pytest.fixture
def package_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the package that :func:`mesasym.cache.code_digest` reads instead of the real one
    (a test edits it to change "the code" of a derivation or a sweep point)."""
    copy = tmp_path / "mesasym"
    shutil.copytree(Path(cache.__file__).resolve().parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_PACKAGE_DIR", copy)
    return copy

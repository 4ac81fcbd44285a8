"""Results that cannot go stale: code fingerprints and the on-disk cache of derivations.

Two pieces, used by the symbolic derivation (a derivation for a law, a process and ``d``
is cached on disk) and by ``mesasym sweep`` (the key of a point's row):

* :func:`code_digest` -- a hash of the *source text* of some mesasym modules and of every
  mesasym module they import, directly or not (found statically in their ``import``
  statements, function-level imports included, with the ``__init__`` of each package on
  the way). Editing any line of that code, a comment included, changes the digest; the
  version string plays no part.
* :class:`DiskCache` -- pickled values under the user's cache directory
  (``$MESASYM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mesasym``, else ``~/.cache/mesasym``),
  one file per key. A write goes to a temporary file in the same directory and is moved
  into place with :func:`os.replace`, so two processes writing the same entry at once
  leave one whole file; an unreadable entry is a miss. When the directory cannot be
  written the cache is skipped with one warning line on stderr; :func:`set_enabled`
  (``--no-cache``) bypasses it.

The cache holds pickles written by this user's own runs; it is read only from that
user's cache directory.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["DiskCache", "cache_dir", "code_digest", "module_closure", "set_enabled"]

PACKAGE = "mesasym"
_PACKAGE_DIR = Path(__file__).resolve().parent
_ENABLED = True
_WARNED: set[str] = set()


def set_enabled(enabled: bool) -> None:
    """Turn the on-disk cache on or off for this process (``--no-cache`` turns it off)."""
    global _ENABLED
    _ENABLED = enabled


def cache_dir() -> Path:
    """The user's mesasym cache directory (not created here)."""
    explicit = os.environ.get("MESASYM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / PACKAGE


def _source_file(module: str) -> Path | None:
    """The source file of the mesasym module ``module`` (``None`` when there is none)."""
    parts = module.split(".")[1:]
    base = _PACKAGE_DIR.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


# ``import mesasym.x [as y]`` and ``from mesasym.x import a, b`` (parenthesised over several lines
# or not), anywhere in a file: mesasym uses absolute imports only (checked by tests/test_cache.py,
# which compares the closure with the modules Python loads).
_IMPORT = re.compile(
    r"^[ \t]*(?:import[ \t]+(mesasym[\w.]*)|from[ \t]+(mesasym[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*))",
    re.MULTILINE,
)


def _imported(path: Path) -> frozenset[str]:
    """The mesasym modules that the source at ``path`` imports anywhere (and their packages)."""
    stat = path.stat()
    return _imported_from(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=None)
def _imported_from(path: Path, _mtime_ns: int, _size: int) -> frozenset[str]:
    """``_imported`` of one version of the file (memoized per modification time and size)."""
    found: set[str] = set()
    for module, base, names in _IMPORT.findall(path.read_text(encoding="utf-8")):
        if module:
            found.add(module)
            continue
        found.add(base)
        for name in names.strip("()").replace("\\", " ").split(","):
            words = name.split("#")[0].split()
            if words:
                found.add(f"{base}.{words[0]}")  # ``from package import module``
    closure = set()
    for name in found:
        parts = name.split(".")
        closure.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(name for name in closure if _source_file(name) is not None)


def module_closure(*modules: str) -> tuple[str, ...]:
    """``modules`` and every mesasym module they import, directly or not, sorted."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = _source_file(module)
        if path is None:
            raise ValueError(f"{module!r} is not a module of the {PACKAGE} package")
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # the packages on the way
        todo.extend(_imported(path) - seen)
    return tuple(sorted(seen))


def code_digest(*modules: str) -> str:
    """A SHA-256 of the source of ``modules`` and of everything they import from mesasym."""
    digest = hashlib.sha256()
    for module in module_closure(*modules):
        path = _source_file(module)
        assert path is not None
        digest.update(module.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class DiskCache:
    """Values computed by ``code`` (module names) cached on disk under ``cache_dir()/name``.

    The file of an entry is named by a hash of ``key`` (its ``repr``, which must determine
    the value) and of :func:`code_digest` of ``code``; a changed input or a changed line of
    that code is a different file, so a stale entry is never read.
    """

    def __init__(self, name: str, code: Iterable[str]) -> None:
        self.name = name
        self.code = tuple(code)

    def _path(self, key: object) -> Path:
        text = f"{self.name}\0{key!r}\0{code_digest(*self.code)}\0{sys.version_info[:2]}"
        return cache_dir() / self.name / (hashlib.sha256(text.encode()).hexdigest() + ".pickle")

    def get_or_compute(self, key: object, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key``, else ``compute()`` (stored when the cache is writable)."""
        if not _ENABLED:
            return compute()
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except Exception:  # noqa: BLE001 - missing, partial or unreadable: a miss
            pass
        value = compute()
        self._store(path, value)
        return value

    def _store(self, path: Path, value: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(handle, "wb") as out:
                    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            directory = str(path.parent.parent)
            if directory not in _WARNED:
                _WARNED.add(directory)
                reason = error.strerror or type(error).__name__
                print(
                    f"mesasym: warning: cache directory {directory} is not writable ({reason}); "
                    "continuing without the cache",
                    file=sys.stderr,
                )

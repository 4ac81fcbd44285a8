"""The on-disk cache of derivations and the code fingerprint behind it (:mod:`mesasym.cache`)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sympy as sp

from mesasym import cache
from mesasym.cli import main
from mesasym.symbolic import reduced_flow


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("MESASYM_CACHE_DIR", str(directory))
    yield directory
    cache.set_enabled(True)  # a command run with --no-cache turns it off for the process


def _imported_in_a_fresh_process(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.split('.')[0] == 'mesasym'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(done.stdout.split())


@pytest.mark.parametrize("module", ["mesasym.symbolic.reduced_flow", "mesasym.symbolic.dynamics", "mesasym.commands.derive"])
def test_the_closure_holds_every_module_that_importing_loads(module: str) -> None:
    # Independent: what Python actually loads. The closure may hold more (function-level imports).
    closure = set(cache.module_closure(module))
    assert _imported_in_a_fresh_process(module) <= closure
    assert module in closure


def test_the_closure_follows_function_level_imports() -> None:
    # precise.dynamics imports mesasym.symbolic.dynamics only inside a function.
    assert "mesasym.symbolic.dynamics" in cache.module_closure("mesasym.precise.dynamics")


def test_an_edit_inside_the_closure_changes_the_digest_one_outside_does_not(package_copy: Path) -> None:
    before = cache.code_digest("mesasym.symbolic.reduced_flow")
    outside = package_copy / "numeric" / "model.py"
    outside.write_text(outside.read_text() + "\n# an edit the derivation does not see\n")
    assert cache.code_digest("mesasym.symbolic.reduced_flow") == before
    inside = package_copy / "symbolic" / "sums.py"  # imported by reduced_flow
    inside.write_text(inside.read_text() + "\n# an edit of the deriving code\n")
    assert cache.code_digest("mesasym.symbolic.reduced_flow") != before


def test_an_unknown_module_is_refused() -> None:
    with pytest.raises(ValueError, match="'mesasym.nothing' is not a module"):
        cache.code_digest("mesasym.nothing")


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> object:
        calls.append(1)
        return value

    return calls, compute


def test_a_value_is_computed_once_then_read_from_disk(cache_dir: Path) -> None:
    disk = cache.DiskCache("test", ["mesasym.errors"])
    calls, compute = _counting({"x": sp.Rational(1, 3)})
    assert disk.get_or_compute(("k", 1), compute) == {"x": sp.Rational(1, 3)}
    assert disk.get_or_compute(("k", 1), compute) == {"x": sp.Rational(1, 3)}
    assert len(calls) == 1
    disk.get_or_compute(("k", 2), compute)  # another key
    assert len(calls) == 2
    assert len(list((cache_dir / "test").glob("*.pickle"))) == 2
    assert not list((cache_dir / "test").glob(".tmp-*"))


def test_changed_code_is_recomputed(cache_dir: Path, package_copy: Path) -> None:
    disk = cache.DiskCache("test", ["mesasym.errors"])
    calls, compute = _counting(1)
    disk.get_or_compute("k", compute)
    errors = package_copy / "errors.py"
    errors.write_text(errors.read_text() + "\n# changed\n")
    disk.get_or_compute("k", compute)
    assert len(calls) == 2


def test_disabled_cache_neither_reads_nor_writes(cache_dir: Path) -> None:
    disk = cache.DiskCache("test", ["mesasym.errors"])
    calls, compute = _counting(1)
    cache.set_enabled(False)
    try:
        disk.get_or_compute("k", compute)
        disk.get_or_compute("k", compute)
    finally:
        cache.set_enabled(True)
    assert len(calls) == 2 and not cache_dir.exists()


def test_a_damaged_entry_is_a_miss_and_is_replaced(cache_dir: Path) -> None:
    disk = cache.DiskCache("test", ["mesasym.errors"])
    calls, compute = _counting([1, 2])
    disk.get_or_compute("k", compute)
    (entry,) = (cache_dir / "test").glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:5])
    assert disk.get_or_compute("k", compute) == [1, 2]
    assert disk.get_or_compute("k", compute) == [1, 2]
    assert len(calls) == 2


def test_concurrent_writers_leave_one_whole_entry(cache_dir: Path) -> None:
    disk = cache.DiskCache("test", ["mesasym.errors"])
    value = list(range(100_000))
    path = disk._path("k")
    threads = [threading.Thread(target=disk._store, args=(path, value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert disk.get_or_compute("k", lambda: pytest.fail("the entry should have been read")) == value
    assert [p.name for p in (cache_dir / "test").iterdir()] == [path.name]


def test_an_unwritable_directory_gives_one_warning_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MESASYM_CACHE_DIR", str(blocker / "cache"))  # below a file: cannot be created
    disk = cache.DiskCache("test", ["mesasym.errors"])
    calls, compute = _counting(7)
    assert disk.get_or_compute("k", compute) == 7
    assert disk.get_or_compute("k", compute) == 7
    assert len(calls) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning: cache directory" in err and "not writable" in err


def test_a_derivation_read_from_disk_equals_the_derivation(cache_dir: Path) -> None:
    arguments = (sp.Symbol("T", positive=True, integer=True), sp.Integer(2), (sp.Integer(3), sp.Integer(15), sp.Integer(3)), None)
    fresh = reduced_flow._derive_now(*arguments)
    reduced_flow._derive.cache_clear()
    first = reduced_flow._derive(*arguments)  # computed and written
    reduced_flow._derive.cache_clear()
    assert list((cache_dir / "reduced-flow").glob("*.pickle"))
    second = reduced_flow._derive(*arguments)  # read back
    reduced_flow._derive.cache_clear()
    for name in fresh.__dataclass_fields__:
        assert getattr(first, name) == getattr(fresh, name) == getattr(second, name), name


def test_check_fixed_point_reads_the_cache_and_no_cache_bypasses_it(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check-fixed-point", "--T", "8", "--d", "2", "--dps", "20", "--json"]
    outputs = []
    for extra in (["--no-cache"], [], []):
        reduced_flow._derive.cache_clear()
        assert main([*argv, *extra]) == 0
        data = json.loads(capsys.readouterr().out)
        data.pop("seconds", None)
        outputs.append(data)
        if extra:
            assert not (cache_dir / "reduced-flow").exists()
    assert outputs[0] == outputs[1] == outputs[2]
    assert list((cache_dir / "reduced-flow").glob("*.pickle"))

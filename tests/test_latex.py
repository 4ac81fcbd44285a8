"""The committed LaTeX derivations: equal to a fresh regeneration, and they compile.

Compilation uses ``pdflatex -halt-on-error``; without pdflatex the compile test is
skipped, unless ``MESASYM_REQUIRE_LATEX=1`` (set by CI), in which case it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from mesasym.precise import fixed_point_exact
from mesasym.report.latex import DOCUMENT_NAMES, Specialisation, theorem1_document, write_derivations

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "derivations"


def _recorded_sympy(text: str) -> str | None:
    match = re.search(r"with SymPy (\S+);", text)
    return match.group(1) if match else None


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("derivations")
    write_derivations(out)
    return out


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_committed_equals_regeneration(name: str, regenerated: Path) -> None:
    committed = (COMMITTED / name).read_text(encoding="utf-8")
    recorded = _recorded_sympy(committed)
    # A failure, not a skip: the test extra pins SymPy to the version that made the files
    # (pyproject.toml); with another version the comparison would prove nothing.
    assert recorded == sp.__version__, (
        f"derivations/{name} was generated with SymPy {recorded}, running {sp.__version__}: install the test "
        "extra (pip install -e '.[test]', which pins SymPy) or regenerate with python derivations/generate.py"
    )
    assert (regenerated / name).read_text(encoding="utf-8") == committed, (
        f"derivations/{name} is stale: run python derivations/generate.py"
    )


def _pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("MESASYM_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is not installed but MESASYM_REQUIRE_LATEX=1")
        pytest.skip("pdflatex is not installed (set MESASYM_REQUIRE_LATEX=1 to make this a failure)")
    return exe


def _compile(exe: str, source: Path, workdir: Path) -> None:
    target = workdir / source.name
    shutil.copy(source, target)
    result = subprocess.run(
        [exe, "-halt-on-error", "-interaction=nonstopmode", "-no-shell-escape", target.name],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (workdir / target.with_suffix(".pdf").name).stat().st_size > 0


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_committed_document_compiles(name: str, tmp_path: Path) -> None:
    _compile(_pdflatex(), COMMITTED / name, tmp_path)


def test_specialised_document_compiles(tmp_path: Path) -> None:
    """A --T/--d/--dist document (Gaussian sigma = 1, d = 5, T = 100) also compiles."""
    exe = _pdflatex()
    spec = Specialisation(T=100, d=5, dist="gaussian:sigma=1", kappas=(3, 15, 12), second_moment=1, dps=30)
    source = tmp_path / "src" / "theorem1.tex"
    source.parent.mkdir()
    source.write_text(theorem1_document(spec), encoding="utf-8")
    text = source.read_text(encoding="utf-8")
    exact = fixed_point_exact(100, 3, 15, 12)  # Gaussian sigma = 1: kappas 3, 15, (d - 1) * 3
    with mpmath.mp.workdps(40):
        digits = mpmath.nstr(mpmath.mpf(int(exact.p)) / int(exact.q), 30)
    assert digits in text  # 30 digits of the fixed point
    _compile(exe, source, tmp_path)


def test_a_broken_document_fails_to_compile(tmp_path: Path) -> None:
    """The compile check can fail."""
    exe = _pdflatex()
    bad = tmp_path / "src" / "bad.tex"
    bad.parent.mkdir()
    bad.write_text("\\documentclass{article}\\begin{document}$x^{\\end{document}\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        _compile(exe, bad, tmp_path)

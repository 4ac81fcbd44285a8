"""The package's layering, enforced by import-linter (contracts in pyproject.toml, [tool.importlinter]).

``lint-imports`` runs on the real package; then the same contracts run on a copy of the package
with one deliberately wrong import added, and must fail. A third test finds no module importing a
private ``_name`` of another sub-package.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import importlinter  # noqa: F401 - a declared test dependency: a missing linter fails, never skips

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mesasym"

_RUN_LINTER = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with ``project``'s pyproject.toml on ``project/mesasym`` (a fresh process)."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-c", _RUN_LINTER], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def test_contracts_are_kept() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "BROKEN" not in done.stdout


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PACKAGE, project / "mesasym", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


@pytest.mark.parametrize(
    "module, wrong_import, broken_contract",
    [
        ("numeric/sequences.py", "from mesasym.symbolic import symbols", "never imports the symbolic derivation"),
        ("precise/__init__.py", "import mesasym.claims", "claims are read only by comparators"),
        ("laws/spec.py", "from mesasym.numeric import model", "laws import no other sub-package"),
        ("compare/capability.py", "from mesasym.report import plots", "Layers:"),
    ],
)
def test_a_wrong_import_breaks_a_contract(tmp_path: Path, module: str, wrong_import: str, broken_contract: str) -> None:
    project = _copy_project(tmp_path)
    assert _lint(project).returncode == 0  # the copy itself is clean
    target = project / "mesasym" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{wrong_import}  # deliberately wrong\n", encoding="utf-8")
    done = _lint(project)
    assert done.returncode != 0
    report = " ".join(done.stdout.split())
    assert "BROKEN" in report
    broken = [line for line in report.split("Contracts:")[0].split("KEPT") if "BROKEN" in line]
    assert any(broken_contract in part for part in broken), report


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _private_imports_across_subpackages() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        mine = _subpackage(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("mesasym"):
                theirs = _subpackage(node.module)
                private_module = any(part.startswith("_") and part != "__init__" for part in node.module.split("."))
                private_names = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
                if theirs != mine and (private_module or private_names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}: {private_names}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "mesasym" and _subpackage(alias.name) != mine and any(p.startswith("_") for p in parts):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}")
    return found


def test_no_private_name_is_imported_across_subpackages() -> None:
    assert _private_imports_across_subpackages() == []

"""The package's layering, enforced by import-linter (contracts in pyproject.toml, [tool.importlinter]).

``lint-imports`` runs on the real package; then the same contracts run on a copy of the package
with one deliberately wrong import added, and must fail. Further tests find no module importing a
private ``_name`` of another module (or a private module of another package), and no import cycle
among mesasym's modules (the module graph, not only the package contracts).
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


def _module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def private_imports_across_modules(root: Path = ROOT) -> list[str]:
    """Every ``from mesasym.X import _name`` in a module other than ``mesasym.X``, and every import of
    a private module (``_ar_kernel``) from outside the package that holds it."""
    found = []
    for path in sorted((root / "mesasym").rglob("*.py")):
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("mesasym"):
                names = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
                targets = [f"{node.module}.{name}" for name in names] + [node.module]
            elif isinstance(node, ast.Import):
                names, targets = [], [a.name for a in node.names if a.name.startswith("mesasym")]
            else:
                continue
            for target in targets:
                *holder, last = target.split(".")
                private = last.startswith("_") and not last.endswith("__")
                if private and (_is_module(root, target) and ".".join(holder) != package or not _is_module(root, target)):
                    found.append(f"{path.relative_to(root)}:{node.lineno} imports {target}")
    return found


def _is_module(root: Path, name: str) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def test_no_private_name_is_imported_across_modules() -> None:
    assert private_imports_across_modules() == []


def test_a_private_import_is_found(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    target = project / "mesasym" / "laws" / "spec.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom mesasym.laws.numbers import _nothing  # wrong\n")
    other = project / "mesasym" / "sweep" / "run.py"
    other.write_text(other.read_text(encoding="utf-8") + "\nfrom mesasym.numeric import _ar_kernel  # wrong\n")
    found = private_imports_across_modules(project)
    assert [line.split(" imports ")[1] for line in found] == ["mesasym.laws.numbers._nothing", "mesasym.numeric._ar_kernel"]


def import_cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(imports):
        if start in index:
            continue
        work = [(start, iter(sorted(imports.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in imports.get(node, ()):
                    cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert import_cycles(graph) == [["a", "b", "c"], ["e"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_modules() -> None:
    """The module graph (grimp, the graph import-linter builds; function-level imports included)."""
    import grimp

    graph = grimp.build_graph("mesasym", cache_dir=None)
    imports = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    assert len(imports) > 100 and "mesasym.laws.spec" in imports["mesasym.laws"]
    assert import_cycles(imports) == []

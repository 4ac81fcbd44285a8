"""The documentation site and the examples in the docstrings.

* ``test_docstring_examples``: every ``>>>`` example in every mesasym module runs and
  prints what it shows (the standard-library doctest runner, in-process; fast).
* ``test_site_builds``: the Sphinx site (``docs/``) builds nitpicky with every warning
  an error (``-W --keep-going -n``), which also executes the tutorials and the command
  pages; every module has its API page. Slow (about a minute or two).
* ``test_build_fails_on_*``: the same configuration on a one-page project fails on a
  reference to a missing object and on a code cell that raises (the can-fail side).

Without Sphinx (the ``docs`` extra) the build tests are skipped, unless
``MESASYM_REQUIRE_DOCS=1`` (set by ``.ci/run``), in which case they fail.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import mesasym

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SPHINX_OPTIONS = ["-W", "--keep-going", "-n", "-q"]


def _modules() -> list[str]:
    names = [mesasym.__name__]
    for info in pkgutil.walk_packages(mesasym.__path__, prefix="mesasym."):
        if info.name != "mesasym.__main__":
            names.append(info.name)
    return sorted(names)


def _require_docs_tools() -> None:
    missing = [m for m in ("sphinx", "myst_nb", "furo") if importlib.util.find_spec(m) is None]
    if missing:
        if os.environ.get("MESASYM_REQUIRE_DOCS") == "1":
            pytest.fail(f"{', '.join(missing)} not installed but MESASYM_REQUIRE_DOCS=1")
        pytest.skip(
            f"{', '.join(missing)} not installed: pip install -e '.[docs]' "
            "(set MESASYM_REQUIRE_DOCS=1 to make this a failure)"
        )


def _sphinx(srcdir: Path, outdir: Path, builder: str = "html") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *SPHINX_OPTIONS, "-b", builder,
         "-d", str(outdir / ".doctrees"), str(srcdir), str(outdir)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )


def test_docstring_examples() -> None:
    """Every ``>>>`` example in the package's docstrings passes (and there is at least one)."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    examples = 0
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            examples += len(test.examples)
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert examples > 0 and result.attempted == examples
    assert result.failed == 0, f"{result.failed} of {examples} docstring examples failed (see the output above)"


def test_every_module_has_an_api_page_entry() -> None:
    """The API reference walks every package of the layout (so new modules appear)."""
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    tops = {name.split(".")[1] for name in _modules() if name.count(".") >= 1}
    listed = {line.strip().split(".")[1] for line in index.splitlines()
              if line.strip().startswith("mesasym.")}
    assert tops <= listed, f"packages missing from docs/api/index.rst: {sorted(tops - listed)}"


@pytest.mark.slow
def test_site_builds(tmp_path: Path) -> None:
    """``sphinx -W --keep-going -n`` builds the whole site: no warning, tutorials executed."""
    _require_docs_tools()
    out = tmp_path / "html"
    result = _sphinx(DOCS, out)
    assert result.returncode == 0, f"docs build failed:\n{result.stderr[-6000:]}\n{result.stdout[-2000:]}"
    assert 'id="module-mesasym"' in (out / "api" / "index.html").read_text(encoding="utf-8")
    public = [n for n in _modules()[1:] if not any(part.startswith("_") for part in n.split("."))]
    for name in public:  # private modules (e.g. numeric._ar_kernel) are not part of the API
        assert (out / "api" / "_generated" / f"{name}.html").is_file(), f"no API page for {name}"
    for page in ("index", "README", "api/index", "tutorials/index", "theory/index", "commands/index"):
        assert (out / f"{page}.html").is_file(), f"missing page {page}"


def _tiny_project(tmp_path: Path, page: str) -> Path:
    """A one-page project with the site's own configuration (``docs/conf.py``)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import runpy\n"
        f"_conf = runpy.run_path({str(DOCS / 'conf.py')!r})\n"
        "globals().update({k: v for k, v in _conf.items() if not k.startswith('__')})\n",
        encoding="utf-8",
    )
    (src / "index.md").write_text(page, encoding="utf-8")
    return src


_NOTEBOOK_HEADER = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---

# Tiny

"""


_DOCUMENTED = "```{eval-rst}\n.. autoexception:: mesasym.errors.MesasymError\n```\n\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_DOCUMENTED + "{py:exc}`mesasym.errors.MesasymError`\n", None),
        (_DOCUMENTED + "{py:exc}`mesasym.errors.no_such_function`\n", "no_such_function"),
        ("```{code-cell} ipython3\nprint(1 + 1)\n```\n", None),
        ("```{code-cell} ipython3\nraise ValueError('tutorial broke')\n```\n", "tutorial broke"),
    ],
    ids=["ref-control", "ref-missing", "cell-control", "cell-raises"],
)
def test_build_fails_on_broken_reference_or_raising_cell(
    tmp_path: Path, body: str, expected: str | None
) -> None:
    """The site's settings turn a missing reference or a raising cell into a failed build."""
    _require_docs_tools()
    result = _sphinx(_tiny_project(tmp_path, _NOTEBOOK_HEADER + body), tmp_path / "out")
    if expected is None:
        assert result.returncode == 0, result.stderr[-4000:]
    else:
        assert result.returncode != 0, "the build passed but should have failed"
        assert expected in result.stderr + result.stdout, result.stderr[-4000:]

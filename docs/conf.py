"""Sphinx configuration of the mesasym documentation site.

Build it (from the repository root, with the ``docs`` extra installed)::

    python3 -m sphinx -W --keep-going -n -b html docs docs/_build/html

``-W --keep-going -n`` is the build the test suite runs (``tests/test_docs.py``):
nitpicky, every warning an error, so a docstring reference to a missing object or a
tutorial whose code raises fails the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# The package documented is the one next to this file (not another installed copy):
# for autodoc in this process, and for the notebook kernels through PYTHONPATH.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), str(DOCS / "_ext")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
# Tutorials and command pages run the real code; keep numerical libraries on one thread
# each (CI machines have two cores) and the Hypothesis runs derandomized.
os.environ.setdefault("MESASYM_HYPOTHESIS_PROFILE", "ci")
os.environ.setdefault("MPLBACKEND", "Agg")

import mesasym  # noqa: E402

project = "mesasym"
author = "the mesasym developers"
copyright = "2026, the mesasym developers"  # noqa: A001 - Sphinx's name
release = mesasym.__version__
version = release

extensions = [
    "myst_nb",  # MyST Markdown pages and executed MyST notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "mesasym_refs",  # references to re-exported / inherited names -> their definition
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_*.md", "**/_*.md", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# --- MyST ---------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# --- myst-nb: every notebook page is executed at every build, so the output shown is
# what the code prints now (no cache: a cached output could be stale).
nb_execution_mode = "force"
# a cell that raises is a warning with its traceback (so, with -W, a failed build that
# names the page and the error)
nb_execution_allow_errors = False
nb_execution_raise_on_error = False
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True

# --- API reference ------------------------------------------------------------------
# The stub pages are generated at every build (so a renamed or removed module leaves none).
shutil.rmtree(DOCS / "api" / "_generated", ignore_errors=True)
autosummary_generate = True
autosummary_imported_members = False
# Every object is documented once, in the module that defines it (a package's
# re-exports are not repeated; ``mesasym_refs`` maps references to them).
autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    "show-inheritance": True,
    "ignore-module-all": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

# --- nitpicky: every cross-reference must resolve --------------------------------------
nitpicky = True
# There is no intersphinx (the build must work offline): a reference to an object of
# another package is shown unlinked when that object really exists (``mesasym_refs``
# checks by importing it); nothing here ignores a reference to mesasym's own objects.
nitpick_ignore_regex: list[tuple[str, str]] = []
# jax.Array (annotations of mesasym.models) reports module "jax" and qualname "jaxlib._jax.Array",
# a path that cannot be imported to check it: shown unlinked.
nitpick_ignore = [("py:class", "jax.jaxlib._jax.Array")]

# --- HTML ---------------------------------------------------------------------------
html_theme = "furo"
html_title = f"mesasym {release}"
html_static_path: list[str] = []

# --- LaTeX derivations: built as PDFs and linked from the theory pages ------------------
DERIVATIONS = ROOT / "derivations"
LATEX_WORK = DOCS / "_build" / "derivations"
#: generated at every build (gitignored), included by ``theory/derivations.md``
LINKS_PAGE = DOCS / "theory" / "_derivation_links.md"


def build_derivation_pdfs() -> list[Path]:
    """Compile ``derivations/*.tex`` with pdflatex in ``docs/_build/derivations``.

    Returns the PDFs. Without pdflatex it returns none (the derivations page then links
    the ``.tex`` sources and says so), unless ``MESASYM_REQUIRE_LATEX=1`` (set by CI), in
    which case a missing engine is an error.
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("MESASYM_REQUIRE_LATEX") == "1":
            raise RuntimeError("pdflatex is not installed but MESASYM_REQUIRE_LATEX=1")
        return []
    LATEX_WORK.mkdir(parents=True, exist_ok=True)
    pdfs = []
    for tex in sorted(DERIVATIONS.glob("*.tex")):
        pdf = LATEX_WORK / tex.with_suffix(".pdf").name
        copy = LATEX_WORK / tex.name
        if not (pdf.exists() and copy.exists() and copy.read_bytes() == tex.read_bytes()):
            copy.write_bytes(tex.read_bytes())
            for _ in range(2):  # twice, for cross-references
                result = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                    cwd=LATEX_WORK, capture_output=True, text=True, timeout=300, check=False,
                )
                if result.returncode != 0:
                    raise RuntimeError(f"pdflatex failed on {tex.name}:\n{result.stdout[-3000:]}")
        pdfs.append(pdf)
    return pdfs


def write_derivation_links() -> None:
    """Write the list of derivation documents (PDF links, or the sources without pdflatex)."""
    pdfs = build_derivation_pdfs()
    lines = []
    if pdfs:
        for pdf in pdfs:
            rel = os.path.relpath(pdf, DOCS).replace(os.sep, "/")
            src = f"derivations/{pdf.stem}.tex"
            lines.append(f"* {{download}}`{pdf.name} </{rel}>` (source `{src}`)")
    else:
        lines.append(
            "```{note}\npdflatex was not found when this site was built, so the PDFs were "
            "not compiled; the LaTeX sources are linked instead (CI installs pdflatex).\n```\n"
        )
        for tex in sorted(DERIVATIONS.glob("*.tex")):
            lines.append(f"* {{download}}`{tex.name} </../derivations/{tex.name}>`")
    LINKS_PAGE.write_text("\n".join(lines) + "\n", encoding="utf-8")


write_derivation_links()


# --- the guides: every Markdown page of docs/ (a page added later appears by itself) ----
GUIDE_ORDER = (
    "conventions", "check-fixed-point", "distributions", "symbolic", "dynamics",
    "population", "train", "capability", "property-testing", "sweep", "studies",
    "processes", "cli", "findings",
)
GUIDES_TOCTREE = DOCS / "_guides_toctree.md"


def write_guides_toctree() -> None:
    """The toctree of ``docs/*.md`` (not ``index``/``README``), known pages first."""
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index", "README"}
    pages = {p for p in pages if not p.startswith("_")}
    ordered = [p for p in GUIDE_ORDER if p in pages] + sorted(pages - set(GUIDE_ORDER))
    GUIDES_TOCTREE.write_text(
        "```{toctree}\n:hidden:\n:caption: Guides\n\n" + "\n".join(ordered) + "\n```\n",
        encoding="utf-8",
    )


write_guides_toctree()

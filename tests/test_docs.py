"""The documentation site and the examples in the docstrings.

* ``test_docstring_examples``: every ``>>>`` example in every mesasym module runs and
  prints what it shows (the standard-library doctest runner, in-process; fast).
* ``test_site_builds``: the Sphinx site (``docs/``) builds nitpicky with every warning
  an error (``-W --keep-going -n``), which also executes the tutorials and the command
  pages; every module has its API page. Slow (2.5 to 8 minutes on 2 cores).
* ``test_site_needs_no_network``: no CDN URL or remote script/stylesheet in the built
  HTML (MathJax is bundled); ``test_pages_render_in_headless_chromium``: three pages opened
  in headless Chromium show rendered formulas and loaded figures (one build for all).
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
import re
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


def test_every_package_has_a_docstring() -> None:
    """The API index shows each package's first docstring line: none may be empty."""
    packages = [name for name in _modules() if hasattr(importlib.import_module(name), "__path__")]
    assert len(packages) > 5
    missing = [name for name in packages if not (importlib.import_module(name).__doc__ or "").strip()]
    assert not missing, f"packages without a docstring: {missing}"


def test_every_module_has_an_api_page_entry() -> None:
    """The API reference walks every package of the layout (so new modules appear)."""
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    tops = {name.split(".")[1] for name in _modules() if name.count(".") >= 1}
    listed = {line.strip().split(".")[1] for line in index.splitlines()
              if line.strip().startswith("mesasym.")}
    assert tops <= listed, f"packages missing from docs/api/index.rst: {sorted(tops - listed)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site, built once for the tests below (``-W --keep-going -n``)."""
    _require_docs_tools()
    out = tmp_path_factory.mktemp("site") / "html"
    result = _sphinx(DOCS, out)
    assert result.returncode == 0, f"docs build failed:\n{result.stderr[-6000:]}\n{result.stdout[-2000:]}"
    return out


@pytest.mark.slow
def test_site_builds(site: Path) -> None:
    """``sphinx -W --keep-going -n`` builds the whole site: no warning, tutorials executed."""
    out = site
    assert 'id="module-mesasym"' in (out / "api" / "index.html").read_text(encoding="utf-8")
    public = [n for n in _modules()[1:] if not any(part.startswith("_") for part in n.split("."))]
    for name in public:  # private modules (e.g. numeric._ar_kernel) are not part of the API
        assert (out / "api" / "_generated" / f"{name}.html").is_file(), f"no API page for {name}"
    for page in ("index", "README", "api/index", "tutorials/index", "theory/index", "commands/index"):
        assert (out / f"{page}.html").is_file(), f"missing page {page}"


#: A URL of a content delivery network (or any remote script or stylesheet) in built HTML.
_REMOTE = re.compile(
    r"""https?://[^\s"'<>]*(?:cdn|jsdelivr|unpkg|googleapis)[^\s"'<>]*"""
    r"""|<script[^>]*\ssrc=["']https?://|<link[^>]*\shref=["']https?://[^"']*\.(?:css|js)\b""",
    re.IGNORECASE,
)


def remote_resources(html: str) -> list[str]:
    """The CDN URLs and remote scripts/stylesheets in ``html`` (none may be needed offline)."""
    return [match.group(0) for match in _REMOTE.finditer(html)]


def test_remote_resource_finder_finds_a_cdn() -> None:
    """The can-fail side of the offline test: Sphinx's default MathJax URL is found."""
    default = '<script async="async" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
    assert remote_resources(default) and remote_resources('<link rel="stylesheet" href="https://example.org/a.css">')
    assert not remote_resources('<script src="_static/mathjax/tex-chtml.js"></script> see https://arxiv.org/abs/1')


@pytest.mark.slow
def test_site_needs_no_network(site: Path) -> None:
    """No page loads anything from a CDN; MathJax is the bundled copy in ``_static``."""
    found = {}
    for page in site.rglob("*.html"):
        hits = remote_resources(page.read_text(encoding="utf-8", errors="replace"))
        if hits:
            found[str(page.relative_to(site))] = hits[:3]
    assert not found, f"remote resources in the built HTML: {dict(list(found.items())[:5])}"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert "_static/mathjax/tex-chtml.js" in (site / "index.html").read_text(encoding="utf-8")


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


# --- the built site in a real browser ---------------------------------------------------------------

#: Loads ``?page=...`` in an iframe, waits for MathJax and the images, writes what it saw as JSON into
#: ``#result``: formulas rendered (``mjx-container``), raw TeX left in the visible text (outside code
#: blocks), the images and those that did not load.
_CHECKER = """<!doctype html><html><body><pre id="result">pending</pre><script>
const frame = document.createElement("iframe");
frame.style.width = "1200px"; frame.style.height = "900px";
frame.src = new URLSearchParams(location.search).get("page");
frame.onload = async () => {
  const win = frame.contentWindow, doc = frame.contentDocument;
  try { if (win.MathJax && win.MathJax.startup) await win.MathJax.startup.promise; } catch (e) {}
  const images = Array.from(doc.images);
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const body = doc.body.cloneNode(true);
  body.querySelectorAll("pre, code, .highlight, script, style").forEach(e => e.remove());
  doc.documentElement.appendChild(body);  // innerText needs a rendered element
  const text = body.innerText; body.remove();
  document.getElementById("result").textContent = JSON.stringify({
    math: doc.querySelectorAll("mjx-container").length,
    raw: ["\\\\(", "\\\\[", "\\\\frac", "$$"].filter(s => text.includes(s)),
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => (i.getAttribute("src") || "").slice(0, 60)),
  });
};
document.body.appendChild(frame);
</script></body></html>
"""


def _chromium() -> str:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("MESASYM_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium is not installed but MESASYM_REQUIRE_BROWSER=1")
    pytest.skip("chromium is not installed (apt-get install chromium; set MESASYM_REQUIRE_BROWSER=1 to fail instead)")


def _open_in_chromium(site: Path, pages: list[str]) -> dict[str, dict]:
    """What the checker page saw on each page, served over local HTTP to headless Chromium (no network)."""
    import functools
    import http.server
    import json
    import tempfile
    import threading

    (site / "_browser_check.html").write_text(_CHECKER, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen = {}
    try:
        for page in pages:
            with tempfile.TemporaryDirectory() as profile:
                result = subprocess.run(
                    [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom",
                     f"http://127.0.0.1:{server.server_address[1]}/_browser_check.html?page={page}"],
                    capture_output=True, text=True, timeout=120, check=False,
                )
            match = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.DOTALL)
            assert match and match.group(1) != "pending", f"{page}: no result from chromium: {result.stderr[-2000:]}"
            seen[page] = json.loads(match.group(1))
    finally:
        server.shutdown()
    return seen


@pytest.mark.slow
def test_pages_render_in_headless_chromium(site: Path) -> None:
    """Index, a command page and a tutorial: formulas rendered (no raw TeX visible), every figure loaded.

    The control copy of the index without its MathJax script and with a missing image must show
    both problems (the can-fail side).
    """
    index = (site / "index.html").read_text(encoding="utf-8")
    control = re.sub(r'<script[^>]*mathjax/tex-chtml\.js[^>]*></script>', "", index)
    assert control != index
    (site / "_control.html").write_text(control.replace("</body>", '<img src="_no_such_figure.png"></body>'), encoding="utf-8")
    pages = ["index.html", "commands/check-fixed-point.html", "tutorials/figure1.html", "_control.html"]
    seen = _open_in_chromium(site, pages)
    for page in pages[:3]:
        assert seen[page]["math"] > 0 and not seen[page]["raw"], (page, seen[page])
        assert not seen[page]["broken"], (page, seen[page])
    assert seen["tutorials/figure1.html"]["images"] >= 2, seen["tutorials/figure1.html"]
    assert seen["_control.html"]["math"] == 0 and seen["_control.html"]["raw"], seen["_control.html"]
    assert seen["_control.html"]["broken"] == ["_no_such_figure.png"], seen["_control.html"]

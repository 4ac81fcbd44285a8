"""Regenerate the committed LaTeX derivations in this directory.

Run ``python derivations/generate.py`` (or ``mesasym derive --latex derivations``)
from the project root; ``tests/test_latex.py`` checks that the committed files
equal a fresh regeneration and that each compiles with pdflatex.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mesasym.report.latex import main

if __name__ == "__main__":
    sys.exit(main([str(Path(__file__).resolve().parent)]))

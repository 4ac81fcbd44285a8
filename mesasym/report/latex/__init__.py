"""Standalone LaTeX documents of the symbolic derivation (``derivations/``).

The documents, generated from the objects the derivation computes (nothing
is typed in except prose):

* ``theorem1.tex`` -- loss on the manifold (block algebra), coordinates, phase
  average term by term, moment substitution, sum over ``t``, ODE, conserved
  quantity, fixed point, linearisation, non-convergent set, comparison with
  the paper's claim;
* ``corollary1.tex`` -- the one-step-GD identity and its derived step size;
* ``invariance.tex`` -- the full model's gradient at manifold points, block by
  block and entry by entry, with the moments that decide each entry;
* ``capability.tex`` -- Theorem 2 and the recovery condition;
* ``dynamics.tex`` -- the closed-form training dynamics: ``c(tau)``, the rate, the time
  to ``eps``, the reduced GD map's stability threshold, the full model's step limit;
* ``processes.tex`` -- other transition laws of ``W``: the invariance condition on the phase
  moments, the manifold loss's coincidence patterns, which reduction step holds, closed forms;
* ``deep.tex`` -- two-layer linear attention: the per-layer manifold reduces to one layer with
  ``ab = sum a_l b_l``, the residue that breaks its invariance, the reduced loss on its closure.

Only packages of Debian's ``texlive-latex-base`` are used (amsmath, amssymb,
geometry, longtable). The output is deterministic for a given SymPy version
(recorded in each header), so the committed files can be compared with a
fresh regeneration: ``python -m mesasym.report.latex derivations`` or
``mesasym derive --latex derivations``.
"""


from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mesasym.errors import InvalidInputError
from mesasym.report.latex.capability import capability_document
from mesasym.report.latex.common import Specialisation
from mesasym.report.latex.documents import corollary1_document, invariance_document, theorem1_document
from mesasym.report.latex.dynamics import dynamics_document
from mesasym.report.latex.deep import deep_document
from mesasym.report.latex.processes import processes_document

__all__ = [
    "DOCUMENT_NAMES",
    "Specialisation",
    "theorem1_document",
    "corollary1_document",
    "invariance_document",
    "capability_document",
    "dynamics_document",
    "processes_document",
    "deep_document",
    "write_derivations",
    "main",
]

#: File names written by :func:`write_derivations`, in order.
DOCUMENT_NAMES = (
    "theorem1.tex", "corollary1.tex", "invariance.tex", "capability.tex", "dynamics.tex", "processes.tex", "deep.tex"
)


def write_derivations(
    directory: str | Path, spec: Specialisation | None = None, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write the documents into ``directory`` (created if needed); returns their paths.

    ``progress(name)`` is called before each document is derived and printed.
    """
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--latex {str(directory)!r} exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[], str]] = {
        "theorem1.tex": lambda: theorem1_document(spec),
        "corollary1.tex": corollary1_document,
        "invariance.tex": invariance_document,
        "capability.tex": capability_document,
        "dynamics.tex": dynamics_document,
        "processes.tex": processes_document,
        "deep.tex": deep_document,
    }
    texts = {}
    for name in DOCUMENT_NAMES:  # derive every document before writing any
        if progress is not None:
            progress(name)
        texts[name] = builders[name]()
    written = []
    for name in DOCUMENT_NAMES:
        target = path / name
        target.write_text(texts[name], encoding="utf-8")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mesasym.report.latex [DIR]``: regenerate the committed documents (default ``derivations``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    directory = args[0] if args else "derivations"
    for target in write_derivations(directory):
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

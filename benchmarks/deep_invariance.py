"""Print the invariance table of docs/deep-theory.md (deep linear attention, exact engine).

Usage: python benchmarks/deep_invariance.py   (about 2 minutes on 2 cores)
"""

from __future__ import annotations

import time

from mesasym.compare.deep_invariance import TABLE_SETTINGS, invariance_row, markdown


def main() -> None:
    start = time.perf_counter()
    rows = [invariance_row(*setting) for setting in TABLE_SETTINGS]
    print(markdown(rows))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

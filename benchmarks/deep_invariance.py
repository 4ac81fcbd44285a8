"""Print the invariance table of docs/deep-theory.md (deep linear attention, exact engine).

Usage: python benchmarks/deep_invariance.py   (rows print as they finish; minutes on 2 cores)
"""

from __future__ import annotations

import time

from mesasym.compare.deep_invariance import TABLE_SETTINGS, invariance_row, markdown


def main() -> None:
    start = time.perf_counter()
    header, rule = markdown([]).splitlines()
    print(header, rule, sep="\n", flush=True)
    for setting in TABLE_SETTINGS:
        print(markdown([invariance_row(*setting)]).splitlines()[-1], flush=True)
    print(f"\n({time.perf_counter() - start:.0f} s on this machine)")


if __name__ == "__main__":
    main()

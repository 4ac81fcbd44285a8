"""Run every benchmark in this folder, one after the other, and print their figures.

    python benchmarks/run_all.py            # the full runs (several minutes)
    python benchmarks/run_all.py --quick    # smaller sizes where a benchmark offers them

Each script prints its own figures and the ratios against the baseline it
measures in the same run; see the docstring at the top of each script.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: (script, arguments for --quick)
BENCHMARKS = (
    ("bench_foundation.py", ["--quick"]),
    ("bench_train.py", ["--quick"]),
    ("bench_models.py", ["--quick"]),
    ("bench_population.py", ["--quick"]),
    ("bench_symbolic.py", ["--repeat", "1"]),
    ("bench_check_fixed_point.py", ["--repeat", "1"]),
    ("bench_capability.py", ["--quick"]),
    ("bench_sweep.py", ["--quick"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes where available")
    args = parser.parse_args()
    failures = 0
    for script, quick in BENCHMARKS:
        print(f"\n######## {script} {' '.join(quick) if args.quick else ''}".rstrip(), flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script), *(quick if args.quick else [])], check=False)
        failures += done.returncode != 0
        print(f"######## {script}: {time.perf_counter() - start:.1f} s, exit {done.returncode}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

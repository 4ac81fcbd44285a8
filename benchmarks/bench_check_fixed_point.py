"""End-to-end timing of ``mesasym check-fixed-point --T 50`` (the default run).

Run ``python benchmarks/bench_check_fixed_point.py [--repeat N]``. Prints

* the wall time of the default command in a fresh process, start-up included
  (the budget is 10 s on a 2-core machine), best of ``--repeat``;
* the baseline measured in the same run: a fresh ``python -c "import mesasym.compare.fixed_point"``
  (interpreter start-up plus imports of NumPy, SciPy, SymPy, mpmath), and the ratio;
* the in-process time of each stage: symbolic derivation, the derived reduced
  ODE at 50 digits, the full model's population flow, Corollary 1, and the
  relative error of the numeric ``ab`` (the issue asks for <= 1e-6).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def _wall(argv: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    command = [sys.executable, "-m", "mesasym", "check-fixed-point", "--T", "50"]
    total = _wall(command, args.repeat)
    baseline = _wall([sys.executable, "-c", "import mesasym.compare.fixed_point"], args.repeat)
    print("== mesasym check-fixed-point --T 50 (defaults: d=5, gaussian:sigma=1, a0=b0=0.1, population) ==")
    print(f"baseline: fresh interpreter + imports : {baseline:7.2f} s")
    print(f"default command, wall, best of {args.repeat}     : {total:7.2f} s   ({total / baseline:.1f}x the baseline; budget 10 s)")

    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    stamps: list[tuple[str, float]] = []
    start = time.perf_counter()
    report = verify_fixed_point(FixedPointSettings(), progress=lambda message: stamps.append((message, time.perf_counter())))
    end = time.perf_counter()
    print("stages (in process, first run):")
    points = [start] + [t for _, t in stamps] + [end]
    labels = ["validation, kappas"] + [message for message, _ in stamps]
    for label, t0, t1 in zip(labels, points[:-1], points[1:]):
        print(f"  {label:58s} {t1 - t0:6.2f} s")
    error = abs(report.numeric.final_ab - float(report.c_star_mp)) / float(report.c_star_mp)
    print(f"verdict: {report.verdict}; numeric ab relative error {error:.2e} (required <= 1e-6)")


if __name__ == "__main__":
    main()

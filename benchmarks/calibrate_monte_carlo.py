"""Calibration of ``check-fixed-point --engine monte-carlo``: false alarms, coverage, power.

The runs are a sweep (``studies/mc-calibration.toml``: 40 seeds at the command's default Monte
Carlo setting, Gaussian ``d = 5, T = 50``, 20,000 sequences, and at ``d = 2, T = 10`` with
20,000 and 2,000 sequences)::

    NUMBA_NUM_THREADS=1 mesasym sweep studies/mc-calibration.toml --out docs/studies/mc-calibration --workers 1
    python benchmarks/calibrate_monte_carlo.py docs/studies/mc-calibration

Every run is a correct implementation checked against the exact ``a~b~``, so every failed
``independent`` row is a false alarm. For each setting this prints, with
:func:`mesasym.compare.monte_carlo.calibration` (rates as ``k/N = p +- binomial SE``, and
the one-sided 95 % Clopper-Pearson upper bound):

* the false-alarm rate (any independent row, and per row) -- the promise is at most ``2 alpha``;
* the coverage of the stated ``1 - alpha`` interval ``numeric.interval`` -- at least ``1 - 2 alpha``;
* the power: the share of runs that reject ``a~b~ (1 +- detectable_relative_error)``
  (stated: 0.9);
* the studentized deviations ``t = (ab - a~b~)/SE`` (mean, sd, mean of ``t^2``; Student-t
  with 9 degrees of freedom has 0, 1.13, 1.29), the spread of ``ab`` over seeds against the
  root mean square of the reported SE (1 if the SE is right on average), the mean raw and corrected relative gaps
  with their standard errors over seeds, and the wall time per run.

The figures in docs/check-fixed-point.md ("Calibration") and docs/studies.md come from it.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from mesasym.compare import monte_carlo as mc
from mesasym.sweep.spec import load_spec
from mesasym.sweep.store import read_table

ROWS = ("numeric-ab", "trajectory", "corollary-1")


def runs_of(rows: list[dict]) -> list[mc.CalibrationRun]:
    """The :class:`~mesasym.compare.monte_carlo.CalibrationRun` of every finished sweep row."""
    out = []
    for row in rows:
        failed = tuple(
            name for name in ROWS if row.get(f"checks.{name}.kind") == "independent" and row.get(f"checks.{name}.passed") is False
        )
        out.append(
            mc.CalibrationRun(
                estimate=row["numeric.ab"],
                standard_error=row["numeric.standard_error"],
                df=int(row["numeric.replicates"]) - 1,
                reference=row["fixed_point.ab"],
                detectable=row["numeric.detectable_relative_error"],
                failed=failed,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", help="the sweep's output directory (docs/studies/mc-calibration)")
    parser.add_argument("--markdown", action="store_true", help="also print the docs' table rows")
    args = parser.parse_args()
    lines = []
    wanted = {point.point_id for point in load_spec(Path(args.table) / "spec.toml").points()}
    settings: dict[tuple, list[dict]] = defaultdict(list)
    for row in read_table(args.table):
        if row.get("status") == "done" and row["point_id"] in wanted:  # only the spec's points
            settings[(row["settings.d"], row["settings.T"], row["settings.samples"])].append(row)
    for (d, T, samples), rows in sorted(settings.items()):
        alpha = rows[0]["numeric.alpha"]
        summary = mc.calibration(runs_of(rows), alpha, ROWS)
        seeds = sorted(int(r["settings.seed"]) for r in rows)
        raw = np.array([(r["numeric.ab_trained"] - r["fixed_point.ab"]) / r["fixed_point.ab"] for r in rows])
        gap = np.array([(r["numeric.ab"] - r["fixed_point.ab"]) / r["fixed_point.ab"] for r in rows])
        sem = math.sqrt(len(rows))
        print(f"== gaussian:sigma=1, d={d}, T={T}, samples={samples}, alpha={alpha:g}, {len(rows)} seeds ({seeds[0]}..{seeds[-1]}) ==")
        print(f"false alarm, any independent row : {summary['false_alarm']}   (promise <= {2 * alpha:g})")
        for name in ROWS:
            print(f"false alarm, {name:<19} : {summary[f'false_alarm_{name}']}")
        print(f"coverage of the {1 - alpha:.0%} interval     : {summary['coverage']}   (promise >= {1 - 2 * alpha:g})")
        print(f"power at +detectable error      : {summary['power_up']}   (stated {mc.DETECTION_POWER:g})")
        print(f"power at -detectable error      : {summary['power_down']}")
        print(f"t = (ab - a~b~)/SE              : mean {summary['mean_t']:+.2f}, sd {summary['sd_t']:.2f}, mean t^2 {summary['mean_t2']:.2f}")
        print(f"raw (trained) gap / a~b~        : {raw.mean():+.4f} +- {raw.std(ddof=1) / sem:.4f}")
        print(f"corrected gap / a~b~            : {gap.mean():+.4f} +- {gap.std(ddof=1) / sem:.4f}")
        se = np.array([r["numeric.standard_error"] for r in rows])
        spread = np.array([r["numeric.ab"] for r in rows]).std(ddof=1)
        print(f"sd of ab over seeds / RMS of SE  : {spread / math.sqrt(np.mean(se**2)):.2f} (SE/a~b~ from {se.min() / rows[0]['fixed_point.ab']:.4f} to {se.max() / rows[0]['fixed_point.ab']:.4f})")
        print(f"mean SE / a~b~, detectable      : {np.mean([r['numeric.standard_error'] / r['fixed_point.ab'] for r in rows]):.4f}, "
              f"{np.mean([r['numeric.detectable_relative_error'] for r in rows]):.2%}")
        print(f"wall time per run               : {np.mean([r['wall_seconds'] for r in rows]):.1f} s")
        rate = lambda key: f"{summary[key].value:.3f} ± {summary[key].standard_error:.3f}"  # noqa: E731
        lines.append(
            f"| `d = {d}`, `T = {T}`, `n = {samples}` | {len(rows)} | {summary['false_alarm'].count} ({rate('false_alarm')}; "
            f"≤ {summary['false_alarm'].upper95:.3f}) | {rate('coverage')} | {rate('power_up')} / {rate('power_down')} | "
            f"{summary['mean_t']:+.2f}, {summary['sd_t']:.2f}, {summary['mean_t2']:.2f} | {gap.mean():+.4f} ± {gap.std(ddof=1) / sem:.4f} "
            f"(raw {raw.mean():+.4f}) | {np.mean([r['numeric.detectable_relative_error'] for r in rows]):.1%} | "
            f"{np.mean([r['wall_seconds'] for r in rows]):.0f} s |"
        )
    if args.markdown:
        print("| setting | seeds | false alarms (rate ± binomial SE; 95 % upper) | coverage of the 99 % interval | power at ± detectable error | t: mean, sd, mean t² | corrected gap / ãb̃ (raw) | detectable error | wall time per run |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(lines))


if __name__ == "__main__":
    main()

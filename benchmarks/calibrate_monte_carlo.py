"""Calibration of ``check-fixed-point --engine monte-carlo`` over many seeds.

Run ``python benchmarks/calibrate_monte_carlo.py [--seeds N] [--setting SPEC ...]`` from the
project root. Each ``SPEC`` is ``dist,d,T,samples`` (``dist`` may not contain commas);
without ``--setting`` the two documented settings run (a light-tailed and a heavy-tailed
law). For every setting it runs :func:`mesasym.compare.fixed_point.verify_fixed_point`
at seeds ``0..N-1`` and prints, against the derived ``a~b~``:

* the mean deviation of the trained ``ab`` (uncorrected) and of the bias-corrected
  ``numeric.ab``, each with the standard error of the mean over seeds and the ratio ``z``;
* the empirical coverage of the reported 95 % interval ``ab +- t_{0.975, G-1} SE``, with
  the binomial standard error ``sqrt(0.95 * 0.05 / N)``;
* the share of seeds whose ``numeric-ab`` check passed at the false-alarm rate (default 1 %);
* the mean ``numeric.detectable_relative_error`` and the share of seeds that reject a
  deliberately wrong target ``a~b~ (1 + 2 detectable)`` at that rate;
* the time per seed.

The figures in docs/check-fixed-point.md ("Calibration") come from this script.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from mesasym.compare import monte_carlo as mc
from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

DEFAULT_SETTINGS = ("gaussian:sigma=1,2,10,2000", "laplace:scale=1,2,10,2000")


def calibrate(dist: str, d: int, T: int, samples: int, seeds: int, alpha: float = 0.01) -> dict[str, float]:
    """Run the Monte Carlo check at ``seeds`` seeds; return the figures listed in the module docstring."""
    deviations, raw, inside, passed, rejected, detectable = [], [], [], [], [], []
    start = time.perf_counter()
    for seed in range(seeds):
        settings = FixedPointSettings(
            T=T, d=d, dist=dist, engine="monte-carlo", samples=samples, seed=seed, dps=30, alpha=alpha, test_sequences=20
        )
        report = verify_fixed_point(settings)
        numeric = report.to_dict()["numeric"]
        c_star = float(report.c_star_mp)
        se, G = numeric["standard_error"], numeric["replicates"]
        deviations.append(numeric["ab"] - c_star)
        raw.append(numeric["ab_trained"] - c_star)
        inside.append(abs(numeric["ab"] - c_star) <= mc.t_quantile(0.05, G - 1) * se)
        passed.append(next(c for c in report.checks if c.name == "numeric-ab").passed)
        wrong = c_star * (1 + 2 * numeric["detectable_relative_error"])
        rejected.append(abs(numeric["ab"] - wrong) > mc.t_quantile(alpha, G - 1) * se)
        detectable.append(numeric["detectable_relative_error"])
    n = len(deviations)

    def mean_sem(values: list[float]) -> tuple[float, float]:
        array = np.asarray(values)
        return float(array.mean()), float(array.std(ddof=1) / math.sqrt(n))

    bias, bias_sem = mean_sem(deviations)
    raw_bias, raw_sem = mean_sem(raw)
    return {
        "c_star": c_star,
        "seeds": n,
        "bias": bias,
        "bias_sem": bias_sem,
        "raw_bias": raw_bias,
        "raw_sem": raw_sem,
        "coverage95": float(np.mean(inside)),
        "coverage_binomial_se": math.sqrt(0.95 * 0.05 / n),
        "passed": float(np.mean(passed)),
        "detectable": float(np.mean(detectable)),
        "rejected_wrong_target": float(np.mean(rejected)),
        "seconds_per_seed": (time.perf_counter() - start) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=24)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--setting", action="append", help="dist,d,T,samples (repeatable)")
    args = parser.parse_args()
    for spec in args.setting or DEFAULT_SETTINGS:
        dist, d, T, samples = spec.rsplit(",", 3)
        r = calibrate(dist, int(d), int(T), int(samples), args.seeds, args.alpha)
        print(f"== {dist}, d={d}, T={T}, samples={samples}, seeds 0..{args.seeds - 1}, alpha={args.alpha:g} ==")
        print(f"a~b~                                  : {r['c_star']:.6g}")
        print(
            f"trained ab - a~b~ (uncorrected)       : {r['raw_bias']:+.5f} +- {r['raw_sem']:.5f} "
            f"(z = {r['raw_bias'] / r['raw_sem']:+.2f}; {r['raw_bias'] / r['c_star']:+.2%} of a~b~)"
        )
        print(
            f"numeric.ab - a~b~ (jackknife)         : {r['bias']:+.5f} +- {r['bias_sem']:.5f} "
            f"(z = {r['bias'] / r['bias_sem']:+.2f}; {r['bias'] / r['c_star']:+.2%} of a~b~)"
        )
        print(f"coverage of the 95 % interval         : {r['coverage95']:.3f} (binomial SE {r['coverage_binomial_se']:.3f})")
        print(f"numeric-ab passed at alpha            : {r['passed']:.3f}")
        print(f"mean detectable relative error        : {r['detectable']:.2%}")
        print(f"wrong target a~b~(1 + 2 detectable)   : rejected in {r['rejected_wrong_target']:.0%} of seeds")
        print(f"time per seed                         : {r['seconds_per_seed']:.1f} s")


if __name__ == "__main__":
    main()

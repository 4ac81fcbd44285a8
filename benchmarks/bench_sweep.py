"""Benchmark of ``mesasym sweep``: points per minute of the skewness study with 1 and 2 workers, and overhead.

    python benchmarks/bench_sweep.py           # the whole study (27+ points; several minutes)
    python benchmarks/bench_sweep.py --quick   # the (d, T) = (2, 10) slice only

Measured in the same run:

* the baseline: every point through the command's Python API in this process, one after
  the other (``mesasym.sweep.point.command_result``), after one warm-up call;
* the sweep on a local cluster with 1 worker and with 2 workers (wall time of
  ``run_sweep`` including starting and stopping the cluster), as points per minute, and the
  scaling ratio 2 workers / 1 worker;
* the cost of starting and stopping a 1-worker local cluster alone;
* the overhead per point: (1-worker sweep - cluster start/stop - baseline) / points, and the
  median of (a point's wall time in its worker) / (the same point's time in the baseline);
* for each sweep, how many points were in flight on average (sum of the points' wall times /
  the sweep's wall time) and the median CPU share of a point (its thread's CPU time / its wall
  time): on a machine shared with other jobs a share well below 1 means the workers waited for
  a core, which is what limits the scaling ratio then.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mesasym.sweep.point import command_result  # noqa: E402
from mesasym.sweep.run import run_sweep  # noqa: E402
from mesasym.sweep.spec import load_spec  # noqa: E402
from mesasym.sweep.store import read_table  # noqa: E402


def cluster_start_stop() -> float:
    """Seconds to start a 1-worker LocalCluster, connect, run a trivial task and close it."""
    import logging

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.submit(int, 1).result()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the (d, T) = (2, 10) slice of the study")
    args = parser.parse_args()
    spec = load_spec(ROOT / "studies" / "skewness.toml")
    if args.quick:
        spec = dataclasses.replace(spec, groups=[g if "v" in g else {"d": [2], "T": [10]} for g in spec.groups], plots=[])
    points = spec.points()
    n = len(points)
    print(f"skewness study: {n} points of {spec.command} on {os.cpu_count()} cores")
    print(f"  load average at the start: {os.getloadavg()[0]:.1f} (other jobs on the {os.cpu_count()} cores slow the"
          " sweep; the CPU share of the points below says how much)")

    command_result(spec.command, points[0].argv())  # warm-up: imports and caches, as a worker's first point pays
    direct: dict[str, float] = {}
    start = time.perf_counter()
    for point in points:
        t0 = time.perf_counter()
        command_result(spec.command, point.argv())
        direct[point.point_id] = time.perf_counter() - t0
    baseline = time.perf_counter() - start
    print(f"  baseline, API in this process, serial : {baseline:7.1f} s  {60 * n / baseline:6.1f} points/min")

    fixed = cluster_start_stop()
    print(f"  local cluster (1 worker) start + stop  : {fixed:7.1f} s")

    walls = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            summary = run_sweep(spec, out, workers=workers, progress=False)
            walls[workers] = time.perf_counter() - start
            rows = read_table(out)
        assert summary.done == n, summary
        busy = sum(r["wall_seconds"] for r in rows) / walls[workers]
        share = statistics.median(r["cpu_seconds"] / r["wall_seconds"] for r in rows)
        print(f"  sweep, {workers} worker(s)                    : {walls[workers]:7.1f} s  {60 * n / walls[workers]:6.1f} points/min"
              f"  (points in flight on average {busy:.2f}; median CPU share of a point {share:.2f})")
        if workers == 1:
            ratios = [r["wall_seconds"] / direct[r["point_id"]] for r in rows if r["point_id"] in direct]
    print(f"  scaling, 2 workers / 1 worker          : {walls[1] / walls[2]:7.2f}x (ideal 2.00x)")
    per_point = (walls[1] - fixed - baseline) / n
    print(f"  overhead per point (1 worker)          : {per_point:+7.3f} s  (sweep - cluster start/stop - baseline) / points")
    print(f"  a point in its worker / in the baseline: {statistics.median(ratios):7.2f}x (median over points)")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

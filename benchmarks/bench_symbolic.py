"""Timing of the symbolic derivation and the high-precision fixed point.

Run ``python benchmarks/bench_symbolic.py``. Each symbolic figure is measured
in a fresh interpreter (the derivations are cached per process), as the time
of the call itself (imports excluded), best of ``--repeat`` runs. A baseline
measured in the same run -- SymPy expanding ``(x + y + z)^18`` -- is printed
with every figure as a ratio, so results from different machines compare.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASES = {
    "baseline: expand((x+y+z)^18)": (
        "import sympy as sp; x, y, z = sp.symbols('x y z')",
        "sp.expand((x + y + z)**18)",
    ),
    "route (i) L_t, symbolic d and t": (
        "from mesasym.symbolic.manifold_loss import general_manifold_loss",
        "general_manifold_loss()",
    ),
    "general-T derivation (L_t .. fixed point, rate, non-convergent set)": (
        "from mesasym.symbolic.reduced_flow import derive_reduced_flow",
        "derive_reduced_flow()",
    ),
    "concrete T=100, d=5, Gaussian kappas": (
        "from mesasym.symbolic.reduced_flow import derive_reduced_flow",
        "derive_reduced_flow(100, 5, (3, 15, 12))",
    ),
    "route (ii) brute force d=3, t=6": (
        "from mesasym.symbolic.manifold_loss import brute_force_manifold_loss",
        "brute_force_manifold_loss(3, 6)",
    ),
    "invariance table d=2, T=5 (72 entries)": (
        "from mesasym.symbolic.invariance import invariance_table",
        "invariance_table(2, 5)",
    ),
    "invariance table d=3, T=5 (162 entries)": (
        "from mesasym.symbolic.invariance import invariance_table",
        "invariance_table(3, 5)",
    ),
    "Corollary 1 identity d=3, t=6": (
        "from mesasym.symbolic.corollary import corollary1_identity",
        "corollary1_identity(3, 6)",
    ),
    "fixed_point_mp T=10^6, 50 digits (after derivation)": (
        "from mesasym.precise import fixed_point_mp; fixed_point_mp(5, 3, 15, 12)",
        "fixed_point_mp(10**6, 3, 15, 12, dps=50)",
    ),
    "fixed_point_mp T=10^30, 1000 digits": (
        "from mesasym.precise import fixed_point_mp; fixed_point_mp(5, 3, 15, 12)",
        "fixed_point_mp(10**30, 3, 15, 12, dps=1000)",
    ),
    "fixed_point_exact T=10^5": (
        "from mesasym.precise import fixed_point_exact; fixed_point_exact(5, 3, 15, 12)",
        "fixed_point_exact(10**5, 3, 15, 12)",
    ),
    "closed-form dynamics, every step verified (after the general flow)": (
        "from mesasym.symbolic.reduced_flow import derive_reduced_flow; derive_reduced_flow(); "
        "from mesasym.symbolic.dynamics import derive_dynamics",
        "derive_dynamics()",
    ),
    "closed-form dynamics, verify=False (check-fixed-point's path)": (
        "from mesasym.symbolic.reduced_flow import derive_reduced_flow; derive_reduced_flow(); "
        "from mesasym.symbolic.dynamics import derive_dynamics",
        "derive_dynamics(verify=False)",
    ),
    "closed form at 238 times, 20 digits (after derivation)": (
        "from mesasym.precise.dynamics import DynamicsEvaluator; import mpmath; "
        "ev = DynamicsEvaluator(1532, '0.19', '0.1', '0.1', dps=20); ev.at(0)",
        "[ev.at(mpmath.mpf(k) / 1000) for k in range(238)]",
    ),
    "reduced GD map, 10^4 steps at 30 digits (after derivation)": (
        "from mesasym.precise.dynamics import DynamicsEvaluator; "
        "ev = DynamicsEvaluator(1532, '0.19', '0.1', '0.1', dps=30); ev.gd('1e-4', 1)",
        "ev.gd('1e-4', 10_000)",
    ),
    "LaTeX: all documents in derivations/": (
        "from mesasym.report.latex import write_derivations; import tempfile",
        "write_derivations(tempfile.mkdtemp())",
    ),
}

_DRIVER = """
import time, json
{setup}
start = time.perf_counter()
{call}
print(json.dumps(time.perf_counter() - start))
"""


def _time_once(setup: str, call: str) -> float:
    code = _DRIVER.format(setup=setup, call=call)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args()
    started = time.perf_counter()
    results = {}
    for name, (setup, call) in CASES.items():
        results[name] = min(_time_once(setup, call) for _ in range(max(1, args.repeat)))
    baseline = results["baseline: expand((x+y+z)^18)"]
    width = max(len(n) for n in results)
    print(f"{'case':<{width}}  {'seconds':>8}  {'x baseline':>10}")
    for name, seconds in results.items():
        print(f"{name:<{width}}  {seconds:8.3f}  {seconds / baseline:10.1f}")
    print(f"(total wall time {time.perf_counter() - started:.1f} s, best of {args.repeat} fresh interpreters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

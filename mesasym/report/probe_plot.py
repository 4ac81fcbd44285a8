"""The figure of ``mesasym probe --plot``: distance to each algorithm per position, and the fitted GD steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mesasym.compare.probe import ProbeReport

__all__ = ["plot_probe"]


def plot_probe(report: ProbeReport, path: str | Path) -> Path:
    """Left: relative distance ``D_p`` against position ``p`` per algorithm (log scale, floored at 1e-32);
    right: the fitted step sizes :math:`\\eta_k` of every ``gd:k=K`` (real parts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for row in report.rows:
        positions = np.arange(2, len(row.distance_by_position) + 2)
        style = "-" if row.name == report.closest else "--"
        left.semilogy(positions, np.maximum(row.distance_by_position, 1e-32), style, marker=".", label=row.name)
    left.axhline(report.threshold, color="black", lw=0.8, ls=":", label=f"threshold {report.threshold:.2g}")
    left.set_xlabel("position p")
    left.set_ylabel("relative distance to the target")
    left.set_title(f"{report.target}: verdict {report.verdict}")
    left.legend(fontsize=7, ncol=2)
    left.grid(alpha=0.3)
    for row in report.rows:
        steps = row.hyperparameters.get("steps")
        if steps is None:
            continue
        values = np.asarray(steps["real"] if isinstance(steps, dict) else steps, dtype=float)
        right.plot(np.arange(1, len(values) + 1), values, marker="o", label=row.name)
    right.set_xlabel("step k")
    right.set_ylabel(r"fitted step size $\eta_k$")
    right.set_title("fitted GD steps")
    right.grid(alpha=0.3)
    if right.lines:
        right.legend(fontsize=7)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""Figures of :mod:`mesasym.verification` results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mesasym.verification import FixedPointReport

__all__ = ["plot_fixed_point"]


def plot_fixed_point(report: FixedPointReport, path: str | Path) -> Path:
    """Draw ``a(tau)``, ``b(tau)``, ``ab(tau)`` of the numeric full model over the reduced ODE.

    The numeric trajectory (population flow or Monte Carlo gradient descent,
    ``tau = step * lr``) is drawn with markers, the high-precision solution of the
    derived reduced ODE with lines, and the derived ``a~b~`` as a dashed line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = report.settings
    numeric = report.numeric
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    if report.reduced is not None:
        tau = np.array([float(t) for t in report.reduced.tau])
        a = np.array([float(v) for v in report.reduced.a])
        b = np.array([float(v) for v in report.reduced.b])
        ax.plot(tau, a, color="tab:blue", lw=1.5, label="a (reduced ODE, derived)")
        ax.plot(tau, b, color="tab:orange", lw=1.5, label="b (reduced ODE, derived)")
        ax.plot(tau, a * b, color="tab:green", lw=1.5, label="ab (reduced ODE, derived)")
    every = max(1, len(numeric.tau) // 60)
    label = "population flow" if numeric.engine == "population" else "Monte Carlo GD"
    ax.plot(numeric.tau[::every], numeric.a[::every], "o", ms=3.5, mfc="none", color="tab:blue", label=f"a ({label}, full model)")
    ax.plot(numeric.tau[::every], numeric.b[::every], "s", ms=3.5, mfc="none", color="tab:orange", label=f"b ({label}, full model)")
    ax.plot(numeric.tau[::every], numeric.ab[::every], "^", ms=3.5, mfc="none", color="tab:green", label=f"ab ({label}, full model)")
    if report.c_star_mp is not None:
        ax.axhline(float(report.c_star_mp), ls="--", color="black", lw=1, label=r"$\tilde a\tilde b$ (derived fixed point)")
    ax.set_xlim(0, 1.1 * float(numeric.tau[-1]))
    ax.set_xlabel(r"gradient-flow time $\tau$ (gradient $\partial/\partial\mathrm{Re}+i\,\partial/\partial\mathrm{Im}$)")
    ax.set_ylabel("value")
    ax.set_title(f"Theorem 1: T={s.T}, d={s.d}, {report.dist.spec()}, (a0, b0) = ({s.a0}, {s.b0}): {report.verdict}")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""Figures of :mod:`mesasym.compare.fixed_point` results (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mesasym.errors import InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    from mesasym.compare.figure1 import RunResult
    from mesasym.compare.fixed_point import FixedPointReport

__all__ = ["plot_fixed_point", "plot_figure1", "plot_explore", "require_matplotlib"]


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
    closed = getattr(report, "closed_form", None)
    if closed is not None:  # the derived closed form at the run's own times (GD map for Monte Carlo)
        label_closed = "closed form" if numeric.engine == "population" else "reduced GD map"
        for key, color in (("a", "tab:blue"), ("b", "tab:orange"), ("ab", "tab:green")):
            if key in closed:
                ax.plot(closed["tau"], closed[key], color="black", lw=0.8, ls=(0, (4, 2)), alpha=0.7,
                        label=f"{label_closed} (derived)" if key == "ab" else None)  # fmt: skip
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


def require_matplotlib() -> None:
    """Raise :class:`MissingDependencyError` with the fix when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "plotting needs matplotlib, which is not installed; install the package with its dependencies "
            "(pip install -e .) or pip install matplotlib"


        ) from None

_COLORS = ("tab:blue", "tab:orange", "tab:green")


def _figure(rows: int, cols: int, width: float = 4.2, height: float = 3.2) -> Any:
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(cols * width, rows * height), layout="constrained")


def _panel(ax: Any, runs: list[RunResult], key: str, theory_lines: list[tuple[float, str, str]], ylabel: str, first: int = 0) -> None:
    for color, run in zip(_COLORS, runs):
        values = getattr(run, key)
        steps = np.arange(values.size)
        ax.plot(steps[first:], values[first:], color=color, lw=1.8, label=f"$(a_0,b_0)$ = {run.init}")
        if key == "ab":
            ax.plot(steps[first:], run.population_ab[first:], color=color, lw=0.8, ls=(0, (1, 1)), alpha=0.8)
        if key == "test_loss_population":
            ax.errorbar(
                [steps[-1]], [run.final["test_loss_mc"]], yerr=[2 * run.final["test_loss_mc_se"]],
                fmt="o", ms=3, color=color, capsize=2,
            )
        if key == "ratio_last":
            se = run.ratio_last_se
            ax.fill_between(steps[first:], (values - 2 * se)[first:], (values + 2 * se)[first:], color=color, alpha=0.1, lw=0)
    for value, style, label in theory_lines:
        ax.axhline(value, color="k" if style == "--" else "tab:red", ls=style, lw=1.2, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="best")


def plot_figure1(runs: list[RunResult], theory: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    """Write ``figure1_<family>_<metric>.png`` (one panel per law) and the combined ``figure1.png``."""
    by_setting: dict[str, list[RunResult]] = {}
    for run in runs:
        by_setting.setdefault(run.setting.spec, []).append(run)
    families = [f for f in ("gaussian", "sparse") if any(r.setting.family == f for r in runs)]
    rows_spec = []
    for family in families:
        from mesasym.compare.figure1 import FIGURE1_SETTINGS

        specs = [s.spec for s in FIGURE1_SETTINGS if s.family == family and s.spec in by_setting]
        rows_spec.append((family, "ab", specs))
        rows_spec.append((family, "ratio_last" if family == "gaussian" else "test_loss_population", specs))

    def draw(ax: Any, family: str, key: str, spec: str) -> None:
        group = by_setting[spec]
        th = theory[spec]
        setting = group[0].setting
        if key == "ab":
            lines = [
                (th["paper_product"], "--", f"paper: {th['paper_product']:.4g}"),
                (th["derived_product_T"], ":", f"derived, T = {th.get('T', 100)}: {th['derived_product_T']:.4g}"),
            ]
            _panel(ax, group, "ab", lines, "ab (mean of $a_j b_j$)")
            if "d" in th:  # the derived reduced GD map, same starts and step size (mpmath)
                from mesasym.compare.dynamics import reduced_gd_ab

                for color, run in zip(_COLORS, group):
                    derived = reduced_gd_ab(spec, th["d"], th["T"], run.init[0], run.init[1], setting.lr, run.ab.size - 1)
                    every = max(1, derived.size // 12)
                    ax.plot(np.arange(derived.size)[::every], derived[::every], "x", ms=4, color=color,
                            label="derived GD map" if color == _COLORS[0] else None)  # fmt: skip
                ax.legend(fontsize=7, loc="best")
        elif key == "ratio_last":
            lines = [
                (th["paper_ratio"], "--", f"paper: {th['paper_ratio']:.3g}"),
                (th["derived_ratio_T"], ":", f"derived, T = {th.get('T', 100)}: {th['derived_ratio_T']:.4f}"),
            ]
            _panel(ax, group, "ratio_last", lines, "ratio pred/true at $T_{te}$", first=1)
            for color, run in zip(_COLORS, group):  # population GD stays on the manifold: ratio = ab m_2 (derived)
                steps = np.arange(run.population_ab.size)
                ax.plot(steps[1:], run.population_ab[1:] * th["second_moment"], color=color, lw=0.8, ls=(0, (1, 1)))
        else:
            lines = [(th["paper_mse"], "--", f"paper: {th['paper_mse']:.3g}")]
            _panel(ax, group, "test_loss_population", lines, "test loss (authors' 'MSE')", first=5)
        ax.set_title(f"{setting.family}, {setting.label}, lr = {setting.lr:g}", fontsize=9)

    written: list[Path] = []
    for family, key, specs in rows_spec:
        fig = _figure(1, len(specs))
        axes = np.atleast_1d(fig.subplots(1, len(specs)))
        for ax, spec in zip(axes, specs):
            draw(ax, family, key, spec)
        metric = {"ab": "ab", "ratio_last": "ratio", "test_loss_population": "mse"}[key]
        target = out / f"figure1_{family}_{metric}.png"
        fig.savefig(target, dpi=72)
        written.append(target)
    ncols = max(len(specs) for _, _, specs in rows_spec)
    fig = _figure(len(rows_spec), ncols)
    axes = np.array(fig.subplots(len(rows_spec), ncols), dtype=object).reshape(len(rows_spec), ncols)
    for r, (family, key, specs) in enumerate(rows_spec):
        for c in range(ncols):
            if c < len(specs):
                draw(axes[r, c], family, key, specs[c])
            else:
                axes[r, c].set_visible(False)
    target = out / "figure1.png"
    fig.savefig(target, dpi=60)
    written.append(target)
    return written


def plot_explore(report: Any, path: str | Path) -> Path:
    """The beyond-Assumption-2 exploration: ``ab``, off-manifold mass and loss against ``tau``, and the red blocks."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise InvalidInputError(f"--plot {str(path)!r}: the directory {str(target.parent)!r} does not exist")
    fig = _figure(2, 3, width=3.8, height=3.1)
    axes = fig.subplots(2, 3)
    for flow, color in ((report.full, "tab:blue"), (report.clip, "tab:orange")):
        axes[0, 0].plot(flow.tau, flow.ab_history, color=color, label=f"{flow.name} flow")
        axes[0, 1].plot(flow.tau, np.maximum(flow.off_manifold_history, 1e-17), color=color, label=f"{flow.name} flow")
        axes[0, 2].plot(flow.tau, flow.loss_history, color=color, label=f"{flow.name}: {flow.loss_final:.5g}")
    if report.manifold_product is not None:
        axes[0, 0].axhline(report.manifold_product, color="k", ls=":", lw=1, label="manifold optimum")
    axes[0, 0].set(xlabel=r"$\tau$", ylabel="ab (mean of $a_j b_j$)", title=f"{report.spec}, d = {report.d}, T = {report.T}")
    axes[0, 1].set(xlabel=r"$\tau$", ylabel="off-manifold norm", yscale="log")
    axes[0, 2].set(xlabel=r"$\tau$", ylabel="population loss", yscale="log")
    for ax in axes[0]:
        ax.legend(fontsize=7)
    full_product = report.full.pv12 @ report.full.kq32
    blocks = [
        (report.full.kq32.real, r"full $W^{KQ}_{32}$", report.full.kq32_structure.diagonal_mean),
        (report.full.pv12.real, r"full $W^{PV}_{12}$", report.full.pv12_structure.diagonal_mean),
        (full_product.real, r"full $W^{PV}_{12} W^{KQ}_{32}$", float(np.mean(np.diagonal(full_product)).real)),
    ]
    for ax, (block, title, diagonal) in zip(axes[1], blocks):
        off = block - np.diag(np.diagonal(block))
        limit = max(float(np.max(np.abs(off))), 1e-12)
        image = ax.imshow(off, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set_title(f"{title}: off-diagonal part\n(diagonal {diagonal:.4g}; clip flow: all 0)", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.savefig(target, dpi=80)
    return target

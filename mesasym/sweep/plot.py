"""Figures of a sweep table (``mesasym sweep plot DIR``): line plots, heat maps, verdict maps.

A spec's ``[[plot]]`` tables choose the figures; without them they are
chosen from the axes (:func:`auto_plots`). Keys of a ``[[plot]]`` table:

* ``kind`` -- ``"line"`` (``y`` against ``x``, one line per value of
  ``group``), ``"heatmap"`` (``z`` over ``x`` and ``y``) or ``"verdict"``
  (the ``verdict`` column, or ``color``, as a categorical map over ``x`` and ``y``);
* ``x``, ``y`` (a column or, for lines, a list of columns), ``z``, ``group`` (a column or a list: one
  line per combination), ``color``;
* ``yerr`` -- columns of error bars, one per ``y`` (e.g. ``numeric.standard_error``);
* ``mean_over`` -- an axis (typically ``seed``) to average over: the mean is
  drawn with the standard error of the mean (``std / sqrt(n)``, ``n`` the
  rows averaged) as the error bar;
* ``reference`` -- a column drawn as a dashed line (its mean per ``x``, e.g. the derived value);
* ``where`` -- a table ``{column = value}`` selecting rows;
* ``logx``, ``logy`` (``true`` or ``"symlog"``; points at or below 0 are left out of a log axis), ``title``, ``xlabel``, ``ylabel``, ``name`` (the file stem).

Each figure is written as ``DIR/figures/NAME.png`` and ``NAME.pdf``. Only rows
with ``status = "done"`` and a finite value are drawn.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from mesasym.errors import InvalidInputError

KINDS = ("line", "heatmap", "verdict")
_KEYS = {
    "kind", "x", "y", "z", "group", "color", "yerr", "mean_over", "reference", "where", "logx", "logy", "title",
    "xlabel", "ylabel", "name",
}
_REQUIRED = {"line": ("x", "y"), "heatmap": ("x", "y", "z"), "verdict": ("x", "y")}
#: Colours of the verdicts the commands print (others get distinct colours).
_VERDICT_COLORS = {
    "verified": "tab:green", "failed": "tab:red", "hypotheses-violated": "tab:orange", "inconclusive": "tab:olive",
    "error": "tab:gray",
    "True": "tab:green", "False": "tab:red",
}
#: The value each command's auto plots show.
HEADLINE = {
    "check-fixed-point": ["numeric.ab", "fixed_point.ab"],
    "capability": ["product.finite_T.float"],
    "train": ["final.ab"],
    "dynamics": ["flow.tau_to_relative_error"],
}


def validate_plots(spec: Any, where: str) -> None:
    """Check the ``[[plot]]`` tables' keys and types (column names are checked when plotting)."""
    axes = set(spec.axes)
    for number, plot in enumerate(spec.plots):
        at = f"{where}: plot[{number}]"
        unknown = sorted(set(plot) - _KEYS)
        if unknown:
            raise InvalidInputError(f"{at}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(_KEYS))}")
        kind = plot.get("kind")
        if kind not in KINDS:
            raise InvalidInputError(f"{at}: kind = {kind!r} must be one of {', '.join(KINDS)}")
        for key in _REQUIRED[kind]:
            if key not in plot:
                raise InvalidInputError(f"{at}: a {kind} plot needs {key!r}")
        for key in ("x", "z", "color", "mean_over", "reference", "title", "xlabel", "ylabel", "name"):
            if key in plot and not isinstance(plot[key], str):
                raise InvalidInputError(f"{at}: {key} must be a string")
        for key in ("y", "yerr", "group"):
            value = plot.get(key)
            if value is not None and not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                raise InvalidInputError(f"{at}: {key} must be a column name or a list of them")
        if "yerr" in plot and len(_list(plot["yerr"])) != len(_list(plot["y"])):
            raise InvalidInputError(f"{at}: yerr needs one column per y")
        if "mean_over" in plot and plot["mean_over"] not in axes:
            raise InvalidInputError(f"{at}: mean_over = {plot['mean_over']!r} must be an axis ({', '.join(sorted(axes))})")
        if "where" in plot and not isinstance(plot["where"], dict):
            raise InvalidInputError(f"{at}: where must be a table {{column = value}}")


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def auto_plots(spec: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Figures chosen from the axes: lines along one axis, heat map and verdict map over two."""
    varying = [n for n, v in spec.axes.items() if len(set(map(str, v))) > 1 and n != "seed"]
    numeric = [n for n in varying if all(isinstance(v, (int, float)) for v in spec.axes[n])]
    headline = [c for c in HEADLINE.get(spec.command, []) if any(_number(r.get(c)) is not None for r in rows)]
    mean = {"mean_over": "seed"} if "seed" in spec.axes and len(spec.axes["seed"]) > 1 else {}
    plots: list[dict[str, Any]] = []
    if numeric and headline:
        group = {"group": varying[1]} if len(varying) > 1 and varying[1] != numeric[0] else {}
        if not group and len(varying) > 1:
            group = {"group": varying[0] if varying[0] != numeric[0] else varying[1]}
        plots.append({"kind": "line", "x": numeric[0], "y": headline, **group, **mean})
    if len(varying) >= 2:
        if headline:
            plots.append({"kind": "heatmap", "x": varying[0], "y": varying[1], "z": headline[0], **mean})
        plots.append({"kind": "verdict", "x": varying[0], "y": varying[1]})
    elif len(varying) == 1:
        plots.append({"kind": "verdict", "x": varying[0], "y": varying[0]})
    return plots


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _selected(rows: list[dict[str, Any]], plot: dict[str, Any]) -> list[dict[str, Any]]:
    out = [r for r in rows if r.get("status") == "done"]
    for column, value in plot.get("where", {}).items():
        out = [r for r in out if r.get(column) == value or str(r.get(column)) == str(value)]
    return out


def _require_columns(rows: list[dict[str, Any]], plot: dict[str, Any], keys: tuple[str, ...]) -> None:
    present = set().union(*(r.keys() for r in rows)) if rows else set()
    for key in keys:
        for column in _list(plot.get(key, [])):
            if column not in present:
                near = sorted(present)[:40]
                raise InvalidInputError(f"plot {plot.get('name', plot['kind'])}: {key} = {column!r} is not a column; some columns: {', '.join(near)}")


def _mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan")
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    return (0, number) if number is not None else (1, str(value))


def _label(value: Any) -> str:
    number = _number(value)
    return f"{number:.4g}" if number is not None and not isinstance(value, str) else str(value)


def _line(ax: Any, rows: list[dict[str, Any]], plot: dict[str, Any]) -> None:
    x = plot["x"]
    ys, errs = _list(plot["y"]), _list(plot.get("yerr", [])) or [None] * len(_list(plot["y"]))
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(_sort_key(row.get(g)) for g in _list(plot["group"])) if "group" in plot else None].append(row)
    for group_value in sorted(groups, key=lambda key: key or ()):
        members = groups[group_value]
        for y, err in zip(ys, errs):
            by_x: dict[float, list[tuple[float, float | None]]] = defaultdict(list)
            for row in members:
                xv, yv = _number(row.get(x)), _number(row.get(y))
                if xv is not None and yv is not None and not _off_log_axis(plot, xv, yv):
                    by_x[xv].append((yv, _number(row.get(err)) if err else None))
            if not by_x:
                continue
            xs = sorted(by_x)
            if "mean_over" in plot:
                stats = [_mean_se([v for v, _ in by_x[k]]) for k in xs]
                means, bars = [m for m, _ in stats], [s for _, s in stats]
            else:
                means = [by_x[k][0][0] for k in xs]
                bars = [by_x[k][0][1] if by_x[k][0][1] is not None else float("nan") for k in xs]
            label = y if group_value is None else f"{y}, {_group_label(plot, members[0])}"
            if any(math.isfinite(b) for b in bars):
                ax.errorbar(xs, means, yerr=[b if math.isfinite(b) else 0.0 for b in bars], marker="o", ms=3.5, capsize=3, label=label)
            else:
                ax.plot(xs, means, marker="o", ms=3.5, label=label)
        if "reference" in plot:
            ref: dict[float, list[float]] = defaultdict(list)
            for row in members:
                xv, rv = _number(row.get(x)), _number(row.get(plot["reference"]))
                if xv is not None and rv is not None:
                    ref[xv].append(rv)
            if ref:
                xs = sorted(ref)
                suffix = "" if group_value is None else f", {_group_label(plot, members[0])}"
                ax.plot(xs, [sum(ref[k]) / len(ref[k]) for k in xs], ls="--", color="black", lw=1, label=f"{plot['reference']}{suffix}")
    ax.set_xlabel(plot.get("xlabel", x))
    ax.set_ylabel(plot.get("ylabel", ", ".join(ys)))
    if plot.get("logx"):
        ax.set_xscale("log")
    if plot.get("logy"):
        ax.set_yscale("symlog" if plot.get("logy") == "symlog" else "log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _group_label(plot: dict[str, Any], row: dict[str, Any]) -> str:
    return ", ".join(f"{g} = {_label(row.get(g))}" for g in _list(plot["group"]))


def _off_log_axis(plot: dict[str, Any], x: float, y: float) -> bool:
    """Points a log axis cannot show (x <= 0 with logx, y <= 0 with logy) are left out."""
    return bool((plot.get("logx") and x <= 0) or (plot.get("logy") is True and y <= 0))


def _grid(rows: list[dict[str, Any]], plot: dict[str, Any], value: Any) -> tuple[list[Any], list[Any], dict[tuple[Any, Any], list[Any]]]:
    xs = sorted({_sort_key(r.get(plot["x"])): r.get(plot["x"]) for r in rows}.values(), key=_sort_key)
    ys = sorted({_sort_key(r.get(plot["y"])): r.get(plot["y"]) for r in rows}.values(), key=_sort_key)
    cells: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    for row in rows:
        cells[(_sort_key(row.get(plot["x"])), _sort_key(row.get(plot["y"])))].append(value(row))
    return xs, ys, cells


def _axes_labels(ax: Any, xs: list[Any], ys: list[Any], plot: dict[str, Any]) -> None:
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs], rotation=45 if len(xs) > 6 else 0, fontsize=7)
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys], fontsize=7)
    ax.set_xlabel(plot.get("xlabel", plot["x"]))
    ax.set_ylabel(plot.get("ylabel", plot["y"]))


def _heatmap(fig: Any, ax: Any, rows: list[dict[str, Any]], plot: dict[str, Any]) -> None:
    import numpy as np

    xs, ys, cells = _grid(rows, plot, lambda r: _number(r.get(plot["z"])))
    grid = np.full((len(ys), len(xs)), np.nan)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            values = [v for v in cells.get((_sort_key(xv), _sort_key(yv)), []) if v is not None]
            if values:
                grid[i, j] = sum(values) / len(values)
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label=plot["z"] + (f" (mean over {plot['mean_over']})" if "mean_over" in plot else ""))
    if grid.size <= 64:
        for i in range(len(ys)):
            for j in range(len(xs)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", fontsize=6, color="white")
    _axes_labels(ax, xs, ys, plot)


def _verdict(ax: Any, rows: list[dict[str, Any]], all_rows: list[dict[str, Any]], plot: dict[str, Any]) -> None:
    column = plot.get("color", "verdict")
    in_plot = [r for r in all_rows if all(str(r.get(c)) == str(v) for c, v in plot.get("where", {}).items())]
    xs, ys, cells = _grid(in_plot, plot, lambda r: str(r.get(column)) if r.get("status") == "done" else "error")
    categories = sorted({v for vs in cells.values() for v in vs})
    palette = iter(f"C{i}" for i in (0, 4, 5, 6, 8, 9) * 10)
    colors = {c: _VERDICT_COLORS.get(c) or next(palette) for c in categories}
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            values = cells.get((_sort_key(xv), _sort_key(yv)), [])
            for k, v in enumerate(sorted(values)):
                width = 0.9 / len(values)
                ax.add_patch(_rectangle(j - 0.45 + k * width, i - 0.45, width, 0.9, colors[v]))
    for c in categories:
        ax.plot([], [], "s", color=colors[c], label=f"{column} = {c}")
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(-0.5, len(ys) - 0.5)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _axes_labels(ax, xs, ys, plot)


def _rectangle(x: float, y: float, w: float, h: float, color: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, color=color)


def plot_name(plot: dict[str, Any]) -> str:
    """The file stem of a figure (its ``name``, or kind + columns)."""
    if "name" in plot:
        stem = plot["name"]
    else:
        what = {"line": "-".join(_list(plot["y"])), "heatmap": plot.get("z", ""), "verdict": plot.get("color", "verdict")}[plot["kind"]]
        stem = f"{plot['kind']}-{what}-by-{plot['x']}" + (f"-{plot['y']}" if plot["kind"] != "line" else "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)


def draw(spec: Any, rows: list[dict[str, Any]], out: str | Path) -> list[Path]:
    """Draw the spec's figures (or the automatic ones) into ``out/figures``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = spec.plots or auto_plots(spec, rows)
    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for plot in plots:
        selected = _selected(rows, plot)
        _require_columns(selected, plot, {"line": ("x", "y", "yerr", "group", "reference"), "heatmap": ("x", "y", "z"), "verdict": ("x", "y")}[plot["kind"]])
        fig, ax = plt.subplots(figsize=(7.0, 4.5), constrained_layout=True)
        if plot["kind"] == "line":
            _line(ax, selected, plot)
        elif plot["kind"] == "heatmap":
            _heatmap(fig, ax, selected, plot)
        else:
            _verdict(ax, selected, rows, plot)
        ax.set_title(plot.get("title", spec.description.split("\n")[0][:90] or spec.command), fontsize=9)
        stem = plot_name(plot)
        for suffix in (".png", ".pdf"):
            path = folder / f"{stem}{suffix}"
            fig.savefig(path, dpi=130)
            written.append(path)
        plt.close(fig)
    return written

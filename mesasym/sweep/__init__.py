"""Sweeps: run one mesasym command over a grid of settings, on Dask, into one table.

* :mod:`mesasym.sweep.expr` -- safe exact arithmetic for templates and derived columns;
* :mod:`mesasym.sweep.spec` -- the TOML specification, validation and the points;
* :mod:`mesasym.sweep.point` -- one point through the command's Python API, flattened to a row;
* :mod:`mesasym.sweep.store` -- the results table (Parquet parts, consolidated Parquet + CSV);
* :mod:`mesasym.sweep.run` -- the Dask runner (local cluster or ``--scheduler``), resumable;
* :mod:`mesasym.sweep.plot` -- line plots, heat maps and verdict maps of a table.
"""

from __future__ import annotations

__all__ = ["load_spec", "parse_spec", "run_sweep", "read_table", "draw"]


def __getattr__(name: str):  # lazy: importing mesasym.sweep must not start Dask
    if name in ("load_spec", "parse_spec"):
        from mesasym.sweep import spec

        return getattr(spec, name)
    if name == "run_sweep":
        from mesasym.sweep.run import run_sweep

        return run_sweep
    if name == "read_table":
        from mesasym.sweep.store import read_table

        return read_table
    if name == "draw":
        from mesasym.sweep.plot import draw

        return draw
    raise AttributeError(name)

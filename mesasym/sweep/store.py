"""The results table of a sweep: Parquet part files, consolidated to one Parquet table and a CSV copy.

Layout of an output directory::

    DIR/spec.toml             the spec of the last run (for `mesasym sweep plot DIR`)
    DIR/parts/part-*.parquet  one file per batch of rows, never modified after it is written
    DIR/results.parquet       every point once (the latest row of each point id), sorted by point index;
                              a table copied without its parts still resumes from it; it records
                              which parts it includes, so a part written after it (a crash between
                              the two writes) is applied on top
    DIR/results.csv           the same table as CSV

Every file is written to a temporary name in the same directory and renamed
(:func:`os.replace`, atomic on POSIX), so a crash at any moment leaves either
the old file or the new one, never a torn table. The parts are the record;
the consolidated table is rebuilt from them.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

_counter = itertools.count()
#: Parquet metadata key of the consolidated table: the part files it includes.
_PARTS_KEY = b"mesasym.sweep.parts"


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """A table of ``rows`` (union of their keys, first-seen order); mixed-type columns become text."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if not present:
            arrays[name] = pa.array(values, type=pa.string())
        elif all(isinstance(v, bool) for v in present):
            arrays[name] = pa.array(values, type=pa.bool_())
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in present) and all(
            -(2**63) <= v < 2**63 for v in present
        ):
            arrays[name] = pa.array(values, type=pa.int64())
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            arrays[name] = pa.array([None if v is None else float(v) for v in values], type=pa.float64())
        else:
            arrays[name] = pa.array([None if v is None else _text(v) for v in values], type=pa.string())
    return pa.table(arrays)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class ResultStore:
    """The table of one output directory (see the module docstring)."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.parquet = self.out / "results.parquet"
        self.csv = self.out / "results.csv"
        self._latest: dict[str, dict[str, Any]] | None = None

    def create(self) -> None:
        """Create the directories."""
        self.parts.mkdir(parents=True, exist_ok=True)

    def part_files(self) -> list[Path]:
        """The part files, oldest first."""
        return sorted(self.parts.glob("part-*.parquet")) if self.parts.is_dir() else []

    def rows(self) -> list[dict[str, Any]]:
        """Every point's latest row (later parts replace earlier rows of the same point id)."""
        if self._latest is None:
            self._latest = {}
            # the consolidated table is the base (a copied or committed table without its parts
            # still resumes); the parts, newer, override it row by row
            included: set[str] = set()
            if self.parquet.exists():
                base = pq.read_table(self.parquet)
                included = set(json.loads((base.schema.metadata or {}).get(_PARTS_KEY, b"[]")))
                for row in base.to_pylist():
                    self._latest[str(row.get("point_id"))] = {k: v for k, v in row.items() if v is not None}
            for part in self.part_files():
                if part.name in included:  # already in the consolidated table (which may add columns)
                    continue
                for row in pq.read_table(part).to_pylist():
                    self._latest[str(row.get("point_id"))] = {k: v for k, v in row.items() if v is not None}
        return sorted(self._latest.values(), key=lambda r: (r.get("point_index") is None, r.get("point_index") or 0))

    def append(self, rows: Iterable[dict[str, Any]]) -> Path | None:
        """Write ``rows`` as a new part file and rebuild the consolidated table; returns the part's path."""
        rows = list(rows)
        if not rows:
            return None
        self.create()
        name = f"part-{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}.parquet"
        part = self.parts / name
        atomic_write(part, lambda tmp: pq.write_table(to_table(rows), tmp))
        self.rows()
        assert self._latest is not None
        for row in rows:
            self._latest[str(row.get("point_id"))] = {k: v for k, v in row.items() if v is not None}
        self.consolidate()
        return part

    def consolidate(self) -> pa.Table:
        """Rebuild ``results.parquet`` and ``results.csv`` from the parts."""
        self.create()
        table = to_table(self.rows())
        parts = json.dumps([p.name for p in self.part_files()]).encode()
        atomic_write(self.parquet, lambda tmp: pq.write_table(table.replace_schema_metadata({_PARTS_KEY: parts}), tmp))
        atomic_write(self.csv, lambda tmp: pacsv.write_csv(table, tmp))
        return table


def read_table(out: str | Path) -> list[dict[str, Any]]:
    """The rows of an output directory: the consolidated table updated by the parts, one type per column."""
    rows = ResultStore(out).rows()
    return to_table(rows).to_pylist() if rows else []

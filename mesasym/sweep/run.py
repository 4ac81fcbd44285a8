"""Run a sweep on Dask: a local cluster by default, or an existing scheduler.

Each point is one task, :func:`mesasym.sweep.point.run_point`, which calls the
command's Python API in the worker process. The client collects rows as they
arrive and writes them in batches (:class:`mesasym.sweep.store.ResultStore`):
a part file at most every ``flush_seconds`` or ``batch`` rows, and at the end
or on interruption. Points already in the table (same point id: command,
options and the hash of the code that computes it) are skipped; with
``retry_failed`` the rows with ``status = "error"`` are run again.

Fault tolerance is Dask's: a task whose worker dies is rescheduled on another
worker; a task that has killed ``distributed.scheduler.allowed-failures``
workers becomes a row with the ``KilledWorker`` error.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mesasym.errors import InvalidInputError
from mesasym.sweep import expr
from mesasym.sweep.point import DONE, ERROR, run_point
from mesasym.sweep.spec import Point, SweepSpec, command_code, command_module, command_parser
from mesasym.sweep.store import ResultStore, atomic_write


@dataclass
class SweepSummary:
    """What one ``mesasym sweep`` run did (printed by ``--json``)."""

    out: str
    command: str
    points: int
    skipped: int
    ran: int = 0
    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    workers: int = 0
    scheduler: str = ""
    table: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def point_meta(spec: SweepSpec, point: Point, parser: Any, code: str) -> dict[str, Any]:
    """The columns a point's row starts with: ids, the hash of the code that computes it, axis
    values, options as passed, the seed used."""
    meta: dict[str, Any] = {"point_id": point.point_id, "point_index": point.index, "code": code}
    meta.update(point.axes)
    for option, value in point.options.items():
        meta[f"option.{option.lstrip('-')}"] = value
    args = parser.parse_args(point.argv())
    seed = getattr(args, "seed", None)
    try:
        meta["seed"] = None if seed is None else int(str(seed))
    except ValueError:
        meta["seed"] = str(seed)
    return meta


def derived_columns(spec: SweepSpec, row: dict[str, Any], problems: set[str]) -> None:
    """Add the spec's ``[columns]`` to ``row`` (None where a name is missing, noted in ``problems``).

    A row holds its axis values, its options (``option.NAME``) and the command's results, so the
    columns can be (re)computed from the table alone: a spec whose ``[columns]`` changed gets them
    on the next run or ``sweep plot`` without recomputing any point.
    """
    values = {k: v for k, v in spec.options.items() if not isinstance(v, str) or "{" not in v}
    values.update({k.removeprefix("option."): v for k, v in row.items() if k.startswith("option.")})
    values.update({k: v for k, v in row.items() if k not in spec.columns})
    for name, text in spec.columns.items():
        try:
            value = expr.evaluate(expr.parse(text, f"columns.{name}"), values, f"columns.{name}")
        except InvalidInputError as error:
            if row.get("status") == DONE:
                problems.add(str(error))
            value = None
        if isinstance(value, complex):
            value = None
        row[name] = expr.as_float(value)
        values[name] = value


def apply_columns(spec: SweepSpec, rows: list[dict[str, Any]]) -> list[str]:
    """Recompute the spec's ``[columns]`` on every row in place; returns the problems met."""
    problems: set[str] = set()
    for row in rows:
        derived_columns(spec, row, problems)
    return sorted(problems)


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    scheduler: str | None = None,
    client: Any = None,
    workers: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    flush_seconds: float = 5.0,
    batch: int = 64,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> SweepSummary:
    """Run every point of ``spec`` not yet in ``out``'s table; see the module docstring."""
    start = time.perf_counter()
    store = ResultStore(out)
    store.create()
    atomic_write(store.out / "spec.toml", lambda tmp: tmp.write_text(spec.source, encoding="utf-8"))
    code = command_code(spec.command)
    points = spec.points(code)
    existing = {r["point_id"]: r.get("status") for r in store.rows()}
    todo = [p for p in points if p.point_id not in existing or (retry_failed and existing[p.point_id] == ERROR)]
    summary = SweepSummary(str(out), spec.command, len(points), len(points) - len(todo), table=str(store.parquet))
    if not todo:
        summary.warnings = apply_columns(spec, store.rows())
        store.consolidate()
        summary.seconds = round(time.perf_counter() - start, 3)
        return summary
    parser = command_parser(command_module(spec.command))
    metas = {p.point_id: point_meta(spec, p, parser, code) for p in todo}

    own_cluster = own_client = None
    try:
        if client is None:
            from distributed import Client, LocalCluster

            if scheduler is None:
                n = workers or os.cpu_count() or 1
                own_cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                own_client = client = Client(own_cluster)
            else:
                try:
                    own_client = client = Client(scheduler, timeout="20s")
                except OSError as error:
                    raise InvalidInputError(f"--scheduler {scheduler!r}: cannot connect ({error})") from None
        summary.scheduler = str(client.scheduler.address)
        try:
            codes = client.run(command_code, spec.command)  # each worker's hash of the command's code
        except ImportError as error:
            raise InvalidInputError(f"the Dask workers cannot import mesasym ({error}); install it where they run") from None
        summary.workers = len(codes)
        wrong = sorted(w for w, c in codes.items() if c != code)
        if wrong:
            raise InvalidInputError(
                f"workers {', '.join(wrong)} run other code for {spec.command!r} than this machine "
                "(another mesasym version or a changed file); install the same mesasym where they run"
            )
        _run_points(client, spec, todo, metas, store, summary, progress, flush_seconds, batch, on_row)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    if spec.columns:  # rows of earlier runs get the spec's current columns too
        apply_columns(spec, store.rows())
        store.consolidate()
    summary.seconds = round(time.perf_counter() - start, 3)
    return summary


def _run_points(
    client: Any,
    spec: SweepSpec,
    todo: list[Point],
    metas: dict[str, dict[str, Any]],
    store: ResultStore,
    summary: SweepSummary,
    progress: bool,
    flush_seconds: float,
    batch: int,
    on_row: Callable[[dict[str, Any]], None] | None,
) -> None:
    from distributed import as_completed
    from tqdm import tqdm

    token = uuid.uuid4().hex[:8]
    futures: dict[str, str] = {}
    submitted = []
    for point in todo:
        future = client.submit(
            run_point, spec.command, point.argv(), metas[point.point_id], spec.timeout,
            key=f"mesasym-sweep-{token}-{point.index}", pure=False,
        )
        futures[future.key] = point.point_id
        submitted.append(future)
    buffer: list[dict[str, Any]] = []
    last_flush = time.monotonic()
    problems: set[str] = set()
    bar = tqdm(total=len(todo), desc="sweep", unit="point", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        completed = as_completed(submitted)
        submitted = []  # as_completed holds the futures now; each is released once its row is taken
        for future in completed:
            point_id = futures[future.key]
            try:
                row = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: the point becomes an error row
                row = {**metas[point_id], "command": spec.command, "status": ERROR,
                       "error": f"{type(error).__name__}: {error}", "exit_status": None, "verdict": None}
            future.release()
            if row.get("timed_out") and row.get("worker", "").startswith("tcp://"):
                try:
                    client.restart_workers([row["worker"]])
                except Exception:  # noqa: BLE001 - best effort: the worker may already be gone
                    pass
            derived_columns(spec, row, problems)
            buffer.append(row)
            summary.ran += 1
            summary.done += row["status"] == DONE
            summary.errors += row["status"] == ERROR
            bar.set_postfix(done=summary.done, failed=summary.errors, refresh=False)
            bar.update(1)
            if on_row is not None:
                on_row(row)
            if len(buffer) >= batch or time.monotonic() - last_flush >= flush_seconds:
                store.append(buffer)
                buffer, last_flush = [], time.monotonic()
    finally:
        store.append(buffer)
        bar.close()
        summary.warnings = sorted(problems)


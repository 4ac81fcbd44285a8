"""The sweep table (parts, consolidation, atomic writes), row flattening and the figures."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mesasym.errors import InvalidInputError
from mesasym.sweep.plot import auto_plots, draw
from mesasym.sweep.point import flatten, run_point
from mesasym.sweep.spec import parse_spec
from mesasym.sweep.store import ResultStore, to_table


def test_flatten_nested_named_lists_and_other_lists() -> None:
    payload = {"a": {"b": 1, "c": [1, 2]}, "checks": [{"name": "x", "passed": True, "value": 0.5}], "n": None}
    assert flatten(payload) == {"a.b": 1, "a.c": "[1, 2]", "checks.x.passed": True, "checks.x.value": 0.5, "n": None}


def test_mixed_columns_become_text_and_numbers_stay_numbers() -> None:
    table = to_table([{"a": 1, "b": 1, "c": True}, {"a": 2.5, "b": "x", "d": None}])
    assert table.schema.field("a").type == "double"
    assert table.column("b").to_pylist() == ["1", "x"]
    assert table.column("c").to_pylist() == [True, None]


def test_later_rows_replace_earlier_ones_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.append([{"point_id": "p1", "point_index": 1, "status": "error"}, {"point_id": "p0", "point_index": 0, "status": "done"}])
    store.append([{"point_id": "p1", "point_index": 1, "status": "done", "value": 3.0}])
    rows = ResultStore(tmp_path).rows()  # a fresh store reads the parts
    assert [(r["point_id"], r["status"]) for r in rows] == [("p0", "done"), ("p1", "done")]
    assert pq.read_table(tmp_path / "results.parquet").num_rows == 2
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    for part in ResultStore(tmp_path).part_files():  # the table alone (e.g. committed without parts) is enough
        part.unlink()
    assert [(r["point_id"], r["status"]) for r in ResultStore(tmp_path).rows()] == [("p0", "done"), ("p1", "done")]


def test_a_failing_point_is_a_row_not_an_exception() -> None:
    row = run_point("check-fixed-point", ["--T", "2", "--d", "2"], {"point_id": "x"})
    assert row["status"] == "error" and "T" in row["error"] and row["exit_status"] is None


def test_a_point_over_its_timeout_is_an_error_row() -> None:
    row = run_point("check-fixed-point", ["--T", "6", "--d", "2"], {"point_id": "x"}, timeout=0.01)
    assert row["status"] == "error" and row["error"].startswith("timeout") and row["timed_out"]


def _rows() -> list[dict]:
    rows = []
    for T in (4, 5):
        for v in (1, 2):
            for seed in (0, 1):
                rows.append({"status": "done", "T": T, "v": v, "seed": seed, "numeric.ab": 0.1 * v + 0.01 * seed,
                             "fixed_point.ab": 0.1 * v, "verdict": "verified" if v == 1 else "failed"})
    rows.append({"status": "error", "T": 5, "v": 3, "seed": 0, "error": "boom"})
    return rows


SPEC = """
command = "check-fixed-point"
[options]
d = 2
dist = "discrete:values=-1,{v};probs={v/(1+v)},{1/(1+v)}"
[axes]
v = [1, 2, 3]
T = [4, 5]
seed = [0, 1]
"""


def test_auto_and_declared_figures_are_written_as_png_and_pdf(tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    kinds = [p["kind"] for p in auto_plots(spec, _rows())]
    assert kinds == ["line", "heatmap", "verdict"] and auto_plots(spec, _rows())[0]["mean_over"] == "seed"
    files = draw(spec, _rows(), tmp_path)
    assert len(files) == 6 and all(f.stat().st_size > 1000 for f in files)
    assert {f.suffix for f in files} == {".png", ".pdf"}
    declared = parse_spec(SPEC + '[[plot]]\nkind = "line"\nx = "v"\ny = "numeric.ab"\nmean_over = "seed"\nreference = "fixed_point.ab"\nname = "mine"\n')
    assert [f.name for f in draw(declared, _rows(), tmp_path)] == ["mine.png", "mine.pdf"]
    wrong = parse_spec(SPEC + '[[plot]]\nkind = "line"\nx = "v"\ny = "numeric.nope"\n')
    with pytest.raises(InvalidInputError, match="numeric.nope"):
        draw(wrong, _rows(), tmp_path)


def test_changed_columns_are_recomputed_from_the_table_without_running_points(tmp_path: Path) -> None:
    from mesasym.sweep.run import run_sweep
    from mesasym.sweep.store import read_table

    store = ResultStore(tmp_path)
    spec = parse_spec('command = "check-fixed-point"\n[axes]\nT = [4]\n[columns]\nx = "2 * T"\n')
    (point,) = spec.points()
    store.append([{"point_id": point.point_id, "point_index": 0, "status": "done", "T": 4, "numeric.ab": 0.5}])
    changed = parse_spec('command = "check-fixed-point"\n[axes]\nT = [4]\n[columns]\nx = "numeric.ab + T"\n')
    summary = run_sweep(changed, tmp_path, progress=False)  # nothing to run: no cluster is started
    assert (summary.ran, summary.workers) == (0, 0)
    assert read_table(tmp_path)[0]["x"] == 4.5


def test_a_point_whose_code_changed_is_computed_again(tmp_path: Path, package_copy: Path) -> None:
    """The point id hashes the code that computes it: an edit on the command's import path gives
    the point a new id and it runs again; an edit elsewhere does not."""
    from distributed import Client, LocalCluster

    from mesasym.sweep.run import run_sweep
    from mesasym.sweep.store import read_table

    out = tmp_path / "out"
    spec = parse_spec('command = "check-fixed-point"\n[options]\nd = 2\ndps = 20\n[axes]\nT = [4]\n')
    (point,) = spec.points()
    ResultStore(out).append([{"point_id": point.point_id, "point_index": 0, "status": "done", "T": 4, "numeric.ab": 0.5}])
    assert run_sweep(spec, out, progress=False).ran == 0  # the same code: the stored row stands

    elsewhere = package_copy / "commands" / "train.py"  # not imported by check-fixed-point
    elsewhere.write_text(elsewhere.read_text() + "\n# an edit off the path\n")
    assert run_sweep(spec, out, progress=False).ran == 0

    engine = package_copy / "numeric" / "population" / "flow.py"  # the population engine it runs
    engine.write_text(engine.read_text() + "\n# an edit of the engine\n")
    (changed,) = spec.points()
    assert changed.point_id != point.point_id
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, Client(
        cluster
    ) as client:
        summary = run_sweep(spec, out, client=client, progress=False)
    assert (summary.ran, summary.done) == (1, 1)
    rows = {row["point_id"]: row for row in read_table(out)}
    assert rows[point.point_id]["numeric.ab"] == 0.5  # the old row is kept, under its old id
    assert rows[changed.point_id]["numeric.ab"] == pytest.approx(rows[changed.point_id]["fixed_point.ab"], rel=1e-8)

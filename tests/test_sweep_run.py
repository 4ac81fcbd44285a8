"""Sweeps on real Dask clusters: local, external scheduler + worker processes, a worker killed mid-sweep.

Every cluster is shut down by the test that starts it (context managers, or
terminating the process groups it started).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mesasym.cli import main
from mesasym.sweep.point import command_result
from mesasym.sweep.spec import load_spec, parse_spec
from mesasym.sweep.store import ResultStore, read_table

ROOT = Path(__file__).resolve().parents[1]
#: Columns that legitimately differ between runs of the same point.
VOLATILE = {"worker", "wall_seconds", "cpu_seconds", "seconds", "point_id"}

CAPABILITY = """
command = "capability"
[options]
d = 2
monte_carlo = 20
[axes]
T = [4, 6, 2001]
dist = ["gaussian:sigma=1", "sparse:c=1"]
[columns]
twice = "2 * product.finite_T.float"
"""

CHECK = """
command = "check-fixed-point"
[options]
d = 2
[axes]
T = [4, 5, 6, 7, 8, 9]
[columns]
rel = "(numeric.ab - fixed_point.ab) / fixed_point.ab"
"""


def _write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _stable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def test_local_cluster_sweep_table_resume_and_failure_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_path, out = _write(tmp_path, CAPABILITY), tmp_path / "out"
    status = main(["sweep", str(spec_path), "--out", str(out), "--workers", "2", "--json", "--no-plots"])
    summary = json.loads(capsys.readouterr().out)
    assert status == 1  # --monte-carlo refuses T > 2000 when it runs: two error rows, the sweep goes on
    assert (summary["points"], summary["ran"], summary["done"], summary["errors"], summary["workers"]) == (6, 6, 4, 2, 2)
    rows = read_table(out)
    assert len(rows) == 6 and len({r["point_id"] for r in rows}) == 6
    errors = [r for r in rows if r["status"] == "error"]
    assert {r["T"] for r in errors} == {2001} and all("--monte-carlo needs" in r["error"] for r in errors)
    # each done row carries the same values as calling the command's API directly
    for row in (r for r in rows if r["status"] == "done"):
        argv = ["--d", "2", "--monte-carlo", "20", "--T", str(row["T"]), "--dist", row["dist"]]
        payload, exit_status = command_result("capability", argv)
        assert row["product.finite_T.exact"] == payload["product"]["finite_T"]["exact"]
        assert row["verdict"] == payload["verdict"] and row["exit_status"] == exit_status
        assert row["twice"] == 2 * payload["product"]["finite_T"]["float"]
        assert row["monte_carlo.max_abs_z_mse"] == payload["monte_carlo"]["max_abs_z_mse"]  # same seed, same numbers
        assert row["mesasym_version"] and row["worker"].startswith("tcp://") and row["seed"] == 0
    assert (out / "results.csv").read_text().count("\n") == 7  # header + one line per point
    parts = sorted(p.name for p in (out / "parts").iterdir())

    # a second run does no work: no cluster, no new part, the same table
    status = main(["sweep", str(spec_path), "--out", str(out), "--json", "--no-plots"])
    again = json.loads(capsys.readouterr().out)
    assert status == 1 and (again["skipped"], again["ran"], again["workers"]) == (6, 0, 0)
    assert sorted(p.name for p in (out / "parts").iterdir()) == parts
    assert _stable(read_table(out)) == _stable(rows)


@pytest.mark.slow
def test_killed_worker_loses_no_point_and_retry_reruns_only_failures(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from mesasym.sweep.run import run_sweep

    spec = parse_spec(CHECK.replace("T = [4, 5, 6, 7, 8, 9]", "T = [4, 5, 6, 7, 8, 9, 10, 11]"))
    out = tmp_path / "out"
    killed: list[int] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:

        def kill_one_worker(row: dict) -> None:
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]] if busy else None
            if pid is not None:
                os.kill(pid, signal.SIGKILL)  # a worker process dies in the middle of a point
                killed.append(pid)

        summary = run_sweep(spec, out, client=client, progress=False, flush_seconds=0.0, on_row=kill_one_worker)
        assert killed, "no worker was busy when the first row arrived"
        rows = read_table(out)
        assert summary.ran == 8 and summary.done == 8
        assert sorted(r["T"] for r in rows) == list(range(4, 12))  # every point exactly once
        assert all(r["status"] == "done" and abs(r["rel"]) < 1e-10 for r in rows)
        n_parts = len(ResultStore(out).part_files())
        assert n_parts >= 2  # written as rows arrived

        # make one point fail on purpose, then --retry-failed reruns exactly that one
        store = ResultStore(out)
        broken = {**rows[0], "status": "error", "error": "injected"}
        store.append([broken])
        again = run_sweep(spec, out, client=client, progress=False)
        assert (again.skipped, again.ran) == (8, 0)
        retried = run_sweep(spec, out, client=client, progress=False, retry_failed=True)
        assert (retried.skipped, retried.ran, retried.done) == (7, 1, 1)
        assert sorted(r["T"] for r in read_table(out)) == list(range(4, 12))
        assert all(r["status"] == "done" for r in read_table(out))


def _start(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def console_script(name: str) -> str | None:
    """The venv's console script ``name`` (beside ``sys.executable``, so found without activating the
    venv), else the one on ``PATH``; ``None`` when neither exists."""
    return shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


DASK = console_script("dask")


def test_console_scripts_are_found_beside_the_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty PATH (a venv not activated) still finds the venv's own scripts."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert console_script("mesasym") == str(Path(sys.executable).parent / "mesasym")
    assert console_script("no-such-script-here") is None


@pytest.mark.slow
@pytest.mark.skipif(DASK is None, reason="the dask command-line tool is not installed")
def test_external_scheduler_and_worker_give_the_local_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_path = _write(tmp_path, CHECK)
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = _start(
        [DASK, "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        tmp_path / "scheduler.log",
    )
    worker = None
    try:
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = _start(
            [DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], tmp_path / "worker.log"
        )
        status = main(["sweep", str(spec_path), "--out", str(tmp_path / "remote"), "--scheduler", address, "--json", "--no-plots"])
        summary = json.loads(capsys.readouterr().out)
        assert status == 0 and summary["scheduler"] == address and summary["done"] == 6
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)
    remote = read_table(tmp_path / "remote")
    assert all(r["worker"] != "" and r["status"] == "done" for r in remote)
    # the same spec on the default local cluster: the same table, value for value
    assert main(["sweep", str(spec_path), "--out", str(tmp_path / "local"), "--json", "--no-plots", "--workers", "1"]) == 0
    capsys.readouterr()
    local = read_table(tmp_path / "local")
    assert _stable(remote) == _stable(local)


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path, 'command = "check-fixed-point"\n[options]\nfoo = 1\n')
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "options.foo" in err and err.count("\n") == 1
    assert main(["sweep", str(bad)]) == 2 and "--out" in capsys.readouterr().err
    assert main(["sweep", "plot", str(tmp_path)]) == 2 and "spec.toml" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_shipped_study_specs_are_valid() -> None:
    studies = sorted((ROOT / "studies").glob("*.toml"))
    assert studies, "no studies shipped"
    for path in studies:
        spec = load_spec(path)
        assert spec.points() and spec.plots, path.name


def test_committed_study_tables_hold_every_point_of_their_spec() -> None:
    """docs/studies/NAME is the output of studies/NAME.toml: a row for every setting of the spec.

    Settings, not point ids: an id also hashes the code that computed the row, so after a change of
    that code a rerun there recomputes the points (the ``code`` column says which code made a row).
    """
    tables = sorted((ROOT / "docs" / "studies").glob("*/results.parquet"))
    assert tables, "no study table committed"
    for table in tables:
        name = table.parent.name
        spec = load_spec(ROOT / "studies" / f"{name}.toml")
        assert (table.parent / "spec.toml").read_text() == spec.source, f"{name}: the committed spec.toml is stale"
        # a point that trained past its step size is a finding (DivergenceError, reported in the study's
        # page), not a missing row; any other error row is a defect
        done = [
            r for r in read_table(table.parent)
            if r["status"] == "done" or str(r.get("error") or "").startswith("DivergenceError")
        ]
        for point in spec.points():
            wanted = {f"option.{option.lstrip('-')}": str(value) for option, value in point.options.items()}
            assert any(all(str(row.get(k)) == v for k, v in wanted.items()) for row in done), (name, wanted)
        assert list((table.parent / "figures").glob("*.png")), f"{name}: no figure committed"


@pytest.mark.slow
def test_a_point_past_its_timeout_is_an_error_row_and_its_worker_is_replaced(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from mesasym.sweep.run import run_sweep

    spec = parse_spec('command = "check-fixed-point"\ntimeout = 0.5\n[options]\nd = 3\n[axes]\nT = [40]\n')
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        before = set(client.run(os.getpid).values())
        summary = run_sweep(spec, tmp_path, client=client, progress=False)
        client.wait_for_workers(1, timeout=30)
        after = set(client.run(os.getpid).values())
    (row,) = read_table(tmp_path)
    assert (summary.errors, row["status"], row["timed_out"]) == (1, "error", True)
    assert row["error"].startswith("timeout") and 0.5 <= row["wall_seconds"] < 5
    assert before.isdisjoint(after)  # the worker still computing the point was restarted

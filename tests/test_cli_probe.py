"""``mesasym probe``: the ground truths as commands, the JSON keys, the plot, bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesasym.cli import main

SMALL = ("--problems", "40", "--held-out", "40", "--jacobian-problems", "2", "--length", "10")
ZOO = ("--algorithm", "gd:k=2", "--algorithm", "gd:k=3", "--algorithm", "gd:k=4", "--algorithm", "ols")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["probe", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _row(report: dict, name: str) -> dict:
    return next(r for r in report["algorithms"] if r["name"] == name)


@pytest.mark.parametrize("target", ["gd:k=3", pytest.param("construction=gd,steps=3", marks=pytest.mark.slow)])
def test_three_steps_are_named_gd_with_k_3(capsys: pytest.CaptureFixture[str], target: str) -> None:
    report = _json(capsys, target, *SMALL, *ZOO)
    assert {"target", "algorithms", "closest", "verdict"} <= set(report)
    assert report["verdict"] == report["closest"] == "gd:k=3"
    three = _row(report, "gd:k=3")
    assert three["family"] == "gd" and three["k"] == 3 and three["distance"] <= 1e-10
    assert set(three) >= {"name", "distance", "cosine", "hyperparameters"}
    assert _row(report, "gd:k=2")["distance"] > report["threshold"]


@pytest.mark.slow
def test_ols_is_named_ols(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "ols", "--task", "regression:linear", *SMALL, *ZOO, "--algorithm", "ridge")
    assert report["verdict"] == "ols"


@pytest.mark.slow
def test_a_random_model_is_none(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "init=[random:scale=1]", *SMALL, *ZOO)
    assert report["verdict"] == "none" and report["closest"] != "none"


@pytest.mark.slow
def test_table_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "probe.png"
    code, out, err = _run(capsys, "paper:a=0.5,b=1.5", *SMALL, "--algorithm", "gd:k=1", "--algorithm", "zero", "--plot", str(plot))
    assert code == 0, err
    assert "verdict: gd:k=1" in out and plot.stat().st_size > 0
    report = _json(capsys, "paper:a=0.5,b=1.5", *SMALL, "--algorithm", "gd:k=1", "--algorithm", "zero")
    assert _row(report, "gd:k=1")["hyperparameters"]["steps"][0] == pytest.approx(0.75, abs=1e-12)  # the step is a*b


@pytest.mark.slow
def test_default_zoo_names_gd3(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "gd:k=3")
    assert report["verdict"] == "gd:k=3" and _row(report, "gd:k=3")["distance"] <= 1e-10


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("no/such/file.npz",), "is neither a file nor a spec"),
        (("gd:k=0",), "k=0 must be an integer from 1"),
        (("ols", "--algorithm", "ridge:lambda=-0.5"), "lambda=-0.5 must be > 0"),
        (("ols", "--algorithm", "gd:k=0"), "k=0 must be an integer from 1"),
        (("ols", "--problems", "1", "--length", "3", "--algorithm", "pgd:k=1,precond=full"), "probe sample too small"),
        (("ols", "--held-out", "1"), "--held-out"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], words: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert words in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def paper_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The paper's model trained on a Gaussian start with ``mesasym train --save`` (about 10 s)."""
    path = tmp_path_factory.mktemp("probe") / "paper.npz"
    argv = ["train", "--d", "2", "--T", "20", "--samples", "10000", "--test-samples", "0", "--steps", "300"]
    argv += ["--lr", "1e-3", "--a0", "0.5", "--b0", "1.5", "--dtype", "complex128", "--save", str(path), "--quiet"]
    assert main(argv) == 0
    return path


@pytest.mark.slow
def test_the_trained_paper_model_file_is_one_gd_step_of_its_ab(capsys: pytest.CaptureFixture[str], paper_file: Path) -> None:
    capsys.readouterr()
    report = _json(capsys, str(paper_file), "--length", "20", "--algorithm", "gd:k=1", "--algorithm", "gd:k=2", "--algorithm", "ols", "--jacobian-problems", "2")
    assert report["verdict"] == "gd:k=1"
    step = report["step"]
    assert step["within"] and step["relative_difference"] <= step["tolerance"]


@pytest.mark.slow
def test_a_model_file_with_another_task_is_refused(capsys: pytest.CaptureFixture[str], paper_file: Path) -> None:
    capsys.readouterr()
    code, out, err = _run(capsys, str(paper_file), "--task", "regression:linear")
    assert code == 2 and "was trained on task 'ar'" in err and err.count("\n") == 1


def test_a_file_that_is_not_a_model_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    code, out, err = _run(capsys, str(junk))
    assert code == 2 and "not a mesasym model file" in err and err.count("\n") == 1

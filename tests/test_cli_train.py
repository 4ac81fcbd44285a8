"""``mesasym train``: the run equals the library's trainer on the same sample; JSON, CSV history, divergence, bad input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from mesasym.cli import main
from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.numeric.sequences import sample_sequences
from mesasym.numeric.training import SampleObjective, train

SMALL = ("--d", "2", "--T", "8", "--samples", "300", "--test-samples", "200", "--steps", "20", "--lr", "2e-3")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["train", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _library_run(seed: int, dtype: type, clip: bool = False) -> tuple[np.ndarray, float]:
    """The same run through the library: sample (training first, then test), Assumption 1, train."""
    law = parse_distribution("gaussian:sigma=1")
    rng = np.random.default_rng(seed)
    X = sample_sequences(law, 300, 8, 2, rng, dtype).X
    X_test = sample_sequences(law, 200, 8, 2, rng, dtype).X
    result = train(SampleObjective(X), Parameters.assumption1(2, 0.1, 0.1, dtype), 2e-3, 20, clip=clip)
    return result.history.ab, SampleObjective(X_test).loss_and_gradient(result.params)[0]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("clip", [False, True])
def test_json_run_equals_the_library_trainer(capsys: pytest.CaptureFixture[str], dtype: str, clip: bool) -> None:
    flags = ("--clip",) if clip else ()
    code, out, err = _run(capsys, *SMALL, "--seed", "3", "--dtype", dtype, *flags, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    ab, test_loss = _library_run(3, np.complex64 if dtype == "complex64" else np.complex128, clip)
    assert data["final"]["ab"] == ab[-1] and data["final"]["step"] == 20 and data["final"]["test_loss"] == test_loss
    assert [row["step"] for row in data["trajectory"]] == [0, 4, 8, 12, 16, 20]
    assert [row["ab"] for row in data["trajectory"]] == [ab[k] for k in (0, 4, 8, 12, 16, 20)]
    settings = data["settings"]
    assert (settings["dtype"], settings["clip"], settings["objective"], settings["tau"]) == (dtype, clip, "compiled", 20 * 2e-3)
    assert settings["a0"] == "0.1" and settings["dist"] == "gaussian:sigma=1"
    assert data["derived_ab"] == pytest.approx(3 * 6 / (15 * 6 + 3 * (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 1 / 6)), rel=1e-12)
    assert data["final_ab_relative_to_derived"] == pytest.approx(ab[-1] / data["derived_ab"] - 1)


def test_history_csv_has_every_step_and_test_loss_at_the_chosen_steps(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "history.csv"
    code, out, _ = _run(capsys, *SMALL, "--at", "0,5,20", "--history", str(target), "--json")
    assert code == 0
    data = json.loads(out)
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == list(range(21))
    assert list(rows[0]) == ["step", "tau", "ab", "a", "b", "off_manifold", "train_loss", "test_loss"]
    assert [int(r["step"]) for r in rows if r["test_loss"]] == [0, 5, 20]
    assert float(rows[20]["ab"]) == data["final"]["ab"] and float(rows[5]["test_loss"]) == data["trajectory"][1]["test_loss"]
    assert np.all(np.diff([float(r["train_loss"]) for r in rows]) < 0)


def test_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *SMALL, "--test-samples", "0", "--quiet")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("mesasym train: gaussian:sigma=1, d=2, T=8, 300 training / 0 test sequences, 20 steps")
    assert lines[1].split() == ["step", "tau", "ab", "a", "b", "off-manifold", "train", "loss", "test", "loss"]
    assert len(lines[2:8]) == 6 and lines[7].split()[0] == "20" and lines[7].split()[-1] == "-"
    assert "derived a~b~ = " in out and "objective: compiled" in out


def test_divergence_stops_with_step_loss_and_largest_stable_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--d", "2", "--T", "8", "--samples", "100", "--test-samples", "0", "--steps", "200", "--lr", "5", "--a0", "1", "--b0", "1")
    assert code == 2 and out == ""  # a diverging step size is bad input (docs/cli.md)
    assert err.startswith("mesasym train: error: training diverged at step ")
    assert "largest stable step size at step" in err and "(2 / largest Hessian eigenvalue there)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (("--lr", "0"), "argument --lr: '0' must be a finite number > 0"),
        (("--samples", "0"), "argument --samples: '0' must be an integer >= 1"),
        (("--dtype", "float32"), "argument --dtype: invalid choice"),
        (("--at", "0,x"), "argument --at: '0,x' must be comma-separated integers >= 0"),
        (("--steps", "10", "--at", "0,11"), "--at 11 is beyond the last step 10"),
        (("--dist", "gaussian:sigma=-1"), "argument --dist"),
        (("--history", "out.txt"), "must end in one of .csv"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, out, err = _run(capsys, "--d", "2", "--T", "6", "--samples", "10", *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1

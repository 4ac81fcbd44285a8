"""``mesasym check-fixed-point --model "layers=L"``: bad input, the verdict, --json (compare.deep_fixed_point)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mesasym.compare.deep_fixed_point import DeepSettings, verify_deep_fixed_point


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mesasym", "check-fixed-point", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "layers=2,attention=softmax", "--d", "2", "--T", "6"], "attention=softmax has no exact population engine"),
        (["--model", "layers=2,mlp=relu", "--d", "2", "--T", "6"], "mlp=relu has no exact population engine"),
        (["--model", "layers=2,norm=layer", "--d", "2", "--T", "6"], "norm=layer has no exact population engine"),
        (["--model", "layers=4", "--d", "1", "--T", "4"], "layers=4 is beyond the exact engine's limit"),
        (["--model", "layers=3", "--d", "1", "--T", "4"], "deep check supports layers=2"),
        (["--model", "layers=2", "--d", "3", "--T", "6"], "--d 3 --T 6 with layers=2 is beyond the exact engine's limit"),
        (["--model", "layers=2"], "--d 5 --T 50 with layers=2 is beyond"),
        (["--model", "depth=2", "--d", "2", "--T", "6"], "unknown key 'depth'"),
        (["--model", "layers=2", "--d", "2", "--T", "6", "--process", "roots:k=3"], "valid only with uniform phases"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    from mesasym.cli import main

    assert main(["check-fixed-point", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_two_layers_verified_small():
    report = verify_deep_fixed_point(DeepSettings(layers=2, d=1, T=4, samples=2000))
    assert report.verdict == "verified"
    assert {c.name for c in report.checks} >= {"engine-vs-monte-carlo", "derived-flow-vs-engine", "limit-stationary"}
    assert report.closure == ("l1 KQ32", "l1 PV12", "l2 KQ32", "l2 PV12", "l1 PV23", "l2 KQ21")


def test_a_wrong_law_fails_the_deep_check(monkeypatch):
    """Can fail: the derivation made for another law than the engine's (sigma = 1.01) fails the flow row."""
    import mesasym.compare.deep_fixed_point as module

    real = module.reduced_loss

    def wrong(coordinates, d, T, layers, dist=None):
        return real(coordinates, d, T, layers, module.parse_distribution("gaussian:sigma=1.01"))

    monkeypatch.setattr(module, "reduced_loss", wrong)
    report = verify_deep_fixed_point(DeepSettings(layers=2, d=1, T=4, samples=2000))
    failed = {c.name for c in report.checks if c.passed is False}
    assert "derived-flow-vs-engine" in failed and report.verdict == "failed"


@pytest.mark.slow
def test_issue_command_json_under_two_minutes():
    result = _run("--model", "layers=2", "--d", "2", "--T", "6", "--json", timeout=240)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "verified" and data["seconds"] < 120
    assert data["losses"]["limit"] < data["losses"]["gd2_best"] < data["losses"]["paper_manifold_best"]

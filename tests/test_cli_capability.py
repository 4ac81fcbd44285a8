"""``mesasym capability``, ``mesasym explore``, ``mesasym reproduce``: verdicts, JSON, exit codes, bad input."""

from __future__ import annotations

import json
import os

import pytest
import sympy as sp

from mesasym.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, err = _run(capsys, *argv, "--json")
    assert err == ""
    return code, json.loads(out)


def test_gaussian_no_recovery_limit_ratio_one_fifth(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "capability", "--dist", "gaussian:sigma=1")
    assert code == 0
    assert data["verdict"] == "none" and data["d"] == 5 and data["T"] == 100
    assert data["recovers"]["long_context_limit"] is False
    assert data["ratio"]["limit_T_to_infinity"]["exact"] == "1/5"
    assert abs(data["ratio"]["finite_T"]["float"] - 0.191905088525588640953930237529) < 1e-15
    assert data["product"]["limit_T_to_infinity"]["exact"] == "1/5"
    assert all(c["agrees"] for c in data["claims"]) and len(data["claims"]) == 5
    assert "variance" in data["reasons"][0]


def test_sparse_exact_recovery(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "capability", "--dist", "sparse:c=1")
    assert code == 0 and data["verdict"] == "exact"
    assert data["recovers"] == {
        "long_context_limit": True,
        "at_T_as_t_to_infinity": True,
        "every_position_at_T": True,
        "every_position_every_T": True,
    }
    assert data["mse"]["last_position_T"]["exact"] == "0"


def test_rademacher_recovery_only_in_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "capability", "--dist", "rademacher:s=1")
    assert code == 0 and data["verdict"] == "long-context-only"
    assert data["recovers"]["long_context_limit"] is True and data["recovers"]["at_T_as_t_to_infinity"] is False
    code, data = _json(capsys, "capability", "--dist", "rademacher:s=1", "--d", "1", "--T", "7")
    assert code == 0 and data["verdict"] == "exact"


def test_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "capability", "--dist", "gaussian:sigma=2", "--T", "50", "--d", "3")
    assert code == 0 and err == ""
    assert "verdict        : none" in out and "gaussian_prediction_ratio_limit: claimed 1/5, derived 1/5 -- agrees" in out


def test_hypotheses_violated_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "capability", "--dist", "ones", "--d", "3", "--T", "10")
    assert code == 3 and data["verdict"] == "undetermined"
    assert data["hypotheses"]["satisfied"] is False and data["claims"] == []
    assert sp.Rational(data["manifold_product_T"]["exact"]) > 0


@pytest.mark.parametrize(
    "argv",
    [
        ["capability", "--dist", "gaussian", "--T", "2"],
        ["capability", "--dist", "gaussian", "--d", "0"],
        ["capability", "--dist", "nonsense"],
        ["capability", "--dist", "gaussian:sigma=-1"],
        ["capability", "--dist", "discrete-vector:atoms=[1,0],[0,1];probs=1/2,1/2", "--d", "3"],
        ["explore", "--dist", "ones", "--a0", "1,2"],
        ["explore", "--dist", "ones", "--a0", "0.5", "--b0", "-0.5"],
        ["explore", "--dist", "ones", "--d", "9"],
        ["reproduce", "figure1", "--out", "x", "--sequences", "1"],
        ["reproduce", "figure2", "--out", "x"],
    ],
)
def test_bad_input_exit_2_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    out = capsys.readouterr()
    assert info.value.code == 2
    assert out.out == "" and out.err.count("\n") == 1


def test_explore_ones_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "explore", "--dist", "ones", "--d", "3", "--T", "12")
    assert code == 0
    full, clip = data["full"], data["clip"]
    assert full["kq32_structure"]["off_diagonal_mean"] < -1e-3  # non-identity red block
    assert full["gd_distance"]["relative"] > 1e-2 and clip["gd_distance"]["relative"] < 1e-10
    assert data["loss_gap_clip_minus_full"] > 0
    assert data["assumption2"]["satisfied"] is False


@pytest.mark.slow
def test_explore_readable_and_plot(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "ones.png"
    code, out, _ = _run(capsys, "explore", "--dist", "ones", "--d", "2", "--T", "6", "--plot", str(target))
    assert code == 0 and target.exists()
    assert "vs vanilla GD" in out and "full flow" in out and "clip flow" in out


@pytest.mark.slow
def test_reproduce_tiny(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    pytest.importorskip("matplotlib")
    code, out, err = _run(
        capsys, "reproduce", "figure1", "--out", str(tmp_path), "--sequences", "20", "--test-sequences", "20",
        "--steps", "1", "--only", "gaussian",
    )
    assert code == 0
    summary = json.loads((tmp_path / "figure1.json").read_text())
    assert len(summary["runs"]) == 9 and summary["settings"]["sequences"] == 20
    assert "figure1_gaussian_ratio.png" in out and err == ""  # no progress bar when stderr is not a terminal
    assert summary["settings"]["workers"] == min(2, os.cpu_count() or 1) and [run["init"] for run in summary["runs"][:3]] == [[0.1, 0.1], [0.5, 1.5], [2.0, 2.0]]


@pytest.mark.slow
def test_huge_T_stays_symbolic(capsys: pytest.CaptureFixture[str]) -> None:
    """T = 10^12: H_{T-2} stays a symbol and the claim is compared as a function of T (no term-by-term sum)."""
    code, data = _json(capsys, "capability", "--dist", "rademacher", "--T", str(10**12))
    assert code == 0 and data["verdict"] == "long-context-only"
    assert "H_{999999999998}" in data["product"]["finite_T"]["exact"]
    assert 0.99999999 < data["product"]["finite_T"]["float"] < 1
    assert data["claims"][0]["claim"] == "theorem1_product" and data["claims"][0]["agrees"]


def test_monte_carlo_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "capability", "--dist", "gaussian:sigma=2", "--d", "3", "--T", "12", "--monte-carlo", "5000")
    assert code == 0
    mc = data["monte_carlo"]
    assert mc["n"] == 5000 and len(mc["positions"]) == 10
    assert max(mc["max_abs_z_mse"], mc["max_abs_z_ratio"]) <= mc["z_fail"]
    code, data = _json(capsys, "capability", "--dist", "ones", "--d", "3", "--T", "12", "--monte-carlo", "100")
    assert code == 3 and data["monte_carlo"] is None

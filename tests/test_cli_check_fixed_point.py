"""``mesasym check-fixed-point``: output, exit codes and input errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mesasym.cli import main
from mesasym.precise import fixed_point_exact

FAST = ["--T", "12", "--d", "3", "--dps", "30"]


def test_default_command_verifies_end_to_end_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesasym", "check-fixed-point", "--T", "50"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "verdict: verified" in done.stdout
    assert f"derived a~b~ = {fixed_point_exact(50, 3, 15, 12)}" in done.stdout  # Gaussian sigma = 1, d = 5
    assert done.stderr == ""  # no progress when stderr is not a terminal


def test_json_output_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-fixed-point", *FAST, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "verified"
    assert {"ab", "ab_exact", "a", "b"} <= set(data["fixed_point"])
    assert {"ab", "engine"} <= set(data["numeric"]) and data["numeric"]["engine"] == "population"
    assert set(data["kappa"]) == {"kappa1", "kappa2", "kappa3"}
    assert data["kappa"] == {"kappa1": "3", "kappa2": "15", "kappa3": "6"}
    assert {"T", "d", "dist", "a0", "b0", "seed"} <= set(data["settings"])
    assert data["settings"]["dist"] == "gaussian:sigma=1"
    for check in data["checks"]:
        assert {"name", "kind", "passed", "value", "tolerance", "reason", "hypothesis"} <= set(check)
        _assert_row_is_honest(check)
    independent = [c for c in data["checks"] if c["kind"] == "independent" and not c["hypothesis"]]
    assert data["summary"]["independent"] == {"passed": len(independent), "total": len(independent), "inconclusive": 0}
    assert abs(data["numeric"]["ab"] - data["fixed_point"]["ab"]) <= 1e-10 * data["fixed_point"]["ab"]


def _assert_row_is_honest(check: dict) -> None:
    """Every row has a kind; a test row has a numeric tolerance; an info row passes nothing."""
    assert check["kind"] in {"independent", "consistency", "info"}
    if check["kind"] == "info":
        assert check["passed"] is None
    else:
        if check["outcome"] == "inconclusive":  # could not be evaluated: no result, and says why
            assert check["passed"] is None and check["inconclusive"]
        else:
            assert isinstance(check["passed"], bool)
        assert isinstance(check["tolerance"], (int, float)) and not isinstance(check["tolerance"], bool)
        if isinstance(check["passed"], bool) and isinstance(check["value"], (int, float)):  # the result follows
            value = abs(check["value"]) if check["relation"] == "abs<=" else check["value"]
            within = value > check["tolerance"] if check["relation"] == ">" else value <= check["tolerance"]
            assert within == check["passed"], check


def test_monte_carlo_rows_have_kinds_and_the_text_shows_them(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check-fixed-point", "--T", "6", "--d", "2", "--dps", "20", "--engine", "monte-carlo", "--samples", "400"]
    main([*argv, "--json"])
    data = json.loads(capsys.readouterr().out)
    for check in data["checks"]:
        _assert_row_is_honest(check)
    kinds = {check["name"]: check["kind"] for check in data["checks"]}
    assert kinds["numeric-ab"] == "independent" and kinds["reduced-ode-reaches-fixed-point"] == "consistency"
    assert kinds["off-manifold"] == "info"
    numeric = data["numeric"]
    keys = {"ab", "ab_trained", "standard_error", "bias_estimate", "detectable_relative_error", "replicate_ab"}
    assert keys <= set(numeric) and len(numeric["replicate_ab"]) == 10
    assert numeric["ab"] == pytest.approx(numeric["ab_trained"] - numeric["bias_estimate"], abs=1e-12)
    row = next(check for check in data["checks"] if check["name"] == "numeric-ab")
    assert row["value"] == pytest.approx(numeric["ab"] - data["fixed_point"]["ab"], abs=1e-12)
    main(argv)
    out = capsys.readouterr().out
    assert "independent checks passed" in next(line for line in out.splitlines() if line.startswith("verdict: "))
    row = next(line for line in out.splitlines() if line.strip().startswith("conserved-quantity"))
    assert "consistency" in row


def test_hypotheses_violated_has_its_own_exit_code_and_still_shows_results(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-fixed-point", *FAST, "--dist", "ones"]) == 3
    out = capsys.readouterr().out
    assert "verdict: hypotheses-violated" in out and "full model: exact population flow" in out
    assert main(["check-fixed-point", *FAST, "--a0", "0.3", "--b0", "-0.3", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["verdict"] == "hypotheses-violated"


@pytest.mark.parametrize("start", [("0", "0"), ("0.3", "-0.3")])
def test_degenerate_start_text_output_names_the_saddle(capsys: pytest.CaptureFixture[str], start: tuple[str, str]) -> None:
    """From a0 = -b0 (the origin included) the text report ends in its verdict, no internal error."""
    assert main(["check-fixed-point", *FAST, "--a0", start[0], "--b0", start[1]]) == 3
    captured = capsys.readouterr()
    assert "verdict: hypotheses-violated" in captured.out and "internal error" not in captured.err


def test_failed_check_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-fixed-point", *FAST, "--dist", "discrete:values=-1,2;probs=2/3,1/3"]) == 1
    assert "verdict: failed" in capsys.readouterr().out


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's own usage errors
        return int(stop.code)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--T", "2"], "argument --T: '2' must be an integer >= 3"),
        (["--T", "abc"], "argument --T: 'abc' must be an integer >= 3"),
        (["--d", "0"], "argument --d: '0' must be an integer >= 1"),
        (["--dist", "cauchy"], "unknown distribution name 'cauchy'"),
        (["--dist", "student-t:nu=4"], "nu must be > 6"),
        (["--dist", "gaussian:sigma=-1"], "sigma=-1 must be a positive finite number"),
        (["--lr", "nan"], "argument --lr: 'nan' must be a finite number > 0"),
        (["--lr", "inf", "--engine", "monte-carlo"], "argument --lr: 'inf'"),
        (["--a0", "x"], "argument --a0: 'x' must be a finite real number"),
        (["--plot", "out.txt"], "must end in one of .png"),
        (["--plot", "/nonexistent/dir/out.png"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["check-fixed-point", *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_plot_is_written(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "flow.png"
    assert main(["check-fixed-point", *FAST, "--plot", str(path)]) == 0
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {path}" in capsys.readouterr().out

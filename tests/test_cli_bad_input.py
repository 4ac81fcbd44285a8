"""Every command and option with bad input: one line on stderr, the documented exit code, within seconds.

Values that parse but are absurd (enormous scales, starts, precisions, sample sizes, unwritable
paths) are refused before any work starts; see docs/cli.md.
"""

from __future__ import annotations

import builtins
import time
from pathlib import Path

import pytest

from mesasym.cli import main

#: A generous bound: every case below is refused while parsing or by an up-front check.
SECONDS = 20.0

UNWRITABLE_DIR = "/proc/mesasym-test"  # cannot be created, even by root

BAD_INPUT: dict[str, list[tuple[list[str], str]]] = {
    "check-fixed-point": [
        (["--T", "2"], "argument --T: '2' must be an integer >= 3"),
        (["--T", "100003"], "<= 100002"),
        (["--T", "abc"], "argument --T: 'abc'"),
        (["--T", "1e400"], "argument --T"),
        (["--d", "0"], "argument --d: '0'"),
        (["--d", "65"], "<= 64"),
        (["--dist", "cauchy"], "unknown distribution name"),
        (["--dist", "gaussian:sigma=1e300"], "between 1e-30 and 1e30"),
        (["--dist", "gaussian:sigma=0.01"], "0.1 <= scale <= 1000"),
        (["--dist", "gaussian:sigma=5000"], "0.1 <= scale <= 1000"),
        (["--a0", "x"], "argument --a0: 'x' must be a finite real number"),
        (["--a0", "1e5"], "|value| <= 1000"),
        (["--b0", "1e-30"], "1e-20 <= |value|"),
        (["--b0", "1/0"], "argument --b0"),
        (["--a0", "200"], "max(|a0|, |b0|) * scale = 200 must be <= 100"),
        (["--engine", "gpu"], "invalid choice"),
        (["--samples", "1"], "argument --samples"),
        (["--samples", "10000000"], "<= 1000000"),
        (["--engine", "monte-carlo", "--samples", "1000000"], "fit in memory"),
        (["--steps", "0"], "argument --steps"),
        (["--engine", "monte-carlo", "--steps", "1000000", "--lr", "0.001"], "it would take about"),
        (["--T", "1000", "--process", "von-mises:kappa=2"], "at most T=120"),
        (["--lr", "0"], "argument --lr: '0' must be a finite number > 0"),
        (["--lr", "nan"], "argument --lr"),
        (["--alpha", "0"], "argument --alpha"),
        (["--alpha", "0.6"], "argument --alpha"),
        (["--replicates", "1"], "argument --replicates"),
        (["--replicates", "101"], "argument --replicates"),
        (["--seed", "-1"], "argument --seed"),
        (["--seed", str(2**64)], "argument --seed"),
        (["--dps", "14"], "argument --dps: '14' must be an integer >= 15"),
        (["--dps", "101"], "<= 100"),
        (["--plot", "out.txt"], "must end in one of .png"),
        (["--plot", "/nonexistent/dir/out.png"], "does not exist"),
        (["--plot", f"{UNWRITABLE_DIR}.png"], "is not writable"),
        (["--bogus"], "unrecognized arguments"),
    ],
    "derive": [
        (["--T", "2"], "argument --T"),
        (["--T", str(10**13)], "<= 1000000000000"),
        (["--d", "0"], "argument --d"),
        (["--d", "65"], "argument --d"),
        (["--dps", "14"], "argument --dps"),
        (["--dps", "1001"], "<= 1000"),
        (["--dist", "nonsense"], "unknown distribution name"),
        (["--dist", "gaussian"], "needs --d"),
        (["--d", "2", "--dist", "uniform:w=1e31"], "between 1e-30 and 1e30"),
        (["--d", "2", "--dist", "shifted-gaussian:mu=1e-40"], "0 or with magnitude between"),
        (["--latex", UNWRITABLE_DIR], "is not writable"),
    ],
    "capability": [
        (["--dist", "nonsense"], "unknown distribution name"),
        (["--dist", "gaussian", "--T", "2"], "argument --T"),
        (["--dist", "gaussian", "--T", str(10**13)], "argument --T"),
        (["--dist", "gaussian", "--d", "0"], "argument --d"),
        (["--dist", "gaussian:sigma=-1"], "positive finite number"),
        (["--dist", "discrete-vector:atoms=[1,0],[0,1];probs=1/2,1/2", "--d", "3"], "d=3"),
        (["--dist", "gaussian", "--monte-carlo", "1"], "argument --monte-carlo"),
        (["--dist", "gaussian", "--monte-carlo", "10000000"], "argument --monte-carlo"),
        (["--dist", "gaussian", "--monte-carlo", "1000000", "--T", "100"], "fit in memory"),
        (["--dist", "gaussian", "--monte-carlo", "10", "--d", "9"], "d <= 8"),
        (["--dist", "gaussian", "--seed", "x"], "argument --seed"),
    ],
    "explore": [
        (["--dist", "gaussian", "--T", "300", "--process", "roots:k=4"], "at most T=120"),
        (["--dist", "ones", "--T", "2001"], "<= 2000"),
        (["--dist", "ones", "--d", "9"], "<= 8"),
        (["--dist", "ones", "--a0", "1,2"], "argument --a0"),
        (["--dist", "ones", "--a0", "0.5", "--b0", "-0.5"], "a0 = -b0"),
        (["--dist", "ones", "--plot", "x.pdf"], "must end in one of .png"),
        (["--dist", "ones", "--plot", f"{UNWRITABLE_DIR}.png"], "is not writable"),
    ],
    "reproduce": [
        (["figure2", "--out", "x"], "invalid choice"),
        (["figure1"], "required: --out"),
        (["figure1", "--out", UNWRITABLE_DIR], "is not writable"),
        (["figure1", "--out", "x", "--sequences", "1"], "argument --sequences"),
        (["figure1", "--out", "x", "--sequences", "100000"], "fit in memory"),
        (["figure1", "--out", "x", "--sequences", "30000", "--steps", "10000"], "it would take about"),
        (["figure1", "--out", "x", "--test-sequences", "1"], "argument --test-sequences"),
        (["figure1", "--out", "x", "--steps", "0"], "argument --steps"),
        (["figure1", "--out", "x", "--steps", "100001"], "<= 100000"),
        (["figure1", "--out", "x", "--seed", "-1"], "argument --seed"),
        (["figure1", "--out", "x", "--only", "cauchy"], "invalid choice"),
    ],
    "dynamics": [
        (["--T", "2"], "argument --T"),
        (["--d", "0"], "argument --d"),
        (["--dist", "gaussian:sigma=1e300"], "between 1e-30 and 1e30"),
        (["--a0", "x"], "argument --a0"),
        (["--dps", "14"], "argument --dps"),
        (["--lr", "0"], "lr=0"),
        (["--lr", "1e300", "--steps", "100"], "argument --lr"),
        (["--steps", "-1"], "argument --steps"),
        (["--eps", "2"], "eps=2"),
        (["--tau", "x"], "argument --tau"),
        (["--max-steps", "0"], "argument --max-steps"),
        (["--latex", UNWRITABLE_DIR], "is not writable"),
    ],
    "probe": [
        (["no/such/file.npz"], "is neither a file nor a spec"),
        (["gd:k=0"], "k=0 must be an integer from 1"),
        (["ols", "--algorithm", "ridge:lambda=-0.5"], "lambda=-0.5 must be > 0"),
        (["ols", "--held-out", "1"], "--held-out"),
    ],
    "train": [
        (["--T", "2"], "argument --T"),
        (["--samples", "0"], "argument --samples"),
        (["--samples", "10000000"], "fit in memory"),
        (["--test-samples", "1000000"], "--test-samples=1000000"),
        (["--steps", "10000000"], "it would take about"),
        (["--lr", "0"], "argument --lr"),
        (["--at", "x"], "argument --at"),
        (["--history", f"{UNWRITABLE_DIR}.csv"], "is not writable"),
        (["--d", "0"], "argument --d"),
        (["--dist", "cauchy"], "unknown distribution name"),
        (["--a0", "x"], "argument --a0"),
        (["--dtype", "float32"], "invalid choice"),
        (["--steps", "10", "--at", "11"], "--at 11 is beyond the last step 10"),
        (["--history", "x.txt"], "must end in one of .csv"),
    ],
    "sweep": [
        (["/nonexistent/spec.toml", "--out", UNWRITABLE_DIR], "is not writable"),
        (["x.toml", "--workers", "0"], "argument --workers"),
        (["plot", "/nonexistent"], "is not a sweep output directory"),
    ],
    "property-test": [
        (["--profile", "nightly"], "invalid choice"),
        (["--examples", "0"], "argument --examples"),
        (["--examples", "10001"], "<= 10000"),
        (["--property", "no-such-property"], "valid names are"),
        (["--broken", "nope"], "valid names are"),
    ],
}

CASES = [(command, argv, fragment) for command, cases in BAD_INPUT.items() for argv, fragment in cases]


@pytest.mark.parametrize("command, argv, fragment", CASES, ids=[f"{c}:{' '.join(a)}" for c, a, _ in CASES])
def test_bad_input_is_one_line_exit_2_within_seconds(
    command: str, argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    start = time.perf_counter()
    code = main([command, *argv])
    seconds = time.perf_counter() - start
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"mesasym {command}: error: ")
    assert fragment in captured.err, captured.err
    assert seconds < SECONDS


def test_every_command_has_bad_input_cases() -> None:
    from mesasym import cli

    names = {__import__(m, fromlist=["NAME"]).NAME for m in cli.COMMAND_MODULES}
    assert names <= set(BAD_INPUT)


def _without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)


@pytest.mark.parametrize(
    "argv",
    [
        ["check-fixed-point", "--plot", "{tmp}/a.png"],
        ["explore", "--dist", "ones", "--plot", "{tmp}/a.png"],
        ["reproduce", "figure1", "--out", "{tmp}/fig"],
    ],
)
def test_missing_matplotlib_is_exit_2_before_any_work(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_matplotlib(monkeypatch)
    start = time.perf_counter()
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "matplotlib" in err
    assert time.perf_counter() - start < SECONDS
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_existing_file_is_not_an_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for argv in (["derive", "--latex", str(blocker)], ["reproduce", "figure1", "--out", str(blocker / "below")]):
        assert main(argv) == 2
        assert "not a directory" in capsys.readouterr().err


def test_a_diverging_lr_is_exit_2_with_the_largest_stable_step(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check-fixed-point", "--T", "6", "--d", "2", "--engine", "monte-carlo", "--samples", "200"]
    code = main([*argv, "--lr", "1", "--steps", "20"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--lr=1 diverged" in err and "largest stable step here is below about" in err
    suggested = float(err.split("below about ")[1].split(" ")[0])
    assert 0 < suggested < 1
    # half the suggested step trains without diverging (the suggestion is usable); 20 steps need not
    # converge, so the verdict may be inconclusive (exit 4), but not bad input (2)
    code = main([*argv, "--lr", repr(suggested / 2), "--steps", "20", "--json"])
    assert code in (0, 1, 4), capsys.readouterr().err


def test_train_with_a_diverging_lr_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--lr", "1", "--steps", "50", "--samples", "200", "--test-samples", "0", "--T", "10", "--d", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "largest stable step" in err

"""One set of CLI conventions: shared options, --json/--quiet/--debug, exit codes, progress (issue 10)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest
import sympy as sp

from mesasym import cli
from mesasym.commands import options as O
from mesasym.commands.exit_codes import EXIT_CODES
from mesasym.errors import MissingDependencyError

COMMANDS = ("check-fixed-point", "derive", "capability", "explore", "reproduce", "property-test")


def test_every_listed_command_is_registered() -> None:
    names = [__import__(m, fromlist=["NAME"]).NAME for m in cli.COMMAND_MODULES]
    assert set(COMMANDS) <= set(names)


@pytest.mark.parametrize("command", [__import__(m, fromlist=["NAME"]).NAME for m in cli.COMMAND_MODULES])
def test_help_is_uniform(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--json", "--quiet", "--debug"):
        assert flag in out
    assert "common options (every command)" in out
    squashed = " ".join(out.split())
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {' '.join(meaning.split())}" in squashed


def test_exit_code_table_is_the_one_cli_uses() -> None:
    assert (cli.EXIT_OK, cli.EXIT_CHECK_FAILED, cli.EXIT_USAGE, cli.EXIT_HYPOTHESES_VIOLATED, cli.EXIT_INTERNAL_ERROR) == (
        0, 1, 2, 3, 70,
    )
    assert O.EXIT_USAGE is cli.EXIT_USAGE


# --- the parsing helpers ------------------------------------------------------------------------


def test_integer_type() -> None:
    parse = O.integer(3, 10)
    assert parse("3") == 3 and parse(" 1_0 ") == 10 and O.integer(1, 10**7)("1e6") == 10**6
    for bad in ("2", "11", "abc", "3.5", "1e400", "nan", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="must be an integer >= 3 and <= 10"):
            parse(bad)


def test_real_type() -> None:
    parse = O.real(0)
    assert parse("1e-3") == 1e-3
    for bad in ("0", "-1", "nan", "inf", "-inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="must be a finite number > 0"):
            parse(bad)
    assert O.real(0, 1, inclusive=True)("0") == 0.0
    with pytest.raises(argparse.ArgumentTypeError, match="<= 1"):
        O.real(0, 1)("1.5")


def test_exact_real_reads_decimals_exactly() -> None:
    parse = O.exact_real()
    assert parse("0.1") == sp.Rational(1, 10) and parse("-1/5") == sp.Rational(-1, 5) and parse("2e-3") == sp.Rational(1, 500)
    for bad in ("x", "1e5", "nan", "oo", "1/0", "2**3", "1" * 70, "sqrt(2)", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="must be a finite real number"):
            parse(bad)


def test_decimal_text_round_trips() -> None:
    for text in ("0.1", "-2", "1/3", "0.125", "1000", "-1/5"):
        value = O.exact_real()(text)
        assert sp.Rational(O.decimal_text(value)) == value
    assert O.decimal_text(sp.Rational(1, 10)) == "0.1" and O.decimal_text(sp.Rational(1, 3)) == "1/3"
    assert O.decimal_text(sp.Integer(1000)) == "1000"


def test_output_paths_are_checked_before_work(tmp_path: Path) -> None:
    ok = O.writable_file((".png",))(str(tmp_path / "a.png"))
    assert ok == tmp_path / "a.png" and not ok.exists()
    with pytest.raises(argparse.ArgumentTypeError, match="must end in one of .png"):
        O.writable_file((".png",))(str(tmp_path / "a.txt"))
    with pytest.raises(argparse.ArgumentTypeError, match="does not exist"):
        O.writable_file()(str(tmp_path / "missing" / "a.png"))
    with pytest.raises(argparse.ArgumentTypeError, match="is a directory"):
        O.writable_file()(str(tmp_path))
    target = O.writable_dir(str(tmp_path / "new" / "deeper"))
    assert target == tmp_path / "new" / "deeper" and not target.exists()  # nothing created while parsing
    (tmp_path / "file").write_text("x")
    with pytest.raises(argparse.ArgumentTypeError, match="not a directory"):
        O.writable_dir(str(tmp_path / "file"))
    with pytest.raises(argparse.ArgumentTypeError, match="not a directory"):
        O.writable_dir(str(tmp_path / "file" / "below"))


# --- progress -----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "flags, tty, shown",
    [({}, True, True), ({"quiet": True}, True, False), ({"json": True}, True, False), ({}, False, False)],
)
def test_progress_only_on_a_terminal_and_never_under_quiet_or_json(
    monkeypatch: pytest.MonkeyPatch, flags: dict, tty: bool, shown: bool
) -> None:
    stream = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    args = argparse.Namespace(**{"quiet": False, "json": False, **flags})
    assert O.progress_enabled(args) is shown
    with O.progress(args, "work", total=3) as bar:
        say = O.message_sink(bar)
        for k in range(3):
            say(f"step {k}")
    assert ("work" in stream.getvalue()) is shown


# --- errors -------------------------------------------------------------------------------------


def _raising(error: BaseException):
    def run(args: argparse.Namespace) -> int:
        raise error

    return run


@pytest.mark.parametrize("error", [AssertionError("x"), NotImplementedError("sympy"), FileNotFoundError("nope"), ZeroDivisionError()])
def test_internal_error_is_one_line_and_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: BaseException
) -> None:
    from mesasym.commands import derive

    monkeypatch.setattr(derive, "run", _raising(error))
    assert cli.main(["derive", "--T", "5"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("mesasym derive: internal error " + type(error).__name__)
    assert "mesasym derive --T 5" in err and "report it" in err and "--debug" in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mesasym.commands import derive

    monkeypatch.setattr(derive, "run", _raising(AssertionError("inner")))
    assert cli.main(["derive", "--debug"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "AssertionError: inner" in err


def test_missing_optional_dependency_is_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mesasym.commands import derive

    monkeypatch.setattr(derive, "run", _raising(MissingDependencyError("matplotlib is not installed")))
    assert cli.main(["derive"]) == 2
    assert capsys.readouterr().err == "mesasym derive: error: matplotlib is not installed\n"


# --- --json and --quiet answer the same way on every command -------------------------------------

CHEAP = {
    "check-fixed-point": ["--T", "6", "--d", "2", "--dps", "20"],
    "derive": ["--T", "5", "--d", "2", "--dist", "gaussian"],
    "capability": ["--dist", "gaussian", "--T", "10", "--d", "2"],
    "explore": ["--dist", "ones", "--T", "6", "--d", "2"],
    "dynamics": ["--no-full", "--T", "10", "--d", "2"],
    "train": ["--samples", "50", "--test-samples", "0", "--T", "6", "--d", "2", "--steps", "5"],
    "property-test": ["--list"],
    "probe": ["gd:k=1", "--problems", "20", "--held-out", "20", "--jacobian-problems", "2", "--length", "6",
              "--algorithm", "gd:k=1", "--algorithm", "zero"],
}
#: Covered elsewhere: reproduce trains 9-18 runs and plots (tests/test_figures.py), sweep needs a spec
#: and a Dask cluster (tests/test_sweep*.py).
NOT_RUN_HERE = {"reproduce", "sweep"}


def test_every_command_is_covered_here_or_says_where() -> None:
    names = {__import__(m, fromlist=["NAME"]).NAME for m in cli.COMMAND_MODULES}
    assert names <= set(CHEAP) | NOT_RUN_HERE


@pytest.mark.parametrize("command", sorted(CHEAP))
def test_json_is_only_json_on_stdout_and_nothing_on_stderr(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert cli.main([command, *CHEAP[command], "--json"]) in (0, 1, 3)
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert captured.err == ""


@pytest.mark.parametrize("command", sorted(CHEAP))
def test_quiet_leaves_stderr_empty_even_on_a_terminal(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(O, "progress_enabled", lambda args: (not args.quiet and not args.json))
    assert cli.main([command, *CHEAP[command], "--quiet"]) in (0, 1, 3)
    captured = capsys.readouterr()
    assert captured.out and captured.err == ""

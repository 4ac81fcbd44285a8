"""``mesasym derive``: readable output, JSON, LaTeX, invalid input and hypotheses."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from mesasym.cli import main
from mesasym.precise import fixed_point_exact


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["derive", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--T", "100", "--d", "5", "--dist", "gaussian:sigma=1", "--json", "--dps", "30")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["T"] == 100 and data["d"] == 5 and data["dist"] == "gaussian:sigma=1"
    assert data["kappas"] == {"kappa1": "3", "kappa2": "15", "kappa3": "12"}
    exact = sp.Rational(data["fixed_point"])
    assert exact == fixed_point_exact(100, 3, 15, 12)
    assert data["fixed_point_float"] == float(exact)
    with mpmath.mp.workdps(40):  # the 30 digits of the exact rational, computed here
        digits = mpmath.nstr(mpmath.mpf(int(exact.p)) / int(exact.q), 30)
    assert data["fixed_point_digits"].startswith(digits)
    assert data["conserved"] == "a**2 - b**2"
    assert data["hypotheses"] == {"satisfied": True, "reasons": []}


def test_symbolic_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys)
    assert code == 0
    assert "a~ b~ = kappa_1*(T - 2)/(T*kappa_2 - 2*kappa_2 + kappa_3*harmonic(T - 2))" in out
    assert "a**2 - b**2" in out and "Eq(b_0, -a_0)" in out
    assert "2 dL/d conj(z)" in out


def test_symbolic_json_has_no_float(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--json")
    data = json.loads(out)
    assert code == 0 and data["fixed_point_float"] is None and data["T"] is None
    assert "harmonic(T - 2)" in data["fixed_point"]


def test_law_violating_assumption2_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--T", "10", "--d", "3", "--dist", "ones", "--json")
    data = json.loads(out)
    assert code == 3 and data["hypotheses"]["satisfied"] is False and data["hypotheses"]["reasons"]


def test_skewed_law_violates_the_reduction(capsys: pytest.CaptureFixture[str]) -> None:
    """Assumption 2 holds, but E x_1^3 x_2^3 != 0 breaks the invariance: exit 3 with the reason."""
    code, out, _ = _run(capsys, "--T", "10", "--d", "2", "--dist", "discrete:values=-1,2;probs=2/3,1/3")
    assert code == 3
    assert "x_{1,1}^3 x_{1,2}^3" in out


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["--T", "2"], "argument --T: '2' must be an integer >= 3"),
        (["--T", "ten"], "argument --T: 'ten' must be an integer >= 3"),
        (["--d", "0"], "argument --d: '0' must be an integer >= 1"),
        (["--dps", "0"], "argument --dps: '0' must be an integer >= 15"),
        (["--dist", "gaussian"], "needs --d"),
        (["--d", "2", "--dist", "nosuchlaw"], "unknown distribution name"),
    ],
)
def test_invalid_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err


def test_latex_option_writes_documents(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "docs"
    code, out, _ = _run(capsys, "--T", "20", "--d", "2", "--dist", "sparse:c=2", "--latex", str(target))
    assert code == 0
    names = sorted(p.name for p in target.iterdir())
    assert names == [
        "capability.tex", "corollary1.tex", "deep.tex", "dynamics.tex", "invariance.tex", "processes.tex", "theorem1.tex"
    ]
    assert "Specialisation" in (target / "theorem1.tex").read_text(encoding="utf-8")
    assert str(target / "theorem1.tex") in out


def test_latex_target_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(capsys, "--latex", str(blocker))
    assert code == 2 and "not a directory" in err

"""What ``check-fixed-point`` prints never contradicts itself (issue 22, "What was seen").

Each of the five situations a new user met is pinned here: a row's result follows from the
value, relation and tolerance it shows; a run that did not converge is ``inconclusive`` (exit 4),
not ``failed``; with ``--process`` the first line names the law and the fixed point checked
beside Theorem 1's; after the model leaves the manifold the report says what ``ab`` is; no text is
cut off. Plus the first screen (summary line first, reasons behind ``--explain``), the defaults
and help of ``--dist``, and the can-fail side of :attr:`Check.follows`.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from mesasym.cli import main
from mesasym.commands.fixed_point_text import COLUMN, render, summary_line
from mesasym.compare.fixed_point_report import Check
from mesasym.laws import DISTRIBUTION_NAMES, PROCESS_NAMES


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(["check-fixed-point", "--quiet", *argv])
    return status, capsys.readouterr().out


def _rows(out: str) -> dict[str, list[str]]:
    """The table's rows by check name: ``[kind, value, tolerance..., result]`` split on blanks."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["check", "kind"])
    rows = {}
    for line in lines[start + 1 :]:
        if line.startswith("  (*"):
            break
        name, *rest = line.split()
        rows[name] = rest
    return rows


def _assert_follows(report) -> None:
    for check in report.checks:
        assert check.follows, f"{check.name}: {check.outcome} does not follow from {check.value} {check.relation} {check.tolerance}"


# --- the can-fail side of the rule ------------------------------------------------------------------


def test_a_row_whose_result_does_not_follow_is_detected() -> None:
    """``follows`` compares the result with value and tolerance; a hidden second condition breaks it."""
    assert Check("x", True, 0.5e-10, 1e-10, "r", "independent").follows
    assert not Check("x", False, 0.5e-10, 1e-10, "r", "independent").follows  # failed, yet within tolerance
    assert not Check("x", True, 1.5e-10, 1e-10, "r", "independent").follows
    assert Check("x", True, 0.2, 0, "r", "consistency", relation=">").follows
    assert not Check("x", True, 0.0, 0, "r", "consistency", relation=">").follows
    assert Check("x", True, -0.3, 0.5, "r", "independent", relation="abs<=").follows
    assert not Check("x", True, -0.6, 0.5, "r", "independent", relation="abs<=").follows
    assert Check("x", None, 1.0, 2.0, "r", "consistency", inconclusive="did not converge").outcome == "inconclusive"
    with pytest.raises(ValueError, match="passed=None"):
        Check("x", False, 1.0, 2.0, "r", "consistency", inconclusive="did not converge")
    with pytest.raises(ValueError, match="relation"):
        Check("x", True, 1.0, 2.0, "r", "consistency", relation=">=")


# --- situation 2 and 4 of the issue: hidden conditions, the off-manifold ab --------------------------


@pytest.fixture(scope="module")
def degenerate():
    """The issue's ``--T 10 --a0 0.1 --b0 -0.1``: a start on the non-convergent set; the flow leaves the manifold."""
    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    return verify_fixed_point(FixedPointSettings(T=10, a0="0.1", b0="-0.1"))


@pytest.mark.slow
def test_degenerate_start_rows_follow_and_the_off_manifold_ab_is_explained(degenerate) -> None:
    _assert_follows(degenerate)
    out = render(degenerate)
    rows = _rows(out)
    # was: "reduced-ode-a-b-limits consistency 1 2 FAILED" -- a hidden convergence condition
    assert rows["reduced-ode-a-b-limits"][-1] == "inconclusive"
    assert "reduced-ode-a-b-limits is inconclusive: the integration did not reach a~b~" in out
    assert rows["initialization"][2:] == [">", "0", "VIOLATED"]
    # was: "ab = 0.0749, a = 4.36e-15, b = 4.35e-15" with nothing said
    numeric = degenerate.numeric
    relative = numeric.off_manifold[-1] / numeric.params.norm()
    assert relative > 0.1
    assert f"ab = {numeric.final_ab:.15g}" in out and f"relative to ||theta||: {relative:.3g}" in out
    assert "ab the mean of their products (the authors' metric), so ab is not a * b" in " ".join(out.split())
    assert "derived a~, b~: none" in out and degenerate.to_dict()["fixed_point"]["a"] is None
    assert out.splitlines()[0].startswith("hypotheses violated")


# --- situation 4: inconclusive, not failed ----------------------------------------------------------


@pytest.mark.slow
def test_monte_carlo_run_that_did_not_converge_is_inconclusive_with_exit_4(capsys) -> None:
    status, out = _run(capsys, "--T", "6", "--d", "2", "--engine", "monte-carlo", "--samples", "400", "--replicates", "3")
    rows = _rows(out)
    assert rows["numeric-converged"][-1] == "inconclusive"
    value, tolerance = float(rows["numeric-converged"][1]), float(rows["numeric-converged"][3])
    assert value > tolerance  # what the row shows is why it is inconclusive
    assert all(row[-1] in ("ok", "info", "inconclusive") for row in rows.values())
    assert status == 4
    first = out.splitlines()[0]
    assert first.startswith("inconclusive (numeric-converged: the Monte Carlo run did not converge in --steps; raise --steps)")
    assert "verdict: inconclusive (" in out and "(1 inconclusive)" in out


def test_verdict_ranks_failed_above_inconclusive(process_report) -> None:
    """A failed row outranks an inconclusive one; an inconclusive row alone makes the verdict inconclusive."""
    report = process_report
    ok = Check("x", True, 0.0, 1.0, "r", "independent")
    pending = Check("y", None, 2.0, 1.0, "r", "consistency", inconclusive="the run did not converge; raise --steps")
    failed = Check("z", False, 2.0, 1.0, "r", "independent")
    assert dataclasses.replace(report, checks=(ok,)).verdict == "verified"
    inconclusive = dataclasses.replace(report, checks=(ok, pending))
    assert inconclusive.verdict == "inconclusive"
    assert summary_line(inconclusive).startswith("inconclusive (y: the run did not converge; raise --steps)")
    assert dataclasses.replace(report, checks=(ok, pending, failed)).verdict == "failed"


# --- situation 3: --process says what it verified ---------------------------------------------------


@pytest.fixture(scope="module")
def process_report():
    """A cheap real report (``--process roots:k=4`` at T = 6, d = 2) to render and vary."""
    from mesasym.compare.fixed_point import FixedPointSettings, verify_fixed_point

    return verify_fixed_point(FixedPointSettings(T=6, d=2, process="roots:k=4"))


def test_process_header_names_the_law_its_fixed_point_and_theorem1s(process_report) -> None:
    report = process_report
    _assert_follows(report)
    out = render(report)
    first = out.splitlines()[0]
    info = report.process_info
    assert first.startswith(f"verified: W ~ roots:k=4's own fixed point c* = {info['manifold_ab']:.6g}")
    assert f"Theorem 1's a~b~ = {report.theorem1_ab:.6g} does not apply: the law breaks phase-rule" in first
    assert "broken: phase-rule" in out and "hypotheses of Theorem 1 that this law breaks" in out
    assert f"checked: this law's own fixed point c* = {info['manifold_ab']:.15g}" in out
    assert abs(report.theorem1_ab - info["manifold_ab"]) > 1e-3 * info["manifold_ab"]  # two different values shown
    assert report.to_dict()["fixed_point"]["theorem1_ab"] == report.theorem1_ab
    # the counts: no "0 of 0 consistency checks"; info rows counted as such
    verdict = out.splitlines()[-2]
    kinds = [c.kind for c in report.checks if not c.hypothesis]
    independent, info_rows = kinds.count("independent"), kinds.count("info")
    assert independent >= 6 and info_rows >= 4
    assert " 0 of 0 " not in verdict and f"{info_rows} info rows" in verdict
    assert f"{independent} of {independent} independent checks passed" in verdict


def test_no_text_is_cut_off(process_report) -> None:
    """Long values (the reduction steps' details) move to numbered notes, whole; no column overflows."""
    out = render(process_report, explain=True)
    flat = " ".join(out.split())
    assert "..." not in out
    for step in process_report.process_info["steps"]:
        assert " ".join(step["detail"].split()) in flat
    for name, row in _rows(out).items():
        assert all(len(cell) < COLUMN for cell in row), (name, row)


# --- situation 5: the first screen, defaults and help -----------------------------------------------


def test_first_screen_summary_first_reasons_behind_explain(process_report) -> None:
    out = render(process_report)
    assert out.splitlines()[0].startswith("verified: ") and out.splitlines()[0].endswith(" s)")
    assert "why these tolerances" not in out and "--explain" in out.splitlines()[-1]
    explained = render(process_report, explain=True)
    lines = explained.splitlines()
    assert lines.index("  why these tolerances:") > next(i for i, line in enumerate(lines) if line.startswith("  (*"))
    assert all(f"- {check.name}: " in explained for check in process_report.checks)


def test_capability_runs_with_no_arguments(capsys) -> None:
    assert main(["capability", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dist"] == "gaussian:sigma=1"


@pytest.mark.parametrize("command", ["check-fixed-point", "capability", "explore", "train"])
def test_dist_and_process_help_list_every_family_of_the_registry(command: str, capsys) -> None:
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # undo argparse's wrapping
    lists = [part.split("(parameters")[0] for part in text.split("families:")[1:]]  # --dist, then --process
    assert all(name in lists[0] for name in DISTRIBUTION_NAMES)
    assert ("--process SPEC" in text) == (len(lists) == 2)
    if len(lists) == 2:
        assert all(name in lists[1] for name in PROCESS_NAMES)

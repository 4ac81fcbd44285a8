"""``--process SPEC`` on the commands: the paper's law unchanged, other laws checked, bad specs rejected."""

from __future__ import annotations

import json

import pytest

from mesasym.cli import main

FAST = ["--T", "8", "--d", "2", "--dps", "30"]


def _json(capsys, argv: list[str]) -> tuple[int, dict]:
    status = main(argv + ["--json"])
    return status, json.loads(capsys.readouterr().out)


def test_uniform_process_output_is_byte_for_byte_the_papers(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for extra in ([], ["--process", "uniform"]):
        assert main(["check-fixed-point", *FAST, "--json", *extra]) == 0
        data = json.loads(capsys.readouterr().out)
        data.pop("seconds")
        outputs.append(json.dumps(data))
    assert outputs[0] == outputs[1]
    assert "process" not in json.loads(outputs[0])


@pytest.mark.parametrize(
    "spec,invariant",
    [("damped:r=0.8", True), ("roots:k=4", True), ("von-mises:kappa=2", False), ("roots:k=2", False)],
)
def test_check_fixed_point_reports_the_reduction_steps(capsys, spec: str, invariant: bool) -> None:
    status, data = _json(capsys, ["check-fixed-point", *FAST, "--process", spec])
    assert status == 0, [c for c in data["checks"] if not c["passed"]]
    steps = {s["name"]: s["holds"] for s in data["process"]["steps"]}
    assert steps["phase-rule"] is False and steps["invariance"] is invariant
    checks = {c["name"]: c for c in data["checks"]}
    if invariant:
        closed = data["process"]["closed_form_ab"]
        assert abs(data["numeric"]["ab"] - closed) <= 1e-10 * closed
        assert checks["corollary-1"]["tolerance"] == 1e-10
    else:
        assert data["process"]["closed_form_ab"] is None
        assert checks["invariance-numeric"]["value"] > 1e-8
        assert checks["loss-below-manifold"]["value"] < 0


MC_SMALL = ["--T", "6", "--d", "2", "--engine", "monte-carlo", "--samples", "2000", "--replicates", "5", "--alpha", "0.05"]


def test_process_monte_carlo_has_the_papers_rows_and_evidence(capsys) -> None:
    """--process with --engine monte-carlo runs the same Monte Carlo path as the paper's law: the same numeric
    rows with the same kinds, the replicate estimate with the requested --replicates and --alpha, and the
    power statement (damped:r=0.8 keeps the manifold invariant, so the closed form is the reference)."""
    status, data = _json(capsys, ["check-fixed-point", *MC_SMALL, "--process", "damped:r=0.8"])
    paper_status, paper = _json(capsys, ["check-fixed-point", *MC_SMALL])
    assert status == 0, [c for c in data["checks"] if c["passed"] is False]
    numeric_rows = ("numeric-converged", "numeric-ab", "off-manifold", "trajectory", "corollary-1")

    def rows(report: dict) -> list[tuple[str, str]]:
        return [(c["name"], c["kind"]) for c in report["checks"] if c["name"] in numeric_rows]

    assert rows(data) == rows(paper) and len(rows(data)) == len(numeric_rows)
    assert set(data["numeric"]) == set(paper["numeric"])
    evidence = data["numeric"]
    assert evidence["correction"] == "independent replicates, 1/n bias model" and evidence["replicates"] == 5 and evidence["alpha"] == 0.05
    assert len(evidence["replicate_ab"]) == 5 and 0 < evidence["detectable_relative_error"] < 1
    check = {c["name"]: c for c in data["checks"]}["numeric-ab"]
    assert "4 degrees of freedom" in check["reason"] and "false-alarm rate 0.05" in check["reason"]
    assert abs(data["numeric"]["ab"] - data["process"]["closed_form_ab"] - check["value"]) <= 1e-12


@pytest.mark.parametrize("bad", ["roots:k=0", "poisson", "damped:r=2", "von-mises"])
def test_bad_process_is_a_one_line_usage_error(capsys, bad: str) -> None:
    assert main(["check-fixed-point", *FAST, "--process", bad]) == 2
    err = capsys.readouterr().err.strip()
    assert "--process" in err and len(err.splitlines()) == 1


def _strip(data: dict, *keys: str) -> str:
    for key in keys:
        data.pop(key, None)
    return json.dumps(data, sort_keys=True)


@pytest.mark.parametrize(
    "argv,volatile",
    [
        (["capability", "--dist", "gaussian", "--T", "20", "--d", "3"], ()),
        (["explore", "--dist", "ones", "--T", "8", "--d", "2"], ()),
        (["train", "--T", "8", "--d", "2", "--samples", "300", "--steps", "10", "--lr", "0.001"], ("seconds", "peak_memory_mb")),
    ],
    ids=["capability", "explore", "train"],
)
def test_uniform_process_leaves_the_other_commands_unchanged(capsys, argv: list[str], volatile: tuple[str, ...]) -> None:
    outputs = []
    for extra in ([], ["--process", "uniform"]):
        assert main(argv + extra + ["--json"]) == 0
        outputs.append(_strip(json.loads(capsys.readouterr().out), *volatile))
    assert outputs[0] == outputs[1]


def test_capability_with_a_damped_process_changes_the_sparse_verdict(capsys) -> None:
    """Sparse start: exact recovery under uniform phases (loss 0), but not under damped:r=0.8 at T = 12:
    L(theta*)/L(0) is far above the 1e-10 recovery threshold (exact population values)."""
    status, data = _json(capsys, ["capability", "--dist", "sparse:c=1", "--T", "12", "--d", "2", "--process", "damped:r=0.8", "--monte-carlo", "200"])
    assert status == 0
    assert data["paper_law_recovers"] is True and data["paper_law_relative_loss"] <= 1e-10
    assert data["verdict"] == "does-not-recover" and data["relative_loss"] > 1e-3


def test_capability_roots_one_lets_a_rademacher_start_recover(capsys) -> None:
    """W = I (roots:k=1) with x_1 = +-1 coordinates: the full model reaches zero population loss (it does not
    at the same T with uniform phases)."""
    status, data = _json(capsys, ["capability", "--dist", "rademacher", "--T", "10", "--d", "2", "--process", "roots:k=1", "--monte-carlo", "200"])
    assert status == 0 and data["verdict"] == "recovers" and data["paper_law_recovers"] is False


def test_explore_with_a_process_names_it_and_uses_its_manifold_optimum(capsys) -> None:
    status, data = _json(capsys, ["explore", "--dist", "gaussian", "--T", "8", "--d", "2", "--process", "roots:k=4"])
    assert status == 0 and data["process"] == "roots:k=4"
    # roots:k=4 keeps the manifold invariant: the full flow ends at the derived manifold optimum
    assert abs(data["full"]["ab"] - data["manifold_optimum"]["ab"]) <= 1e-8 * data["manifold_optimum"]["ab"]


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["roots:k=4"])
def test_check_fixed_point_monte_carlo_for_roots_and_von_mises(capsys, spec: str) -> None:
    """Monte Carlo GD on sequences of the law against the closed form (roots:k=4, invariant), within the
    check's Student-t band of the replicate estimate, at the default --replicates and --alpha.
    (von-mises:kappa=2 passes too but its automatic schedule -- 3x the population flow's slow
    off-manifold convergence time -- takes several minutes, beyond the slow-test budget.)"""
    status, data = _json(
        capsys, ["check-fixed-point", "--T", "6", "--d", "2", "--engine", "monte-carlo", "--samples", "4000", "--process", spec]
    )
    assert status == 0
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["numeric-ab"]["passed"] and abs(checks["numeric-ab"]["value"]) <= checks["numeric-ab"]["tolerance"]
    assert data["numeric"]["correction"] == "independent replicates, 1/n bias model" and len(data["numeric"]["replicate_ab"]) == 10


def test_process_start_at_the_origin_is_a_verdict_not_an_internal_error(capsys) -> None:
    """From a0 = b0 = 0 the flow stays at the zero model: hypotheses violated (exit 3), no division by zero."""
    assert main(["check-fixed-point", "--T", "6", "--d", "2", "--process", "damped:r=0.8", "--a0", "0", "--b0", "0"]) == 3
    captured = capsys.readouterr()
    assert "verdict: hypotheses-violated" in captured.out and "internal error" not in captured.err


def test_dynamics_with_an_invariant_process_has_the_full_models_curvature(capsys) -> None:
    """damped:r=0.8 keeps the manifold invariant: the closed forms use K = sum_t A_t / d and c*; the rate r
    derived from them must equal the curvature of the full model's exact population Hessian along the
    manifold at the limit (an independent source; 1e-12 relative, float64 eigenvalues of a ~1e2 matrix)."""
    status, data = _json(capsys, ["dynamics", "--d", "3", "--T", "12", "--process", "damped:r=0.8"])
    assert status == 0 and data["process"]["spec"] == "damped:r=0.8"
    assert data["gd"]["max_stable_lr_full"]["manifold_curvature_vs_rate"] <= 1e-12
    fixed = _json(capsys, ["check-fixed-point", "--d", "3", "--T", "12", "--dps", "30", "--process", "damped:r=0.8"])[1]
    assert abs(data["flow"]["c_star"]["value"] - fixed["process"]["closed_form_ab"]) <= 1e-15


def test_dynamics_where_the_process_leaves_the_manifold_exits_3_with_the_reason(capsys) -> None:
    status = main(["dynamics", "--d", "2", "--T", "8", "--process", "von-mises:kappa=2"])
    out = capsys.readouterr().out.strip()
    assert status == 3 and len(out.splitlines()) == 1
    assert "no closed form" in out and "leaves the Assumption-1 manifold" in out and "phi_1" in out
    status, data = _json(capsys, ["dynamics", "--d", "2", "--T", "8", "--process", "von-mises:kappa=2"])
    assert status == 3 and data["hypotheses"]["satisfied"] is False and data["flow"] is None


def test_dynamics_uniform_process_is_the_papers(capsys) -> None:
    outputs = []
    for extra in ([], ["--process", "uniform"]):
        status, data = _json(capsys, ["dynamics", "--d", "2", "--T", "8", *extra])
        assert status == 0
        outputs.append(json.dumps(data, sort_keys=True))
    assert outputs[0] == outputs[1] and "process" not in json.loads(outputs[0])


@pytest.mark.parametrize("dist,invariant,checked_status", [("gaussian", True, 0), ("ones", False, 3)])
def test_train_states_the_c_star_of_check_fixed_point(capsys, dist: str, invariant: bool, checked_status: int) -> None:
    """``train --process`` takes its c* from the comparators' one reduction: the very float
    ``check-fixed-point --process`` reports (exact equality: the same computation, no tolerance), and its
    note says whether the manifold stays invariant as the check's reduction steps do -- with ``x_1 = 1``
    the law of ``x_1`` breaks the invariance although roots:k=4 alone keeps it (Assumption 2 violated: exit 3)."""
    common = ["--T", "8", "--d", "2", "--process", "roots:k=4", "--dist", dist]
    status, checked = _json(capsys, ["check-fixed-point", *common, "--dps", "30"])
    assert status == checked_status
    status, trained = _json(capsys, ["train", *common, "--samples", "50", "--steps", "2", "--lr", "0.001"])
    assert status == 0
    assert trained["derived_ab"] == checked["process"]["manifold_ab"]
    assert (checked["process"]["closed_form_ab"] is not None) is invariant
    assert ("not invariant" not in trained["derived_ab_note"]) is invariant

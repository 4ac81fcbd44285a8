"""``mesasym property-test``: listing, per-property output, JSON, broken variants, exit codes.

Runs only cheap properties with few examples (``--examples``), so each test
takes about a second.
"""

from __future__ import annotations

import builtins
import json

import pytest

from mesasym.cli import main
from mesasym.testing.properties import PROPERTY_NAMES
from mesasym.testing.subject import BROKEN_VARIANTS


def test_list_names_every_property_and_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["property-test", "--list"]) == 0
    out = capsys.readouterr().out
    for name in (*PROPERTY_NAMES, *BROKEN_VARIANTS):
        assert name in out


def test_runs_the_chosen_properties_and_reports_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["property-test", "--profile", "ci", "--examples", "5", "--property", "scaling-law", "--property", "derived-equals-claim"])
    out = capsys.readouterr().out
    assert code == 0
    assert "profile ci, --examples 5" in out
    # 5 generated + the pinned cases of each property (4 edge cases; derived-equals-claim also the generic case)
    from mesasym.testing.properties.registry import get_property

    for name in ("scaling-law", "derived-equals-claim"):
        pinned = len(get_property(name).pinned)
        assert f"{name}: passed after {5 + pinned} examples" in out
    assert "2 of 2 properties behaved as expected" in out


def test_finding_prints_a_ready_to_run_command(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["property-test", "--profile", "ci", "--property", "assumption2-as-stated-suffices"])
    out = capsys.readouterr().out
    assert code == 0  # a documented finding is expected to be falsified
    assert "falsified (expected: a documented finding)" in out
    assert "minimal counterexample: T=3, d=2, dist=discrete:" in out
    assert "reproduce: mesasym check-fixed-point --T 3 --d 2 --dist 'discrete:" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["property-test", "--profile", "ci", "--examples", "3", "--property", "long-context-limit", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"] == "ci" and data["ok"] is True and data["broken_variant"] is None
    (entry,) = data["properties"]
    assert entry["name"] == "long-context-limit" and entry["verdict"] == "passed" and entry["examples"] == 3 + 4


def test_broken_variant_is_caught_with_exit_0_and_a_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["property-test", "--profile", "ci", "--broken", "fixed-point-harmonic-shift"]) == 0
    out = capsys.readouterr().out
    assert "BROKEN VARIANT fixed-point-harmonic-shift" in out
    assert "derived-equals-claim: falsified" in out and "[caught]" in out
    assert "same setting with the unbroken mesasym: mesasym check-fixed-point --T 3" in out


def test_broken_variant_not_caught_by_an_unrelated_property_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["property-test", "--profile", "ci", "--examples", "3", "--broken", "one-step-gd-wrong-step", "--property", "scaling-law"])
    out = capsys.readouterr().out
    assert code == 1 and "[NOT CAUGHT]" in out


def test_a_property_that_fails_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """If mesasym itself were broken, a property that should hold is falsified: exit 1, counterexample and command."""
    import mesasym.testing.subject as subject

    monkeypatch.setattr(subject, "DEFAULT_SUBJECT", subject.broken_subject("fixed-point-harmonic-shift"))
    code = main(["property-test", "--profile", "ci", "--property", "derived-equals-claim"])
    out = capsys.readouterr().out
    assert code == 1
    assert "derived-equals-claim: falsified after" in out and "[UNEXPECTED]" in out
    assert "minimal counterexample: T=3" in out and "reproduce: mesasym check-fixed-point --T 3" in out
    assert "0 of 1 properties behaved as expected" in out


def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["property-test", "--property", "no-such-property"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "valid names are" in err
    assert main(["property-test", "--broken", "nope"]) == 2
    assert "valid names are" in capsys.readouterr().err
    assert main(["property-test", "--examples", "0", "--property", "scaling-law"]) == 2
    assert "argument --examples: '0' must be an integer >= 1" in capsys.readouterr().err
    assert main(["property-test", "--profile", "nightly"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_missing_hypothesis_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real_import = builtins.__import__

    def no_hypothesis(name, *args, **kwargs):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError("No module named 'hypothesis'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    assert main(["property-test", "--list"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "needs hypothesis" in captured.err and "pip install hypothesis" in captured.err


def test_profile_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MESASYM_HYPOTHESIS_PROFILE", "ci")
    assert main(["property-test", "--examples", "2", "--property", "scaling-law"]) == 0
    assert "profile ci (from MESASYM_HYPOTHESIS_PROFILE or the default)" in capsys.readouterr().out

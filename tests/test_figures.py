"""Figure 1 reproduction machinery and the plots (tiny settings; the real run is ``mesasym reproduce``).

Plotting tests need matplotlib (a declared dependency, installed in CI); they are
skipped where it is missing, and :func:`require_matplotlib` is tested to fail
cleanly there.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from mesasym.numeric.sequences import sample_sequences
from mesasym.compare.capability import evaluate_positions
from mesasym.laws import parse_distribution
from mesasym.errors import DivergenceError, MesasymError
from mesasym.compare.figure1 import FIGURE1_SETTINGS, INITS, LastPositionTest, run_setting
from mesasym.report.plots import require_matplotlib
from mesasym.numeric.training import SampleObjective, train
from mesasym.numeric.model import Parameters, ParametersPredictor
from mesasym.tasks.ar import ar_batch

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_authors_settings() -> None:
    """THEORY §9 / the authors' plot.py: three Gaussian and three sparse laws, their lr and steps."""
    table = {(s.family, s.scale): (s.lr, s.steps) for s in FIGURE1_SETTINGS}
    assert table == {
        ("gaussian", "0.5"): (1e-3, 200),
        ("gaussian", "1"): (1e-4, 150),
        ("gaussian", "2"): (2e-6, 200),
        ("sparse", "0.5"): (3e-2, 200),
        ("sparse", "1"): (1e-3, 200),
        ("sparse", "2"): (1e-4, 120),
    }
    assert INITS == ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))


def test_run_setting_trains_with_the_trainer_and_records_every_step() -> None:
    """run_setting uses mesasym.numeric.training.train: the same parameters as a plain train() call
    (same arithmetic, exact), and one record per step, 0..steps."""
    from mesasym.numeric.population.objective import PopulationObjective

    law = parse_distribution("gaussian")
    X = sample_sequences(law, 200, 8, 2, np.random.default_rng(0), np.complex64).X
    X_test = sample_sequences(law, 50, 8, 2, np.random.default_rng(1), np.complex64).X
    objective = SampleObjective(X)
    setting = FIGURE1_SETTINGS[1]
    result, final = run_setting(setting, (0.3, 0.8), objective, LastPositionTest(X_test), PopulationObjective(law, 2, 8), steps=7)
    theirs = train(objective, Parameters.assumption1(2, 0.3, 0.8, np.complex64), setting.lr, 7)
    assert np.array_equal(final.WKQ, theirs.params.WKQ) and np.array_equal(final.WPV, theirs.params.WPV)
    assert result.ab.size == result.population_ab.size == 8
    assert result.ab[-1] == theirs.history.ab[-1] and result.train_loss[-1] == theirs.final_loss


def test_run_setting_reports_divergence() -> None:
    from mesasym.numeric.population.objective import PopulationObjective

    law = parse_distribution("gaussian:sigma=2")
    X = sample_sequences(law, 50, 8, 2, np.random.default_rng(0)).X
    setting = FIGURE1_SETTINGS[0].__class__("gaussian", "2", 1.0, 50)
    with pytest.raises(DivergenceError, match="diverged at step"):
        run_setting(setting, (2.0, 2.0), SampleObjective(X), LastPositionTest(X), PopulationObjective(law, 2, 8))


def test_last_position_metrics_equal_the_general_evaluation() -> None:
    """The O(n d^2) last-position metrics equal evaluate_positions at t = T - 1 (complex128:
    two orderings of the same sums, 1e-10 relative)."""
    law = parse_distribution("gaussian")
    X = sample_sequences(law, 300, 9, 3, np.random.default_rng(1)).X
    params = Parameters.random(3, np.random.default_rng(2), 0.3)
    ratio, ratio_se, mse, mse_se = LastPositionTest(X).metrics(params)
    general = evaluate_positions(ParametersPredictor(params), ar_batch(X))
    for ours, theirs in ((ratio, general.ratio[-1]), (ratio_se, general.ratio_se[-1]), (mse, general.mse[-1]), (mse_se, general.mse_se[-1])):
        assert abs(ours - theirs) <= 1e-10 * abs(theirs)


def test_require_matplotlib_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MesasymError, match="matplotlib"):
        require_matplotlib()


@pytest.mark.slow
def test_tiny_reproduction_writes_the_figures(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from mesasym.compare.figure1 import reproduce_figure1
    from mesasym.report.plots import plot_figure1

    messages: list[str] = []
    result = reproduce_figure1(
        tmp_path, sequences=40, test_sequences=30, steps=3, seed=0, families=("sparse",), d=2, T=6,
        progress=messages.append, plot=plot_figure1, workers=1,
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["figure1.png", "figure1_sparse_ab.png", "figure1_sparse_mse.png"]
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    data = json.loads(json.dumps(result.as_dict()))
    assert len(data["runs"]) == 9 and all(r["steps"] == 3 for r in data["runs"])
    assert [r["init"] for r in data["runs"][:3]] == [list(i) for i in INITS]
    for run in result.runs:
        assert run.ab[0] == pytest.approx(run.init[0] * run.init[1], rel=1e-6)  # complex64 start
        assert run.ab.size == run.population_ab.size == 4
    for spec, theory in data["theory"].items():
        assert theory["derived_product_T"] == pytest.approx(theory["paper_product"], rel=1e-15)
        assert theory["verdict"] == "exact"
    assert any("step 3/3" in m for m in messages)
    parallel = reproduce_figure1(
        tmp_path / "parallel", sequences=40, test_sequences=30, steps=3, seed=0, families=("sparse",), d=2, T=6, workers=2,
    )
    assert parallel.settings["workers"] == 2 and result.settings["workers"] == 1
    for ours, theirs in zip(result.runs, parallel.runs):  # independent of the number of processes, bit for bit
        assert (ours.setting, ours.init) == (theirs.setting, theirs.init)
        for name in ("ab", "train_loss", "ratio_last", "mse_last", "test_loss_population", "population_ab"):
            assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
        assert ours.final == theirs.final


def test_plot_explore(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from mesasym.compare.beyond_assumption import explore
    from mesasym.report.plots import plot_explore

    report = explore(parse_distribution("ones"), 2, 5)
    target = plot_explore(report, tmp_path / "explore.png")
    assert target.read_bytes()[:8] == PNG_MAGIC

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
from mesasym.compare.figure1 import FIGURE1_SETTINGS, INITS, LastPositionTest, gradient_descent
from mesasym.report.plots import require_matplotlib
from mesasym.numeric.training import SampleObjective, train
from mesasym.numeric.model import Parameters, predict

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


def test_gradient_descent_equals_the_trainer() -> None:
    """Same update as mesasym.numeric.training.train: identical parameters (same arithmetic, exact)."""
    X = sample_sequences(parse_distribution("gaussian"), 200, 8, 2, np.random.default_rng(0)).X
    objective = SampleObjective(X)
    start = Parameters.assumption1(2, 0.3, 0.8)
    seen: list[int] = []
    ours, loss = gradient_descent(objective, start, 1e-3, 7, lambda k, p, v: seen.append(k))
    theirs = train(objective, start, 1e-3, 7)
    assert seen == list(range(8))
    assert np.array_equal(ours.WKQ, theirs.params.WKQ) and np.array_equal(ours.WPV, theirs.params.WPV)
    assert loss == theirs.final_loss


def test_gradient_descent_reports_divergence() -> None:
    X = sample_sequences(parse_distribution("gaussian:sigma=2"), 50, 8, 2, np.random.default_rng(0)).X
    with pytest.raises(DivergenceError):
        gradient_descent(SampleObjective(X), Parameters.assumption1(2, 2.0, 2.0), 1.0, 50)


def test_last_position_metrics_equal_the_general_evaluation() -> None:
    """The O(n d^2) last-position metrics equal evaluate_positions at t = T - 1 (complex128:
    two orderings of the same sums, 1e-10 relative)."""
    law = parse_distribution("gaussian")
    X = sample_sequences(law, 300, 9, 3, np.random.default_rng(1)).X
    params = Parameters.random(3, np.random.default_rng(2), 0.3)
    ratio, ratio_se, mse, mse_se = LastPositionTest(X).metrics(params)
    general = evaluate_positions(lambda X: predict(params, X), X)
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
        progress=messages.append, plot=plot_figure1,
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


def test_plot_explore(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from mesasym.compare.beyond_assumption import explore
    from mesasym.report.plots import plot_explore

    report = explore(parse_distribution("ones"), 2, 5)
    target = plot_explore(report, tmp_path / "explore.png")
    assert target.read_bytes()[:8] == PNG_MAGIC

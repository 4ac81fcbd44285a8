"""Closed-form training dynamics (issue 13): derivation, evaluation, thresholds, ``mesasym dynamics``.

The independent references are the full model's exact population gradient and Hessian
(:mod:`mesasym.numeric.population`), integrated by SciPy or iterated in floats; nothing
below types in a formula of the reduced flow.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from mesasym.cli import main
from mesasym.laws import parse_distribution
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.curvature import step_size_limit
from mesasym.numeric.population.objective import PopulationObjective, manifold_gradient_split
from mesasym.precise.dynamics import DynamicsEvaluator
from mesasym.symbolic import symbols as S
from mesasym.symbolic.dynamics import EPS, ETA, W0, derive_dynamics
from mesasym.symbolic.reduced_flow import derive_reduced_flow

DONE_WHEN = [
    "dynamics", "--dist", "gaussian:sigma=1", "--d", "5", "--T", "100", "--a0", "0.1", "--b0", "0.1",
    "--tau", "0.015", "--lr", "1e-4", "--steps", "150", "--eps", "1e-3", "--json",
]  # fmt: skip


@pytest.fixture(scope="module")
def dyn():  # noqa: ANN201
    return derive_dynamics()


@pytest.fixture(scope="module")
def objective() -> PopulationObjective:
    return PopulationObjective(parse_distribution("gaussian:sigma=1"), 5, 100)


@pytest.fixture(scope="module")
def done_when() -> dict:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(DONE_WHEN)
    assert code == 0
    return json.loads(buffer.getvalue())


def _manifold_rhs(objective: PopulationObjective):  # noqa: ANN202
    """(da/dtau, db/dtau) from the full model's exact population gradient at (a I, b I)."""

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        g_a, g_b, _ = manifold_gradient_split(objective.gradient(Parameters.assumption1(5, y[0], y[1])))
        return [-g_a.real, -g_b.real]

    return rhs


# --- the derivation ---------------------------------------------------------------


def test_trajectory_solves_the_scalar_ode(dyn) -> None:  # noqa: ANN001
    """c(tau) satisfies dc/dtau = -sqrt(delta^2 + 4c^2) g(c) at random rational points (40 digits)."""
    rng = np.random.default_rng(1)
    for _ in range(5):
        K, C = (sp.Rational(int(x), 7) for x in rng.integers(1, 60, 2))
        a0, b0 = (sp.Rational(int(x), 5) for x in rng.integers(1, 15, 2))
        subs = {S.K: K, S.CSTAR: C, S.DELTA: a0**2 - b0**2, W0: (a0 + b0) ** 2}
        c_tau = dyn.c_of_tau.subs(subs)
        for t in (sp.Rational(1, 100), sp.Rational(1, 3)):
            c_val = sp.N(c_tau.subs(S.tau, t), 40)
            derivative = sp.N(sp.diff(c_tau, S.tau).subs(S.tau, t), 40)
            ode = sp.N(dyn.c_ode.subs(subs).subs(S.c, c_val), 40)
            assert abs(derivative - ode) <= 1e-30 * max(1, abs(ode))
        assert abs(sp.N(c_tau.subs(S.tau, 0), 40) - a0 * b0) < 1e-35


def test_symmetric_start_is_logistic(dyn) -> None:  # noqa: ANN001
    c0 = sp.Symbol("c_0", positive=True)
    closed = dyn.c_of_tau.subs({S.DELTA: 0, W0: 4 * c0})
    logistic = S.CSTAR / (1 + (S.CSTAR / c0 - 1) * sp.exp(-2 * S.K * S.CSTAR * S.tau))
    assert sp.simplify(closed - logistic) == 0  # the logistic curve with rate 2 K c*
    assert sp.simplify(dyn.logistic_dsolve - logistic) == 0


def test_rate_and_thresholds_agree_with_the_flow(dyn) -> None:  # noqa: ANN001
    flow = derive_reduced_flow()
    assert sp.simplify(dyn.rate - flow.rate_kc) == 0
    assert sp.simplify(dyn.max_stable_lr * dyn.rate - 2) == 0
    assert dyn.gd_eigenvalues[0] == 1
    assert sp.simplify(dyn.gd_eigenvalues[1] - (1 - ETA * dyn.rate)) == 0
    # the time to eps from below is positive and shrinks as eps grows
    subs = {S.K: 3, S.CSTAR: sp.Rational(1, 2), S.DELTA: sp.Rational(-3, 4), W0: 1}
    times = [sp.N(dyn.tau_eps_below.subs(subs).subs(EPS, e), 30) for e in (sp.Rational(1, 10), sp.Rational(1, 1000))]
    assert 0 < times[0] < times[1]


# --- done-when: agreement with independent computations ---------------------------


def test_ab_at_tau_matches_scipy_on_the_full_models_gradient(done_when, objective) -> None:  # noqa: ANN001
    """flow.ab_at_tau against DOP853 (rtol 1e-13) on the full model's exact population gradient."""
    sol = solve_ivp(_manifold_rhs(objective), (0, 0.015), [0.1, 0.1], method="DOP853", rtol=1e-13, atol=1e-15)
    a, b = sol.y[:, -1]
    at = done_when["flow"]["ab_at_tau"]
    assert abs(at["ab"] - a * b) / (a * b) <= 1e-10
    assert abs(at["a"] - a) / a <= 1e-10 and abs(at["b"] - b) / b <= 1e-10


def test_gd_after_steps_matches_full_model_population_gd(done_when, objective) -> None:  # noqa: ANN001
    """gd.ab_after_steps against 150 float GD steps of the full model (every entry free)."""
    params = Parameters.assumption1(5, 0.1, 0.1)
    for _ in range(150):
        params = params.step(objective.gradient(params), 1e-4)
    run = done_when["gd"]["ab_after_steps"]
    assert run["steps"] == 150
    assert abs(run["ab"] - params.ab) / params.ab <= 1e-10
    assert params.off_manifold_norm() <= 1e-12


def test_reduced_threshold_matches_the_full_hessian_on_the_manifold(done_when, objective) -> None:  # noqa: ANN001
    """gd.max_stable_lr_reduced = 2 / (curvature of the full model's Hessian along (a I, b I))."""
    a = done_when["flow"]["a_tilde"]["value"]
    b = done_when["flow"]["b_tilde"]["value"]
    H = objective.gradient_jacobian_blocks(*(lambda p: (p.P, p.Q))(Parameters.assumption1(5, a, b)))
    x_a = Parameters.assumption1(5, 1 / np.sqrt(5), 0).to_real_vector()
    x_b = Parameters.assumption1(5, 0, 1 / np.sqrt(5)).to_real_vector()
    # restrict to the P, Q coordinates of the Hessian (its layout: Re P, Re Q, Im P, Im Q)
    basis = []
    for vec in (x_a, x_b):
        p = Parameters.from_real_vector(vec, 5)
        v = np.concatenate([p.P.ravel(), p.Q.ravel()])
        basis.append(np.concatenate([v.real, v.imag]))
    U = np.array(basis).T
    curvature = np.max(np.linalg.eigvalsh(U.T @ H @ U))
    reduced = done_when["gd"]["max_stable_lr_reduced"]["value"]
    assert abs(reduced - 2 / curvature) / reduced <= 1e-10
    assert done_when["gd"]["max_stable_lr_full"]["value"] <= reduced


def test_done_when_other_keys(done_when) -> None:  # noqa: ANN001
    flow, gd = done_when["flow"], done_when["gd"]
    assert flow["rate"]["exact"] == "588"  # 2 K c* = 2 (T-2) kappa1 for a0 = b0
    assert "exp" in flow["c_of_tau"] and "tau" in flow["c_of_tau"]
    count = gd["steps_to_relative_error"]
    assert count["iterated"] is not None and abs(count["iterated"] - count["estimate_flow"]) < 5
    assert 0 < flow["tau_to_relative_error"]["value"]


# --- thresholds can fail: just below converges, just above diverges ---------------------


def test_reduced_threshold_is_sharp() -> None:
    """Symmetric start (delta stays 0 under the map): converges just below 2/r, not just above."""
    flow = derive_reduced_flow(20, 3, kappas=(3, 15, 6))
    ev = DynamicsEvaluator(flow.slope, flow.fixed_product, "0.5", "0.5", dps=30)
    a_t, _ = ev.limits()
    limit = sp.Rational(str(ev.max_stable_lr))
    near = sp.Rational(str(a_t * 1.001))
    for factor, converges in ((sp.Rational(97, 100), True), (sp.Rational(103, 100), False)):
        start = DynamicsEvaluator(flow.slope, flow.fixed_product, near, near, dps=30)
        run = start.gd(limit * factor, 3000)
        distance = abs(run.a[-1] * run.b[-1] - start.C) / start.C
        assert (distance < 1e-8) == converges, (factor, distance)


def test_above_the_threshold_an_asymmetric_start_moves_along_the_hyperbola() -> None:
    """delta' = delta (1 - eta^2 g^2): above 2/r the oscillation shrinks |a^2 - b^2| until the
    local threshold 2/(K sqrt(delta^2 + 4c*^2)) exceeds eta, and GD converges elsewhere."""
    flow = derive_reduced_flow(20, 3, kappas=(3, 15, 6))
    ev = DynamicsEvaluator(flow.slope, flow.fixed_product, "0.5", "1.5", dps=30)
    a_t, b_t = ev.limits()
    eta = sp.Rational(str(ev.max_stable_lr)) * sp.Rational(103, 100)
    start = DynamicsEvaluator(flow.slope, flow.fixed_product, sp.Rational(str(a_t * 1.001)), sp.Rational(str(b_t)), dps=30)
    run = start.gd(eta, 3000)
    a, b = run.a[-1], run.b[-1]
    assert abs(a * b - start.C) / start.C < 1e-12
    assert abs(a**2 - b**2) < 0.99 * abs(start.delta)
    local = DynamicsEvaluator(flow.slope, flow.fixed_product, sp.Rational(str(a)), sp.Rational(str(b)), dps=30)
    assert eta <= sp.Rational(str(local.max_stable_lr))


def test_full_threshold_is_sharp() -> None:
    """Full-model GD (d = 3, T = 20) from the fixed point plus a small push along the top eigenvector."""
    d = 3
    objective = PopulationObjective(parse_distribution("gaussian:sigma=1"), d, 20)
    k = parse_distribution("gaussian:sigma=1").kappas(d)
    c_star = derive_reduced_flow(20, d, kappas=(k.kappa1, k.kappa2, k.kappa3)).fixed_product
    a = float(sp.sqrt(c_star))
    point = Parameters.assumption1(d, a, a)
    limit = step_size_limit(objective, point)
    H = objective.gradient_jacobian_blocks(point.P, point.Q)
    vector = np.linalg.eigh(0.5 * (H + H.T))[1][:, -1]
    n = vector.size // 2
    v = vector[:n] + 1j * vector[n:]
    push = Parameters.from_blocks(1e-6 * v[: 2 * d * d].reshape(d, 2 * d), 1e-6 * v[2 * d * d :].reshape(2 * d, 2 * d))
    for factor, grows in ((0.97, False), (1.03, True)):
        params = Parameters(point.WKQ + push.WKQ, point.WPV + push.WPV)
        for _ in range(300):
            params = params.step(objective.gradient(params), factor * limit.max_stable_lr)
        distance = Parameters(params.WKQ - point.WKQ, params.WPV - point.WPV).norm()
        assert (distance > 1e-6) == grows, (factor, distance)


# --- CLI ---------------------------------------------------------------------------


def test_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dynamics", "--T", "10", "--d", "2", "--a0", "0.5", "--b0", "1.5", "--tau", "0.1", "--lr", "1e-3", "--steps", "5"])
    out = capsys.readouterr().out
    assert code == 0
    for text in ("c(tau)", "rate at the limit", "reduced GD map", "full model", "GD steps to eps"):
        assert text in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--a0", "1", "--b0", "-1"], "a0 = -b0"),
        (["--steps", "3"], "--steps needs --lr"),
        (["--eps", "2"], "eps"),
        (["--T", "2"], "--T"),
        (["--lr", "-1"], "lr"),
        (["--dist", "nonsense"], "nonsense"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code = main(["dynamics", "--no-full", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1


def test_law_violating_assumption2_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dynamics", "--dist", "ones", "--d", "2", "--T", "5", "--json", "--no-full"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3 and not data["hypotheses"]["satisfied"]


def test_latex_for_a_setting_compiles(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    import shutil
    import subprocess

    code = main(["dynamics", "--T", "10", "--d", "2", "--a0", "0.5", "--b0", "1.5", "--tau", "0.1", "--lr", "1e-3",
                 "--steps", "5", "--latex", str(tmp_path)])  # fmt: skip
    assert code == 0 and "dynamics.tex" in capsys.readouterr().out
    text = (tmp_path / "dynamics.tex").read_text(encoding="utf-8")
    assert "This setting" in text
    exe = shutil.which("pdflatex")
    if exe is None:
        pytest.skip("pdflatex is not installed")
    result = subprocess.run([exe, "-halt-on-error", "-interaction=nonstopmode", "-no-shell-escape", "dynamics.tex"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]


def test_reduced_gd_ab_is_population_gd_of_the_full_model() -> None:
    """The Figure 1 overlay: the derived map equals the full model's population GD (float64)."""
    from mesasym.compare.dynamics import reduced_gd_ab

    law = parse_distribution("sparse:c=1")
    objective = PopulationObjective(law, 2, 6)
    params = Parameters.assumption1(2, 0.5, 1.5)
    values = [params.ab]
    for _ in range(12):
        params = params.step(objective.gradient(params), 0.05)
        values.append(params.ab)
    derived = reduced_gd_ab("sparse:c=1", 2, 6, "0.5", "1.5", "0.05", 12)
    assert np.max(np.abs(derived - np.array(values)) / np.abs(derived)) <= 1e-12


@pytest.mark.slow
def test_figure1_step_limits_table() -> None:
    """docs/dynamics.md: at the limit the authors' steps are 1.5-46 % of the full model's 2/lambda_max."""
    from mesasym.compare.dynamics import figure1_step_limits

    rows = figure1_step_limits()
    assert len(rows) == 18
    ratios = [r["lr_over_full_limit"] for r in rows]
    assert 0.01 < min(ratios) and max(ratios) < 0.5
    assert all(r["max_stable_lr_full"] <= r["max_stable_lr_reduced"] for r in rows)
    assert all(r["limiting_blocks"] == ["KQ22", "KQ33", "PV13"] for r in rows)
    above = {(r["dist"], r["a0"]) for r in rows if r["lr_over_full_limit_at_start"] > 1}
    assert above == {("gaussian:sigma=1", "2"), ("gaussian:sigma=2", "2")}

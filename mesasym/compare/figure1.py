"""Figures: the paper's Figure 1 reproduced, and the beyond-Assumption-2 exploration.

Figure 1 (THEORY §9, the authors' script ``main_train_ar.py`` / ``plot.py``): the
full model (every entry of both ``3d x 3d`` complex matrices free) is trained by
full-batch gradient descent on a fixed sample of ``n`` sequences (complex64, as
the authors), ``d = 5``, ``T = 100``, from the three Assumption-1 starts
``(a0, b0) in {(0.1, 0.1), (0.5, 1.5), (2, 2)}``:

* Gaussian ``x_1 ~ N(0, sigma^2 I)``, ``sigma in {0.5, 1, 2}``, step sizes
  ``1e-3, 1e-4, 2e-6`` and ``200, 150, 200`` steps;
* sparse ``x_1 = +-c e_J``, ``c in {0.5, 1, 2}``, step sizes ``3e-2, 1e-3, 1e-4``
  and ``200, 200, 120`` steps.

Tracked at every step, as the authors do: the mean of ``Re(a_j) Re(b_j)`` over
the red diagonals (``ab``); for the Gaussian the mean over test sequences and
coordinates of ``Re(yhat/x)`` at the last position (prediction of ``x_T``;
the authors divide by ``x + 1e-5``); for the sparse start the authors' "MSE",
which their script computes as the whole test loss
``(1/n) sum_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2`` (not only the last
position, despite the axis label). Here the ratio is measured on ``n_test``
fresh sequences (cheap: only the last prefix sum is kept); the test loss is
shown at its exact expectation over fresh sequences (the population loss of the
current parameters, :mod:`mesasym.numeric.population.objective`), and measured by Monte Carlo at
the end. Theory lines: the paper's (``1/(5 sigma^2)``, ratio ``0.2``, ``1/c^2``,
MSE ``0``) and the derived finite-``T`` values (:mod:`mesasym.compare.capability`).
A thin grey line is gradient descent with the same step sizes on the exact
population loss (infinitely many sequences).

Plots are drawn by :func:`mesasym.report.plots.plot_figure1`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mesasym.errors import InvalidInputError, require
from mesasym.numeric.history import Recorder
from mesasym.numeric.model import Parameters
from mesasym.numeric.training import train

__all__ = [
    "RunSetting",
    "FIGURE1_SETTINGS",
    "INITS",
    "LastPositionTest",
    "RunResult",
    "Figure1Result",
    "run_setting",
    "reproduce_figure1",
]

#: The three Assumption-1 starts of the paper's Figure 1.
INITS: tuple[tuple[float, float], ...] = ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))


@dataclass(frozen=True)
class RunSetting:
    """One panel of Figure 1: a law, its step size and number of steps."""

    family: str  # "gaussian" or "sparse"
    scale: str  # sigma or c, as text (read exactly by the distribution parser)
    lr: float
    steps: int

    @property
    def spec(self) -> str:
        key = "sigma" if self.family == "gaussian" else "c"
        return f"{self.family}:{key}={self.scale}"

    @property
    def label(self) -> str:
        return (r"$\sigma$" if self.family == "gaussian" else "$c$") + f" = {self.scale}"


#: The authors' settings (THEORY §9; their ``plot.py``).
FIGURE1_SETTINGS: tuple[RunSetting, ...] = (
    RunSetting("gaussian", "0.5", 1e-3, 200),
    RunSetting("gaussian", "1", 1e-4, 150),
    RunSetting("gaussian", "2", 2e-6, 200),
    RunSetting("sparse", "0.5", 3e-2, 200),
    RunSetting("sparse", "1", 1e-3, 200),
    RunSetting("sparse", "2", 1e-4, 120),
)


# ---------------------------------------------------------------------------
# Training and the per-step test metrics
# ---------------------------------------------------------------------------


class LastPositionTest:
    """Test sequences reduced to what the last prediction needs: ``S_{T-1}``, ``z_{T-1}``, ``x_T``.

    ``predict(params)`` returns :math:`\\hat y_{T-1} = P S_{T-1} Q z_{T-1}/(T-2)` for every
    test sequence in ``O(n d^2)``; :meth:`ratio` and :meth:`mse` are the authors'
    last-position metrics with the standard error over sequences.
    """

    def __init__(self, X: np.ndarray) -> None:
        require(isinstance(X, np.ndarray) and X.ndim == 3 and X.shape[1] >= 3, f"X must have shape (n, T>=3, d), got {np.shape(X)}")
        n, T, d = X.shape
        z = np.concatenate([X[:, : T - 1], np.concatenate([np.zeros_like(X[:, :1]), X[:, : T - 2]], axis=1)], axis=2)
        # sum_{i <= T-1} z_i z_i^*, stored (2d, 2d, n): the products below run over long contiguous rows
        self.S = np.ascontiguousarray(np.einsum("nia,nib->abn", z, z.conj()))
        self.z = np.ascontiguousarray(z[:, -1].T)  # (2d, n)
        self.target = X[:, -1]
        self.rho = T - 2
        self.n = n

    def predict(self, params: Parameters) -> np.ndarray:
        """:math:`\\hat y_{T-1}` for every test sequence, shape ``(n, d)``."""
        from mesasym.numeric.model import single_threaded_blas

        dtype = self.S.dtype
        with single_threaded_blas():
            Qz = params.Q.astype(dtype) @ self.z  # (2d, n)
            v = self.S[:, 0] * Qz[0]
            for b in range(1, Qz.shape[0]):
                v += self.S[:, b] * Qz[b]
            return (params.P.astype(dtype) @ v).T / self.rho

    def metrics(self, params: Parameters) -> tuple[float, float, float, float]:
        """``(ratio, ratio_se, mse, mse_se)`` at the last position, from one prediction.

        ``ratio``: mean of ``Re(yhat_{T-1,j}/x_{T,j})`` over sequences and coordinates
        (an entry with zero truth counts as 0); ``mse``: mean of ``||yhat_{T-1} - x_T||^2``.
        Standard errors over sequences.
        """
        pred = self.predict(params)
        nonzero = np.abs(self.target) > 0
        r = np.where(nonzero, (pred / np.where(nonzero, self.target, 1)).real, 0.0).mean(axis=1)
        e = np.sum(np.abs(pred - self.target) ** 2, axis=1)
        root_n = np.sqrt(self.n)
        return float(r.mean()), float(r.std(ddof=1) / root_n), float(e.mean()), float(e.std(ddof=1) / root_n)


@dataclass
class RunResult:
    """One training run (one law, one start): per-step records and the final check."""

    setting: RunSetting
    init: tuple[float, float]
    ab: np.ndarray
    train_loss: np.ndarray
    ratio_last: np.ndarray
    ratio_last_se: np.ndarray
    mse_last: np.ndarray
    mse_last_se: np.ndarray
    test_loss_population: np.ndarray
    population_ab: np.ndarray
    population_test_loss: np.ndarray
    final_off_manifold: float
    final: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def run_setting(
    setting: RunSetting,
    init: tuple[float, float],
    objective: Any,
    test: LastPositionTest,
    population: Any,
    steps: int | None = None,
    progress: Callable[[str], None] | None = None,
    label: str = "",
) -> tuple[RunResult, Parameters]:
    """Train from ``init`` on the sample ``objective`` (a :class:`~mesasym.numeric.training.SampleObjective`)
    and, with the same steps, on the population loss; record the metrics per step."""
    n_steps = setting.steps if steps is None else steps
    d = population.d
    dtype = objective.X.dtype.type
    history = Recorder()
    start = time.perf_counter()
    every = max(1, n_steps // 4)

    def record(k: int, params: Parameters, value: float) -> None:
        ratio, ratio_se, mse, mse_se = test.metrics(params)
        pop = population.loss(Parameters(params.WKQ.astype(np.complex128), params.WPV.astype(np.complex128)))
        history.record(
            k, ab=params.ab, train_loss=value, ratio_last=ratio, ratio_last_se=ratio_se, mse_last=mse,
            mse_last_se=mse_se, test_loss_population=pop,
        )
        if progress is not None and (k % every == 0 or k == n_steps):
            progress(f"{label}step {k}/{n_steps}: ab = {params.ab:.6g}, train loss = {value:.6g} ({time.perf_counter() - start:.1f} s)")

    params0 = Parameters.assumption1(d, init[0], init[1], dtype=dtype)
    final = train(objective, params0, setting.lr, n_steps, record_every=max(1, n_steps), on_step=record).params
    population_history = Recorder()
    train(
        population,
        Parameters.assumption1(d, init[0], init[1]),
        setting.lr,
        n_steps,
        record_every=max(1, n_steps),
        on_step=lambda k, p, v: population_history.record(k, population_ab=p.ab, population_test_loss=v),
    )
    result = RunResult(
        setting=setting,
        init=init,
        **history.values(),  # ab, train_loss, ratio_last, ..., test_loss_population
        **population_history.values(),  # population_ab, population_test_loss
        final_off_manifold=final.off_manifold_norm(),
        seconds=time.perf_counter() - start,
    )
    return result, final


@dataclass
class Figure1Result:
    """All runs, the theory values per setting, the files written and the timings."""

    runs: list[RunResult]
    theory: dict[str, dict[str, Any]]
    files: list[str]
    seconds: float
    settings: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        runs = []
        for r in self.runs:
            runs.append(
                {
                    "dist": r.setting.spec,
                    "lr": r.setting.lr,
                    "steps": int(r.ab.size - 1),
                    "init": list(r.init),
                    "ab_final": float(r.ab[-1]),
                    "population_gd_ab_final": float(r.population_ab[-1]),
                    "ratio_last_final": float(r.ratio_last[-1]),
                    "ratio_last_final_se": float(r.ratio_last_se[-1]),
                    "mse_last_final": float(r.mse_last[-1]),
                    "mse_last_final_se": float(r.mse_last_se[-1]),
                    "test_loss_population_final": float(r.test_loss_population[-1]),
                    "off_manifold_final": r.final_off_manifold,
                    "final_check": r.final,
                    "seconds": r.seconds,
                }
            )
        return {"settings": self.settings, "theory": self.theory, "runs": runs, "files": self.files, "seconds": self.seconds}


def _theory(setting: RunSetting, d: int, T: int) -> dict[str, Any]:
    """Derived finite-T values and the paper's lines for one setting."""
    from mesasym import claims
    from mesasym.precise import as_float
    from mesasym.compare.capability import decide_recovery
    from mesasym.laws import parse_distribution

    law = parse_distribution(setting.spec)
    verdict = decide_recovery(law, d, T)
    scale = law.sigma if setting.family == "gaussian" else law.c
    out = {
        "dist": setting.spec,
        "d": d,
        "T": T,
        "derived_product_T": as_float(verdict.product_T),
        "derived_ratio_T": as_float(verdict.ratio_T),
        "derived_test_loss_T": as_float(verdict.test_loss_T),
        "derived_mse_last_T": as_float(verdict.mse_last_T),
        "second_moment": as_float(verdict.second_moment),
        "verdict": verdict.verdict,
    }
    if setting.family == "gaussian":
        out["paper_product"] = float(claims.gaussian_long_context_limit(scale))
        out["paper_ratio"] = float(claims.gaussian_prediction_ratio_limit())
    else:
        out["paper_product"] = float(claims.sparse_product(scale))
        out["paper_mse"] = float(claims.sparse_test_mse())
    return out


def _final_check(law: Any, params: Parameters, X_test: np.ndarray, T: int) -> dict[str, Any]:
    """Per-position MC metrics of the final model against the manifold theory at its own ``ab``."""
    from mesasym.compare.capability import evaluate_positions, theory_positions
    from mesasym.numeric.model import predict

    d = X_test.shape[2]
    metrics = evaluate_positions(lambda X: predict(params, X), X_test)
    mse_theory, ratio_theory = theory_positions(law, d, T, params.ab)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_mse = (metrics.mse - mse_theory) / metrics.mse_se
        z_ratio = (metrics.ratio - ratio_theory) / metrics.ratio_se
    return {
        "note": "Monte Carlo on the test sequences against the manifold model with the trained ab; the "
        "sample-trained model is off the manifold by 'off_manifold_final', so a few standard errors of "
        "difference are expected (the exact comparison is in tests/test_capability_numeric.py)",
        "n_test": metrics.n,
        "ab": params.ab,
        "mse_last": float(metrics.mse[-1]),
        "mse_last_se": float(metrics.mse_se[-1]),
        "mse_last_manifold_theory_at_ab": float(mse_theory[-1]),
        "ratio_last": float(metrics.ratio[-1]),
        "ratio_last_se": float(metrics.ratio_se[-1]),
        "ratio_manifold_theory_at_ab": float(ratio_theory[-1]),
        "max_abs_z_mse_over_positions": float(np.nanmax(np.abs(z_mse))) if np.isfinite(z_mse).any() else None,
        "max_abs_z_ratio_over_positions": float(np.nanmax(np.abs(z_ratio))) if np.isfinite(z_ratio).any() else None,
        "test_loss_mc": float(0.5 * metrics.mse.sum()),
        "test_loss_mc_se": float(0.5 * np.sqrt(np.sum(metrics.mse_se**2))),
    }


def _setting_runs(
    setting: RunSetting,
    seed: np.random.SeedSequence,
    sequences: int,
    test_sequences: int,
    steps: int | None,
    d: int,
    T: int,
    progress: Callable[[str], None] | None = None,
    label: str = "",
) -> list[RunResult]:
    """The three runs of one setting: its own training and test samples (drawn from ``seed``), then every start.

    Self-contained and deterministic given its arguments, so it can run in any process.
    """
    from mesasym.laws import parse_distribution
    from mesasym.numeric.population.objective import PopulationObjective
    from mesasym.numeric.sequences import sample_sequences
    from mesasym.numeric.training import SampleObjective

    law = parse_distribution(setting.spec)
    rng = np.random.default_rng(seed)
    X_train = sample_sequences(law, sequences, T, d, rng, np.complex64).X
    X_test = sample_sequences(law, test_sequences, T, d, rng, np.complex64).X
    test = LastPositionTest(X_test)
    objective = SampleObjective(X_train)  # shared by the three starts
    population = PopulationObjective(law, d, T)
    runs = []
    for number, init in enumerate(INITS, start=1):
        result, final = run_setting(setting, init, objective, test, population, steps, progress, f"{label}{number}/{len(INITS)} ")
        result.final = _final_check(law, final, X_test, T)
        runs.append(result)
    return runs


def _single_threaded_worker() -> None:
    """Pool initializer: one thread per worker for BLAS and the compiled kernel (the workers share the cores)."""
    from threadpoolctl import threadpool_limits

    from mesasym.numeric.ar_objective import set_kernel_threads

    threadpool_limits(1)
    set_kernel_threads(1)


def reproduce_figure1(
    out: str | Path,
    *,
    sequences: int = 10_000,
    test_sequences: int = 10_000,
    steps: int | None = None,
    seed: int = 1,
    families: Sequence[str] = ("gaussian", "sparse"),
    d: int = 5,
    T: int = 100,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    plot: Callable[[list[RunResult], dict[str, dict[str, Any]], Path], list[Path]] | None = None,
) -> Figure1Result:
    """Train every setting of :data:`FIGURE1_SETTINGS` from the three starts; ``plot`` (e.g.
    :func:`mesasym.report.plots.plot_figure1`) writes the figures into ``out``.

    The settings are independent (each draws its samples from its own child of
    ``SeedSequence(seed)``), so they run in ``workers`` processes (default: the
    number of cores, at most 2; ``1`` runs in this process); the results do not
    depend on ``workers``. Longest settings are started first.
    """
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    for name, value, low in (("sequences", sequences, 2), ("test_sequences", test_sequences, 2), ("seed", seed, 0)):
        require(isinstance(value, (int, np.integer)) and value >= low, f"{name}={value!r} must be an integer >= {low}")
    require(steps is None or (isinstance(steps, (int, np.integer)) and steps >= 1), f"steps={steps!r} must be an integer >= 1")
    require(workers is None or (isinstance(workers, (int, np.integer)) and workers >= 1), f"workers={workers!r} must be an integer >= 1")
    unknown = set(families) - {"gaussian", "sparse"}
    require(not unknown and families, f"families={list(families)!r} must be a non-empty subset of gaussian, sparse")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--out {str(out)!r} exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    settings = [s for s in FIGURE1_SETTINGS if s.family in families]
    seeds = np.random.SeedSequence(seed).spawn(len(settings))
    workers = min(2, os.cpu_count() or 1) if workers is None else int(workers)
    workers = min(workers, len(settings))
    begin = time.perf_counter()
    order = sorted(range(len(settings)), key=lambda i: -(settings[i].steps if steps is None else steps))
    results: dict[int, list[RunResult]] = {}

    def arguments(i: int) -> tuple[Any, ...]:
        return (settings[i], seeds[i], sequences, test_sequences, steps, d, T)

    if workers == 1:
        for done, i in enumerate(order, start=1):
            results[i] = _setting_runs(*arguments(i), progress, f"[{done}/{len(settings)}] {settings[i].spec}: ")
            say(f"[{done}/{len(settings)}] {settings[i].spec} done ({time.perf_counter() - begin:.0f} s)")
        theory = {s.spec: _theory(s, d, T) for s in settings}
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_single_threaded_worker) as pool:
            futures = {pool.submit(_setting_runs, *arguments(i)): i for i in order}
            theory = {s.spec: _theory(s, d, T) for s in settings}  # meanwhile, in this process
            for done, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                results[i] = future.result()
                say(f"[{done}/{len(settings)}] {settings[i].spec} done ({time.perf_counter() - begin:.0f} s)")
    runs = [run for i in range(len(settings)) for run in results[i]]
    files = plot(runs, theory, path) if plot is not None else []
    seconds = time.perf_counter() - begin
    say(f"wrote {len(files)} figures to {path} in {seconds:.0f} s")
    settings_record = {
        "d": d,
        "T": T,
        "sequences": sequences,
        "test_sequences": test_sequences,
        "steps": steps if steps is not None else "authors' (per setting)",
        "seed": seed,
        "dtype": "complex64",
        "workers": workers,
    }
    return Figure1Result(runs=runs, theory=theory, files=[str(f) for f in files], seconds=seconds, settings=settings_record)

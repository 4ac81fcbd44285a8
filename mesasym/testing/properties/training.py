"""Properties of trained full models: population flow, Monte Carlo training, Corollary 1, MC rate."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
import sympy as sp
from hypothesis import assume

from mesasym.compare.fixed_point import OFF_MANIFOLD_RTOL, POPULATION_RTOL
from mesasym.errors import DivergenceError, InvalidInputError
from mesasym.numeric.model import Parameters
from mesasym.numeric.population.objective import PopulationObjective
from mesasym.precise import integrate_reduced_flow
from mesasym.symbolic import symbols as S
from mesasym.testing import strategies as ms
from mesasym.testing.properties.common import (
    DPS,
    MC_Z,
    fail_property,
    derived_fixed_point,
    ratio_estimate,
)
from mesasym.testing.subject import DEFAULT_SUBJECT, Subject


def _population_limit(subject: Subject, case: ms.Case):
    from mesasym.numeric.population.flow import population_flow

    objective = subject.population_objective(case.dist, case.d, case.T)
    return population_flow(objective, (float(case.a0), float(case.b0)))


def _closed_form(subject: Subject, case: ms.Case) -> tuple[float, float, float]:
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    a_tilde, b_tilde = ode.limits(case.a0, case.b0, 30)
    return float(ode.c_star), float(a_tilde), float(b_tilde)


def check_full_model_population_training(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The full model (every entry free) trained by the exact population gradient flow reaches the closed form.

    Tolerances as in ``mesasym check-fixed-point``: the flow stops at
    ``||grad L|| / ||grad D|| <= 1e-13`` (= ``|ab - c*|/c*`` on the manifold), so
    ``|ab - c*|/c* <= POPULATION_RTOL = 1e-10``; ``a, b`` within
    ``1e-10 max(1, |b~/a~|, |a~/b~|)`` of ``a~, b~`` (``|a - a~| <= |ab - c*|/(|a| + |a~|)``);
    off-manifold mass ``<= 1e-12 ||theta||`` (rounding only).
    """
    c_star, a_tilde, b_tilde = _closed_form(subject, case)
    flow = _population_limit(subject, case)
    if not flow.converged:
        fail_property(f"the population flow did not converge: {flow.message} (ab = {flow.ab[-1]:.12g}, a~b~ = {c_star:.12g})")
    error = abs(flow.ab[-1] - c_star) / c_star
    if error > POPULATION_RTOL:
        fail_property(f"the full model's limit ab = {flow.ab[-1]:.15g} but a~b~ = {c_star:.15g}: relative error {error:.3e} > {POPULATION_RTOL:g}")
    tolerance = POPULATION_RTOL * max(1.0, abs(b_tilde / a_tilde), abs(a_tilde / b_tilde))
    error_ab = max(abs(flow.a[-1] - a_tilde) / abs(a_tilde), abs(flow.b[-1] - b_tilde) / abs(b_tilde))
    if error_ab > tolerance:
        fail_property(
            f"the full model ends at (a, b) = ({flow.a[-1]:.15g}, {flow.b[-1]:.15g}) but the closed form is "
            f"({a_tilde:.15g}, {b_tilde:.15g}): relative error {error_ab:.3e} > {tolerance:.3e}"
        )
    norms = np.array([flow.parameters_at(i).norm() for i in range(len(flow.tau))])
    off = float(np.max(flow.off_manifold / np.maximum(norms, 1e-300)))
    if off > OFF_MANIFOLD_RTOL:
        fail_property(f"the full model leaves the manifold: max off-manifold / ||theta|| = {off:.3e} > {OFF_MANIFOLD_RTOL:g}")


#: Monte Carlo sample size and number of independent replicates of ``full-model-monte-carlo-training``.
MC_TRAINING_SAMPLES = 1000
#: (see ``MC_TRAINING_SAMPLES``)
MC_TRAINING_REPLICATES = 10
#: Two-sided false-alarm probability of ``full-model-monte-carlo-training``: once in a million examples.
MC_TRAINING_FALSE_ALARM = 1e-6
#: Its Student-t critical value with ``MC_TRAINING_REPLICATES - 1`` degrees of freedom (11.64 for 9).
MC_TRAINING_T_CRITICAL = float(scipy.stats.t.isf(MC_TRAINING_FALSE_ALARM / 2, MC_TRAINING_REPLICATES - 1))
#: Largest number of gradient steps a Monte Carlo training example may need (else it is skipped).
MC_MAX_STEPS = 20_000


def check_full_model_monte_carlo_training(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""Gradient descent on Monte Carlo samples (full model) lands on ``a~b~`` within its sampling error.

    :data:`MC_TRAINING_REPLICATES` independent samples of :data:`MC_TRAINING_SAMPLES`
    sequences; on each, full-batch gradient descent of the full model from
    ``(a0, b0)`` with step size ``1/lambda_max`` (largest eigenvalue of the
    population Hessian at the start and at the limit: stable in every direction)
    for enough steps that the derived reduced flow comes within ``1e-6`` of ``c*``
    (20 % spare); if a sample diverges (a heavy-tailed sample can be more curved
    than the population), the step is halved and the steps doubled. Tolerance: the replicates' mean ``ab`` must lie within
    :data:`MC_TRAINING_T_CRITICAL` standard errors of the mean (their own spread,
    Student t with 9 degrees of freedom, false-alarm probability 1e-6) plus
    ``2e-6 c*`` for the optimisation. The spread is taken from the trained models
    themselves because the off-manifold entries fit each sample's noise: the
    standard error of the manifold-only estimate (:func:`ratio_estimate`) misses
    that part and can even be 0 (e.g. Rademacher, ``d = 2``, ``T = 3``).
    """
    from mesasym.numeric.training import SampleObjective, train

    c_star, _, _ = _closed_form(subject, case)
    kappas = subject.kappas(case.dist, case.d)
    ode = subject.reduced_ode(case.T, case.d, kappas)
    delta = case.a0**2 - case.b0**2
    reduced = integrate_reduced_flow(
        ode.rhs_a, ode.rhs_b, case.a0, case.b0, ode.c_star, ode.rate.subs(S.DELTA, delta), dps=DPS, target=sp.Rational(1, 10**7)
    )
    objective = PopulationObjective(case.dist, case.d, case.T)
    curvature = 0.0
    for a, b in ((float(case.a0), float(case.b0)), (float(reduced.a[-1]), float(reduced.b[-1]))):
        point = Parameters.assumption1(case.d, a, b)
        curvature = max(curvature, float(np.max(np.linalg.eigvalsh(objective.gradient_jacobian_blocks(point.P, point.Q)))))
    lr = 1.0 / curvature
    tau = next(
        (float(t) for t, a, b in zip(reduced.tau, reduced.a, reduced.b) if abs(float(a * b) - c_star) <= 1e-6 * c_star),
        float(reduced.tau[-1]),
    )
    start = Parameters.assumption1(case.d, float(case.a0), float(case.b0))
    trained = []
    for stream in np.random.SeedSequence(case.seed).spawn(MC_TRAINING_REPLICATES):
        X = subject.sample_sequences(case.dist, MC_TRAINING_SAMPLES, case.T, case.d, np.random.default_rng(stream))
        step_size = lr
        while True:
            steps = max(1, math.ceil(1.2 * tau / step_size))
            assume(steps <= MC_MAX_STEPS)
            try:
                result = train(SampleObjective(X), start, step_size, steps)
                break
            except DivergenceError:
                # A heavy-tailed sample can be more curved than the population: halve the step, same tau.
                step_size /= 2
        trained.append(float(result.history.ab[-1]))
    mean = float(np.mean(trained))
    se = float(np.std(trained, ddof=1) / math.sqrt(len(trained)))
    tolerance = MC_TRAINING_T_CRITICAL * se + 2e-6 * c_star
    if abs(mean - c_star) > tolerance:
        fail_property(
            f"gradient descent on {MC_TRAINING_REPLICATES} samples of {MC_TRAINING_SAMPLES} sequences (lr <= {lr:.3g}, "
            f"tau = {1.2 * tau:.4g}) ends at mean ab = {mean:.8g} (SE {se:.2e}), but a~b~ = {c_star:.8g}: |difference| = "
            f"{abs(mean - c_star):.3e} > {MC_TRAINING_T_CRITICAL:.4g} SE + 2e-6 c* = {tolerance:.3e}"
        )


#: Fresh test sequences for Corollary 1.
COROLLARY_SEQUENCES = 64


def check_corollary1_fresh_sequences(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The trained model's predictions are one GD step of size ``a~b~/(t-1)`` on fresh sequences.

    Model: the full model at the end of the population flow. Measure: RMS(model - GD) / RMS(GD)
    over :data:`COROLLARY_SEQUENCES` fresh sequences and ``t = 2..T-1``. On the manifold
    this ratio is ``|ab - c*|/c*``, so the tolerance is ``POPULATION_RTOL = 1e-10`` (as for
    the limit itself).
    """
    c_star, _, _ = _closed_form(subject, case)
    flow = _population_limit(subject, case)
    rng = np.random.default_rng(np.random.SeedSequence(case.seed).spawn(2)[1])
    X = subject.sample_sequences(case.dist, COROLLARY_SEQUENCES, case.T, case.d, rng)
    model = subject.predict(flow.final, X)
    gd = subject.one_step_gd(X, c_star)
    scale = float(np.sqrt(np.mean(np.abs(gd) ** 2)))
    if scale == 0.0:
        raise InvalidInputError(f"the {COROLLARY_SEQUENCES} fresh sequences of {case.dist.spec()} are all zero")
    deviation = float(np.sqrt(np.mean(np.abs(model - gd) ** 2))) / scale
    if deviation > POPULATION_RTOL:
        fail_property(
            f"on {COROLLARY_SEQUENCES} fresh sequences the trained model deviates from one GD step of size a~b~/(t-1) "
            f"by RMS ratio {deviation:.3e} > {POPULATION_RTOL:g}"
        )




#: Sample sizes ``n`` and number of replicates per size of ``monte-carlo-rate``.
MC_RATE_SIZES = (250, 1000, 4000, 16000)
#: (see ``MC_RATE_SIZES``)
MC_RATE_REPLICATES = 40


def check_monte_carlo_rate(case: ms.Case, subject: Subject = DEFAULT_SUBJECT) -> None:
    r"""The Monte Carlo estimate's error shrinks like ``1/sqrt(N)``.

    For each ``N`` in :data:`MC_RATE_SIZES`, :data:`MC_RATE_REPLICATES` independent samples
    give estimates :func:`ratio_estimate` with errors ``e = c_hat - a~b~`` (exact ``a~b~``).
    ``log MSE(N)`` is regressed on ``log N`` (weights from the replicates' own standard
    errors, ``se(log MSE) = sd(e^2) / (sqrt(K) MSE)``); the slope must be ``-1`` within
    :data:`MC_Z` standard errors. A law whose estimate has no noise (exact recovery,
    e.g. sparse or ``d = 1`` Rademacher) must instead give every error below ``1e-12 a~b~``.
    """
    c_star = float(derived_fixed_point(subject, case.T, subject.kappas(case.dist, case.d)))
    streams = np.random.SeedSequence(case.seed).spawn(len(MC_RATE_SIZES) * MC_RATE_REPLICATES)
    log_mse, weights = [], []
    all_errors = []
    for i, n in enumerate(MC_RATE_SIZES):
        errors = []
        for r in range(MC_RATE_REPLICATES):
            rng = np.random.default_rng(streams[i * MC_RATE_REPLICATES + r])
            X = subject.sample_sequences(case.dist, n, case.T, case.d, rng)
            estimate, _ = ratio_estimate(subject, X)
            errors.append(estimate - c_star)
        e2 = np.square(errors)
        all_errors.extend(errors)
        mse = float(np.mean(e2))
        if mse > 0:
            log_mse.append((math.log(n), math.log(mse)))
            se = float(np.std(e2, ddof=1) / (math.sqrt(len(e2)) * mse))
            weights.append(1.0 / max(se, 1e-3) ** 2)
    if max(abs(e) for e in all_errors) <= 1e-12 * c_star:
        return  # exact recovery: no sampling error at any N
    if len(log_mse) < len(MC_RATE_SIZES):
        fail_property(f"the Monte Carlo error is exactly zero for some N but not others: {all_errors[:4]}")
    x = np.array([p[0] for p in log_mse])
    y = np.array([p[1] for p in log_mse])
    # weighted least squares: numpy's weights multiply the residuals, so 1/se; the unscaled covariance
    # is (X^T W X)^-1, whose slope entry is 1 / sum w (x - xbar_w)^2
    (slope, _), covariance = np.polyfit(x, y, 1, w=np.sqrt(weights), cov="unscaled")
    slope, slope_se = float(slope), float(math.sqrt(covariance[0, 0]))
    if abs(slope + 1.0) > MC_Z * slope_se:
        rms = [math.sqrt(math.exp(v)) for v in y]
        fail_property(
            f"log MSE falls with slope {slope:.3f} +- {slope_se:.3f} in log N (1/sqrt(N) needs -1, tolerance "
            f"{MC_Z:g} SE); RMS errors {', '.join(f'{r:.2e}' for r in rms)} at N = {', '.join(map(str, MC_RATE_SIZES))}"
        )



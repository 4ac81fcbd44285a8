"""Every task's sampler against its definition (mesasym.tasks).

Statistical checks use z-scores with a 5-sigma tolerance (a false alarm about once in
3.5 million runs; the seeds are fixed, so a run is reproducible); exact identities use
rounding tolerances stated where they appear.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution, parse_process
from mesasym.tasks import TASK_NAMES, parse_task
from mesasym.tasks.ar import haar_unitary, squash
from mesasym.tasks.sequences import sample_sequences

Z = 5.0  # z-score tolerance of every statistical check (see module docstring)


def _z(sample: np.ndarray, expected: float) -> float:
    """z-score of the mean of ``sample`` against ``expected``."""
    return abs(sample.mean() - expected) / (sample.std(ddof=1) / np.sqrt(sample.size))


@pytest.mark.parametrize("name", TASK_NAMES)
def test_spec_round_trips_and_shapes(name):
    task = parse_task(name)
    assert parse_task(task.spec()) == task
    d = 4
    batch = task.sample(np.random.default_rng(0), 3, d=d, length=5)
    P = batch.positions
    d_out = task.output_dim(d)
    assert batch.inputs.shape == (3, P, d) and batch.outputs.shape == (3, P, d_out)
    assert batch.oracle.shape == (3, P - 1, d_out)
    assert batch.layout == task.layout
    assert np.iscomplexobj(batch.inputs) == task.is_complex


def test_parameters_round_trip_exactly():
    for spec in ("noisy:sigma=0.123456789", "nonlinear:beta=1e-09", "regression:noisy:sigma=2"):
        task = parse_task(spec)
        assert parse_task(task.spec()) == task
    assert parse_task("regression:noisy:sigma=2").spec() == "regression:noisy:sigma=2"


def test_ar_is_the_papers_sampler_bit_for_bit():
    law = parse_distribution("gaussian:sigma=1")
    batch = parse_task("ar").sample(np.random.default_rng(3), 5, d=3, length=7, dist=law)
    X = sample_sequences(law, 5, 7, 3, np.random.default_rng(3)).X
    assert np.array_equal(batch.sequences, X)
    assert np.array_equal(batch.inputs, X[:, :-1]) and np.array_equal(batch.targets, X[:, 2:])


def test_noisy_with_sigma_zero_is_ar_and_its_noise_has_the_stated_level():
    rng = lambda: np.random.default_rng(4)  # noqa: E731
    ar = parse_task("ar").sample(rng(), 50, d=3, length=8)
    quiet = parse_task("noisy:sigma=0").sample(rng(), 50, d=3, length=8)
    # the same draws; the recursion multiplies by lambda where `ar` takes exp(i t theta): rounding only
    assert np.max(np.abs(quiet.sequences - ar.sequences)) < 1e-12
    sigma = 0.3
    batch = parse_task(f"noisy:sigma={sigma}").sample(np.random.default_rng(5), 4000, d=3, length=6)
    noise = batch.targets - batch.oracle  # x_{p+1} - W x_p
    assert _z(noise.real.ravel() ** 2, sigma**2 / 2) < Z and _z(noise.imag.ravel() ** 2, sigma**2 / 2) < Z
    assert _z(noise.real.ravel(), 0.0) < Z
    # the oracle is W x_p with a diagonal unit-modulus W: |oracle| = |x_p|
    assert np.allclose(np.abs(batch.oracle), np.abs(batch.inputs[:, 1:]), rtol=1e-12)


def test_nonlinear_follows_its_definition():
    beta = 2.0
    batch = parse_task(f"nonlinear:beta={beta}").sample(np.random.default_rng(6), 20, d=3, length=6)
    X = batch.sequences
    # |x_{t+1,j}| = tanh(beta |x_{t,j}|) / beta because |lambda_j| = 1 (float64 rounding)
    assert np.allclose(np.abs(X[:, 1:]), np.tanh(beta * np.abs(X[:, :-1])) / beta, rtol=1e-12, atol=1e-15)
    assert np.array_equal(batch.oracle, batch.targets)  # noiseless
    # real inputs: sigma_beta is tanh(beta x)/beta; beta = 0 is the identity
    x = np.array([-2.0, -0.1, 0.0, 0.5, 3.0])
    assert np.allclose(squash(x, beta), np.tanh(beta * x) / beta, rtol=1e-15, atol=0)
    assert np.array_equal(squash(x, 0.0), x)
    near = parse_task("nonlinear:beta=1e-9").sample(np.random.default_rng(4), 5, d=3, length=6)
    ar = parse_task("noisy:sigma=0").sample(np.random.default_rng(4), 5, d=3, length=6)
    assert np.max(np.abs(near.sequences - ar.sequences)) < 1e-12  # the beta -> 0 limit (O(beta^2 |x|^3))


@pytest.mark.parametrize("real", [False, True])
def test_haar_matrices_are_unitary_with_the_haar_second_moment(real):
    d = 3
    W = haar_unitary(np.random.default_rng(7), 4000, d, real=real)
    eye = np.eye(d)
    assert np.max(np.abs(np.einsum("nba,nbc->nac", W.conj(), W) - eye)) < 1e-12
    # Haar: E|W_ij|^2 = 1/d for every entry; E W_ij = 0
    assert _z((np.abs(W[:, 0, 1]) ** 2), 1 / d) < Z and _z(np.abs(W[:, 2, 2]) ** 2, 1 / d) < Z
    assert _z(W[:, 1, 0].real, 0.0) < Z


@pytest.mark.parametrize("name", ["unitary", "orthogonal"])
def test_full_unitary_tasks_preserve_the_norm_and_mix_coordinates(name):
    batch = parse_task(name).sample(np.random.default_rng(8), 30, d=4, length=6)
    X = batch.sequences
    norms = np.linalg.norm(X, axis=2)
    assert np.allclose(norms, norms[:, :1], rtol=1e-12)
    # not diagonal: coordinate moduli change over time (a diagonal unitary keeps them)
    assert np.max(np.abs(np.abs(X[:, 1]) - np.abs(X[:, 0]))) > 0.1
    assert np.iscomplexobj(X) == (name == "unitary")


def test_rotation_turns_each_pair_by_a_fixed_angle():
    batch = parse_task("rotation").sample(np.random.default_rng(9), 10, d=4, length=7)
    X = batch.sequences
    z = X[:, :, 0::2] + 1j * X[:, :, 1::2]
    steps = z[:, 1:] / z[:, :-1]
    assert np.allclose(np.abs(steps), 1, rtol=1e-12)  # rotations
    assert np.allclose(steps, steps[:, :1], rtol=1e-10)  # the same angle at every step
    damped = parse_task("rotation").sample(np.random.default_rng(9), 10, d=4, length=7, process=parse_process("damped:r=0.5"))
    zd = damped.sequences[:, :, 0::2] + 1j * damped.sequences[:, :, 1::2]
    assert np.allclose(np.abs(zd[:, 1:] / zd[:, :-1]), 0.5, rtol=1e-12)


def test_linear_regression_teacher_and_noise():
    d, N = 3, 12
    batch = parse_task("regression:linear").sample(np.random.default_rng(10), 400, d=d, length=N)
    x, y = batch.inputs, batch.outputs[:, :, 0]
    w = np.stack([np.linalg.lstsq(x[k], y[k], rcond=None)[0] for k in range(x.shape[0])])
    assert np.max(np.abs(np.einsum("npd,nd->np", x, w) - y)) < 1e-10  # exactly linear
    assert _z(w.ravel(), 0.0) < Z and _z(w.ravel() ** 2, 1.0) < Z  # w ~ N(0, I)
    assert np.array_equal(batch.oracle, batch.targets)
    sigma = 0.5
    noisy = parse_task(f"regression:noisy:sigma={sigma}").sample(np.random.default_rng(11), 2000, d=d, length=N)
    residual = (noisy.targets - noisy.oracle).ravel()
    assert _z(residual, 0.0) < Z and _z(residual**2, sigma**2) < Z


def test_nonlinear_regression_is_a_relu_network_with_the_stated_scale():
    d, H = 3, 8
    batch = parse_task(f"regression:nonlinear:hidden={H}").sample(np.random.default_rng(12), 3000, d=d, length=4)
    y = batch.outputs[:, :, 0]
    assert _z((y**2).ravel(), float(d)) < Z  # E f(x)^2 = E|x|^2 = d for x ~ N(0, I)
    assert np.array_equal(batch.oracle, batch.targets)
    # a ReLU network has f(x) - f(-x) = sum_k c_k w_k . x, linear in x: g(e1 + e2) = g(e1) + g(e2)
    atoms = ["[1,0]", "[-1,0]", "[0,1]", "[0,-1]", "[1,1]", "[-1,-1]"]
    law = parse_distribution("discrete-vector:atoms=" + ",".join(atoms) + ";probs=" + ",".join(["1/6"] * 6))
    points = parse_task("regression:nonlinear:hidden=5").sample(np.random.default_rng(13), 20, d=2, length=80, dist=law)
    checked = 0
    for x, y in zip(points.inputs, points.outputs[:, :, 0]):
        value = {}
        for atom, out in zip(map(tuple, x), y):
            value[atom] = out
        if len(value) == 6:
            g = {a: value[a] - value[tuple(-c for c in a)] for a in [(1, 0), (0, 1), (1, 1)]}
            assert abs(g[(1, 1)] - g[(1, 0)] - g[(0, 1)]) < 1e-12  # float64 rounding of a few products
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("bogus", "unknown task name"),
        ("noisy:sigma=-1", "sigma=-1 must be a finite number >= 0"),
        ("noisy:sigma=nan", "finite"),
        ("nonlinear:gamma=1", "unknown key 'gamma'"),
        ("regression:nonlinear:hidden=0", "hidden=0"),
    ],
)
def test_bad_task_specs_are_one_line_errors(spec, fragment):
    with pytest.raises(InvalidInputError, match=fragment) as info:
        parse_task(spec)
    assert "\n" not in str(info.value)


def test_bad_sampling_arguments_are_one_line_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidInputError, match="must be even"):
        parse_task("rotation").sample(rng, 2, d=3, length=5)
    with pytest.raises(InvalidInputError, match="--process applies"):
        parse_task("unitary").sample(rng, 2, d=3, length=5, process=parse_process("roots:k=4"))
    with pytest.raises(InvalidInputError, match="length=2 must be an integer >= 3"):
        parse_task("ar").sample(rng, 2, d=3, length=2)
    with pytest.raises(InvalidInputError, match="n=0"):
        parse_task("regression:linear").sample(rng, 0, d=3, length=5)
    with pytest.raises(InvalidInputError, match="dtype"):
        parse_task("ar").sample(rng, 2, d=3, length=5, dtype="int8")

"""The ``d x d`` AR objective (NumPy and compiled) against the per-``t`` reference and the prefix-sum path.

Tolerances. In complex128 every path is a different ordering of the same finite
sums, so they agree to rounding: relative ``1e-12`` (of the largest entry, as in
``test_transformer.py``) leaves about four orders of magnitude over float64
rounding at these sizes. In complex64 the fast paths compute in float32 (as the
prefix-sum path does); each output is a sum of at most ``T`` prefix terms of
products of a handful of factors, so its rounding error is below about
``(T + 10) eps_32`` of the largest entry; the stated tolerance is four times
that, ``4 (T + 10) eps_32`` (``~1e-5`` here); the observed errors are ~1e-7.
The reference is evaluated in complex128 on the same (rounded) inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.errors import InvalidInputError
from mesasym.numeric import _ar_kernel
from mesasym.numeric.ar_objective import PackedSample, ar_phases, loss_and_gradient_ar, loss_and_gradient_numpy
from mesasym.numeric.model import Parameters, loss_and_gradient, loss_and_gradient_reference
from mesasym.numeric.sequences import sample_phases, sequences_from
from mesasym.numeric.training import SampleObjective

needs_numba = pytest.mark.skipif(not _ar_kernel.available(), reason="numba not installed")


def _sample(rng: np.random.Generator, n: int, T: int, d: int, dtype: type, sparse: bool = False) -> np.ndarray:
    x1 = rng.standard_normal((n, d))
    if sparse:  # x1 = +-c e_J: most coordinates are zero (their phase is then arbitrary)
        x1 = np.zeros((n, d))
        x1[np.arange(n), rng.integers(0, d, n)] = rng.choice([-1.5, 1.5], n)
    return sequences_from(x1, sample_phases(rng, n, d), T, dtype)


def _cast(params: Parameters, dtype: type) -> Parameters:
    return Parameters(params.WKQ.astype(dtype), params.WPV.astype(dtype))


def _tolerance(dtype: type, T: int) -> float:
    return 1e-12 if np.dtype(dtype) == np.complex128 else 4 * (T + 10) * float(np.finfo(np.float32).eps)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _assert_close(result: tuple[float, Parameters], reference: tuple[float, Parameters], tol: float) -> None:
    value, gradient = result
    ref_value, ref_gradient = reference
    assert abs(value - ref_value) <= tol * ref_value
    assert _relative(gradient.WKQ, ref_gradient.WKQ) <= tol
    assert _relative(gradient.WPV, ref_gradient.WPV) <= tol


IMPLEMENTATIONS = {
    "numpy": lambda params, X, lam: loss_and_gradient_numpy(params, X, lam),
    "compiled": pytest.param(lambda params, X, lam: PackedSample(X, lam).loss_and_gradient(params), marks=needs_numba),
}


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS.values()), ids=list(IMPLEMENTATIONS))
@pytest.mark.parametrize("d,T,n,sparse", [(1, 3, 5, False), (3, 12, 37, False), (4, 9, 20, True), (5, 100, 40, False)])
def test_equals_per_t_reference_and_prefix_path_on_random_full_parameters(implementation, dtype, d, T, n, sparse) -> None:
    rng = np.random.default_rng(100 + d)
    X = _sample(rng, n, T, d, dtype, sparse)
    lam = ar_phases(X)
    assert lam is not None
    params = _cast(Parameters.random(d, rng, scale=0.7), dtype)
    result = implementation(params, X, lam)
    assert result[1].WKQ.dtype == np.dtype(dtype)
    tol = _tolerance(dtype, T)
    _assert_close(result, loss_and_gradient_reference(_cast(params, np.complex128), X.astype(np.complex128)), tol)
    _assert_close(result, loss_and_gradient(params, X), tol)
    # every entry outside P and Q has zero gradient, as in the generic path
    gradient = result[1]
    assert not gradient.WKQ[:d].any() and not gradient.WKQ[:, :d].any() and not gradient.WPV[d:].any()


@needs_numba
def test_compiled_kernel_result_does_not_depend_on_the_thread_count() -> None:
    rng = np.random.default_rng(3)
    X = _sample(rng, 200, 10, 3, np.complex64)
    packed = PackedSample(X, ar_phases(X))
    params = _cast(Parameters.random(3, rng, 0.5), np.complex64)
    before = _ar_kernel.get_threads()
    try:
        results = []
        for threads in sorted({1, min(2, _ar_kernel.numba.config.NUMBA_NUM_THREADS)}):
            _ar_kernel.set_threads(threads)
            results.append(packed.loss_and_gradient(params))
    finally:
        _ar_kernel.set_threads(before)
    for value, gradient in results[1:]:
        assert value == results[0][0]
        assert np.array_equal(gradient.WKQ, results[0][1].WKQ) and np.array_equal(gradient.WPV, results[0][1].WPV)


def test_ar_phases_recovers_the_phases_and_rejects_other_data() -> None:
    rng = np.random.default_rng(4)
    x1 = rng.standard_normal((6, 3))
    x1[2, 1] = 0.0
    theta = sample_phases(rng, 6, 3)
    for dtype in (np.complex128, np.complex64):
        lam = ar_phases(sequences_from(x1, theta, 8, dtype))
        expected = np.where(x1 == 0, 1, np.exp(1j * theta))
        assert lam is not None and np.max(np.abs(lam - expected)) < 10 * np.finfo(dtype).eps
    X = sequences_from(x1, theta, 8)
    long = sequences_from(rng.standard_normal((2000, 5)), sample_phases(rng, 2000, 5), 1000)  # phase errors ~ t eps_64
    assert ar_phases(long) is not None and ar_phases(long.astype(np.complex64)) is not None
    assert ar_phases(rng.standard_normal((6, 8, 3)) + 0j) is None  # not an AR sample
    perturbed = X.copy()
    perturbed[0, 5, 0] *= 1 + 1e-9  # one entry off by 1e-9: far above the 16 eps test
    assert ar_phases(perturbed) is None
    zero_start = X.copy()
    zero_start[2, 4, 1] = 1.0  # a coordinate that starts at 0 must stay 0
    assert ar_phases(zero_start) is None
    assert ar_phases(X.real) is None


def test_sample_objective_chooses_the_method_and_all_methods_agree() -> None:
    rng = np.random.default_rng(5)
    X = _sample(rng, 30, 7, 2, np.complex128)
    params = Parameters.random(2, rng, 0.5)
    expected = "compiled" if _ar_kernel.available() else "reduced"
    assert SampleObjective(X).method == expected
    reference = SampleObjective(X, method="prefix").loss_and_gradient(params)
    for method in ("reduced", "auto"):
        _assert_close(SampleObjective(X, method=method).loss_and_gradient(params), reference, 1e-12)
    generic = rng.standard_normal(X.shape) + 1j * rng.standard_normal(X.shape)
    assert SampleObjective(generic).method == "prefix"
    with pytest.raises(InvalidInputError, match="needs an AR sample"):
        SampleObjective(generic, method="reduced")
    with pytest.raises(InvalidInputError, match="method='fast'"):
        SampleObjective(X, method="fast")


def test_bad_shapes_are_refused() -> None:
    rng = np.random.default_rng(6)
    X = _sample(rng, 4, 6, 2, np.complex128)
    with pytest.raises(InvalidInputError, match="phases must have shape"):
        loss_and_gradient_ar(Parameters.zeros(2), X, np.ones((3, 2)), backend="numpy")
    with pytest.raises(InvalidInputError, match="d=2 but the parameters have d=3"):
        loss_and_gradient_ar(Parameters.zeros(3), X, ar_phases(X), backend="numpy")
    with pytest.raises(InvalidInputError, match="backend="):
        loss_and_gradient_ar(Parameters.zeros(2), X, ar_phases(X), backend="gpu")


@pytest.mark.slow
@needs_numba
def test_authors_length_trajectory_equals_the_prefix_sum_path() -> None:
    """150 steps of lr = 1e-4 at d = 5, T = 100 (the authors' run, 400 sequences, complex128): the compiled
    and the generic prefix-sum objectives give the same trajectory to 1e-10 relative (rounding, ~1e-14, grows
    at most linearly with the 150 contracting steps)."""
    from mesasym.laws import parse_distribution
    from mesasym.numeric.sequences import sample_sequences
    from mesasym.numeric.training import train

    X = sample_sequences(parse_distribution("gaussian:sigma=1"), 400, 100, 5, np.random.default_rng(8)).X
    start = Parameters.assumption1(5, 0.1, 0.1)
    fast = train(SampleObjective(X), start, 1e-4, 150)
    slow = train(SampleObjective(X, method="prefix"), start, 1e-4, 150)
    assert np.max(np.abs(fast.history.ab - slow.history.ab)) <= 1e-10 * np.max(np.abs(slow.history.ab))
    assert _relative(fast.params.WKQ, slow.params.WKQ) <= 1e-10 and _relative(fast.params.WPV, slow.params.WPV) <= 1e-10

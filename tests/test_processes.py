"""Transition laws of W (mesasym.laws.processes): specs, exact moments, samplers, sequences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution, parse_process
from mesasym.numeric.sequences import sample_sequences

SPECS = [
    "uniform",
    "roots:k=1",
    "roots:k=4",
    "von-mises:kappa=2",
    "von-mises:kappa=0",
    "damped:r=0.8",
    "mixture:components=[roots:k=2],[damped:r=1/2];weights=1/3,2/3",
]


@pytest.mark.parametrize("spec", SPECS)
def test_spec_round_trips(spec: str) -> None:
    law = parse_process(spec)
    assert parse_process(law.spec()) == law
    assert hash(parse_process(law.spec())) == hash(law)


def test_exact_moments() -> None:
    assert parse_process("uniform").moment(3, 3) == 1 and parse_process("uniform").moment(3, 2) == 0
    roots = parse_process("roots:k=4")
    assert [roots.moment(m, 0) for m in range(9)] == [1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert parse_process("damped:r=0.8").moment(2, 2) == sympy.Rational(4, 5) ** 4
    assert parse_process("damped:r=0.8").moment(2, 1) == 0
    vm = parse_process("von-mises:kappa=2")
    assert vm.moment(3, 1) == sympy.besseli(2, 2) / sympy.besseli(0, 2)
    assert vm.moment(1, 3) == vm.moment(3, 1)
    # float table: Bessel ratio to 1e-15 (scipy's exponentially scaled Bessel, independent of mpmath)
    from scipy.special import ive

    table = vm.moment_matrix(6)
    for m in range(7):
        assert table[m, 0] == pytest.approx(ive(m, 2.0) / ive(0, 2.0), rel=1e-14)
    assert parse_process("von-mises:kappa=0").moment(2, 0) == 0
    mix = parse_process("mixture:components=[roots:k=2],[damped:r=1/2];weights=1/3,2/3")
    assert mix.moment(2, 0) == sympy.Rational(1, 3)
    assert mix.moment(1, 1) == sympy.Rational(1, 3) + sympy.Rational(2, 3) / 4
    assert not mix.unit_modulus and parse_process("von-mises:kappa=3").unit_modulus


@pytest.mark.parametrize("spec", SPECS)
def test_sampler_matches_exact_moments(spec: str) -> None:
    """Sample means of Re(lambda^a conj(lambda)^b) (and Im, whose mean is 0) within 5 standard
    errors of the exact moments (n = 20000 draws; 2 x 10 statistics per law; seeds fixed), plus
    1e-12 for the rounding of e^{i theta} (a discrete law's imaginary parts are 1e-16, not 0)."""
    law = parse_process(spec)
    theta, modulus = law.sample(np.random.default_rng(11), 20000, 1)
    lam = np.exp(1j * theta[:, 0]) * (1.0 if modulus is None else modulus[:, 0])
    for a, b in [(1, 0), (2, 0), (3, 0), (4, 0), (5, 1), (1, 1), (2, 2), (3, 1), (6, 2), (4, 4)]:
        values = lam**a * np.conj(lam) ** b
        exact = float(law.moment(a, b))
        for part, target in ((values.real, exact), (values.imag, 0.0)):
            se = part.std(ddof=1) / np.sqrt(part.size)
            assert abs(part.mean() - target) < 5 * se + 1e-12, (spec, a, b, part.mean(), target, se)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("roots:k=0", "k=0 must be an integer >= 1"),
        ("roots:k=2.5", "k=2.5 must be an integer >= 1"),
        ("von-mises:kappa=-1", "kappa=-1 must be a finite number >= 0"),
        ("damped:r=1.5", "r=1.5 must be a number with 0 < r <= 1"),
        ("damped:r=0", "r=0 must be a number with 0 < r <= 1"),
        ("damped", "missing key 'r'"),
        ("brownian", "unknown process name 'brownian'.*valid names are: uniform, roots, von-mises, damped, mixture"),
        ("roots:k=2,k=3", "given twice"),
        ("roots:n=2", "unknown key 'n'"),
        ("mixture:components=[roots:k=2],[uniform];weights=1/2,1/3", "sum exactly to 1"),
        ("mixture:components=roots:k=2;weights=1", "brackets"),
    ],
)
def test_bad_specs_give_one_line_errors(spec: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace("[", r"\[")) as info:
        parse_process(spec)
    assert "\n" not in str(info.value)


def test_uniform_process_draws_the_same_sequences_bit_for_bit() -> None:
    dist = parse_distribution("gaussian")
    base = sample_sequences(dist, 50, 7, 3, np.random.default_rng(4))
    for process in (None, parse_process("uniform")):
        other = sample_sequences(dist, 50, 7, 3, np.random.default_rng(4), process=process)
        assert np.array_equal(other.X, base.X) and np.array_equal(other.theta, base.theta)
        assert other.modulus is None


def test_process_sequences_follow_the_recursion() -> None:
    """x_{t+1} = lambda x_t coordinate-wise with lambda = modulus * e^{i theta} from the sample."""
    dist = parse_distribution("gaussian")
    for spec in ("roots:k=3", "damped:r=0.8", "von-mises:kappa=2"):
        s = sample_sequences(dist, 20, 6, 2, np.random.default_rng(5), process=parse_process(spec))
        lam = np.exp(1j * s.theta) * (1.0 if s.modulus is None else s.modulus)
        assert np.allclose(s.X[:, 1:], lam[:, None, :] * s.X[:, :-1], rtol=1e-13, atol=1e-14)
        if spec.startswith("roots"):
            assert np.allclose(lam**3, 1.0)


def test_process_tables_are_refused_past_their_measured_budget_before_any_work() -> None:
    from mesasym.errors import InvalidInputError
    from mesasym.numeric.population import process_tables as P

    P.require_process_tables(P.PROCESS_TABLES_T_MAX)  # the edge is accepted
    with pytest.raises(InvalidInputError, match=rf"T={P.PROCESS_TABLES_T_MAX + 1}: .* would take about .* at most T="):
        P.process_count_tables(P.PROCESS_TABLES_T_MAX + 1, parse_process("roots:k=3"))
    assert P.BYTES_PER_T3 * P.PROCESS_TABLES_T_MAX**3 <= 2.5 * 2**30  # the stated budget: about 2 GiB

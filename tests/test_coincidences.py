"""The shared enumeration of coincidence patterns (:mod:`mesasym.laws.coincidences`) against brute force.

The symbolic reduction and the population engine both sum over these patterns; each side is also
checked against exact cubature (tests/test_process_population.py, tests/test_population_exact.py and
the manifold-loss test below), so an entry dropped from the shared enumeration fails here and there.
"""

from __future__ import annotations

import itertools

import pytest
import sympy as sp

from mesasym.laws import coincidences, parse_distribution, parse_process
from mesasym.numeric.model import Parameters
from mesasym.symbolic.phase_laws import manifold_loss_value
from test_process_population import cubature


def _canonical(labels: tuple[int, ...]) -> tuple[int, ...]:
    """Relabel by first appearance: the restricted growth string of the partition ``labels`` induce."""
    first: dict[int, int] = {}
    return tuple(first.setdefault(label, len(first)) for label in labels)


@pytest.mark.parametrize("n", range(1, 8))
def test_the_patterns_are_every_partition_once(n: int) -> None:
    brute = {_canonical(labels) for labels in itertools.product(range(n), repeat=n)}
    patterns = coincidences.set_partitions(n)
    assert len(patterns) == len(set(patterns)) == int(sp.bell(n))
    assert set(patterns) == brute


def test_pattern_code_is_the_base_k_reading() -> None:
    assert coincidences.pattern_code((0, 1, 0, 2)) == 0 * 64 + 1 * 16 + 0 * 4 + 2
    codes = [coincidences.pattern_code(p) for p in coincidences.set_partitions(6)]
    assert len(set(codes)) == len(codes)


def test_bad_n_is_refused() -> None:
    with pytest.raises(ValueError, match="n=0 must be an integer >= 1"):
        coincidences.set_partitions(0)


@pytest.mark.parametrize(
    "process, dist, d, T",
    [
        ("roots:k=3", "discrete:values=-2,1;probs=1/3,2/3", 2, 5),
        ("damped:r=0.8", "discrete:values=-1,1;probs=1/2,1/2", 2, 4),
        ("uniform", "gaussian:sigma=0.7", 2, 4),
    ],
)
def test_symbolic_manifold_loss_equals_exact_cubature(process: str, dist: str, d: int, T: int) -> None:
    """The symbolic side on its own (not through the engine) against exact cubature of the model."""
    law = parse_distribution(dist)
    for a, b in ((0.5, 0.7), (-0.2, 1.3)):
        expected, _ = cubature(law, parse_process(process), Parameters.assumption1(d, a, b), T)
        value = float(manifold_loss_value(process, law, d, T, sp.nsimplify(a) * sp.nsimplify(b)))
        assert value == pytest.approx(expected, rel=1e-11)

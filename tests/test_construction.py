"""The hand-built GD transformer (mesasym.models.construction) predicts what gd:k=K predicts."""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.algorithms import parse_algorithm
from mesasym.errors import InvalidInputError
from mesasym.models import build_construction, parse_model
from mesasym.models.construction import default_steps
from mesasym.tasks import parse_task


@pytest.mark.parametrize(("task", "K"), [("ar", 1), ("ar", 3), ("regression:linear", 2), ("noisy:sigma=0.3", 4)])
def test_construction_is_k_steps_of_gd(task: str, K: int) -> None:
    d = 3
    batch = parse_task(task).sample(np.random.default_rng(K), 6, d=d, length=9)
    model = build_construction(f"construction=gd,steps={K}", task, d)
    steps = ",".join(repr(float(s)) for s in default_steps(K))
    expected = parse_algorithm(f"gd:k={K},steps={steps}").predict(batch)
    np.testing.assert_allclose(model.predict(batch), expected, rtol=0, atol=1e-12)
    # one step changed by just more than the tolerance is seen
    moved = parse_algorithm(f"gd:k={K},steps={steps.replace(repr(float(default_steps(K)[0])), repr(float(default_steps(K)[0]) + 1e-9), 1)}").predict(batch)
    assert np.max(np.abs(model.predict(batch) - moved)) > 1e-12


def test_given_steps_and_the_built_spec() -> None:
    model = build_construction("construction=gd,steps=2,eta=0.7,-0.2", "ar", 2)
    assert (model.spec.layers, model.spec.heads, model.layout.width) == (2, 2, 8)
    batch = parse_task("ar").sample(np.random.default_rng(0), 4, d=2, length=7)
    np.testing.assert_allclose(model.predict(batch), parse_algorithm("gd:k=2,steps=0.7,-0.2").predict(batch), atol=1e-12)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("construction=gd,steps=0", "steps=0 must be an integer in"),
        ("construction=newton", "construction=newton is not valid"),
        ("construction=gd,steps=2,eta=0.5", "eta=0.5 must be 2 finite numbers"),
        ("construction=gd,attention=softmax", "linear attention"),
    ],
)
def test_bad_construction_specs(spec: str, words: str) -> None:
    with pytest.raises(InvalidInputError, match=words):
        build_construction(parse_model(spec), "ar", 2)

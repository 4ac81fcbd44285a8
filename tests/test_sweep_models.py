"""``mesasym sweep`` over model and task axes: ``mesasym train``'s ``--model``/``--task`` are axes like any option."""

from __future__ import annotations

import pytest

from mesasym.errors import InvalidInputError
from mesasym.sweep.point import command_result, flatten
from mesasym.sweep.spec import parse_spec

GRID = """
command = "train"
[options]
d = 2
T = 5
samples = 8
test-samples = 0
steps = 2
lr = 0.001
[axes]
model = ["paper", "layers=2,attention=softmax"]
task = ["ar", "regression:linear"]
"""


@pytest.mark.slow
def test_model_and_task_axes_make_points_that_train():
    points = parse_spec(GRID).points()
    assert [(p.options["--model"], p.options["--task"]) for p in points] == [
        ("paper", "ar"), ("paper", "regression:linear"),
        ("layers=2,attention=softmax", "ar"), ("layers=2,attention=softmax", "regression:linear"),
    ]
    for point in points[1:3]:  # one of each model, one of each task (the other two add only compile time)
        payload, status = command_result("train", point.argv())
        row = flatten(payload)
        assert status == 0 and row["task"] == point.options["--task"] and row["engine"] == "jax"
        assert row["model.layers"] == (1 if point.options["--model"] == "paper" else 2)


def test_a_sweep_cannot_write_model_files():
    with pytest.raises(InvalidInputError, match="save"):
        parse_spec(GRID.replace("lr = 0.001", 'lr = 0.001\nsave = "m.npz"'))

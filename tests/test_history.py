"""The one recorder of training histories (:class:`mesasym.numeric.history.Recorder`)."""

from __future__ import annotations

import numpy as np
import pytest

from mesasym.errors import InvalidInputError
from mesasym.numeric.history import Recorder


def test_records_every_kth_step_and_the_last_with_aligned_columns() -> None:
    recorder = Recorder(every=3, last=7)
    for step in range(8):
        if recorder.due(step):
            recorder.record(step, loss=step * 0.5, ab=-step)
    columns = recorder.columns()
    assert columns["step"].tolist() == [0, 3, 6, 7] and columns["step"].dtype == np.int64
    assert columns["loss"].tolist() == [0.0, 1.5, 3.0, 3.5] and columns["ab"].tolist() == [0, -3, -6, -7]
    assert list(recorder.values()) == ["loss", "ab"]
    assert len(recorder) == 4


def test_rows_must_name_the_same_columns_and_every_must_be_positive() -> None:
    recorder = Recorder()
    recorder.record(0, a=1.0)
    with pytest.raises(InvalidInputError, match="differ from the first row"):
        recorder.record(1, b=1.0)
    with pytest.raises(InvalidInputError, match="record_every=0 must be an integer >= 1"):
        Recorder(every=0)


def test_an_empty_recorder_has_empty_columns() -> None:
    assert Recorder().columns()["step"].tolist() == []

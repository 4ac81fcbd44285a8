"""One recorder of training histories, for every trainer (Monte Carlo, population flow, JAX models).

A :class:`Recorder` is told which steps to keep (every ``every``-th step, step 0 and the last
always) and collects named scalar columns; :meth:`Recorder.columns` returns them as float64
arrays (``step`` as int64). Trainers decide *what* to record (``a``, ``b``, ``ab``, losses,
per-layer summaries); the recorder only decides *when* and keeps the rows aligned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mesasym.errors import require

__all__ = ["ManifoldTrace", "Recorder"]


@dataclass(frozen=True)
class ManifoldTrace:
    """What every trainer of the full model records, one entry per recorded time ``tau``.

    ``a``, ``b`` are the means of the real diagonals of the red blocks, ``ab`` the mean of
    their products (the authors' metric), ``off_manifold`` the Frobenius norm of everything
    that is not ``aI`` / ``bI`` in the red blocks, ``loss`` the objective there.
    """

    tau: np.ndarray
    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray
    off_manifold: np.ndarray
    loss: np.ndarray


class Recorder:
    """Rows of named scalars at the recorded steps.

    >>> r = Recorder(every=2, last=3)
    >>> for k in range(4):
    ...     if r.due(k):
    ...         r.record(k, loss=1.0 / (k + 1))
    >>> r.columns()["step"].tolist(), r.names
    ([0, 2, 3], ('loss',))
    """

    def __init__(self, every: int = 1, last: int | None = None) -> None:
        require(
            isinstance(every, (int, np.integer)) and every >= 1,
            f"record_every={every!r} must be an integer >= 1",
        )
        self.every = int(every)
        self.last = last
        self._steps: list[int] = []
        self._rows: list[tuple[float, ...]] = []
        self.names: tuple[str, ...] = ()

    def due(self, step: int) -> bool:
        """Whether ``step`` is recorded: every ``every``-th step and the last one."""
        return step % self.every == 0 or step == self.last

    def record(self, step: int, **values: float) -> None:
        """Keep one row; every row must name the same columns in the same order."""
        names = tuple(values)
        if not self._rows:
            self.names = names
        require(names == self.names, f"recorded columns {names} differ from the first row's {self.names}")
        self._steps.append(int(step))
        self._rows.append(tuple(float(v) for v in values.values()))

    def __len__(self) -> int:
        return len(self._steps)

    def columns(self) -> Mapping[str, np.ndarray]:
        """``{"step": int64 array, name: float64 array, ...}`` in recording order."""
        return {"step": np.array(self._steps, dtype=np.int64), **self.values()}

    def values(self) -> Mapping[str, np.ndarray]:
        """The recorded columns without ``step`` (for a trainer whose result has its own time axis)."""
        table = np.array(self._rows, dtype=np.float64).reshape(len(self._rows), len(self.names))
        return {name: table[:, i] for i, name in enumerate(self.names)}

"""In-context tasks: what the models are trained on and the algorithms are compared on.

:mod:`mesasym.tasks.batch` fixes the one shape every task is given in (``(input, output)``
pairs, scored from position 2) and the :class:`~mesasym.tasks.batch.Predictor` interface; :func:`~mesasym.tasks.spec.parse_task`
turns a spec into a :class:`~mesasym.tasks.base.Task` whose :meth:`~mesasym.tasks.base.Task.sample` draws a :class:`~mesasym.tasks.batch.Batch`
(AR tasks in :mod:`mesasym.tasks.ar`, regression in :mod:`mesasym.tasks.regression`;
the paper's sampler in :mod:`mesasym.tasks.sequences`).
"""

from mesasym.tasks.base import Task
from mesasym.tasks.batch import Batch, Predictor
from mesasym.tasks.spec import TASK_NAMES, parse_task

__all__ = ["Batch", "Predictor", "Task", "TASK_NAMES", "parse_task"]

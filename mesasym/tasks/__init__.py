"""In-context tasks: what the models are trained on and the algorithms are compared on.

:mod:`mesasym.tasks.batch` fixes the one shape every task is given in (``(input, output)``
pairs, scored from position 2) and the :class:`Predictor` interface.
"""

from mesasym.tasks.batch import Batch, Predictor

__all__ = ["Batch", "Predictor"]

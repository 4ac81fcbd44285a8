"""The paper's AR sequences (THEORY §1), re-exported from :mod:`mesasym.tasks.sequences`.

The sampler lives with the tasks (the layer below :mod:`mesasym.numeric`) so that every
task and every engine draws the paper's sequences with the one implementation; the names
stay importable from here for the numeric engines.
"""

from mesasym.tasks.sequences import ARSample, sample_phases, sample_sequences, sequences_from

__all__ = ["ARSample", "sample_phases", "sequences_from", "sample_sequences"]

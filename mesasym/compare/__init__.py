"""The comparators: the one layer where mesasym's independent sources of truth meet.

Each module puts the symbolic derivation (:mod:`mesasym.symbolic`), the exact and
high-precision evaluation (:mod:`mesasym.precise`), the numeric full model
(:mod:`mesasym.numeric`) and the paper's statements (:mod:`mesasym.claims`) side by side and
returns a report whose every check states its value, tolerance and the reason for that
tolerance: :mod:`mesasym.compare.fixed_point` (Theorem 1, ``check-fixed-point``),
:mod:`mesasym.compare.capability` (Theorem 2), :mod:`mesasym.compare.beyond_assumption`,
:mod:`mesasym.compare.dynamics`, :mod:`mesasym.compare.figure1` and their helpers.
"""

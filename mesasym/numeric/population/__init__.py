"""The full model's exact population loss (every expectation over ``x_1`` and ``W`` in closed
form from the law's moments) and its gradient flow: :mod:`mesasym.numeric.population.objective`,
:mod:`mesasym.numeric.population.flow`, with the curvature, the clip flow beyond Assumption 2 and
the phase-count tables of other transition laws.
"""

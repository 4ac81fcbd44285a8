"""mesasym: verify mesa-optimization in autoregressively trained transformers.

Zheng et al., "On Mesa-Optimization in Autoregressively Trained Transformers:
Emergence and Capability", NeurIPS 2024 (arXiv 2405.16845).

The independent sources of truth are separate modules:

* :mod:`mesasym.laws` -- laws of the first token ``x_1`` with exact moments, and
  (:mod:`mesasym.laws.processes`) transition laws of ``W`` (``--process``);
* :mod:`mesasym.numeric.sequences` -- the sequences ``x_{t+1} = W x_t``;
* :mod:`mesasym.symbolic` -- the SymPy derivation from the model definition;
* :mod:`mesasym.precise` -- exact rationals and mpmath evaluation;
* :mod:`mesasym.numeric.model`, :mod:`mesasym.numeric.training` -- the full model in NumPy
  and its Monte Carlo gradient descent;
* :mod:`mesasym.numeric.population.objective`, :mod:`mesasym.numeric.population.flow` -- the full model's
  exact population loss, gradient and gradient flow
  (:mod:`mesasym.numeric.population.process_tables`: its phase tables for other transition laws);
* :mod:`mesasym.claims` -- the paper's statements, only ever compared against;
* :mod:`mesasym.compare.fixed_point` -- the one module that compares them
  (``mesasym check-fixed-point``).

Further: :mod:`mesasym.symbolic.capability` and :mod:`mesasym.compare.beyond_assumption`
(Theorem 2, recovery, training without Assumption 2), :mod:`mesasym.symbolic.dynamics`,
:mod:`mesasym.precise.dynamics`, :mod:`mesasym.numeric.population.curvature` and
:mod:`mesasym.compare.dynamics` (training dynamics in closed form, step-size limits;
``mesasym dynamics``), :mod:`mesasym.compare.figure1`
and :mod:`mesasym.report.plots`, :mod:`mesasym.report.latex` (LaTeX documents),
:mod:`mesasym.testing` (Hypothesis strategies and the shipped property suite).
"""

__version__ = "0.1.0"

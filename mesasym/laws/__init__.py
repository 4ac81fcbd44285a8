r"""Laws of the first token :math:`x_1 \in \mathbb{R}^d`, with exact moments.

This sub-package is one of mesasym's independent sources of truth (THEORY §1, §4):
every law of ``x_1`` knows

* how to **sample** itself (vectorized NumPy, explicit ``numpy.random.Generator``);
* its **exact moments** :math:`E[x_{1,i_1} \cdots x_{1,i_k}]` as SymPy numbers;
* the constants of Assumption 2,

  .. math::

     \kappa_1 = E[x_{1,j}^4], \qquad \kappa_2 = E[x_{1,j}^6], \qquad
     \kappa_3 = \sum_{r \ne j} E[x_{1,j}^2 x_{1,r}^4];

* whether it satisfies **Assumption 2** (:meth:`InitialTokenDistribution.check_assumption2`).

The transition laws of ``W`` (the law of each eigenvalue, ``--process``) live in
:mod:`mesasym.laws.processes` (:func:`parse_process`).

The sampler and the exact moments are written independently of each other, so
the tests can check one against the other (Monte Carlo z-scores).

Parameters are stored as exact SymPy numbers. A string such as ``"0.5"`` or
``"1/3"`` is read exactly (``Rational(1, 2)``, ``Rational(1, 3)``), a Python
float is read through its decimal ``repr`` (``0.1 -> 1/10``), and SymPy numbers
such as ``sympy.sqrt(2)`` are kept as they are, so all moments stay exact.

Text specs (used by the command line) have the form ``name`` or
``name:key=value,...``; see :func:`parse_distribution` and
:data:`DISTRIBUTION_NAMES`. Every law's :meth:`~InitialTokenDistribution.spec`
round-trips: ``parse_distribution(dist.spec()) == dist``.

Example (checks itself against the Gaussian closed forms of THEORY §7)::

    >>> g = parse_distribution("gaussian:sigma=0.5")
    >>> g.moment((0, 0, 0, 0, 0, 0), d=3) == 15 * sympy.Rational(1, 2) ** 6
    True
    >>> g.kappas(3).kappa3 == 3 * (3 - 1) * sympy.Rational(1, 2) ** 6
    True
    >>> bool(g.check_assumption2(3)), bool(Ones().check_assumption2(3))
    (True, False)
"""

from __future__ import annotations

import sympy  # noqa: F401  (used by the doctest above)

from mesasym.laws.base import (
    ASSUMPTION2_MAX_DEGREE,
    ASSUMPTION2_MAX_DISTINCT,
    Assumption2Report,
    InitialTokenDistribution,
    Kappas,
)
from mesasym.laws.families import (
    BernoulliGaussian,
    Discrete,
    Gaussian,
    IIDCoordinateLaw,
    Laplace,
    Rademacher,
    ShiftedGaussian,
    StudentT,
    Uniform,
)
from mesasym.laws.processes import (
    PROCESS_NAMES,
    Damped,
    ProcessMixture,
    RootsOfUnity,
    TransitionLaw,
    UniformPhases,
    VonMises,
    is_uniform_process,
    parse_process,
)
from mesasym.laws.spec import DISTRIBUTION_NAMES, parse_distribution
from mesasym.laws.vectors import DiscreteVectorLaw, Mixture, Ones, Sparse

__all__ = [
    "ASSUMPTION2_MAX_DEGREE",
    "ASSUMPTION2_MAX_DISTINCT",
    "DISTRIBUTION_NAMES",
    "PROCESS_NAMES",
    "Damped",
    "ProcessMixture",
    "RootsOfUnity",
    "TransitionLaw",
    "UniformPhases",
    "VonMises",
    "is_uniform_process",
    "parse_process",
    "Assumption2Report",
    "BernoulliGaussian",
    "Discrete",
    "DiscreteVectorLaw",
    "Gaussian",
    "IIDCoordinateLaw",
    "InitialTokenDistribution",
    "Kappas",
    "Laplace",
    "Mixture",
    "Ones",
    "Rademacher",
    "ShiftedGaussian",
    "Sparse",
    "StudentT",
    "Uniform",
    "parse_distribution",
]

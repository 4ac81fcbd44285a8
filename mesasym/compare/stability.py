"""The largest stable gradient-descent step for a setting (used to answer a diverging ``--lr``).

Gradient descent ``theta <- theta - lr grad L`` is stable near a point iff
``lr < 2 / lambda_max``, with ``lambda_max`` the largest eigenvalue of the Hessian
of ``L`` there. On the way from an Assumption-1 start ``(a0, b0)`` to the limit
``(a~, b~)`` of the derived reduced flow the curvature is largest at one of the
two ends (the loss is a quartic in ``(a, b)`` growing with ``|ab|``), so

    lr_max = 2 / max(lambda_max(start), lambda_max(limit))

computed from the exact population Hessian
(:meth:`~mesasym.numeric.population.objective.PopulationObjective.gradient_jacobian_blocks`).
A finite sample has a slightly different Hessian; the value is a suggestion, and
``check-fixed-point``'s automatic schedule uses half of it (``1 / lambda_max``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from mesasym.numeric.model import Parameters

#: The population Hessian needs ``d <= 8`` and ``T <= 1000`` (its memory and tables).
STABILITY_MAX_D = 8
STABILITY_MAX_T = 1000


def derived_limit(law: Any, d: int, T: int, a0: Any, b0: Any) -> tuple[float, float] | None:
    """``(a~, b~)`` of the derived reduced flow from ``(a0, b0)``; ``None`` without common kappas or on ``a0 = -b0``."""
    from mesasym.symbolic import symbols as S
    from mesasym.symbolic.reduced_flow import derive_reduced_flow

    a0, b0 = sp.Rational(str(a0)), sp.Rational(str(b0))
    from mesasym.errors import InvalidInputError

    try:
        kappas = law.kappas(d)
    except InvalidInputError:  # a law without common kappas: no derived limit
        return None
    if a0 == -b0:
        return None
    flow = derive_reduced_flow(T, d, (kappas.kappa1, kappas.kappa2, kappas.kappa3), kappas.second_moment)
    a_squared = float(flow.a_tilde_squared.subs(S.DELTA, a0**2 - b0**2))
    sign = 1 if (a0 if a0**2 >= b0**2 else b0) >= 0 else -1  # the larger start coordinate keeps its sign
    a_tilde = sign * math.sqrt(a_squared)
    return a_tilde, float(flow.fixed_product) / a_tilde


def largest_stable_lr(law: Any, d: int, T: int, a0: Any, b0: Any) -> float | None:
    """``2 / lambda_max`` over the start and the derived limit; ``None`` if the population engine cannot run."""
    from mesasym.numeric.population.objective import PopulationObjective

    if d > STABILITY_MAX_D or T > STABILITY_MAX_T:
        return None
    objective = PopulationObjective(law, d, T)
    points = [(float(sp.Rational(str(a0))), float(sp.Rational(str(b0))))]
    limit = derived_limit(law, d, T, a0, b0)
    if limit is not None:
        points.append(limit)
    curvature = 0.0
    for a, b in points:
        point = Parameters.assumption1(d, a, b)
        hessian = objective.gradient_jacobian_blocks(point.P, point.Q)
        curvature = max(curvature, float(np.max(np.linalg.eigvalsh(hessian))))
    return 2.0 / curvature if curvature > 0 else None

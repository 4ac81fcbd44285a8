"""The SymPy symbols shared by the symbolic derivation.

Conventions (THEORY §1-5):

* ``T`` -- sequence length, ``d`` -- dimension, ``t`` -- position (all positive
  integers; the derivation needs ``T >= 3`` and ``t >= 2``);
* ``kappa_1 = E x_{1,j}^4``, ``kappa_2 = E x_{1,j}^6``,
  ``kappa_3 = sum_{r != j} E x_{1,j}^2 x_{1,r}^4`` (Assumption 2) and
  ``m_2 = (1/d) sum_j E x_{1,j}^2`` (the mean second moment; it only enters the
  loss as a constant);
* ``A, B`` -- the complex scalars on the Assumption-1 manifold
  (``W^{KQ}_{32} = A I``, ``W^{PV}_{12} = B I``) and ``ABAR, BBAR`` their
  conjugates, treated as independent symbols (Wirtinger calculus: the gradient
  of a real loss in the convention of THEORY §3 is ``2 dL/d conj(z)``);
* ``a, b`` -- real symbols for the reduced flow (real points ``A = ABAR = a``),
  ``a_0, b_0`` the initial point, ``c = ab`` and ``delta = a_0^2 - b_0^2``.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "T", "d", "t", "KAPPA1", "KAPPA2", "KAPPA3", "M2",
    "A", "B", "ABAR", "BBAR", "a", "b", "a0", "b0", "c", "tau", "DELTA",
    "K", "CSTAR", "ATILDE",
]

T = sp.Symbol("T", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
t = sp.Symbol("t", integer=True, positive=True)

KAPPA1 = sp.Symbol("kappa_1", positive=True)
KAPPA2 = sp.Symbol("kappa_2", positive=True)
KAPPA3 = sp.Symbol("kappa_3", nonnegative=True)
#: The second moment ``m_2 = E[x_{1,j}^2]``.
M2 = sp.Symbol("m_2", positive=True)

A = sp.Symbol("a")
B = sp.Symbol("b")
ABAR = sp.Symbol(r"\bar{a}")
BBAR = sp.Symbol(r"\bar{b}")

#: The diagonal value ``a`` of ``W^{KQ}_{32}`` on the Assumption-1 manifold (real).
a = sp.Symbol("a", real=True)
#: The diagonal value ``b`` of ``W^{PV}_{12}`` on the Assumption-1 manifold (real).
b = sp.Symbol("b", real=True)
a0 = sp.Symbol("a_0", real=True)
b0 = sp.Symbol("b_0", real=True)
#: The product ``c = ab``.
c = sp.Symbol("c", real=True)
tau = sp.Symbol("tau", real=True)
#: ``a_0^2 - b_0^2`` (the conserved quantity's value) in closed forms.
DELTA = sp.Symbol("delta", real=True)
#: Placeholders in the linearisation: ``K = g'(c)``, ``CSTAR = c*``, ``ATILDE = a~ > 0``.
K = sp.Symbol("K", positive=True)
CSTAR = sp.Symbol("c^*", positive=True)
ATILDE = sp.Symbol(r"\tilde{a}", positive=True)

"""The paper's statements, typed in as data to be tested (never used to derive anything).

Zheng et al., "On Mesa-Optimization in Autoregressively Trained Transformers:
Emergence and Capability", NeurIPS 2024 (arXiv 2405.16845); THEORY.md §5-7.

Only comparison code and tests may import this module; the symbolic,
high-precision and numeric sources of truth must not.
"""

from __future__ import annotations

import sympy as sp

from mesasym.errors import InvalidInputError

__all__ = [
    "theorem1_product",
    "corollary1_step_size",
    "gaussian_long_context_limit",
    "gaussian_prediction_ratio_limit",
    "sparse_product",
    "evaluate_sums",
    "CLAIM_SOURCES",
]

#: Where each claim is stated.
CLAIM_SOURCES = {
    "theorem1_product": "Theorem 1 (THEORY §5): a~ b~ = kappa1 / (kappa2 + kappa3/(T-2) sum_{t=2}^{T-1} 1/(t-1))",
    "corollary1_step_size": "Corollary 1 (THEORY §6): one GD step from W = 0 with step a~ b~/(t-1)",
    "gaussian_long_context_limit": "Authors' theory line for N(0, sigma^2 I) (THEORY §7, §9): a~ b~ -> 1/(5 sigma^2)",
    "gaussian_prediction_ratio_limit": "Authors' theory line (THEORY §9): prediction/truth ratio 0.2 for the Gaussian",
    "sparse_product": "Authors' theory line for x_1 = +-c e_J (THEORY §7, §9): a~ b~ = 1/c^2",
}


def _check_T(T: object) -> sp.Expr:
    if isinstance(T, sp.Symbol):
        return T
    if isinstance(T, bool) or not isinstance(T, (int, sp.Integer)) or int(T) < 3:
        raise InvalidInputError(f"T={T!r} must be an integer >= 3")
    return sp.Integer(int(T))


def theorem1_product(T: object, kappa1: object, kappa2: object, kappa3: object) -> sp.Expr:
    """Theorem 1 as printed: ``kappa1 / (kappa2 + kappa3/(T-2) * sum_{t=2}^{T-1} 1/(t-1))``.

    The sum is kept as an unevaluated :class:`sympy.Sum` for symbolic ``T`` (call
    ``.doit()`` to evaluate it); for a concrete ``T`` it is evaluated exactly.
    """
    T_val = _check_T(T)
    t = sp.Symbol("t", integer=True, positive=True)
    total = sp.Sum(1 / (t - 1), (t, 2, T_val - 1))
    if not isinstance(T_val, sp.Symbol):
        total = total.doit()
    k1, k2, k3 = (sp.sympify(k) for k in (kappa1, kappa2, kappa3))
    return k1 / (k2 + k3 / (T_val - 2) * total)


def evaluate_sums(expr: object) -> sp.Expr:
    """Evaluate every :class:`sympy.Sum` in a claim, shifting each index to start at 1.

    (SymPy recognises ``sum_{s=1}^n 1/s = H_n`` but not the same sum written from
    ``t = 2``.) Sums SymPy cannot do stay unevaluated.
    """

    def shift(total: sp.Sum) -> sp.Expr:
        var, lo, _ = total.limits[0]
        if len(total.limits) != 1 or lo == 1:
            return total.doit()
        s = sp.Dummy("s", integer=True, positive=True)
        return total.change_index(var, var - (lo - 1), s).doit()

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum), shift)


def corollary1_step_size(product: object, t: object) -> sp.Expr:
    """Corollary 1: the in-context GD step size ``a~ b~ / (t - 1)`` when predicting ``x_{t+1}``."""
    if not isinstance(t, sp.Symbol) and (isinstance(t, bool) or not isinstance(t, (int, sp.Integer)) or int(t) < 2):
        raise InvalidInputError(f"t={t!r} must be an integer >= 2")
    return sp.sympify(product) / (sp.sympify(t) - 1)


def gaussian_long_context_limit(sigma: object) -> sp.Expr:
    """``lim_{T -> oo} a~ b~ = 1/(5 sigma^2)`` for ``x_1 ~ N(0, sigma^2 I_d)``."""
    s = sp.sympify(sigma)
    if s.is_positive is False or s.is_zero:
        raise InvalidInputError(f"sigma={sigma!r} must be positive")
    return 1 / (5 * s**2)


def gaussian_prediction_ratio_limit() -> sp.Expr:
    """The long-context ratio prediction/truth for the Gaussian start: ``1/5``."""
    return sp.Rational(1, 5)


def sparse_product(c: object) -> sp.Expr:
    """``a~ b~ = 1/c^2`` for every ``T`` when ``x_1 = +-c e_J``."""
    value = sp.sympify(c)
    if value.is_zero:
        raise InvalidInputError(f"c={c!r} must be nonzero")
    return 1 / value**2


# --- Capability limitation and beyond Assumption 2 (issue 7; THEORY §7-9) -------------------------

CLAIM_SOURCES.update(
    {
        "theorem2_gaussian_recovers": "Theorem 2 (THEORY §7): for N(0, sigma^2 I_d) the trained transformer cannot "
        "recover the AR process, even with a long training context",
        "recovery_condition_squares": "Recovery condition (NeurIPS Assumption 4.2 as THEORY §7 reads it): "
        "x_{1,j}^2 in {0, kappa2/kappa1} almost surely for every j; necessary and sufficient",
        "sparse_exact_recovery": "Sparse start x_1 = +-c e_J (THEORY §7, §9): the prediction is exact for every "
        "t >= 2 and every T (authors' theory line: MSE 0)",
        "sparse_test_mse": "Authors' theory line for the sparse start (THEORY §9): test MSE 0",
        "beyond_assumption2_vanilla_gd": "Beyond Assumption 2 (THEORY §8): the trained transformer generally does "
        "not perform vanilla one-step GD (e.g. the all-ones start)",
    }
)
__all__ += [
    "theorem2_gaussian_recovers",
    "recovery_condition_squares",
    "sparse_exact_recovery",
    "sparse_test_mse",
    "beyond_assumption2_vanilla_gd",
]


def theorem2_gaussian_recovers(sigma: object) -> bool:
    """Theorem 2: for ``x_1 ~ N(0, sigma^2 I_d)`` the trained model does *not* recover the process."""
    s = sp.sympify(sigma)
    if s.is_positive is False or s.is_zero:
        raise InvalidInputError(f"sigma={sigma!r} must be positive")
    return False


def recovery_condition_squares(kappa1: object, kappa2: object) -> tuple[sp.Expr, sp.Expr]:
    """The values ``x_{1,j}^2`` may take (almost surely) for recovery: ``(0, kappa2/kappa1)``."""
    k1, k2 = sp.sympify(kappa1), sp.sympify(kappa2)
    if k1.is_zero or k2.is_zero:
        raise InvalidInputError(f"kappa1={kappa1!r} and kappa2={kappa2!r} must be nonzero")
    return (sp.Integer(0), k2 / k1)


def sparse_exact_recovery() -> bool:
    """The sparse start is recovered exactly at every ``t >= 2`` for every ``T``."""
    return True


def sparse_test_mse() -> sp.Expr:
    """The authors' theory line for the sparse start's test MSE: ``0``."""
    return sp.Integer(0)


def beyond_assumption2_vanilla_gd() -> bool:
    """Without Assumption 2 the trained model generally does not do vanilla one-step GD."""
    return False

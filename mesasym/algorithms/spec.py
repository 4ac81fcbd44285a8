"""Algorithm specs (``gd:k=3``, ``pgd:k=2,precond=full``, ``ols``, ``ridge:lambda=0.1``, ...) and the predictor object.

Families, their keys and the prediction at position ``p`` (:mod:`mesasym.algorithms.predictors`):

* ``gd`` -- ``k`` (1..16), ``steps`` (``k`` numbers, or ``fit``): ``K`` GD steps from 0;
* ``pgd`` -- ``k``, ``precond=diag|full``: ``K`` preconditioned steps, the ``Γ_k`` fitted;
* ``ols`` -- least squares, minimum norm when under-determined;
* ``ridge`` -- ``lambda`` (> 0, or ``fit``): ridge regression with penalty ``λ/2 ||V||²``;
* ``oracle`` -- the noiseless truth (``batch.oracle``: ``W u_p`` or the teacher's ``f(u_p)``);
* ``zero`` -- 0; ``copy`` -- ``u_p`` (the last token, for AR tasks).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jax.numpy as jnp
import numpy as np

from mesasym.algorithms import predictors
from mesasym.algorithms.statistics import context_of
from mesasym.errors import InvalidInputError, require
from mesasym.specs import Key, parse_spec
from mesasym.tasks.batch import Batch

__all__ = ["ALGORITHM_FAMILIES", "Algorithm", "parse_algorithm", "steps_to_coefficients", "coefficients_to_steps"]

#: Largest number of GD steps (the Krylov features ``B A^m u`` lose double precision beyond ~16).
K_MAX = 16

ALGORITHM_FAMILIES: dict[str, tuple[Key, ...]] = {
    "gd": (Key("k", "1"), Key("steps", "fit", many=True)),
    "pgd": (Key("k", "1"), Key("precond", "diag")),
    "ols": (),
    "ridge": (Key("lambda", "fit"),),
    "oracle": (),
    "zero": (),
    "copy": (),
}

#: Families whose predictions are not a function of the context the Jacobian is taken over.
NO_JACOBIAN = frozenset({"oracle"})


def steps_to_coefficients(steps: np.ndarray) -> np.ndarray:
    """:math:`c_m` with :math:`\\sum_m c_m x^{m+1} = 1 - \\prod_k(1 - \\eta_k x)` (ascending, length ``K``)."""
    product = np.array([1.0 + 0j])
    for eta in steps:
        product = np.convolve(product, np.array([1.0, -eta]))
    coefficients = -product[1:]
    return coefficients.real if np.all(np.isreal(steps)) else coefficients


def coefficients_to_steps(coefficients: np.ndarray) -> np.ndarray:
    """The steps :math:`\\eta_k = 1/x_k`, :math:`x_k` the roots of :math:`1 - \\sum_m c_m x^{m+1}`.

    Sorted by decreasing real part; complex when the polynomial has complex roots (then no
    real step sizes give that predictor); a degree drop (:math:`c_{K-1} = 0`) gives steps 0.
    """
    K = len(coefficients)
    descending = np.concatenate([-np.asarray(coefficients)[::-1], [1.0]])
    nonzero = np.flatnonzero(descending)
    roots = np.roots(descending[nonzero[0] :]) if len(nonzero) else np.array([])
    steps = np.concatenate([1.0 / roots, np.zeros(K - len(roots))])
    steps = steps[np.argsort(-steps.real, kind="stable")]
    return steps.real if np.all(np.abs(steps.imag) <= 1e-12 * max(1.0, np.max(np.abs(steps)))) else steps


def _integer(text: str, what: str, minimum: int, maximum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidInputError(f"{what}={text!r} must be an integer from {minimum} to {maximum}") from None
    require(minimum <= value <= maximum, f"{what}={value} must be an integer from {minimum} to {maximum}")
    return value


def _real(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"{what}={text!r} must be a finite real number or 'fit'") from None
    require(math.isfinite(value), f"{what}={text!r} must be a finite real number or 'fit'")
    return value


@dataclass(frozen=True)
class Algorithm:
    """One algorithm of the zoo; ``params`` is ``None`` until its free hyperparameters are given or fitted.

    ``params`` by family: ``gd`` ``{"coefficients": c}`` (see :func:`steps_to_coefficients`),
    ``pgd`` ``{"preconditioners": (K, d_in, d_in)}``, ``ridge`` ``{"lambda": λ}``.
    """

    family: str
    k: int = 0
    precond: str = ""
    params: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """The canonical spec without fitted values, e.g. ``gd:k=3``, ``pgd:k=1,precond=full``."""
        if self.family == "gd":
            return f"gd:k={self.k}"
        if self.family == "pgd":
            return f"pgd:k={self.k},precond={self.precond}"
        return self.family

    @property
    def needs_fit(self) -> bool:
        """Whether free hyperparameters (steps, preconditioners, λ) remain to be fitted."""
        return self.params is None and self.family in ("gd", "pgd", "ridge")

    def parameter_count(self, d_in: int) -> int:
        """Number of real hyperparameters a fit determines for inputs of dimension ``d_in`` (0: none free)."""
        counts = {"gd": self.k, "pgd": self.k * (d_in if self.precond == "diag" else d_in * d_in), "ridge": 1}
        return counts.get(self.family, 0)

    def contains(self, other: Algorithm) -> bool:
        """Whether every predictor of ``other`` is one of this family (or its limit): the zoo's nesting.

        ``gd:k=K`` contains ``gd:k<=K`` and ``zero`` (zero steps); ``pgd:k=K`` contains those and
        ``pgd:k<=K`` with a diagonal preconditioner (``full`` also full ones); ``ridge`` contains
        ``ols`` as ``λ -> 0``.
        """
        if self.name == other.name:
            return True
        if self.family == "ridge":
            return other.family == "ols"
        if self.family not in ("gd", "pgd"):
            return False
        if other.family == "zero":
            return True
        if other.family == "gd":
            return other.k <= self.k
        return self.family == "pgd" and other.family == "pgd" and other.k <= self.k and (self.precond == "full" or other.precond == "diag")

    def with_params(self, **params: Any) -> Algorithm:
        return replace(self, params=params)

    def hyperparameters(self) -> dict[str, Any]:
        """The given or fitted hyperparameters in JSON-ready form (steps for ``gd``)."""
        if self.params is None:
            return {}
        if self.family == "gd":
            steps = coefficients_to_steps(np.asarray(self.params["coefficients"]))
            out: dict[str, Any] = {"steps": _json(steps), "real_steps": bool(np.isrealobj(steps))}
            return out
        if self.family == "pgd":
            return {"preconditioners": _json(np.asarray(self.params["preconditioners"]))}
        if self.family == "ridge":
            return {"lambda": float(self.params["lambda"])}
        return {}

    def predict_arrays(self, inputs: jnp.ndarray, outputs: jnp.ndarray, oracle: jnp.ndarray | None = None) -> jnp.ndarray:
        """Predictions ``(n, P-1, d_out)`` as a JAX function of the context (differentiable)."""
        if self.needs_fit:
            raise InvalidInputError(f"algorithm {self.name!r} has free hyperparameters: give them in the spec or fit them first")
        if self.family == "zero":
            return jnp.zeros((inputs.shape[0], inputs.shape[1] - 1, outputs.shape[2]), dtype=outputs.dtype)
        if self.family == "copy":
            require(inputs.shape[2] == outputs.shape[2], f"copy needs inputs and outputs of one dimension, got {inputs.shape[2]} and {outputs.shape[2]}")
            return inputs[:, 1:]
        if self.family == "oracle":
            require(oracle is not None, "the oracle needs the batch's noiseless truth")
            return jnp.asarray(oracle)
        if self.family == "ols":
            return predictors.ols(inputs, outputs)
        ctx = context_of(inputs, outputs)
        assert self.params is not None
        if self.family == "gd":
            return _cast(predictors.gd_polynomial(ctx, jnp.asarray(self.params["coefficients"])), outputs)
        if self.family == "pgd":
            return predictors.pgd_iterate(ctx, jnp.asarray(self.params["preconditioners"]))
        return predictors.ridge(ctx, jnp.asarray(self.params["lambda"]))

    def predict(self, batch: Batch) -> np.ndarray:
        """The :class:`~mesasym.tasks.batch.Predictor` interface: predictions of ``batch.targets``."""
        return np.asarray(self.predict_arrays(jnp.asarray(batch.inputs), jnp.asarray(batch.outputs), batch.oracle))


def _cast(prediction: jnp.ndarray, outputs: jnp.ndarray) -> jnp.ndarray:
    """Real predictions for real data (complex-conjugate steps give a real predictor up to rounding)."""
    return prediction if jnp.iscomplexobj(outputs) else jnp.real(prediction)


def _json(values: np.ndarray) -> Any:
    if np.iscomplexobj(values):
        return {"real": values.real.tolist(), "imag": values.imag.tolist()}
    return values.tolist()


def parse_algorithm(spec: object) -> Algorithm:
    """Parse an algorithm spec (table in the module docstring); one-line :class:`~mesasym.errors.InvalidInputError` otherwise."""
    parsed = parse_spec(spec, kind="algorithm", families=ALGORITHM_FAMILIES)
    values = parsed.values
    if parsed.name in ("gd", "pgd"):
        k = _integer(str(values["k"]), f"{parsed.name}: k", 1, K_MAX)
        if parsed.name == "pgd":
            precond = str(values["precond"]).lower()
            require(precond in ("diag", "full"), f"pgd: precond={values['precond']!r} must be 'diag' or 'full'")
            return Algorithm("pgd", k, precond)
        steps_text = values["steps"]
        steps_text = (steps_text,) if isinstance(steps_text, str) else tuple(steps_text)
        if len(steps_text) == 1 and steps_text[0].lower() == "fit":
            return Algorithm("gd", k)
        require(len(steps_text) == k, f"gd: {len(steps_text)} steps given for k={k}; give k step sizes or steps=fit")
        steps = np.array([_real(s, "gd: step") for s in steps_text])
        return Algorithm("gd", k, params={"coefficients": steps_to_coefficients(steps)})
    if parsed.name == "ridge":
        text = str(values["lambda"])
        if text.lower() == "fit":
            return Algorithm("ridge")
        lam = _real(text, "ridge: lambda")
        require(lam > 0, f"ridge: lambda={text} must be > 0 (lambda = 0 is 'ols') or 'fit'")
        return Algorithm("ridge", params={"lambda": lam})
    return Algorithm(parsed.name)

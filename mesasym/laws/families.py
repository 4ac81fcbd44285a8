"""Laws with i.i.d. coordinates: Gaussian, uniform, Rademacher, Laplace, Student t,
Bernoulli-Gaussian, shifted Gaussian and discrete (exact moments per coordinate)."""

from __future__ import annotations

import functools
import math
from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy

from mesasym.errors import InvalidInputError
from mesasym.laws.base import (
    KAPPA_LABELS,
    Assumption2Report,
    InitialTokenDistribution,
    Kappas,
    check_order,
)
from mesasym.laws.numbers import (
    exact_number,
    is_finite_number,
    is_zero_number,
    positive_finite,
    check_probabilities,
    real_finite,
    show_number,
    sign_of,
    values_tuple,
)

# --------------------------------------------------------------------------
# i.i.d. coordinates
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _coordinate_moments(law: IIDCoordinateLaw, up_to: int) -> tuple[sympy.Expr, ...]:
    return tuple(law.coordinate_moment(k) for k in range(up_to + 1))


class IIDCoordinateLaw(InitialTokenDistribution):
    r"""A law whose ``d`` coordinates are i.i.d. copies of one scalar law.

    By independence,
    :math:`E[x_{1,i_1} \cdots x_{1,i_k}] = \prod_j m_{c_j}`, where
    :math:`c_j` is the number of times coordinate ``j`` occurs among the
    indices and :math:`m_c = E[x^c]` is the scalar moment
    (:meth:`coordinate_moment`). Hence :math:`\kappa_1 = m_4`,
    :math:`\kappa_2 = m_6`, :math:`\kappa_3 = (d-1) m_2 m_4`.
    """

    @property
    def exchangeable(self) -> bool:
        return True

    @abstractmethod
    def coordinate_moment(self, k: int) -> sympy.Expr:
        """Exact ``E[x^k]`` of one coordinate (``k >= 0``)."""

    @abstractmethod
    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        """I.i.d. draws of one coordinate, float64 array of the given shape."""

    def _check_not_degenerate(self) -> None:
        if is_zero_number(self.coordinate_moment(2)):
            raise InvalidInputError(
                f"{self.spec()} is the degenerate law x_1 = 0 almost surely "
                "(then kappa1 = kappa2 = 0 and the fixed point is undefined)"
            )

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        """``n`` draws of ``x_1``: an ``(n, d)`` float64 array of i.i.d. coordinates."""
        count = self._sample_count(rng, n, d)
        out = np.asarray(self._sample_coordinates(rng, (count, int(d))), dtype=np.float64)
        return out

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        r"""Exact moment :math:`\prod_j m_{c_j}` (see the class docstring)."""
        checked = self._check_indices(indices, d)
        counts = Counter(checked)
        if not counts:
            return sympy.Integer(1)
        moments = _coordinate_moments(self, max(counts.values()))
        return sympy.Mul(*(moments[c] for c in counts.values()))

    def kappas(self, d: int) -> Kappas:
        """Closed form ``kappa1 = m4``, ``kappa2 = m6``, ``kappa3 = (d-1) m2 m4``, second moment ``m2``."""
        self.validate_dimension(d)
        m = _coordinate_moments(self, 6)
        return Kappas(m[4], m[6], (int(d) - 1) * m[2] * m[4], m[2])

    def check_assumption2(self, d: int) -> Assumption2Report:
        r"""Assumption 2 for i.i.d. coordinates reduces to :math:`E[x] = 0`.

        *Proof.* Let :math:`M = x_{i_1} x_{i_2}^{r_2} \cdots x_{i_n}^{r_n}`
        with distinct indices and :math:`r_1 = 1`. By independence
        :math:`E[M] = E[x] \prod_{l \ge 2} E[x^{r_l}]`, which is 0 when
        :math:`E[x] = 0` (all factors are finite: the sixth moment is finite
        by construction, and only degrees :math:`\le 6` are involved).
        Conversely, the monomial :math:`x_{1,1}` alone (``n = 1``) has mean
        :math:`E[x]`, so :math:`E[x] \ne 0` violates the assumption. The
        kappas are the same for every coordinate because the coordinates are
        identically distributed, and finite because :math:`m_6 < \infty`.
        """
        self.validate_dimension(d)
        reasons = []
        mean = self.coordinate_moment(1)
        if not is_zero_number(mean):
            reasons.append(
                f"E[x_{{1,1}}] = {sympy.sstr(mean)} is not 0 (the coordinates do not have mean zero)"
            )
        for label, value in zip(KAPPA_LABELS, self.kappas(d).as_floats()):
            if not math.isfinite(value):
                reasons.append(f"{label} = {value} is not finite")
        return Assumption2Report(not reasons, tuple(reasons))


def _gaussian_moment(k: int, sigma: sympy.Expr) -> sympy.Expr:
    """``E[(sigma Z)^k]`` for standard normal ``Z``: ``sigma^k (k-1)!!`` for even ``k``, else 0."""
    if k % 2:
        return sympy.Integer(0)
    return sigma**k * sympy.factorial2(k - 1)


@dataclass(frozen=True)
class Gaussian(IIDCoordinateLaw):
    """``x_1 ~ N(0, sigma^2 I_d)``; ``E[x^k] = sigma^k (k-1)!!`` for even ``k``."""

    sigma: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "gaussian"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("sigma", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        return _gaussian_moment(check_order(k), self.sigma)

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return float(self.sigma) * rng.standard_normal(shape)


@dataclass(frozen=True)
class Uniform(IIDCoordinateLaw):
    """Coordinates uniform on ``[-w, w]``; ``E[x^k] = w^k / (k + 1)`` for even ``k``."""

    w: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "uniform"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("w", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "w", positive_finite(self.w, "w", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        return sympy.Integer(0) if k % 2 else self.w**k / (k + 1)

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        w = float(self.w)
        return rng.uniform(-w, w, size=shape)


@dataclass(frozen=True)
class Rademacher(IIDCoordinateLaw):
    """Coordinates ``+s`` or ``-s`` with probability 1/2 each; ``E[x^k] = s^k`` for even ``k``."""

    s: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "rademacher"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("s", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "s", positive_finite(self.s, "s", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        return sympy.Integer(0) if k % 2 else self.s**k

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        signs = 2.0 * rng.integers(0, 2, size=shape) - 1.0
        return float(self.s) * signs


@dataclass(frozen=True)
class Laplace(IIDCoordinateLaw):
    """Coordinates with density ``exp(-|x|/scale) / (2 scale)``; ``E[x^k] = k! scale^k`` for even ``k``."""

    scale: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "laplace"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("scale", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", positive_finite(self.scale, "scale", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        return sympy.Integer(0) if k % 2 else sympy.factorial(k) * self.scale**k

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return rng.laplace(0.0, float(self.scale), size=shape)


@dataclass(frozen=True)
class StudentT(IIDCoordinateLaw):
    r"""Coordinates standard Student t with ``nu`` degrees of freedom (``nu > 6``).

    For even :math:`k < \nu`,
    :math:`E[x^k] = \nu^{k/2} \prod_{i=1}^{k/2} \frac{2i - 1}{\nu - 2i}`;
    odd moments of order :math:`< \nu` vanish; even moments of order
    :math:`\ge \nu` are infinite and odd ones do not exist. Assumption 2 needs
    the sixth moment, hence :math:`\nu > 6`.
    """

    nu: sympy.Expr = sympy.Integer(9)
    name: ClassVar[str] = "student-t"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("nu", False, "9"),)

    def __post_init__(self) -> None:
        nu = positive_finite(self.nu, "nu", self.name)
        if sign_of(nu - 6) <= 0:
            raise InvalidInputError(
                f"{self.name}: nu={show_number(self.nu)} gives an infinite sixth moment E[x^6] "
                "(the t law has finite moments only of order < nu); nu must be > 6"
            )
        object.__setattr__(self, "nu", nu)

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        below_nu = sign_of(self.nu - k) > 0
        if k % 2:
            if below_nu:
                return sympy.Integer(0)
            raise InvalidInputError(
                f"{self.name}: E[x^{k}] does not exist for nu={sympy.sstr(self.nu)} (only moments of order < nu do)"
            )
        if not below_nu:
            return sympy.oo
        half = k // 2
        return self.nu**half * sympy.Mul(
            *(sympy.Integer(2 * i - 1) / (self.nu - 2 * i) for i in range(1, half + 1))
        )

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return rng.standard_t(float(self.nu), size=shape)


@dataclass(frozen=True)
class BernoulliGaussian(IIDCoordinateLaw):
    """Each coordinate ``N(0, sigma^2)`` with probability ``p``, else 0 (``0 < p <= 1``).

    ``E[x^k] = p sigma^k (k-1)!!`` for even ``k >= 2``, 0 for odd ``k``, 1 for ``k = 0``.
    """

    p: sympy.Expr = sympy.Rational(3, 10)
    sigma: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "bernoulli-gaussian"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (
        ("p", False, "0.3"),
        ("sigma", False, "1"),
    )

    def __post_init__(self) -> None:
        p = exact_number(self.p, "p", self.name)
        if not is_finite_number(p) or sign_of(p) <= 0 or sign_of(p - 1) > 0:
            extra = " (p = 0 is the degenerate law x_1 = 0)" if is_finite_number(p) and is_zero_number(p) else ""
            raise InvalidInputError(f"{self.name}: p={show_number(self.p)} must be in (0, 1]{extra}")
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "sigma", positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        if k == 0:
            return sympy.Integer(1)
        return self.p * _gaussian_moment(k, self.sigma)

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        active = rng.random(shape) < float(self.p)
        return float(self.sigma) * rng.standard_normal(shape) * active


@dataclass(frozen=True)
class ShiftedGaussian(IIDCoordinateLaw):
    r"""``x_1 ~ N(mu 1_d, sigma^2 I_d)``; violates Assumption 2 when ``mu != 0``.

    :math:`E[x^k] = \sum_{i \text{ even}} \binom{k}{i} \mu^{k-i} \sigma^i (i-1)!!`.
    """

    mu: sympy.Expr = sympy.Rational(1, 2)
    sigma: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "shifted-gaussian"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (
        ("mu", False, "0.5"),
        ("sigma", False, "1"),
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", real_finite(self.mu, "mu", self.name))
        object.__setattr__(self, "sigma", positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        terms = (
            sympy.binomial(k, i) * self.mu ** (k - i) * _gaussian_moment(i, self.sigma)
            for i in range(0, k + 1, 2)
        )
        return sympy.expand(sympy.Add(*terms))

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return float(self.mu) + float(self.sigma) * rng.standard_normal(shape)


def merge_atoms(
    atoms: Sequence[Any], probs: Sequence[sympy.Expr]
) -> tuple[tuple[Any, ...], tuple[sympy.Expr, ...]]:
    """Merge equal atoms (adding their probabilities), drop probability-0 atoms, sort."""
    merged: dict[Any, sympy.Expr] = {}
    for atom, p in zip(atoms, probs):
        merged[atom] = merged.get(atom, sympy.Integer(0)) + p
    kept = [(atom, p) for atom, p in merged.items() if not is_zero_number(p)]

    def key(item: tuple[Any, sympy.Expr]) -> tuple[Any, ...]:
        atom = item[0]
        entries = atom if isinstance(atom, tuple) else (atom,)
        return (tuple(float(v) for v in entries), tuple(sympy.srepr(v) for v in entries))

    kept.sort(key=key)
    return tuple(a for a, _ in kept), tuple(p for _, p in kept)


def cumulative_probs(probs: Sequence[sympy.Expr]) -> np.ndarray:
    cumulative = np.cumsum([float(p) for p in probs])
    cumulative[-1] = 1.0
    return cumulative


@dataclass(frozen=True)
class Discrete(IIDCoordinateLaw):
    """I.i.d. coordinates taking ``values[a]`` with probability ``probs[a]``.

    Probabilities must be in ``[0, 1]`` and sum exactly to 1. The stored form
    is canonical: equal atoms are merged, probability-0 atoms dropped, atoms
    sorted. ``E[x^k] = sum_a probs[a] values[a]^k``.
    """

    values: tuple[sympy.Expr, ...]
    probs: tuple[sympy.Expr, ...]
    name: ClassVar[str] = "discrete"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (
        ("values", True, None),
        ("probs", True, None),
    )

    def __post_init__(self) -> None:
        raw_values = values_tuple(self.values, "values", self.name)
        raw_probs = values_tuple(self.probs, "probs", self.name)
        if len(raw_values) != len(raw_probs):
            raise InvalidInputError(
                f"{self.name}: values has {len(raw_values)} entries but probs has {len(raw_probs)}; "
                "they must have the same length"
            )
        values = [
            real_finite(v, f"values[{i}]", self.name) for i, v in enumerate(raw_values, start=1)
        ]
        probs = check_probabilities(raw_probs, "probs", self.name)
        values_t, probs_t = merge_atoms(values, probs)
        object.__setattr__(self, "values", values_t)
        object.__setattr__(self, "probs", probs_t)
        self._check_not_degenerate()

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = check_order(k)
        return sympy.expand(sympy.Add(*(p * v**k for v, p in zip(self.values, self.probs))))

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        atoms = np.array([float(v) for v in self.values], dtype=np.float64)
        which = np.searchsorted(cumulative_probs(self.probs), rng.random(shape), side="right")
        return atoms[which]



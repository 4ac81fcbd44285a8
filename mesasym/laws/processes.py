r"""Transition laws of the AR process: the law of each eigenvalue :math:`\lambda_j` of ``W``.

The paper (THEORY §1) fixes :math:`W = \operatorname{diag}(\lambda_1,\dots,\lambda_d)` with
:math:`\lambda_j = e^{i\theta_j}`, :math:`\theta_j` i.i.d. uniform; its proof uses one property of
that law, :math:`E\lambda^m = [m = 0]`. Here the :math:`\lambda_j` stay i.i.d. across coordinates and
independent of :math:`x_1`, but their common law is one of

* ``uniform`` — the paper's: :math:`E[\lambda^a\bar\lambda^b] = [a = b]`;
* ``roots:k=K`` — :math:`\theta` uniform on the ``K``-th roots of unity:
  :math:`E[\lambda^a\bar\lambda^b] = [K \mid a - b]` (``K = 1``: :math:`W = I`; ``K = 2``: :math:`\pm 1`);
* ``von-mises:kappa=K`` — :math:`\theta` von Mises around 0 with concentration :math:`\kappa \ge 0`:
  :math:`E[\lambda^a\bar\lambda^b] = I_{|a-b|}(\kappa)/I_0(\kappa)` (modified Bessel functions;
  :math:`\kappa = 0` is the uniform law, :math:`\kappa \to \infty` tends to :math:`W = I`);
* ``damped:r=R`` — :math:`\lambda = R e^{i\theta}`, :math:`\theta` uniform, :math:`0 < R \le 1`:
  :math:`E[\lambda^a\bar\lambda^b] = R^{a+b}[a = b]` (a stable process; ``R = 1`` is uniform);
* ``mixture:components=[...],[...];weights=...`` — per coordinate, one component drawn by weight:
  :math:`E[\lambda^a\bar\lambda^b] = \sum_c w_c E_c[\lambda^a\bar\lambda^b]`.

Every one of these laws is symmetric under :math:`\theta \to -\theta`, so all moments are real
(the population engine relies on that). Each law has a sampler (explicit
``numpy.random.Generator``), exact moments :meth:`TransitionLaw.moment` (SymPy; Bessel ratios as
``besseli`` expressions) and float tables :meth:`TransitionLaw.moment_matrix` (mpmath at 40
digits, then rounded once). Specs round-trip: ``parse_process(law.spec()) == law``.

Example::

    >>> parse_process("roots:k=4").moment(5, 1)
    1
    >>> parse_process("damped:r=1/2").moment(2, 2)
    1/16
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import mpmath
import numpy as np
import sympy

from mesasym.errors import InvalidInputError
from mesasym.laws.families import _cumulative
from mesasym.laws.numbers import (
    _as_index,
    _check_count,
    _check_rng,
    _exact,
    _find_top_level,
    _format_number,
    _is_finite,
    _is_zero,
    _probabilities,
    _sign,
    _show,
    _split_top_level,
    _values_tuple,
)

__all__ = [
    "PROCESS_NAMES",
    "TransitionLaw",
    "UniformPhases",
    "RootsOfUnity",
    "VonMises",
    "Damped",
    "ProcessMixture",
    "parse_process",
    "is_uniform_process",
]

_DIGITS = 40  # mpmath precision of the float moment tables (rounded once to float64)


class TransitionLaw(ABC):
    """The common law of the eigenvalues :math:`\\lambda_j` of ``W`` (i.i.d. over ``j``)."""

    name: ClassVar[str]
    #: ``(key, default text or None)`` in spec order.
    _spec_keys: ClassVar[tuple[tuple[str, str | None], ...]] = ()

    @property
    def unit_modulus(self) -> bool:
        """True if :math:`|\\lambda| = 1` almost surely (moments depend on ``a - b`` only)."""
        return True

    def spec(self) -> str:
        """Canonical text spec; ``parse_process(law.spec()) == law``."""
        items = [(key, _format_number(getattr(self, key))) for key, _ in self._spec_keys]
        return self.name + (":" + ",".join(f"{k}={v}" for k, v in items) if items else "")

    def __str__(self) -> str:
        return self.spec()

    @abstractmethod
    def moment(self, a: int, b: int) -> sympy.Expr:
        """Exact :math:`E[\\lambda^a \\bar\\lambda^b]` for integers ``a, b >= 0``."""

    @abstractmethod
    def _sample(self, rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
        """Angles and moduli (``None`` if all 1) of ``shape`` i.i.d. draws."""

    def sample(self, rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``(theta, modulus)`` of ``n x d`` i.i.d. eigenvalues :math:`\\lambda = |\\lambda| e^{i\\theta}`.

        ``modulus`` is ``None`` when :math:`|\\lambda| = 1` for every draw of this law.
        """
        _check_rng(rng)
        shape = (_check_count(n), _as_index(d, "d"))
        if shape[1] < 1:
            raise InvalidInputError(f"d={d!r} must be a positive integer (the token dimension)")
        return self._sample(rng, shape)

    def _moment_float(self, a: int, b: int) -> mpmath.mpf:
        return mpmath.mpf(sympy.N(self.moment(a, b), _DIGITS))

    def moment_mpf(self, a: int, b: int) -> mpmath.mpf:
        """:math:`E[\\lambda^a \\bar\\lambda^b]` as an mpmath number at the current precision."""
        a, b = _exponents(a, b)
        with mpmath.workdps(max(mpmath.mp.dps, 15) + 10):
            value = self._moment_float(a, b)
        return +value

    def moment_matrix(self, n: int) -> np.ndarray:
        """Float64 ``(n+1, n+1)`` array ``M[a, b]`` = :math:`E[\\lambda^a \\bar\\lambda^b]`, ``a, b <= n``."""
        size = _as_index(n, "n")
        if size < 0:
            raise InvalidInputError(f"n={n!r} must be a non-negative integer")
        return _moment_matrix(self, size).copy()


@functools.lru_cache(maxsize=32)
def _moment_matrix(law: TransitionLaw, n: int) -> np.ndarray:
    out = np.empty((n + 1, n + 1))
    with mpmath.workdps(_DIGITS):
        if law.unit_modulus:  # depends on a - b only: n + 1 distinct values
            phi = [float(law._moment_float(m, 0)) for m in range(n + 1)]
            index = np.abs(np.subtract.outer(np.arange(n + 1), np.arange(n + 1)))
            out[:] = np.asarray(phi)[index]
        else:
            for a in range(n + 1):
                for b in range(n + 1):
                    out[a, b] = float(law._moment_float(a, b))
    out.setflags(write=False)
    return out


def _uniform_angles(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    # Exactly the call of mesasym.tasks.sequences.sample_phases (same stream).
    return rng.uniform(0.0, 2.0 * np.pi, size=shape)


@dataclass(frozen=True)
class UniformPhases(TransitionLaw):
    """The paper's law: :math:`\\theta` uniform on :math:`[0, 2\\pi)`; :math:`E[\\lambda^a\\bar\\lambda^b] = [a = b]`."""

    name: ClassVar[str] = "uniform"

    def moment(self, a: int, b: int) -> sympy.Expr:
        a, b = _exponents(a, b)
        return sympy.Integer(int(a == b))

    def _sample(self, rng, shape):
        return _uniform_angles(rng, shape), None


@dataclass(frozen=True)
class RootsOfUnity(TransitionLaw):
    """:math:`\\theta = 2\\pi U / K`, ``U`` uniform on ``{0..K-1}``; :math:`E[\\lambda^a\\bar\\lambda^b] = [K \\mid a-b]`."""

    k: int
    name: ClassVar[str] = "roots"
    _spec_keys: ClassVar[tuple[tuple[str, str | None], ...]] = (("k", None),)

    def __post_init__(self) -> None:
        value = _exact(self.k, "k", self.name)
        if not (isinstance(value, sympy.Integer) and value >= 1):
            raise InvalidInputError(f"{self.name}: k={_show(self.k)} must be an integer >= 1 (the number of roots)")
        object.__setattr__(self, "k", int(value))

    def spec(self) -> str:
        return f"{self.name}:k={self.k}"

    def moment(self, a: int, b: int) -> sympy.Expr:
        a, b = _exponents(a, b)
        return sympy.Integer(int((a - b) % self.k == 0))

    def _sample(self, rng, shape):
        return 2.0 * np.pi * rng.integers(0, self.k, size=shape) / self.k, None


@dataclass(frozen=True)
class VonMises(TransitionLaw):
    """:math:`\\theta` von Mises(0, :math:`\\kappa`); :math:`E[\\lambda^a\\bar\\lambda^b] = I_{|a-b|}(\\kappa)/I_0(\\kappa)`."""

    kappa: sympy.Expr
    name: ClassVar[str] = "von-mises"
    _spec_keys: ClassVar[tuple[tuple[str, str | None], ...]] = (("kappa", None),)

    def __post_init__(self) -> None:
        value = _exact(self.kappa, "kappa", self.name)
        if not _is_finite(value) or _sign(value) < 0:
            raise InvalidInputError(
                f"{self.name}: kappa={_show(self.kappa)} must be a finite number >= 0 (the concentration)"
            )
        object.__setattr__(self, "kappa", value)

    def moment(self, a: int, b: int) -> sympy.Expr:
        a, b = _exponents(a, b)
        m = abs(a - b)
        if m == 0:
            return sympy.Integer(1)
        if _is_zero(self.kappa):
            return sympy.Integer(0)
        return sympy.besseli(m, self.kappa) / sympy.besseli(0, self.kappa)

    def _moment_float(self, a: int, b: int) -> mpmath.mpf:
        m = abs(a - b)
        if m == 0:
            return mpmath.mpf(1)
        kappa = mpmath.mpf(sympy.N(self.kappa, _DIGITS + 10))
        if kappa == 0:
            return mpmath.mpf(0)
        return mpmath.besseli(m, kappa) / mpmath.besseli(0, kappa)

    def _sample(self, rng, shape):
        return rng.vonmises(0.0, float(self.kappa), size=shape), None


@dataclass(frozen=True)
class Damped(TransitionLaw):
    """:math:`\\lambda = R e^{i\\theta}`, :math:`\\theta` uniform; :math:`E[\\lambda^a\\bar\\lambda^b] = R^{a+b}[a = b]`."""

    r: sympy.Expr
    name: ClassVar[str] = "damped"
    _spec_keys: ClassVar[tuple[tuple[str, str | None], ...]] = (("r", None),)

    def __post_init__(self) -> None:
        value = _exact(self.r, "r", self.name)
        if not _is_finite(value) or _sign(value) <= 0 or _sign(value - 1) > 0:
            raise InvalidInputError(
                f"{self.name}: r={_show(self.r)} must be a number with 0 < r <= 1 (the modulus of every eigenvalue)"
            )
        object.__setattr__(self, "r", value)

    @property
    def unit_modulus(self) -> bool:
        return bool(_is_zero(self.r - 1))

    def moment(self, a: int, b: int) -> sympy.Expr:
        a, b = _exponents(a, b)
        return self.r ** (a + b) if a == b else sympy.Integer(0)

    def _sample(self, rng, shape):
        return _uniform_angles(rng, shape), np.full(shape, float(self.r))


@dataclass(frozen=True)
class ProcessMixture(TransitionLaw):
    """Each :math:`\\lambda_j` from component ``c`` with probability ``weights[c]`` (independently over ``j``)."""

    components: tuple[TransitionLaw, ...]
    weights: tuple[sympy.Expr, ...]
    name: ClassVar[str] = "mixture"

    def __post_init__(self) -> None:
        components = _values_tuple(self.components, "components", self.name)
        raw = _values_tuple(self.weights, "weights", self.name)
        if len(components) != len(raw):
            raise InvalidInputError(
                f"{self.name}: components has {len(components)} entries but weights has {len(raw)}; "
                "they must have the same length"
            )
        for c, component in enumerate(components, start=1):
            if not isinstance(component, TransitionLaw):
                raise InvalidInputError(f"{self.name}: components[{c}]={component!r} is not a transition law")
        object.__setattr__(self, "components", tuple(components))
        object.__setattr__(self, "weights", _probabilities(raw, "weights", self.name))

    @property
    def unit_modulus(self) -> bool:
        return all(c.unit_modulus for c in self.components)

    def spec(self) -> str:
        components = ",".join(f"[{c.spec()}]" for c in self.components)
        weights = ",".join(_format_number(w) for w in self.weights)
        return f"{self.name}:components={components};weights={weights}"

    def moment(self, a: int, b: int) -> sympy.Expr:
        a, b = _exponents(a, b)
        return sympy.Add(*(w * c.moment(a, b) for c, w in zip(self.components, self.weights)))

    def _moment_float(self, a: int, b: int) -> mpmath.mpf:
        return mpmath.fsum(
            mpmath.mpf(sympy.N(w, _DIGITS)) * c._moment_float(a, b) for c, w in zip(self.components, self.weights)
        )

    def _sample(self, rng, shape):
        which = np.searchsorted(_cumulative(self.weights), rng.random(shape), side="right")
        theta = np.empty(shape)
        modulus = None if self.unit_modulus else np.ones(shape)
        for c, component in enumerate(self.components):
            chosen = which == c
            angles, moduli = component._sample(rng, (int(chosen.sum()), 1))
            theta[chosen] = angles[:, 0]
            if modulus is not None and moduli is not None:
                modulus[chosen] = moduli[:, 0]
        return theta, modulus


def _exponents(a: Any, b: Any) -> tuple[int, int]:
    a, b = _as_index(a, "exponent a"), _as_index(b, "exponent b")
    if a < 0 or b < 0:
        raise InvalidInputError(f"exponents a={a}, b={b} of E[lambda^a conj(lambda)^b] must be integers >= 0")
    return a, b


def is_uniform_process(process: TransitionLaw | None) -> bool:
    """True for ``None`` (the default) and the paper's uniform law: the paper's code paths apply."""
    return process is None or isinstance(process, UniformPhases)


_FAMILIES: dict[str, type[TransitionLaw]] = {
    cls.name: cls for cls in (UniformPhases, RootsOfUnity, VonMises, Damped, ProcessMixture)
}

#: The valid process spec names, in documentation order.
PROCESS_NAMES: tuple[str, ...] = tuple(_FAMILIES)

_KEYS = {"uniform": (), "roots": ("k",), "von-mises": ("kappa",), "damped": ("r",), "mixture": ("components", "weights")}


def parse_process(spec: str | TransitionLaw | None) -> TransitionLaw:
    """Parse a process spec (``uniform``, ``roots:k=4``, ``von-mises:kappa=2``, ``damped:r=0.8``,
    ``mixture:components=[roots:k=2],[uniform];weights=1/2,1/2``) into a :class:`TransitionLaw`.

    ``None`` gives the paper's ``uniform``; a law is returned as it is. Numbers are read exactly
    (``0.8`` is ``4/5``); names and keys are case-insensitive; every key is required.
    """
    if spec is None:
        return UniformPhases()
    if isinstance(spec, TransitionLaw):
        return spec
    if not isinstance(spec, str):
        raise InvalidInputError(f"process spec {spec!r} must be a string such as 'von-mises:kappa=2'")
    text = spec.strip()
    name, _, rest = text.partition(":")
    name = name.strip().lower()
    if name not in _FAMILIES:
        raise InvalidInputError(
            f"unknown process {name!r} in spec {text!r}; valid processes are: "
            "uniform, roots:k=K, von-mises:kappa=K, damped:r=R, mixture:components=[...],[...];weights=w1,w2"
        )
    keys = _KEYS[name]
    valid = ", ".join(keys) if keys else "none (this process has no parameters)"
    given: dict[str, list[str]] = {}
    current: str | None = None
    if rest.strip():
        for token in _split_top_level(rest, ",;"):
            token = token.strip()
            if not token:
                raise InvalidInputError(f"{name}: empty parameter in process spec {text!r}")
            equals = _find_top_level(token, "=")
            if equals < 0:
                if current is None or current not in ("components", "weights"):
                    raise InvalidInputError(
                        f"{name}: {token!r} in process spec {text!r} is not of the form key=value; valid keys: {valid}"
                    )
                given[current].append(token)
                continue
            key, value = token[:equals].strip().lower(), token[equals + 1 :].strip()
            if key not in keys:
                raise InvalidInputError(f"{name}: unknown key {key!r} in process spec {text!r}; valid keys: {valid}")
            if key in given:
                raise InvalidInputError(f"{name}: key {key!r} is given twice in process spec {text!r}")
            if not value:
                raise InvalidInputError(f"{name}: key {key!r} has no value in process spec {text!r}")
            given[key] = [value]
            current = key
    missing = [key for key in keys if key not in given]
    if missing:
        raise InvalidInputError(f"{name}: missing key {missing[0]!r} in process spec {text!r}; valid keys: {valid}")
    for key in keys:
        if key not in ("components", "weights") and len(given[key]) > 1:
            raise InvalidInputError(f"{name}: key {key!r} takes one value, got {', '.join(given[key])}")
    if name == "uniform":
        return UniformPhases()
    if name == "roots":
        return RootsOfUnity(given["k"][0])
    if name == "von-mises":
        return VonMises(given["kappa"][0])
    if name == "damped":
        return Damped(given["r"][0])
    components = []
    for token in given["components"]:
        token = token.strip()
        if not (token.startswith("[") and token.endswith("]")):
            raise InvalidInputError(f"mixture: component {token!r} must be written in brackets, e.g. [roots:k=2]")
        components.append(parse_process(token[1:-1]))
    return ProcessMixture(tuple(components), tuple(given["weights"]))

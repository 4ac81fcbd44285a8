r"""Laws of the first token :math:`x_1 \in \mathbb{R}^d`, with exact moments.

This module is one of mesasym's independent sources of truth (THEORY §1, §4):
every law of ``x_1`` knows

* how to **sample** itself (vectorized NumPy, explicit ``numpy.random.Generator``);
* its **exact moments** :math:`E[x_{1,i_1} \cdots x_{1,i_k}]` as SymPy numbers;
* the constants of Assumption 2,

  .. math::

     \kappa_1 = E[x_{1,j}^4], \qquad \kappa_2 = E[x_{1,j}^6], \qquad
     \kappa_3 = \sum_{r \ne j} E[x_{1,j}^2 x_{1,r}^4];

* whether it satisfies **Assumption 2** (:meth:`InitialTokenDistribution.check_assumption2`).

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

import ast
import functools
import itertools
import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import sympy

from mesasym.errors import InvalidInputError

__all__ = [
    "DISTRIBUTION_NAMES",
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

#: Highest total degree of the monomials Assumption 2 is checked on (see
#: :meth:`InitialTokenDistribution.check_assumption2`).
ASSUMPTION2_MAX_DEGREE = 6
#: Largest number of distinct coordinates in an Assumption-2 monomial (THEORY §4).
ASSUMPTION2_MAX_DISTINCT = 4
#: At most this many offending monomials are listed one by one in a report.
_MAX_LISTED_MONOMIALS = 20


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Kappas:
    r"""The constants of Assumption 2 for one law and one dimension ``d``.

    * ``kappa1`` :math:`= E[x_{1,j}^4]`
    * ``kappa2`` :math:`= E[x_{1,j}^6]`
    * ``kappa3`` :math:`= \sum_{r \ne j} E[x_{1,j}^2 x_{1,r}^4]`
    * ``second_moment`` :math:`= \frac1d \sum_j E[x_{1,j}^2]` (equal to
      :math:`E[x_{1,j}^2]` whenever that is the same for every ``j``, as it is
      for every exchangeable law), so that :math:`\frac d2`
      ``second_moment`` :math:`= \frac12 E\|x_1\|^2` in the population loss.

    All four are exact SymPy numbers.
    """

    kappa1: sympy.Expr
    kappa2: sympy.Expr
    kappa3: sympy.Expr
    second_moment: sympy.Expr

    def as_floats(self) -> tuple[float, float, float]:
        """``(kappa1, kappa2, kappa3)`` as Python floats."""
        return (float(self.kappa1), float(self.kappa2), float(self.kappa3))


@dataclass(frozen=True)
class Assumption2Report:
    """Outcome of an Assumption-2 check.

    ``reasons`` is empty iff ``satisfied``; each reason is one sentence naming
    the failing condition and the offending value. The report is truthy iff
    the assumption holds.
    """

    satisfied: bool
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.satisfied == bool(self.reasons):
            raise InvalidInputError(
                f"an Assumption2Report with satisfied={self.satisfied!r} must have "
                f"{'no' if self.satisfied else 'at least one'} reason, got {len(self.reasons)}"
            )

    def __bool__(self) -> bool:
        return self.satisfied


# --------------------------------------------------------------------------
# Exact numbers: input conversion, checks, formatting
# --------------------------------------------------------------------------

_NAMED_CONSTANTS: dict[str, sympy.Expr] = {
    "pi": sympy.pi,
    "E": sympy.E,
    "oo": sympy.oo,
    "inf": sympy.oo,
    "infinity": sympy.oo,
    "nan": sympy.nan,
}
_MAX_EXPRESSION_LENGTH = 400
_MAX_DECIMAL_EXPONENT = 400
_MAX_POWER_TERM = 64


class _NotANumber(Exception):
    """Internal: a text is not a number expression we accept."""


def _parse_number_text(text: str) -> sympy.Expr:
    """Read ``text`` as an exact SymPy number.

    Accepted: integers, decimals and scientific notation (read exactly, so
    ``"0.1"`` is ``1/10``), and expressions built from them with ``+ - * / **``,
    parentheses, ``sqrt(...)`` and the constants ``pi`` and ``E`` (this is the
    form ``str`` gives SymPy numbers, so specs round-trip). The text is parsed
    with :mod:`ast` and evaluated node by node; nothing is ``eval``-ed.
    Exponents must be rationals with numerator and denominator at most 64.
    """
    text = text.strip()
    if not text or len(text) > _MAX_EXPRESSION_LENGTH:
        raise _NotANumber
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise _NotANumber from None
    return _evaluate_node(tree.body, text)


def _evaluate_node(node: ast.AST, text: str) -> sympy.Expr:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _NotANumber
        literal = ast.get_source_segment(text, node) or repr(node.value)
        literal = literal.replace("_", "")
        match = re.search(r"[eE]([+-]?\d+)$", literal)
        if match and abs(int(match.group(1))) > _MAX_DECIMAL_EXPONENT:
            raise _NotANumber
        return sympy.Rational(literal)
    if isinstance(node, ast.Name):
        if node.id not in _NAMED_CONSTANTS:
            raise _NotANumber
        return _NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate_node(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "sqrt"
            and len(node.args) == 1
            and not node.keywords
        ):
            return sympy.sqrt(_evaluate_node(node.args[0], text))
        raise _NotANumber
    if isinstance(node, ast.BinOp):
        left = _evaluate_node(node.left, text)
        right = _evaluate_node(node.right, text)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise _NotANumber
            return left / right
        if isinstance(node.op, ast.Pow):
            if not (
                isinstance(right, sympy.Rational)
                and abs(right.p) <= _MAX_POWER_TERM
                and right.q <= _MAX_POWER_TERM
            ):
                raise _NotANumber
            return left**right
    raise _NotANumber


def _show(value: Any) -> str:
    """How a user-supplied value is quoted in an error message."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    return repr(value)


def _exact(value: Any, key: str, family: str) -> sympy.Expr:
    """Convert a parameter to an exact SymPy number (real-valued, possibly infinite).

    Strings are parsed exactly (:func:`_parse_number_text`); Python floats go
    through their decimal ``repr``; SymPy numbers are kept (SymPy ``Float``
    parts are rationalized).
    """
    where = f"{family}: " if family else ""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{where}{key}={value!r} is not a number")
    if isinstance(value, str):
        try:
            result = _parse_number_text(value)
        except _NotANumber:
            raise InvalidInputError(
                f"{where}{key}={_show(value)} is not a number "
                "(write e.g. 2, 0.5, 1/3, 1e-3 or sqrt(2))"
            ) from None
    elif isinstance(value, (int, np.integer)):
        result = sympy.Integer(int(value))
    elif isinstance(value, (float, np.floating)):
        as_float = float(value)
        if not math.isfinite(as_float):
            result = sympy.nan if math.isnan(as_float) else sympy.oo * int(math.copysign(1, as_float))
        else:
            result = sympy.Rational(repr(as_float))
    elif isinstance(value, Fraction):
        result = sympy.Rational(value.numerator, value.denominator)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            result = sympy.nan if value.is_nan() else (sympy.oo if value > 0 else -sympy.oo)
        else:
            result = sympy.Rational(str(value))
    elif isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr) or not value.is_number:
            raise InvalidInputError(
                f"{where}{key}={_show(value)} is not a number (it has free symbols or is not an expression)"
            )
        result = value
        if result.has(sympy.Float):
            result = sympy.nsimplify(result, rational=True)
    else:
        raise InvalidInputError(
            f"{where}{key}={value!r} of type {type(value).__name__} is not a number "
            "(give an int, float, string or SymPy number)"
        )
    if result is sympy.nan or result.has(sympy.nan, sympy.zoo):
        return sympy.nan
    if result.is_extended_real is False or (
        result.is_extended_real is None and sympy.im(sympy.N(result, 50)) != 0
    ):
        raise InvalidInputError(f"{where}{key}={_show(value)} must be a real number")
    return result


def _sign(x: sympy.Expr) -> int:
    """Exact sign (-1, 0, 1) of a real SymPy number."""
    if x.is_zero:
        return 0
    if x.is_positive:
        return 1
    if x.is_negative:
        return -1
    if _is_zero(x):
        return 0
    return 1 if sympy.N(x, 60) > 0 else -1


def _is_zero(x: sympy.Expr) -> bool:
    """Exact test ``x == 0`` for a SymPy number (simplifying when needed)."""
    if x == 0 or x.is_zero is True:
        return True
    if x.is_zero is False or isinstance(x, sympy.Rational):
        return False
    return sympy.simplify(x) == 0


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Exact equality of two SymPy numbers (infinities compare equal to themselves)."""
    if a == b:
        return True
    if not (a.is_finite and b.is_finite):
        return False
    return _is_zero(a - b)


def _is_finite(x: sympy.Expr) -> bool:
    return x is not sympy.nan and bool(x.is_finite)


def _positive_finite(value: Any, key: str, family: str) -> sympy.Expr:
    x = _exact(value, key, family)
    if not _is_finite(x) or _sign(x) <= 0:
        raise InvalidInputError(f"{family}: {key}={_show(value)} must be a positive finite number")
    return x


def _real_finite(value: Any, key: str, family: str) -> sympy.Expr:
    x = _exact(value, key, family)
    if not _is_finite(x):
        raise InvalidInputError(f"{family}: {key}={_show(value)} must be a finite real number")
    return x


def _values_tuple(values: Any, key: str, family: str) -> tuple[Any, ...]:
    """A parameter that must be a non-empty list of numbers, as a tuple."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        if isinstance(values, str) and values.strip():
            values = [v for v in re.split(r"[,;]", values)]
        else:
            raise InvalidInputError(f"{family}: {key}={values!r} must be a non-empty list of numbers")
    result = tuple(values)
    if not result:
        raise InvalidInputError(f"{family}: {key} must be a non-empty list of numbers, got none")
    return result


def _probabilities(values: Any, key: str, family: str) -> tuple[sympy.Expr, ...]:
    """Exact probabilities: each in [0, 1], summing exactly to 1."""
    raw = _values_tuple(values, key, family)
    probs = []
    for position, value in enumerate(raw, start=1):
        p = _exact(value, f"{key}[{position}]", family)
        if not _is_finite(p) or _sign(p) < 0 or _sign(p - 1) > 0:
            raise InvalidInputError(
                f"{family}: {key}[{position}]={_show(value)} must be a probability in [0, 1]"
            )
        probs.append(p)
    total = sympy.Add(*probs)
    if not _same(total, sympy.Integer(1)):
        raise InvalidInputError(
            f"{family}: {key} sum to {sympy.sstr(total)}, but must sum exactly to 1"
        )
    return tuple(probs)


def _format_number(x: sympy.Expr) -> str:
    """Canonical spec text of an exact number (exact decimal where possible, else ``p/q``)."""
    if isinstance(x, sympy.Integer):
        return str(int(x))
    if isinstance(x, sympy.Rational):
        p, q = int(x.p), int(x.q)
        twos = fives = 0
        rest = q
        while rest % 2 == 0:
            rest //= 2
            twos += 1
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        if rest != 1:
            return f"{p}/{q}"
        places = max(twos, fives)
        digits = str(abs(p) * (10**places // q)).rjust(places + 1, "0")
        sign = "-" if p < 0 else ""
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return sympy.sstr(x)


# --------------------------------------------------------------------------
# Argument checks shared by all laws
# --------------------------------------------------------------------------


def _as_index(value: Any, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{what}={value!r} must be an integer")
    try:
        return int(value.__index__())
    except (AttributeError, TypeError):
        raise InvalidInputError(f"{what}={value!r} must be an integer") from None


def _check_count(n: Any) -> int:
    count = _as_index(n, "n")
    if count < 0:
        raise InvalidInputError(f"n={n!r} must be a non-negative integer (the number of samples)")
    return count


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InvalidInputError(
            f"rng={rng!r} must be a numpy.random.Generator (use numpy.random.default_rng(seed))"
        )
    return rng


def _monomial_text(indices: Sequence[int]) -> str:
    """``(0, 1, 1)`` -> ``x_{1,1} x_{1,2}^2`` (paper notation: time 1, 1-based coordinates)."""
    counts = Counter(indices)
    parts = []
    for coordinate in sorted(counts):
        power = counts[coordinate]
        parts.append(f"x_{{1,{coordinate + 1}}}" + (f"^{power}" if power > 1 else ""))
    return " ".join(parts) if parts else "1"


# --------------------------------------------------------------------------
# The abstract law
# --------------------------------------------------------------------------


class InitialTokenDistribution(ABC):
    """A law of the first token ``x_1`` in ``R^d`` (THEORY §1).

    Subclasses are frozen dataclasses: immutable, hashable and compared by value.
    """

    #: Spec name (e.g. ``"gaussian"``).
    name: ClassVar[str]
    #: Spec keys as ``(key, is_list, default_text_or_None)``, in spec order.
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = ()

    @property
    def fixed_dimension(self) -> int | None:
        """``None`` if every ``d >= 1`` is valid, else the only valid ``d``."""
        return None

    @property
    def exchangeable(self) -> bool:
        """True if the law is invariant under every permutation of the coordinates.

        Exchangeable laws have moments that depend only on the multiset of
        powers, which :meth:`moment_tensor` and :meth:`check_assumption2` exploit.
        """
        return False

    # -- text specs ---------------------------------------------------------

    def spec(self) -> str:
        """Canonical text spec; ``parse_distribution(self.spec()) == self``."""
        params = self._spec_items()
        if not params:
            return self.name
        separator = ";" if any(is_list for _, is_list, _ in self._spec_keys) else ","
        return f"{self.name}:" + separator.join(f"{key}={text}" for key, text in params)

    def _spec_items(self) -> list[tuple[str, str]]:
        items = []
        for key, is_list, _ in self._spec_keys:
            value = getattr(self, key)
            text = ",".join(_format_number(v) for v in value) if is_list else _format_number(value)
            items.append((key, text))
        return items

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        """Build the law from parsed spec values (strings, or tuples of strings for list keys)."""
        return cls(**values)

    # -- checks ---------------------------------------------------------------

    def validate_dimension(self, d: int) -> None:
        """Raise :class:`InvalidInputError` unless ``d`` is a valid dimension for this law."""
        dim = _as_index(d, "d")
        if dim < 1:
            raise InvalidInputError(f"d={d!r} must be a positive integer (the token dimension)")
        fixed = self.fixed_dimension
        if fixed is not None and dim != fixed:
            raise InvalidInputError(
                f"d={dim} is not valid for the {self.name} law {self!r}, whose tokens live in R^{fixed}; d must be {fixed}"
            )

    def _check_indices(self, indices: Sequence[int], d: int) -> tuple[int, ...]:
        self.validate_dimension(d)
        if isinstance(indices, (str, bytes)) or not isinstance(indices, Iterable):
            raise InvalidInputError(f"indices={indices!r} must be a sequence of coordinate indices")
        result = tuple(_as_index(i, "coordinate index") for i in indices)
        for i in result:
            if not 0 <= i < d:
                raise InvalidInputError(
                    f"coordinate index {i} is out of range; 0-based indices must lie in [0, {d - 1}] for d={d}"
                )
        return result

    # -- sampling and moments ---------------------------------------------------

    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        """``n`` independent draws of ``x_1``, as a float64 array of shape ``(n, d)``."""

    @abstractmethod
    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        r"""Exact :math:`E[x_{1,i_1} \cdots x_{1,i_k}]` for 0-based ``indices`` (``k = 0`` gives 1)."""

    def moment_tensor(self, order: int, d: int) -> np.ndarray:
        """Float64 array of shape ``(d,) * order`` with entries ``float(moment(index, d))``.

        Vectorized: the entries are grouped by the multiset of indices (or, for
        exchangeable laws, by the multiset of powers, at most ``p(order)``
        groups), :meth:`moment` is evaluated exactly once per group, and the
        rounded values are scattered back. Each entry is therefore exactly
        ``float(self.moment(index, d))``.
        """
        self.validate_dimension(d)
        k = _as_index(order, "order")
        if k < 0:
            raise InvalidInputError(f"order={order!r} must be a non-negative integer")
        if k == 0:
            return np.array(1.0)
        grid = np.indices((d,) * k, dtype=np.int64).reshape(k, -1).T  # (d**k, k)
        rows = np.arange(grid.shape[0])
        if self.exchangeable:
            counts = np.zeros((grid.shape[0], d), dtype=np.int64)
            for axis in range(k):
                counts[rows, grid[:, axis]] += 1
            pattern = -np.sort(-counts, axis=1)[:, :k]  # powers, descending
            base = k + 1
        else:
            pattern = np.sort(grid, axis=1)  # multiset of indices
            base = d
        keys = np.zeros(grid.shape[0], dtype=np.int64)
        for column in range(pattern.shape[1]):
            keys = keys * base + pattern[:, column]
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        values = np.array(
            [float(self.moment(tuple(int(i) for i in grid[f]), d)) for f in first],
            dtype=np.float64,
        )
        return values[inverse.reshape(-1)].reshape((d,) * k)

    # -- Assumption 2 ---------------------------------------------------------

    def _coordinate_kappas(self, j: int, d: int) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr, sympy.Expr]:
        """``(kappa1, kappa2, kappa3, E[x_j^2])`` computed for coordinate ``j`` from :meth:`moment`."""
        kappa1 = self.moment((j,) * 4, d)
        kappa2 = self.moment((j,) * 6, d)
        kappa3 = sympy.Add(*(self.moment((j, j, r, r, r, r), d) for r in range(d) if r != j))
        second = self.moment((j, j), d)
        return kappa1, kappa2, kappa3, second

    def _all_coordinate_kappas(self, d: int) -> list[tuple[sympy.Expr, ...]]:
        coordinates = [0] if self.exchangeable else list(range(d))
        return [self._coordinate_kappas(j, d) for j in coordinates]

    def kappas(self, d: int) -> Kappas:
        r"""Exact :math:`\kappa_1, \kappa_2, \kappa_3` (THEORY §4) and the mean second moment.

        Also defined for laws that violate the mean-zero part of Assumption 2
        (e.g. ``ones``: :math:`\kappa_1 = \kappa_2 = 1`, :math:`\kappa_3 = d - 1`).
        Raises :class:`InvalidInputError` naming the coordinate if a kappa
        differs across coordinates (then it is not defined).
        """
        self.validate_dimension(d)
        per_coordinate = self._all_coordinate_kappas(d)
        for reason in _kappa_disagreements(per_coordinate):
            raise InvalidInputError(f"{self.name}: {reason}, so the kappas are not defined")
        kappa1, kappa2, kappa3, _ = per_coordinate[0]
        if self.exchangeable:
            second = per_coordinate[0][3]
        else:
            second = sympy.Add(*(row[3] for row in per_coordinate)) / d
        return Kappas(kappa1, kappa2, kappa3, second)

    def _assumption2_monomials(self, d: int) -> Iterable[tuple[int, ...]]:
        r"""Index tuples of the Assumption-2 monomials to test (see :meth:`check_assumption2`)."""
        if self.exchangeable:
            # One representative per multiset of powers: coordinates 0, 1, ...
            # carry the powers in increasing order.
            for degree in range(1, ASSUMPTION2_MAX_DEGREE + 1):
                for powers in _partitions(degree, min(d, ASSUMPTION2_MAX_DISTINCT)):
                    if 1 in powers:
                        ascending = sorted(powers)
                        yield tuple(c for c, r in enumerate(ascending) for _ in range(r))
            return
        for degree in range(1, ASSUMPTION2_MAX_DEGREE + 1):
            for indices in itertools.combinations_with_replacement(range(d), degree):
                counts = Counter(indices)
                if len(counts) <= ASSUMPTION2_MAX_DISTINCT and 1 in counts.values():
                    yield indices

    def check_assumption2(self, d: int) -> Assumption2Report:
        r"""Check Assumption 2 (THEORY §4) for this law in dimension ``d``.

        *Mean-zero part.* Every monomial
        :math:`x_{1,i_1} x_{1,i_2}^{r_2} \cdots x_{1,i_n}^{r_n}` with distinct
        :math:`i_1, \dots, i_n`, :math:`n \le 4`, in which some coordinate
        appears to the first power, must have mean 0. Only monomials of total
        degree :math:`\le 6` are checked: the prediction :math:`\hat y_t` is
        cubic in :math:`x_1` (``P S_t Q z_t`` with :math:`S_t` quadratic and
        :math:`z_t` linear), so the population loss and its gradient involve
        only the moments of degree 2, 4 and 6 of :math:`x_1` -- these are all
        the moments the theorem uses. For an exchangeable law one monomial per
        multiset of powers suffices (its mean is invariant under permuting the
        coordinates); otherwise every index tuple is enumerated (so ``d``
        should be small: there are at most ``C(d + 6, 6)`` tuples).

        *Kappa part.* :math:`\kappa_1, \kappa_2, \kappa_3` must be finite and
        the same for every coordinate ``j``.

        Each failure gives one reason naming the monomial (in the paper's
        notation, coordinates 1-based) and its exact value.
        """
        self.validate_dimension(d)
        reasons: list[str] = []
        offending = []
        for indices in self._assumption2_monomials(d):
            value = self.moment(indices, d)
            if not _is_zero(value):
                offending.append((indices, value))
        for indices, value in offending[:_MAX_LISTED_MONOMIALS]:
            first_power = min(c for c, r in Counter(indices).items() if r == 1)
            suffix = (
                "; by exchangeability the same holds for any distinct coordinates"
                if self.exchangeable and len(set(indices)) > 1
                else ""
            )
            reasons.append(
                f"E[{_monomial_text(indices)}] = {sympy.sstr(value)} is not 0 "
                f"(x_{{1,{first_power + 1}}} appears to the first power, so the mean must be zero{suffix})"
            )
        if len(offending) > _MAX_LISTED_MONOMIALS:
            reasons.append(
                f"{len(offending) - _MAX_LISTED_MONOMIALS} further monomials of degree <= "
                f"{ASSUMPTION2_MAX_DEGREE} with a coordinate to the first power have a nonzero mean"
            )
        reasons.extend(self._kappa_reasons(d))
        return Assumption2Report(not reasons, tuple(reasons))

    def _kappa_reasons(self, d: int) -> list[str]:
        per_coordinate = self._all_coordinate_kappas(d)
        reasons = []
        for column, label in enumerate(_KAPPA_LABELS):
            for j, row in enumerate(per_coordinate):
                if not _is_finite(row[column]):
                    reasons.append(
                        f"{label} is {sympy.sstr(row[column])} for coordinate {j + 1}, but must be finite"
                    )
                    break
        reasons.extend(_kappa_disagreements(per_coordinate))
        return reasons


_KAPPA_LABELS = (
    "kappa1 = E[x_{1,j}^4]",
    "kappa2 = E[x_{1,j}^6]",
    "kappa3 = sum_{r != j} E[x_{1,j}^2 x_{1,r}^4]",
)


def _kappa_disagreements(per_coordinate: Sequence[Sequence[sympy.Expr]]) -> list[str]:
    """One sentence per kappa that is not the same for every coordinate."""
    reasons = []
    for column, label in enumerate(_KAPPA_LABELS):
        reference = per_coordinate[0][column]
        for j, row in enumerate(per_coordinate[1:], start=2):
            if not _same(row[column], reference):
                reasons.append(
                    f"{label} is not the same for every coordinate: it is "
                    f"{sympy.sstr(reference)} for coordinate 1 but {sympy.sstr(row[column])} for coordinate {j}"
                )
                break
    return reasons


def _partitions(total: int, max_parts: int) -> Iterable[tuple[int, ...]]:
    """Partitions of ``total`` into at most ``max_parts`` positive parts (descending)."""

    def rec(remaining: int, largest: int, parts_left: int) -> Iterable[tuple[int, ...]]:
        if remaining == 0:
            yield ()
            return
        if parts_left == 0:
            return
        for part in range(min(remaining, largest), 0, -1):
            for rest in rec(remaining - part, part, parts_left - 1):
                yield (part, *rest)

    return rec(total, total, max_parts)


def _check_order(k: Any) -> int:
    order = _as_index(k, "k")
    if order < 0:
        raise InvalidInputError(f"k={k!r} must be a non-negative integer (the moment order)")
    return order


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
        if _is_zero(self.coordinate_moment(2)):
            raise InvalidInputError(
                f"{self.spec()} is the degenerate law x_1 = 0 almost surely "
                "(then kappa1 = kappa2 = 0 and the fixed point is undefined)"
            )

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        """``n`` draws of ``x_1``: an ``(n, d)`` float64 array of i.i.d. coordinates."""
        _check_rng(rng)
        count = _check_count(n)
        self.validate_dimension(d)
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
        if not _is_zero(mean):
            reasons.append(
                f"E[x_{{1,1}}] = {sympy.sstr(mean)} is not 0 (the coordinates do not have mean zero)"
            )
        for label, value in zip(_KAPPA_LABELS, self.kappas(d).as_floats()):
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
        object.__setattr__(self, "sigma", _positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        return _gaussian_moment(_check_order(k), self.sigma)

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return float(self.sigma) * rng.standard_normal(shape)


@dataclass(frozen=True)
class Uniform(IIDCoordinateLaw):
    """Coordinates uniform on ``[-w, w]``; ``E[x^k] = w^k / (k + 1)`` for even ``k``."""

    w: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "uniform"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("w", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "w", _positive_finite(self.w, "w", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
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
        object.__setattr__(self, "s", _positive_finite(self.s, "s", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
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
        object.__setattr__(self, "scale", _positive_finite(self.scale, "scale", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
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
        nu = _positive_finite(self.nu, "nu", self.name)
        if _sign(nu - 6) <= 0:
            raise InvalidInputError(
                f"{self.name}: nu={_show(self.nu)} gives an infinite sixth moment E[x^6] "
                "(the t law has finite moments only of order < nu); nu must be > 6"
            )
        object.__setattr__(self, "nu", nu)

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
        below_nu = _sign(self.nu - k) > 0
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
        p = _exact(self.p, "p", self.name)
        if not _is_finite(p) or _sign(p) <= 0 or _sign(p - 1) > 0:
            extra = " (p = 0 is the degenerate law x_1 = 0)" if _is_finite(p) and _is_zero(p) else ""
            raise InvalidInputError(f"{self.name}: p={_show(self.p)} must be in (0, 1]{extra}")
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "sigma", _positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
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
        object.__setattr__(self, "mu", _real_finite(self.mu, "mu", self.name))
        object.__setattr__(self, "sigma", _positive_finite(self.sigma, "sigma", self.name))

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
        terms = (
            sympy.binomial(k, i) * self.mu ** (k - i) * _gaussian_moment(i, self.sigma)
            for i in range(0, k + 1, 2)
        )
        return sympy.expand(sympy.Add(*terms))

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        return float(self.mu) + float(self.sigma) * rng.standard_normal(shape)


def _merge_atoms(
    atoms: Sequence[Any], probs: Sequence[sympy.Expr]
) -> tuple[tuple[Any, ...], tuple[sympy.Expr, ...]]:
    """Merge equal atoms (adding their probabilities), drop probability-0 atoms, sort."""
    merged: dict[Any, sympy.Expr] = {}
    for atom, p in zip(atoms, probs):
        merged[atom] = merged.get(atom, sympy.Integer(0)) + p
    kept = [(atom, p) for atom, p in merged.items() if not _is_zero(p)]

    def key(item: tuple[Any, sympy.Expr]) -> tuple[Any, ...]:
        atom = item[0]
        entries = atom if isinstance(atom, tuple) else (atom,)
        return (tuple(float(v) for v in entries), tuple(sympy.srepr(v) for v in entries))

    kept.sort(key=key)
    return tuple(a for a, _ in kept), tuple(p for _, p in kept)


def _cumulative(probs: Sequence[sympy.Expr]) -> np.ndarray:
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
        raw_values = _values_tuple(self.values, "values", self.name)
        raw_probs = _values_tuple(self.probs, "probs", self.name)
        if len(raw_values) != len(raw_probs):
            raise InvalidInputError(
                f"{self.name}: values has {len(raw_values)} entries but probs has {len(raw_probs)}; "
                "they must have the same length"
            )
        values = [
            _real_finite(v, f"values[{i}]", self.name) for i, v in enumerate(raw_values, start=1)
        ]
        probs = _probabilities(raw_probs, "probs", self.name)
        values_t, probs_t = _merge_atoms(values, probs)
        object.__setattr__(self, "values", values_t)
        object.__setattr__(self, "probs", probs_t)
        self._check_not_degenerate()

    def coordinate_moment(self, k: int) -> sympy.Expr:
        k = _check_order(k)
        return sympy.expand(sympy.Add(*(p * v**k for v, p in zip(self.values, self.probs))))

    def _sample_coordinates(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        atoms = np.array([float(v) for v in self.values], dtype=np.float64)
        which = np.searchsorted(_cumulative(self.probs), rng.random(shape), side="right")
        return atoms[which]


# --------------------------------------------------------------------------
# Laws with dependent coordinates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sparse(InitialTokenDistribution):
    r"""``x_1 = \pm c\, e_J`` with ``J`` uniform on the coordinates and an independent fair sign.

    :math:`E[x_{1,i_1} \cdots x_{1,i_k}] = c^k / d` if all indices are equal and
    ``k`` is even (``k >= 2``), 1 for ``k = 0``, else 0. Hence
    :math:`\kappa_1 = c^4/d`, :math:`\kappa_2 = c^6/d`, :math:`\kappa_3 = 0`.
    """

    c: sympy.Expr = sympy.Integer(1)
    name: ClassVar[str] = "sparse"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (("c", False, "1"),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "c", _positive_finite(self.c, "c", self.name))

    @property
    def exchangeable(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        _check_rng(rng)
        count = _check_count(n)
        self.validate_dimension(d)
        out = np.zeros((count, int(d)), dtype=np.float64)
        which = rng.integers(0, int(d), size=count)
        signs = 2.0 * rng.integers(0, 2, size=count) - 1.0
        out[np.arange(count), which] = float(self.c) * signs
        return out

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        checked = self._check_indices(indices, d)
        k = len(checked)
        if k == 0:
            return sympy.Integer(1)
        if k % 2 or len(set(checked)) > 1:
            return sympy.Integer(0)
        return self.c**k / int(d)


@dataclass(frozen=True)
class Ones(InitialTokenDistribution):
    """``x_1 = 1_d`` deterministically (violates Assumption 2; every moment is 1).

    Its kappas are still defined: ``kappa1 = kappa2 = 1``, ``kappa3 = d - 1``.
    """

    name: ClassVar[str] = "ones"

    @property
    def exchangeable(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        _check_rng(rng)
        count = _check_count(n)
        self.validate_dimension(d)
        return np.ones((count, int(d)), dtype=np.float64)

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        self._check_indices(indices, d)
        return sympy.Integer(1)


def _parse_bracketed(token: str, what: str, family: str) -> str:
    text = token.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise InvalidInputError(
            f"{family}: each entry of {what} must be written in brackets, e.g. [1,0], got {text!r}"
        )
    return text[1:-1]


@dataclass(frozen=True)
class DiscreteVectorLaw(InitialTokenDistribution):
    r"""The general discrete law: ``x_1 = atoms[a]`` (a vector in ``R^d``) with probability ``probs[a]``.

    Coordinates may be correlated. :math:`E[x_{1,i_1} \cdots x_{1,i_k}] =
    \sum_a p_a \prod_l x_a[i_l]`. The dimension is fixed by the atoms' length.
    The stored form is canonical (equal atoms merged, probability-0 atoms
    dropped, atoms sorted). Spec: ``discrete-vector:atoms=[1,0],[0,1];probs=0.5,0.5``.
    """

    atoms: tuple[tuple[sympy.Expr, ...], ...]
    probs: tuple[sympy.Expr, ...]
    name: ClassVar[str] = "discrete-vector"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (
        ("atoms", True, None),
        ("probs", True, None),
    )

    def __post_init__(self) -> None:
        raw_atoms = _values_tuple(self.atoms, "atoms", self.name)
        raw_probs = _values_tuple(self.probs, "probs", self.name)
        if len(raw_atoms) != len(raw_probs):
            raise InvalidInputError(
                f"{self.name}: atoms has {len(raw_atoms)} entries but probs has {len(raw_probs)}; "
                "they must have the same length"
            )
        atoms = []
        for a, atom in enumerate(raw_atoms, start=1):
            if isinstance(atom, np.ndarray):
                atom = atom.tolist()
            if isinstance(atom, (str, bytes)) or not isinstance(atom, Iterable):
                raise InvalidInputError(
                    f"{self.name}: atoms[{a}]={atom!r} must be a vector (a sequence of numbers)"
                )
            entries = tuple(
                _real_finite(v, f"atoms[{a}][{i}]", self.name) for i, v in enumerate(atom, start=1)
            )
            if not entries:
                raise InvalidInputError(f"{self.name}: atoms[{a}] is empty; atoms must be vectors of length d >= 1")
            atoms.append(entries)
        dims = {len(atom) for atom in atoms}
        if len(dims) != 1:
            raise InvalidInputError(
                f"{self.name}: the atoms have different lengths {sorted(dims)}; all must have the same length d"
            )
        probs = _probabilities(raw_probs, "probs", self.name)
        atoms_t, probs_t = _merge_atoms(atoms, probs)
        object.__setattr__(self, "atoms", atoms_t)
        object.__setattr__(self, "probs", probs_t)
        if all(all(_is_zero(v) for v in atom) for atom in atoms_t):
            raise InvalidInputError(
                f"{self.name}: every atom of positive probability is the zero vector, so x_1 = 0 "
                "almost surely (then kappa1 = kappa2 = 0 and the fixed point is undefined)"
            )

    @property
    def fixed_dimension(self) -> int | None:
        return len(self.atoms[0])

    def _spec_items(self) -> list[tuple[str, str]]:
        atoms = ",".join("[" + ",".join(_format_number(v) for v in atom) + "]" for atom in self.atoms)
        probs = ",".join(_format_number(p) for p in self.probs)
        return [("atoms", atoms), ("probs", probs)]

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        atoms = [
            [v for v in _split_top_level(_parse_bracketed(token, "atoms", cls.name), ",")]
            for token in values["atoms"]
        ]
        return cls(atoms=atoms, probs=values["probs"])

    @functools.cached_property
    def _integer_form(self) -> tuple[int, int, tuple[int, ...], tuple[tuple[int, ...], ...]] | None:
        """``(P, D, q, n)`` with ``probs = q / P`` and ``atoms = n / D`` in integers, if all rational."""
        if not all(isinstance(v, sympy.Rational) for atom in self.atoms for v in atom):
            return None
        if not all(isinstance(p, sympy.Rational) for p in self.probs):
            return None
        big_p = math.lcm(*(int(p.q) for p in self.probs))
        big_d = math.lcm(*(int(v.q) for atom in self.atoms for v in atom))
        q = tuple(int(p.p) * (big_p // int(p.q)) for p in self.probs)
        n = tuple(tuple(int(v.p) * (big_d // int(v.q)) for v in atom) for atom in self.atoms)
        return big_p, big_d, q, n

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        _check_rng(rng)
        count = _check_count(n)
        self.validate_dimension(d)
        table = np.array([[float(v) for v in atom] for atom in self.atoms], dtype=np.float64)
        which = np.searchsorted(_cumulative(self.probs), rng.random(count), side="right")
        return table[which]

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        checked = self._check_indices(indices, d)
        integer_form = self._integer_form
        if integer_form is not None:
            big_p, big_d, q, n = integer_form
            total = 0
            for weight, atom in zip(q, n):
                term = weight
                for i in checked:
                    term *= atom[i]
                total += term
            return sympy.Rational(total, big_p * big_d ** len(checked))
        return sympy.expand(
            sympy.Add(*(p * sympy.Mul(*(atom[i] for i in checked)) for atom, p in zip(self.atoms, self.probs)))
        )


@dataclass(frozen=True)
class Mixture(InitialTokenDistribution):
    r"""Draw one component per sample: component ``c`` with probability ``weights[c]``.

    Moments are the weighted sums :math:`\sum_c w_c E_c[\cdot]`. Example: a
    scale mixture of Gaussians, ``Mixture((Gaussian(1), Gaussian(2)), (0.5, 0.5))``,
    has dependent coordinates but still satisfies Assumption 2. Equal
    components are merged and weight-0 components dropped (order otherwise
    kept). Spec: ``mixture:components=[gaussian:sigma=1],[gaussian:sigma=2];weights=0.5,0.5``.
    """

    components: tuple[InitialTokenDistribution, ...]
    weights: tuple[sympy.Expr, ...]
    name: ClassVar[str] = "mixture"
    _spec_keys: ClassVar[tuple[tuple[str, bool, str | None], ...]] = (
        ("components", True, None),
        ("weights", True, None),
    )

    def __post_init__(self) -> None:
        components = _values_tuple(self.components, "components", self.name)
        raw_weights = _values_tuple(self.weights, "weights", self.name)
        if len(components) != len(raw_weights):
            raise InvalidInputError(
                f"{self.name}: components has {len(components)} entries but weights has "
                f"{len(raw_weights)}; they must have the same length"
            )
        for c, component in enumerate(components, start=1):
            if not isinstance(component, InitialTokenDistribution):
                raise InvalidInputError(
                    f"{self.name}: components[{c}]={component!r} is not an InitialTokenDistribution"
                )
        weights = _probabilities(raw_weights, "weights", self.name)
        merged: dict[InitialTokenDistribution, sympy.Expr] = {}
        for component, w in zip(components, weights):
            merged[component] = merged.get(component, sympy.Integer(0)) + w
        kept = [(comp, w) for comp, w in merged.items() if not _is_zero(w)]
        fixed = {comp.fixed_dimension for comp, _ in kept} - {None}
        if len(fixed) > 1:
            raise InvalidInputError(
                f"{self.name}: the components live in different dimensions {sorted(fixed)}; they must agree"
            )
        object.__setattr__(self, "components", tuple(comp for comp, _ in kept))
        object.__setattr__(self, "weights", tuple(w for _, w in kept))

    @property
    def fixed_dimension(self) -> int | None:
        fixed = {comp.fixed_dimension for comp in self.components} - {None}
        return fixed.pop() if fixed else None

    @property
    def exchangeable(self) -> bool:
        return all(comp.exchangeable for comp in self.components)

    def validate_dimension(self, d: int) -> None:
        super().validate_dimension(d)
        for component in self.components:
            component.validate_dimension(d)

    def _spec_items(self) -> list[tuple[str, str]]:
        components = ",".join(f"[{comp.spec()}]" for comp in self.components)
        weights = ",".join(_format_number(w) for w in self.weights)
        return [("components", components), ("weights", weights)]

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        components = [
            parse_distribution(_parse_bracketed(token, "components", cls.name))
            for token in values["components"]
        ]
        return cls(components=components, weights=values["weights"])

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        _check_rng(rng)
        count = _check_count(n)
        self.validate_dimension(d)
        which = np.searchsorted(_cumulative(self.weights), rng.random(count), side="right")
        out = np.empty((count, int(d)), dtype=np.float64)
        for c, component in enumerate(self.components):
            chosen = which == c
            out[chosen] = component.sample(rng, int(chosen.sum()), d)
        return out

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        checked = self._check_indices(indices, d)
        return sympy.expand(
            sympy.Add(*(w * comp.moment(checked, d) for comp, w in zip(self.components, self.weights)))
        )


# --------------------------------------------------------------------------
# Text specs
# --------------------------------------------------------------------------

_FAMILIES: dict[str, type[InitialTokenDistribution]] = {
    cls.name: cls
    for cls in (
        Gaussian,
        Uniform,
        Rademacher,
        Laplace,
        StudentT,
        BernoulliGaussian,
        Discrete,
        ShiftedGaussian,
        Sparse,
        Ones,
        DiscreteVectorLaw,
        Mixture,
    )
}

#: The valid spec names, in documentation order.
DISTRIBUTION_NAMES: tuple[str, ...] = tuple(_FAMILIES)


def _split_top_level(text: str, separators: str) -> list[str]:
    """Split ``text`` at ``separators`` that are outside brackets and parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth < 0:
                raise InvalidInputError(f"unbalanced brackets in {text!r}")
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise InvalidInputError(f"unbalanced brackets in {text!r}")
    parts.append("".join(current))
    return parts


def _find_top_level(text: str, char: str) -> int:
    depth = 0
    for position, c in enumerate(text):
        if c in "[(":
            depth += 1
        elif c in "])":
            depth -= 1
        elif c == char and depth == 0:
            return position
    return -1


def parse_distribution(spec: str) -> InitialTokenDistribution:
    """Parse a text spec ``name`` or ``name:key=value,...`` into a law.

    Parameters are separated by ``,`` or ``;``; a token without ``=`` continues
    the previous key's list (``discrete:values=-2,1,3;probs=0.2,0.5,0.3``).
    Omitted keys take their defaults (``sigma=1``, ``w=1``, ``s=1``,
    ``scale=1``, ``c=1``, ``nu=9``, ``p=0.3``, ``mu=0.5``; ``discrete``,
    ``discrete-vector`` and ``mixture`` have none). Names and keys are
    case-insensitive; whitespace is ignored. Numbers are read exactly
    (``0.5`` is ``1/2``; ``1/3`` and ``sqrt(2)`` are allowed). Vector atoms
    and mixture components are written in brackets:
    ``discrete-vector:atoms=[1,0],[0,1];probs=0.5,0.5``,
    ``mixture:components=[gaussian:sigma=1],[gaussian:sigma=2];weights=0.5,0.5``.
    """
    if not isinstance(spec, str):
        raise InvalidInputError(f"spec={spec!r} must be a string such as 'gaussian:sigma=1'")
    text = spec.strip()
    name, _, rest = text.partition(":")
    name = name.strip().lower()
    if name not in _FAMILIES:
        raise InvalidInputError(
            f"unknown distribution name {name!r} in spec {text!r}; valid names are: "
            + ", ".join(DISTRIBUTION_NAMES)
        )
    family = _FAMILIES[name]
    keys = {key: (is_list, default) for key, is_list, default in family._spec_keys}
    valid_keys = ", ".join(keys) if keys else "none (this law has no parameters)"

    given: dict[str, list[str]] = {}
    current_key: str | None = None
    if rest.strip():
        for token in _split_top_level(rest, ",;"):
            token = token.strip()
            if not token:
                raise InvalidInputError(
                    f"{name}: empty parameter in spec {text!r} (check for doubled or trailing separators)"
                )
            equals = _find_top_level(token, "=")
            if equals < 0:
                if current_key is None:
                    raise InvalidInputError(
                        f"{name}: {token!r} in spec {text!r} is not of the form key=value; valid keys are: {valid_keys}"
                    )
                given[current_key].append(token)
                continue
            key = token[:equals].strip().lower()
            value = token[equals + 1 :].strip()
            if key not in keys:
                raise InvalidInputError(
                    f"{name}: unknown key {key!r} in spec {text!r}; valid keys are: {valid_keys}"
                )
            if key in given:
                raise InvalidInputError(
                    f"{name}: key {key!r} is given twice in spec {text!r}; valid keys are: {valid_keys}"
                )
            if not value:
                raise InvalidInputError(f"{name}: key {key!r} has no value in spec {text!r}")
            given[key] = [value]
            current_key = key

    values: dict[str, Any] = {}
    for key, (is_list, default) in keys.items():
        if key in given:
            tokens = given[key]
            if not is_list and len(tokens) > 1:
                raise InvalidInputError(
                    f"{name}: key {key!r} takes one value, got {len(tokens)}: {', '.join(tokens)}"
                )
            values[key] = tuple(tokens) if is_list else tokens[0]
        elif default is not None:
            values[key] = default
        else:
            raise InvalidInputError(
                f"{name}: missing key {key!r} in spec {text!r}; valid keys are: {valid_keys} (all required)"
            )
    return family._from_spec_values(values)

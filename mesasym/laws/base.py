"""The abstract law of ``x_1`` (:class:`InitialTokenDistribution`) and its result types."""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy

from mesasym.errors import InvalidInputError
from mesasym.laws.numbers import (
    as_index,
    check_count,
    check_rng,
    format_number,
    is_finite_number,
    is_zero_number,
    monomial_text,
    same_number,
)

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
    #: List keys whose entries are bracketed law specs (parsed into laws by the spec parser).
    _law_keys: ClassVar[tuple[str, ...]] = ()

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
            text = ",".join(format_number(v) for v in value) if is_list else format_number(value)
            items.append((key, text))
        return items

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        """Build the law from parsed spec values (strings, or tuples of strings for list keys)."""
        return cls(**values)

    # -- checks ---------------------------------------------------------------

    def validate_dimension(self, d: int) -> None:
        """Raise :class:`InvalidInputError` unless ``d`` is a valid dimension for this law."""
        dim = as_index(d, "d")
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
        result = tuple(as_index(i, "coordinate index") for i in indices)
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

    def _sample_count(self, rng: np.random.Generator, n: int, d: int) -> int:
        """Check the arguments of :meth:`sample`; the number of draws."""
        check_rng(rng)
        count = check_count(n)
        self.validate_dimension(d)
        return count

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
        k = as_index(order, "order")
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
            if not is_zero_number(value):
                offending.append((indices, value))
        for indices, value in offending[:_MAX_LISTED_MONOMIALS]:
            first_power = min(c for c, r in Counter(indices).items() if r == 1)
            suffix = (
                "; by exchangeability the same holds for any distinct coordinates"
                if self.exchangeable and len(set(indices)) > 1
                else ""
            )
            reasons.append(
                f"E[{monomial_text(indices)}] = {sympy.sstr(value)} is not 0 "
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
        for column, label in enumerate(KAPPA_LABELS):
            for j, row in enumerate(per_coordinate):
                if not is_finite_number(row[column]):
                    reasons.append(
                        f"{label} is {sympy.sstr(row[column])} for coordinate {j + 1}, but must be finite"
                    )
                    break
        reasons.extend(_kappa_disagreements(per_coordinate))
        return reasons


KAPPA_LABELS = (
    "kappa1 = E[x_{1,j}^4]",
    "kappa2 = E[x_{1,j}^6]",
    "kappa3 = sum_{r != j} E[x_{1,j}^2 x_{1,r}^4]",
)


def _kappa_disagreements(per_coordinate: Sequence[Sequence[sympy.Expr]]) -> list[str]:
    """One sentence per kappa that is not the same for every coordinate."""
    reasons = []
    for column, label in enumerate(KAPPA_LABELS):
        reference = per_coordinate[0][column]
        for j, row in enumerate(per_coordinate[1:], start=2):
            if not same_number(row[column], reference):
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


def check_order(k: Any) -> int:
    order = as_index(k, "k")
    if order < 0:
        raise InvalidInputError(f"k={k!r} must be a non-negative integer (the moment order)")
    return order



"""Laws with dependent coordinates: sparse, ones, discrete vector laws and mixtures."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy

from mesasym.errors import InvalidInputError
from mesasym.laws.base import InitialTokenDistribution
from mesasym.laws.families import cumulative_probs, merge_atoms
from mesasym.specs import split_top_level, unbracket
from mesasym.laws.numbers import (
    format_number,
    is_zero_number,
    positive_finite,
    check_probabilities,
    real_finite,
    values_tuple,
)

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
        object.__setattr__(self, "c", positive_finite(self.c, "c", self.name))

    @property
    def exchangeable(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        count = self._sample_count(rng, n, d)
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
        count = self._sample_count(rng, n, d)
        return np.ones((count, int(d)), dtype=np.float64)

    def moment(self, indices: Sequence[int], d: int) -> sympy.Expr:
        self._check_indices(indices, d)
        return sympy.Integer(1)


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
        raw_atoms = values_tuple(self.atoms, "atoms", self.name)
        raw_probs = values_tuple(self.probs, "probs", self.name)
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
                real_finite(v, f"atoms[{a}][{i}]", self.name) for i, v in enumerate(atom, start=1)
            )
            if not entries:
                raise InvalidInputError(f"{self.name}: atoms[{a}] is empty; atoms must be vectors of length d >= 1")
            atoms.append(entries)
        dims = {len(atom) for atom in atoms}
        if len(dims) != 1:
            raise InvalidInputError(
                f"{self.name}: the atoms have different lengths {sorted(dims)}; all must have the same length d"
            )
        probs = check_probabilities(raw_probs, "probs", self.name)
        atoms_t, probs_t = merge_atoms(atoms, probs)
        object.__setattr__(self, "atoms", atoms_t)
        object.__setattr__(self, "probs", probs_t)
        if all(all(is_zero_number(v) for v in atom) for atom in atoms_t):
            raise InvalidInputError(
                f"{self.name}: every atom of positive probability is the zero vector, so x_1 = 0 "
                "almost surely (then kappa1 = kappa2 = 0 and the fixed point is undefined)"
            )

    @property
    def fixed_dimension(self) -> int | None:
        return len(self.atoms[0])

    def _spec_items(self) -> list[tuple[str, str]]:
        atoms = ",".join("[" + ",".join(format_number(v) for v in atom) + "]" for atom in self.atoms)
        probs = ",".join(format_number(p) for p in self.probs)
        return [("atoms", atoms), ("probs", probs)]

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        atoms = [
            split_top_level(unbracket(token, what=f"{cls.name}: each entry of atoms"), ",")
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
        count = self._sample_count(rng, n, d)
        table = np.array([[float(v) for v in atom] for atom in self.atoms], dtype=np.float64)
        which = np.searchsorted(cumulative_probs(self.probs), rng.random(count), side="right")
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
    _law_keys: ClassVar[tuple[str, ...]] = ("components",)

    def __post_init__(self) -> None:
        components = values_tuple(self.components, "components", self.name)
        raw_weights = values_tuple(self.weights, "weights", self.name)
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
        weights = check_probabilities(raw_weights, "weights", self.name)
        merged: dict[InitialTokenDistribution, sympy.Expr] = {}
        for component, w in zip(components, weights):
            merged[component] = merged.get(component, sympy.Integer(0)) + w
        kept = [(comp, w) for comp, w in merged.items() if not is_zero_number(w)]
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
        weights = ",".join(format_number(w) for w in self.weights)
        return [("components", components), ("weights", weights)]

    @classmethod
    def _from_spec_values(cls, values: dict[str, Any]) -> InitialTokenDistribution:
        # ``components`` arrive as laws: the parser parses each bracketed spec (``_law_keys``).
        return cls(components=list(values["components"]), weights=values["weights"])

    def sample(self, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        count = self._sample_count(rng, n, d)
        which = np.searchsorted(cumulative_probs(self.weights), rng.random(count), side="right")
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



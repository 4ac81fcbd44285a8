"""Text specs of the laws (``name`` or ``name:key=value,...``) and their parser."""

from __future__ import annotations

from mesasym.laws.base import InitialTokenDistribution
from mesasym.laws.families import (
    BernoulliGaussian,
    Discrete,
    Gaussian,
    Laplace,
    Rademacher,
    ShiftedGaussian,
    StudentT,
    Uniform,
)
from mesasym.laws.vectors import DiscreteVectorLaw, Mixture, Ones, Sparse
from mesasym.specs import Key, parse_spec, unbracket

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

_KEYS: dict[str, tuple[Key, ...]] = {
    name: tuple(Key(key, default, many=is_list) for key, is_list, default in cls._spec_keys)
    for name, cls in _FAMILIES.items()
}


def parse_distribution(spec: str) -> InitialTokenDistribution:
    """Parse a text spec ``name`` or ``name:key=value,...`` into a law (grammar: ``mesasym.specs``).

    Parameters are separated by ``,`` or ``;``; a token without ``=`` continues
    the previous key's list (``discrete:values=-2,1,3;probs=0.2,0.5,0.3``).
    Omitted keys take their defaults (``sigma=1``, ``w=1``, ``s=1``,
    ``scale=1``, ``c=1``, ``nu=9``, ``p=0.3``, ``mu=0.5``; ``discrete``,
    ``discrete-vector`` and ``mixture`` have none). Names and keys are
    case-insensitive; whitespace is ignored. Numbers are read exactly
    (``0.5`` is ``1/2``; ``1/3`` and ``sqrt(2)`` are allowed). Vector atoms
    and mixture components are written in brackets:
    ``discrete-vector:atoms=[1,0],[0,1];probs=0.5,0.5``,
    ``mixture:components=[gaussian:sigma=1],[gaussian:sigma=2];weights=0.5,0.5``
    (each component is parsed here, so the law classes never call the parser).
    """
    parsed = parse_spec(spec, kind="distribution", families=_KEYS)
    family = _FAMILIES[parsed.name]
    values = dict(parsed.values)
    for key in family._law_keys:
        values[key] = tuple(
            parse_distribution(unbracket(token, what=f"{parsed.name}: each entry of {key}")) for token in values[key]
        )
    return family._from_spec_values(values)

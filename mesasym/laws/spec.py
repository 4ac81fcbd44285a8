"""Text specs of the laws (``name`` or ``name:key=value,...``) and their parser."""

from __future__ import annotations

from typing import Any

from mesasym.errors import InvalidInputError
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
from mesasym.laws.numbers import _find_top_level, _split_top_level
from mesasym.laws.vectors import DiscreteVectorLaw, Mixture, Ones, Sparse

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
